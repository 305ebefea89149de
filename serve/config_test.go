package serve

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caisson-review/caisson-review/store"
)

func TestTheServerRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(context.Background(), filepath.Join(dir, "review.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys := filepath.Join(dir, "authorized_keys")
	writeFile(t, keys, authorizedLine(newTestKey(t), "alice")+"\n", 0o600)
	openHostKey := filepath.Join(dir, "open_host_key")
	if _, err := loadOrCreateHostKey(openHostKey); err != nil {
		t.Fatal(err)
	}
	chmod(t, openHostKey, 0o644)

	base := func() Config {
		return Config{Listen: "127.0.0.1:0", HostKeyPath: filepath.Join(dir, "host_key"), AuthorizedKeysPath: keys, Store: st, Log: &syncBuffer{}}
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"on a non-loopback address without allow-remote", func(c *Config) { c.Listen = "0.0.0.0:0" }, "--allow-remote"},
		{"with a host key others can read", func(c *Config) { c.HostKeyPath = openHostKey }, "expected 0600"},
		{"without an authorized_keys file", func(c *Config) { c.AuthorizedKeysPath = filepath.Join(dir, "missing") }, "no such file"},
		{"without a store", func(c *Config) { c.Store = nil }, "no store"},
		{"with a negative idle timeout", func(c *Config) { c.IdleTimeout = -1 }, "idle timeout"},
		{"with a negative session limit", func(c *Config) { c.MaxSessions = -1 }, "max sessions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base()
			tt.change(&cfg)
			srv, err := New(cfg)
			if err == nil {
				srv.ln.Close()
				t.Fatalf("New accepted the configuration, expected an error saying %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, expected one saying %q", err, tt.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "host_key")); err == nil {
		// Only the refusals after the key step may have created it; that
		// is fine, but it must then be owner-only.
		if m := fileMode(t, filepath.Join(dir, "host_key")); m != 0o600 {
			t.Errorf("host key mode %04o, expected 0600", m)
		}
	}
}
