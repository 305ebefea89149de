package serve

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

func TestAuthorizedKeysGrants(t *testing.T) {
	alice, bob, carol, dave := newTestKey(t), newTestKey(t), newTestKey(t), newTestKey(t)
	file := strings.Join([]string{
		"# reviewers",
		"",
		authorizedLine(alice, "alice@laptop"),
		"   " + authorizedLine(bob, "bob "+ReadOnlyTag+" support"),
		`from="10.0.0.0/8" ` + authorizedLine(carol, "carol"),
		"ssh-ed25519 not-base64 broken",
		authorizedLine(dave, ""),
		authorizedLine(dave, "dave again "+ReadOnlyTag),
		authorizedLine(alice, "alice \x1b]0;pwned\x07"),
	}, "\n")
	grants, problems := parseAuthorizedKeys([]byte(file))

	tests := []struct {
		name        string
		key         gossh.Signer
		wantOK      bool
		wantComment string
		wantRO      bool
	}{
		{"a plain key gets the full console", alice.Signer, true, `alice ^[]0;pwned^G`, false},
		{"the read-only tag gives the read-only console and is not part of the name", bob.Signer, true, "bob support", true},
		{"a key with options is not authorized", carol.Signer, false, "", false},
		{"a key listed twice gets the narrower grant", dave.Signer, true, "dave again", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, ok := grants[string(tt.key.PublicKey().Marshal())]
			if ok != tt.wantOK {
				t.Fatalf("authorized = %v, expected %v", ok, tt.wantOK)
			}
			if !ok {
				return
			}
			if g.Comment != tt.wantComment || g.ReadOnly != tt.wantRO {
				t.Errorf("grant = %+v, expected comment %q read-only %v", g, tt.wantComment, tt.wantRO)
			}
			if g.Fingerprint != gossh.FingerprintSHA256(tt.key.PublicKey()) {
				t.Errorf("fingerprint %s, expected the key's", g.Fingerprint)
			}
		})
	}
	var lines []int
	for _, p := range problems {
		lines = append(lines, p.line)
	}
	if len(lines) != 2 || lines[0] != 5 || lines[1] != 6 {
		t.Errorf("problem lines = %v, expected [5 6] (the options line and the broken one)", lines)
	}
}

func TestAuthorizedKeysAreReReadWhenTheFileChanges(t *testing.T) {
	alice, bob := newTestKey(t), newTestKey(t)
	path := filepath.Join(t.TempDir(), "authorized_keys")
	writeFile(t, path, authorizedLine(alice, "alice")+"\n", 0o600)
	ak, err := openAuthorizedKeys(path, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	expectAuthorized(t, "alice at start", ak, alice, true)
	expectAuthorized(t, "bob at start", ak, bob, false)

	// Replace the file (a new inode, as editors and config management do)
	// and add bob: no restart needed.
	writeFile(t, path+".new", authorizedLine(alice, "alice")+"\n"+authorizedLine(bob, "bob")+"\n", 0o600)
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	expectAuthorized(t, "bob after he was added", ak, bob, true)

	// Rewrite in place removing alice; the mtime is moved on explicitly
	// because coarse file system clocks could leave it unchanged.
	writeFile(t, path, authorizedLine(bob, "bob")+"\n", 0o600)
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	expectAuthorized(t, "alice after she was removed", ak, alice, false)

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := ak.Lookup(bob.Signer.PublicKey()); ok || err == nil {
		t.Errorf("file gone: ok=%v err=%v, expected every key refused with an error", ok, err)
	}
	writeFile(t, path, authorizedLine(bob, "bob")+"\n", 0o600)
	expectAuthorized(t, "bob once the file is back", ak, bob, true)

	chmod(t, path, 0o666)
	if _, ok, err := ak.Lookup(bob.Signer.PublicKey()); ok || err == nil || !strings.Contains(err.Error(), "write permission") {
		t.Errorf("world-writable file: ok=%v err=%v, expected every key refused", ok, err)
	}
}

func TestAuthorizedKeysRefusedAtStart(t *testing.T) {
	alice := newTestKey(t)
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
	}{
		{"when the file has no usable key", "# nobody yet\n", 0o600, "no usable key"},
		{"when others can write it", authorizedLine(alice, "alice") + "\n", 0o646, "write permission"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "authorized_keys")
			writeFile(t, path, tt.content, tt.mode)
			_, err := openAuthorizedKeys(path, discardLog())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, expected one saying %q", err, tt.want)
			}
		})
	}
	t.Run("when the file is missing", func(t *testing.T) {
		_, err := openAuthorizedKeys(filepath.Join(t.TempDir(), "nope"), discardLog())
		if err == nil || !strings.Contains(err.Error(), "no such file") {
			t.Fatalf("error = %v, expected one saying the file is missing", err)
		}
	})
}

type testKey struct {
	Signer gossh.Signer
}

func newTestKey(t testing.TB) testKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return testKey{Signer: s}
}

func (k testKey) Fingerprint() string { return gossh.FingerprintSHA256(k.Signer.PublicKey()) }

func authorizedLine(k testKey, comment string) string {
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(k.Signer.PublicKey())))
	if comment != "" {
		line += " " + comment
	}
	return line
}

func expectAuthorized(t *testing.T, what string, ak *authorizedKeys, k testKey, want bool) {
	t.Helper()
	_, ok, err := ak.Lookup(k.Signer.PublicKey())
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if ok != want {
		t.Errorf("%s: authorized = %v, expected %v", what, ok, want)
	}
}

func writeFile(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile's mode is masked by umask
		t.Fatal(err)
	}
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// authorized_keys named by a relative path and then removed is logged once
// as unreadable: the walk up its directories names it absolute, and each
// look alternated the two names, each a new line.
func TestARemovedAuthorizedKeysGivenRelativeIsLoggedOnce(t *testing.T) {
	k := newTestKey(t)
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "authorized_keys")
	writeFile(t, path, authorizedLine(k, "alice@laptop")+"\n", 0o600)
	t.Chdir(dir)
	var log bytes.Buffer
	a, err := openAuthorizedKeys("authorized_keys", slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	// Past strictModesEvery, so that both looks at the file run.
	for range 3 {
		if _, ok, err := a.Lookup(k.Signer.PublicKey()); ok || err == nil {
			t.Fatalf("a removed file authorized the key (ok %v, error %v)", ok, err)
		}
		time.Sleep(strictModesEvery * 6 / 10)
	}
	if n := strings.Count(log.String(), "authorized_keys unreadable"); n != 1 {
		t.Errorf("the removal was logged %d times, want once:\n%s", n, log.String())
	}
}
