package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/caisson-review/caisson-review/caisson/sandbox"
)

func TestServeCommandListensCreatesItsHostKeyAndStopsWhenCancelled(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	dir := t.TempDir()
	hostKey := filepath.Join(dir, "host_key")
	authorized := filepath.Join(dir, "authorized_keys")
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(authorized, ssh.MarshalAuthorizedKey(signer.PublicKey()), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeLoopbackAddr(t)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() {
		done <- runCLIContext(t, ctx, f.env, "", "serve", "--listen", addr, "--host-key", hostKey, "--authorized-keys", authorized)
	}()

	// An authorized key completes the SSH handshake; the console itself is
	// tested in package serve.
	var client *ssh.Client
	deadline := time.Now().Add(10 * time.Second)
	for client == nil && time.Now().Before(deadline) {
		client, err = ssh.Dial("tcp", addr, &ssh.ClientConfig{
			User: "alice", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: time.Second,
		})
		if err != nil {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if client == nil {
		cancel()
		t.Fatalf("could not log in to the served console: %v\n%s", err, <-done)
	}
	client.Close()
	cancel()
	var r result
	select {
	case r = <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop after its context was cancelled")
	}
	if r.code != 0 {
		t.Fatalf("serve: want exit 0 after a clean shutdown, got\n%s", r)
	}
	mustContain(t, "stderr", r.stderr, "listening", "host key created", "SHA256:", "stopped")
	info, err := os.Stat(hostKey)
	if err != nil {
		t.Fatalf("the host key was not created: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("host key mode %o, want 0600", perm)
	}
}

func TestServeCommandUsage(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	for _, c := range []struct {
		name   string
		args   []string
		stderr string
	}{
		{"a host key is required", []string{"serve", "--authorized-keys", "x"}, "--host-key PATH is required"},
		{"authorized keys are required", []string{"serve", "--host-key", "x"}, "--authorized-keys PATH is required"},
		{"at least one session", []string{"serve", "--host-key", "x", "--authorized-keys", "y", "--max-sessions", "0"}, "expected at least 1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := f.run(c.args...)
			if r.code != 2 {
				t.Fatalf("want a usage error, got\n%s", r)
			}
			mustContain(t, "stderr", r.stderr, c.stderr)
		})
	}
	// A public address is refused unless asked for.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ak"), nil, 0o644)
	r := f.run("serve", "--listen", "0.0.0.0:0", "--host-key", filepath.Join(dir, "hk"), "--authorized-keys", filepath.Join(dir, "ak"))
	if r.code != 1 {
		t.Fatalf("a non-loopback listen address: want exit 1, got\n%s", r)
	}
	mustContain(t, "stderr", r.stderr, "loopback")
}

// freeLoopbackAddr is a loopback address with a port nothing listens on.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// serve on an unfinished copy is refused before it listens: every
// session's console would show personal data no access record could log.
func TestServeRefusesAnUnfinishedCopy(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	dst := unfinishedCopy(t, f, refreshed(t, f, 3)[0])
	dir := t.TempDir()
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r := runCLIContext(t, ctx, f.env, "", "--db", dst, "serve", "--listen", freeLoopbackAddr(t),
		"--host-key", filepath.Join(dir, "host_key"), "--authorized-keys", authorized)
	if r.code != 1 || ctx.Err() != nil {
		t.Fatalf("serve on an unfinished copy: want exit 1 at once, got\n%s", r)
	}
	mustContain(t, "stderr", r.stderr, "personal data is shown only with a record in the access log", "run the same migrate-store again")
	if strings.Contains(r.stderr, "listening") {
		t.Errorf("serve listened on an unfinished copy:\n%s", r.stderr)
	}
}
