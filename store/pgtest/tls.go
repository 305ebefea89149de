package pgtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TLSFiles are the certificate authorities of TLS.
type TLSFiles struct {
	CA      string // the CA that signed the server's certificate (PEM file)
	OtherCA string // an unrelated CA, which a client must not accept the server with
}

// tlsUsers counts the running tests that asked for TLS; ssl is on while
// it is above zero.
var tlsUsers int

// TLS turns TLS on in the package run's server for the rest of the test,
// with a certificate for localhost and 127.0.0.1 signed by a CA made for
// the server, and returns that CA's file (for sslrootcert) and an
// unrelated one's. The certificates are made once per server; ssl is
// turned on by a reload (no restart) and off again at the end of the test,
// so every other test meets the server as it was: without TLS.
func TLS(t testing.TB) TLSFiles {
	t.Helper()
	s := get(t)
	mu.Lock()
	defer mu.Unlock()
	if s.tls == nil {
		files, err := s.makeCertificates()
		if err != nil {
			t.Fatalf("pgtest.TLS: %v", err)
		}
		s.tls = &files
	}
	if tlsUsers == 0 {
		if err := s.setSSL(true); err != nil {
			t.Fatalf("pgtest.TLS: %v", err)
		}
	}
	tlsUsers++
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		tlsUsers--
		if tlsUsers == 0 {
			if err := s.setSSL(false); err != nil {
				t.Errorf("pgtest.TLS: turning TLS off again: %v", err)
			}
		}
	})
	return *s.tls
}

// makeCertificates writes the CAs' certificates and the server's
// certificate and key into the server's dir, the key readable by the
// server's account alone, as postgres demands.
func (s *server) makeCertificates() (TLSFiles, error) {
	ca, caKey, caPEM, err := newCA("caisson-review pgtest CA")
	if err != nil {
		return TLSFiles{}, err
	}
	_, _, otherPEM, err := newCA("an unrelated CA")
	if err != nil {
		return TLSFiles{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return TLSFiles{}, fmt.Errorf("making the server's key: %w", err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return TLSFiles{}, fmt.Errorf("signing the server's certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return TLSFiles{}, fmt.Errorf("encoding the server's key: %w", err)
	}
	files := TLSFiles{CA: filepath.Join(s.dir, "ca.crt"), OtherCA: filepath.Join(s.dir, "other-ca.crt")}
	writes := []struct {
		path string
		data []byte
	}{
		{files.CA, caPEM},
		{files.OtherCA, otherPEM},
		{s.certFile(), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})},
		{s.keyFile(), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})},
	}
	for _, w := range writes {
		if err := s.writeOwned(w.path, w.data); err != nil {
			return TLSFiles{}, err
		}
	}
	return files, nil
}

func (s *server) certFile() string { return filepath.Join(s.dir, "server.crt") }
func (s *server) keyFile() string  { return filepath.Join(s.dir, "server.key") }

// writeOwned writes a file of mode 0600 owned by the server's account.
func (s *server) writeOwned(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if s.asUser != nil {
		if err := os.Chown(path, int(s.asUser.Uid), int(s.asUser.Gid)); err != nil {
			return fmt.Errorf("giving %s to postgres: %w", path, err)
		}
	}
	return nil
}

// newCA makes a self-signed CA and returns it, its key and its PEM.
func newCA(name string) (*x509.Certificate, *ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("making the key of %s: %w", name, err)
	}
	tpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("signing %s: %w", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, err
	}
	return cert, key, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

// setSSL turns ssl on or off by ALTER SYSTEM and a reload, and waits until
// new connections see it: the postmaster reloads on its own time.
func (s *server) setSSL(on bool) error {
	stmts := []string{"ALTER SYSTEM RESET ssl"}
	if on {
		stmts = []string{
			fmt.Sprintf("ALTER SYSTEM SET ssl_cert_file = '%s'", s.certFile()),
			fmt.Sprintf("ALTER SYSTEM SET ssl_key_file = '%s'", s.keyFile()),
			"ALTER SYSTEM SET ssl = on",
		}
	}
	stmts = append(stmts, "SELECT pg_reload_conf()")
	for _, q := range stmts {
		if _, err := s.admin.Exec(q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.tlsOffered(on)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server did not take ssl = %v within 10 s (%v); its log:\n%s", on, err, s.log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tlsOffered returns nil when a new connection asking for TLS gets it (on)
// or is refused it (off).
func (s *server) tlsOffered(on bool) error {
	db, err := sql.Open("pgx", strings.Replace(s.superuserURL("postgres"), "sslmode=disable", "sslmode=require", 1))
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err = db.PingContext(ctx)
	switch {
	case on && err != nil:
		return err
	case !on && err == nil:
		return fmt.Errorf("a connection still gets TLS")
	case !on && !strings.Contains(err.Error(), "refused TLS"):
		return err
	}
	return nil
}
