package store

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// The child processes of the multi-process tests are this test binary
// re-run with STORE_HELPER set; TestHelperProcess is their main.
const (
	helperEnv   = "STORE_HELPER"
	helperDB    = "STORE_HELPER_DB"
	helperCount = "STORE_HELPER_COUNT"
	helperName  = "STORE_HELPER_REVIEWER"
)

func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("only runs as a child of the multi-process tests")
	}
	ctx := context.Background()
	s, err := Open(ctx, os.Getenv(helperDB))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if mode == "add" {
		// The first reviewer of a shared database: it creates the file.
		if _, err := s.Add(ctx, checkID(1), os.Getenv(helperName), SourceTyped); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
	}
	n, _ := strconv.Atoi(os.Getenv(helperCount))
	for i := 0; i < n; i++ {
		d, err := decideOtherwise(ctx, s, checkID(1), fmt.Sprintf("note %d", i), os.Getenv(helperName))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		// Printed only once Decide has returned: the parent holds us to it.
		fmt.Println(d.Seq)
	}
	s.Close()
	os.Exit(0)
}

func helperCmd(t *testing.T, path string, n int, reviewer string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"=decide", helperDB+"="+path,
		helperCount+"="+strconv.Itoa(n), helperName+"="+reviewer)
	cmd.Stderr = os.Stderr
	return cmd
}

func trackedCheckFile(t *testing.T) string {
	path := testLocation(t)
	s := openAt(t, path, &clock{t: testNow})
	addFetched(t, s, result{id: checkID(1), doc: "low", face: "high"})
	s.Close()
	return path
}

func TestTwoProcessesDecidingOnTheSameCheckBothLand(t *testing.T) {
	path := trackedCheckFile(t)
	const each = 40
	a, b := helperCmd(t, path, each, "ana"), helperCmd(t, path, each, "bob")
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	if err := a.Wait(); err != nil {
		t.Errorf("process ana: %v", err)
	}
	if err := b.Wait(); err != nil {
		t.Errorf("process bob: %v", err)
	}
	s := openAt(t, path, &clock{t: testNow})
	byReviewer := map[string]int{}
	var last int64
	err := s.Decisions(context.Background(), time.Time{}, func(d Decision) error {
		if d.Seq != last+1 {
			return fmt.Errorf("seq %d after %d", d.Seq, last)
		}
		last = d.Seq
		byReviewer[d.Reviewer]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if byReviewer["ana"] != each || byReviewer["bob"] != each {
		t.Errorf("decisions per reviewer %v, want %d each", byReviewer, each)
	}
	if v, err := s.Verify(context.Background()); err != nil || !v.OK || v.Entries != 2*each {
		t.Errorf("Verify = %+v, %v", v, err)
	}
}

func TestAKilledProcessLosesNoDecisionItReturned(t *testing.T) {
	path := trackedCheckFile(t)
	cmd := helperCmd(t, path, 100000, "ana")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	var printed []int64
	for lines.Scan() {
		seq, err := strconv.ParseInt(lines.Text(), 10, 64)
		if err != nil {
			t.Fatalf("child printed %q", lines.Text())
		}
		printed = append(printed, seq)
		if len(printed) == 40 {
			// In the middle of the stream, with no warning.
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("the child finished before it was killed")
	}
	s := openAt(t, path, &clock{t: testNow})
	logged := map[int64]bool{}
	if err := s.Decisions(context.Background(), time.Time{}, func(d Decision) error { logged[d.Seq] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	for _, seq := range printed {
		if !logged[seq] {
			t.Errorf("decision %d was returned to the child but is not in the log", seq)
		}
	}
	if v, err := s.Verify(context.Background()); err != nil || !v.OK {
		t.Errorf("Verify after the kill = %+v, %v", v, err)
	}
	t.Logf("%d decisions printed before the kill took effect, %d in the log", len(printed), len(logged))
}
