package serve

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHostKeyIsGeneratedOwnerOnlyOnFirstStartAndReusedAfter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys", "host_ed25519")
	first, err := loadOrCreateHostKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created {
		t.Error("first start: expected the key to be created")
	}
	if got := first.Signer.PublicKey().Type(); got != "ssh-ed25519" {
		t.Errorf("key type = %s, expected ssh-ed25519", got)
	}
	if !strings.HasPrefix(first.Fingerprint, "SHA256:") {
		t.Errorf("fingerprint %q: expected SHA256:…", first.Fingerprint)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %04o, expected 0600", perm)
	}
	dir, _ := os.Stat(filepath.Dir(path))
	if perm := dir.Mode().Perm(); perm != 0o700 {
		t.Errorf("key directory mode = %04o, expected 0700", perm)
	}

	second, err := loadOrCreateHostKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if second.Created || second.Fingerprint != first.Fingerprint {
		t.Errorf("second start: created=%v fingerprint %s, expected the same key %s reused", second.Created, second.Fingerprint, first.Fingerprint)
	}
}

func TestHostKeyIsRefused(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		want    string
	}{
		{"when group can read it", func(t *testing.T, path string) { chmod(t, path, 0o640) }, "mode 0640"},
		{"when others can read it", func(t *testing.T, path string) { chmod(t, path, 0o604) }, "mode 0604"},
		{"when it is not a private key", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("not a key\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "expected an unencrypted OpenSSH private key"},
		{"when it is a directory", func(t *testing.T, path string) {
			os.Remove(path)
			if err := os.Mkdir(path, 0o700); err != nil {
				t.Fatal(err)
			}
		}, "expected a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "host_ed25519")
			if _, err := loadOrCreateHostKey(path); err != nil {
				t.Fatal(err)
			}
			tt.prepare(t, path)
			_, err := loadOrCreateHostKey(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, expected one saying %q", err, tt.want)
			}
		})
	}
}

func TestHostKeyNeedsAPath(t *testing.T) {
	if _, err := loadOrCreateHostKey(""); err == nil || !strings.Contains(err.Error(), "--host-key") {
		t.Fatalf("error = %v, expected one naming --host-key", err)
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}
