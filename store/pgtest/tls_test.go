package pgtest_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/caisson-review/caisson-review/store/pgtest"
)

// verifyFull is dbURL asking for TLS with the server's certificate checked
// against the CA in caFile and the URL's host.
func verifyFull(dbURL, caFile string) string {
	return strings.Replace(dbURL, "sslmode=disable", "sslmode=verify-full&sslrootcert="+url.QueryEscape(caFile), 1)
}

func sslOfOwnConnection(t *testing.T, dbURL string) (bool, error) {
	t.Helper()
	var ssl bool
	err := open(t, dbURL).QueryRow("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl)
	return ssl, err
}

func TestTLSServesVerifiedTLSDuringTheTestAndNoneAfter(t *testing.T) {
	dbURL := pgtest.URL(t)
	t.Run("with TLS on", func(t *testing.T) {
		files := pgtest.TLS(t)
		if ssl, err := sslOfOwnConnection(t, verifyFull(dbURL, files.CA)); err != nil || !ssl {
			t.Fatalf("with sslmode=verify-full and the server's CA: ssl %v, err %v", ssl, err)
		}
		if _, err := sslOfOwnConnection(t, verifyFull(dbURL, files.OtherCA)); err == nil || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
			t.Errorf("with an unrelated CA: err %v, want the certificate refused", err)
		}
		if ssl, err := sslOfOwnConnection(t, dbURL); err != nil || ssl {
			t.Errorf("with sslmode=disable while TLS is on: ssl %v, err %v; want a plain connection", ssl, err)
		}
	})
	if _, err := sslOfOwnConnection(t, strings.Replace(dbURL, "sslmode=disable", "sslmode=require", 1)); err == nil || !strings.Contains(err.Error(), "refused TLS") {
		t.Errorf("after the test that asked for TLS, sslmode=require: err %v, want TLS refused", err)
	}
	if ssl, err := sslOfOwnConnection(t, dbURL); err != nil || ssl {
		t.Errorf("after the test that asked for TLS, sslmode=disable: ssl %v, err %v", ssl, err)
	}
}
