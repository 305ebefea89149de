package store

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// BenchmarkAddMany1M adds a million new ids to an empty store in one
// AddMany, in process:
//
//	go test ./store -run '^$' -bench AddMany1M -benchtime 1x -count 3
func BenchmarkAddMany1M(b *testing.B) {
	if testing.Short() {
		b.Skip("adds a million ids")
	}
	const n = 1_000_000
	benchAddMany(b, randomIDs(n, 5))
}

// benchAddMany adds input to a fresh database per iteration and reports
// the ids stored per second, the database's opening and closing untimed.
func benchAddMany(b *testing.B, input []string) {
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := openAt(b, filepath.Join(b.TempDir(), "review.db"), &clock{t: testNow})
		b.StartTimer()
		start := time.Now()
		res, err := s.AddMany(context.Background(), input, "bench", SourceImported)
		total += time.Since(start)
		if err != nil || len(res.Added) != len(input) {
			b.Fatalf("AddMany: %d added, %v", len(res.Added), err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(input)*b.N)/total.Seconds(), "ids/s")
}

func randomIDs(n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, seed+1))
	ids := make([]string, n)
	for i := range ids {
		ids[i] = "chk_priv_" + randomIDBody(r)
	}
	return ids
}

// BenchmarkAddEndToEnd1M times `caisson-review add - < ids > out` of a
// million ids (process start to exit, a fresh database, output to a file)
// beside the sqlite3 command-line shell's `.import` of the same file into
// a one-column table, each run three times in turn, medians reported:
//
//	go test ./store -run '^$' -bench AddEndToEnd1M -benchtime 1x
//
// It builds the program with the go command on PATH and skips the
// sqlite3 side when there is no sqlite3 on PATH.
func BenchmarkAddEndToEnd1M(b *testing.B) {
	if testing.Short() {
		b.Skip("imports a million ids through the program")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "caisson-review")
	build := exec.Command("go", "build", "-o", bin, "github.com/caisson-review/caisson-review")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building the program: %v\n%s", err, out)
	}
	idsFile := filepath.Join(dir, "ids.txt")
	writeLines(b, idsFile, randomIDs(1_000_000, 7))
	sqlite3, noSQLite := exec.LookPath("sqlite3")
	var ours, theirs []time.Duration
	for i := 0; i < b.N*3; i++ {
		run := filepath.Join(dir, fmt.Sprint(i))
		if err := os.Mkdir(run, 0o700); err != nil {
			b.Fatal(err)
		}
		ours = append(ours, timeCommand(b, idsFile, filepath.Join(run, "out.txt"), bin, "--db", filepath.Join(run, "review.db"), "add", "-"))
		if noSQLite == nil {
			theirs = append(theirs, timeCommand(b, "", filepath.Join(run, "sqlite-out.txt"), sqlite3, filepath.Join(run, "plain.db"),
				"CREATE TABLE ids (check_id TEXT)", ".import "+idsFile+" ids"))
		}
	}
	b.ReportMetric(median(ours).Seconds(), "add-s")
	b.ReportMetric(1e6/median(ours).Seconds(), "ids/s")
	if noSQLite == nil {
		b.ReportMetric(median(theirs).Seconds(), "sqlite3-import-s")
		b.ReportMetric(median(ours).Seconds()/median(theirs).Seconds(), "x-sqlite3")
	} else {
		b.Log("no sqlite3 on PATH: only add - was timed")
	}
}

func writeLines(b *testing.B, path string, lines []string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for _, l := range lines {
		w.WriteString(l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// timeCommand runs a command with stdin from in ("" for none) and stdout
// to out, and returns how long it took from start to exit.
func timeCommand(b *testing.B, in, out string, name string, args ...string) time.Duration {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "CAISSON_REVIEWER=bench")
	if in != "" {
		f, err := os.Open(in)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		cmd.Stdin = f
	}
	o, err := os.Create(out)
	if err != nil {
		b.Fatal(err)
	}
	defer o.Close()
	cmd.Stdout = o
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v", name, err)
	}
	return time.Since(start)
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
