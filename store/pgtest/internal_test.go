package pgtest

import (
	"os"
	"path/filepath"
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
