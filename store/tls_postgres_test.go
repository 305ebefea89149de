package store

import (
	"context"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/store/pgtest"
)

// withTLS is dbURL (a pgtest URL, sslmode=disable) asking for TLS with the
// server's certificate checked against caFile and the URL's host, the
// production setting the README gives.
func withTLS(dbURL, caFile string) string {
	return strings.Replace(dbURL, "sslmode=disable", "sslmode=verify-full&sslrootcert="+url.QueryEscape(caFile), 1)
}

func TestPostgresOpenWithVerifyFullConnectsOverTLS(t *testing.T) {
	dbURL := pgtest.URL(t)
	files := pgtest.TLS(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(u.Host)
	tests := []struct{ name, url string }{
		{"by the address the certificate names", withTLS(dbURL, files.CA)},
		{"by the name the certificate names", withTLS(strings.Replace(dbURL, u.Host, net.JoinHostPort("localhost", port), 1), files.CA)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openPG(t, tt.url)
			ctx := context.Background()
			// The store's own pooled connections, every one of them: a
			// write and a read at once take two.
			conns := heldConns(t, s, 2)
			for i, c := range conns {
				var ssl bool
				var version string
				if err := c.QueryRowContext(ctx, "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl, &version); err != nil {
					t.Fatal(err)
				}
				if !ssl {
					t.Errorf("connection %d of the store is not encrypted (pg_stat_ssl.ssl false)", i+1)
				}
				t.Logf("connection %d: ssl %v, %s", i+1, ssl, version)
			}
			if _, err := s.Add(ctx, checkID(1), "ana", SourceTyped); err != nil {
				t.Fatalf("a write over TLS: %v", err)
			}
		})
	}
}

func TestPostgresOpenWithVerifyFullRefusesAServerItCannotVerify(t *testing.T) {
	dbURL := pgtest.URL(t)
	files := pgtest.TLS(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	password, _ := u.User.Password()
	tests := []struct {
		name, url string
		want      []string
	}{
		{"a certificate signed by another CA than sslrootcert's", withTLS(dbURL, files.OtherCA),
			[]string{"signed by an authority not trusted here", "sslrootcert="}},
		{"a certificate that does not name the URL's host", withTLS(strings.Replace(dbURL, u.Host, relayOn127002(t, u.Host), 1), files.CA),
			[]string{"its TLS certificate is not for the host in the URL", "sslmode=verify-full checks it"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			s, err := Open(ctx, tt.url)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			t.Log(msg)
			if strings.Contains(msg, password) || strings.Contains(msg, url.QueryEscape(password)) {
				t.Errorf("the error shows the password: %s", msg)
			}
			for _, w := range append([]string{"opening the review database", "the PostgreSQL server"}, tt.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q\nwant it to say %q", msg, w)
				}
			}
		})
	}
}

// relayOn127002 listens on 127.0.0.2 and passes every connection's bytes
// to and from target unchanged: the server, reached by an address its
// certificate does not name, with TLS end to end (the relay sees only
// ciphertext). It skips the test where 127.0.0.2 cannot be bound (Linux
// routes all of 127/8 to loopback; other systems may not).
func relayOn127002(t *testing.T, target string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2 (%v), so there is no address of the server its certificate does not name: the host-name case is not tested here", err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			wg.Add(2)
			go func() { defer wg.Done(); io.Copy(out, in); out.Close() }()
			go func() { defer wg.Done(); io.Copy(in, out); in.Close() }()
		}
	}()
	return l.Addr().String()
}
