package pgtest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkAFreshDatabase is what each test pays for its own database:
// the copy of the empty template, and its drop at the end of the test.
func BenchmarkAFreshDatabase(b *testing.B) {
	s := get(b) // the server's start is not the figure
	for b.Loop() {
		name := dbName(b.Name())
		if err := s.createDatabase(name, templateDB); err != nil {
			b.Fatal(err)
		}
		if err := s.dropDatabase(name); err != nil {
			b.Fatal(err)
		}
	}
}

// What a run finds of earlier runs' servers: the temp dir of one whose
// test binary died is removed; a running server's, and one just being
// made, are not.
func TestADeadServersTempDirIsRemovedAndNoOtherIs(t *testing.T) {
	parent := t.TempDir()
	old := time.Now().Add(-time.Hour)
	made := func(name string, pid bool, at time.Time) string {
		d := filepath.Join(parent, tempPrefix+name)
		if err := os.MkdirAll(filepath.Join(d, "data"), 0o700); err != nil {
			t.Fatal(err)
		}
		if pid {
			if err := os.WriteFile(filepath.Join(d, "data", "postmaster.pid"), []byte("4242\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chtimes(d, at, at); err != nil {
			t.Fatal(err)
		}
		return d
	}
	dead := made("dead", false, old)
	running := made("running", true, old)
	starting := made("starting", false, time.Now())
	other := filepath.Join(parent, "someone-else")
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(other, old, old)
	removeDeadServers(parent)
	for d, kept := range map[string]bool{dead: false, running: true, starting: true, other: true} {
		if _, err := os.Stat(d); (err == nil) != kept {
			t.Errorf("%s: kept %v, want %v", filepath.Base(d), err == nil, kept)
		}
	}
}

// A test's server keeps its memory small; a benchmark's runs with what
// PostgreSQL itself starts with when nothing is set (boot_val), so the
// figures are those of a server as installed, whatever the version.
func TestABenchmarksServerHasPostgreSQLsOwnMemorySettings(t *testing.T) {
	s := get(t)
	settings := func(args []string) map[string]string {
		m := map[string]string{}
		for i := 1; i < len(args); i += 2 {
			k, v, _ := strings.Cut(args[i], "=")
			m[k] = v
		}
		return m
	}
	small, bench := settings(memorySettings(false)), settings(memorySettings(true))
	for name, want := range small {
		var got string
		if err := s.admin.QueryRow("SHOW " + name).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("the tests' server has %s = %s, want %s", name, got, want)
		}
		var boot, unit string
		if err := s.admin.QueryRow("SELECT boot_val, coalesce(unit, '') FROM pg_settings WHERE name = $1", name).Scan(&boot, &unit); err != nil {
			t.Fatal(err)
		}
		if got := inUnits(t, bench[name], unit); got != boot {
			t.Errorf("a benchmark's server gets %s = %s (%s of %s), PostgreSQL's own default is %s", name, bench[name], got, unit, boot)
		}
	}
}

// inUnits is a size such as 128MB in pg_settings' unit (8kB, MB).
func inUnits(t *testing.T, size, unit string) string {
	t.Helper()
	bytes := func(s string) int64 {
		for suffix, mult := range map[string]int64{"kB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30} {
			if n, ok := strings.CutSuffix(s, suffix); ok {
				v, err := strconv.ParseInt(n, 10, 64)
				if err != nil {
					t.Fatalf("size %q: %v", s, err)
				}
				return v * mult
			}
		}
		t.Fatalf("size %q: expected kB, MB or GB", s)
		return 0
	}
	one := "1" + strings.TrimLeft(unit, "0123456789")
	per := bytes(one)
	if n := strings.TrimRight(unit, "kMGB"); n != "" {
		k, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			t.Fatalf("unit %q: %v", unit, err)
		}
		per *= k
	}
	return strconv.FormatInt(bytes(size)/per, 10)
}
