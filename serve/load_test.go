package serve

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// TestLoadTwentyReviewersDecideFiftyChecksEach drives 20 SSH sessions at
// once, each approving 50 checks through the console's keys, on loopback,
// with one hostile client of each kind alongside (see hostileClients).
// Every decision must be in the server log exactly once and the store's
// hash chain must verify. It reports the time taken, the bytes the server
// sent each reviewer and the peak memory of the test process (server, the
// SSH clients and the sandbox together).
//
//	go test ./serve -run TestLoad -v
//	CAISSON_LOAD_NO_HOSTILE=1 go test ./serve -run TestLoad -v  # the reviewers alone, to compare
func TestLoadTwentyReviewersDecideFiftyChecksEach(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: skipped with -short")
	}
	const sessions, each = 20, 50
	f := newFixture(t, fixtureOpts{checks: sessions * each, maxSessions: sessions + hostileKinds})

	peak := sampleMemory(10 * time.Millisecond)
	cpuBefore := cpuTime()
	start := time.Now()
	if os.Getenv("CAISSON_LOAD_NO_HOSTILE") == "" {
		f.hostileClients(t)
	}
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	sent := make([]int, sessions)
	for i := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			sent[i], err = f.reviewer(fmt.Sprintf("reviewer%02d", i), i*each, each, sessions*each)
			errs <- err
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Minute):
		t.Fatal("the load test did not finish within 3 minutes")
	}
	elapsed := time.Since(start)
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	heapPeak, sysPeak := peak()
	cpu := cpuTime() - cpuBefore

	ds := f.decisions()
	distinct := map[string]bool{}
	for _, d := range ds {
		distinct[d.CheckID] = true
	}
	if len(ds) != sessions*each || len(distinct) != sessions*each {
		t.Errorf("decisions stored = %d on %d checks, expected %d on as many", len(ds), len(distinct), sessions*each)
	}
	logged := map[int64]int{}
	seqRE := regexp.MustCompile(`msg=decision .* seq=(\d+) `)
	for _, l := range strings.Split(f.log.String(), "\n") {
		if m := seqRE.FindStringSubmatch(l); m != nil {
			seq, _ := strconv.ParseInt(m[1], 10, 64)
			logged[seq]++
		}
	}
	for _, d := range ds {
		if logged[d.Seq] != 1 {
			t.Errorf("decision %d is in the log %d times, expected once", d.Seq, logged[d.Seq])
		}
		delete(logged, d.Seq)
	}
	if len(logged) != 0 {
		t.Errorf("the log has decisions the store does not: %v", logged)
	}
	v, err := f.st.Verify(context.Background())
	if err != nil || !v.OK || v.Entries != int64(sessions*each) {
		t.Errorf("Verify = %+v, %v; expected OK over %d entries", v, err, sessions*each)
	}
	hostile := hostileKinds
	if os.Getenv("CAISSON_LOAD_NO_HOSTILE") != "" {
		hostile = 0
	}
	t.Logf("%d sessions x %d decisions = %d (on %d distinct checks) in %s (%.0f decisions/s), with %d hostile clients; CPU %s; peak heap in use %.1f MiB, peak Go runtime memory %.1f MiB, VmHWM %s; %s",
		sessions, each, len(ds), len(distinct), elapsed.Round(time.Millisecond), float64(len(ds))/elapsed.Seconds(), hostile, cpu.Round(10*time.Millisecond),
		float64(heapPeak)/(1<<20), float64(sysPeak)/(1<<20), vmHWM(), bytesPerSession(sent))
}

// hostileKinds is the number of hostile clients the load test runs
// beside the reviewers, one of each kind.
const hostileKinds = 4

// hostileClients connects one client of each kind issue 11 found harmful,
// to run for the whole load test: one that never answers a terminal query
// and sends twenty window changes in its first second; one with a
// 10000x10000 window; one that types before the console has drawn; and
// one with no session at all (ssh -N). They hold their slots and decide
// nothing.
func (f *fixture) hostileClients(t *testing.T) {
	t.Helper()
	flood, err := f.dialKey("hostile-flood", "alice").NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := flood.RequestPty("xterm-256color", 30, 100, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	startTerminalWith(t, flood, true)
	go floodWindow(flood, 20, 50*time.Millisecond, 100, 30)

	huge, err := f.dialKey("hostile-huge", "alice").NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := huge.RequestPty("xterm-256color", 10000, 10000, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	startTerminal(t, huge)

	f.typeAtConnectAs(t, "hostile-ahead", "?", "j", "j", "\x1b")
	f.dialKey("hostile-quiet", "alice") // ssh -N
}

// reviewer opens a console as user and approves the n checks from row
// first of the All queue (of total): each reviewer its own rows, as a
// team splits a backlog. Approving moves the selection to the next check.
func (f *fixture) reviewer(user string, first, n, total int) (sent int, err error) {
	c, err := f.dial(user, sshKey(f.keys["alice"]))
	if err != nil {
		return 0, fmt.Errorf("%s: connecting: %w", user, err)
	}
	defer c.Close()
	term := f.openTerminal(c, "xterm-256color", 100, 30)
	defer func() { sent = term.mark() }()
	return sent, f.review(term, user, first, n, total)
}

// review is reviewer's work once its console is open.
func (f *fixture) review(term *terminal, user string, first, n, total int) error {
	if term.waitFor(0, wait, "▶") < 0 {
		return fmt.Errorf("%s: no console", user)
	}
	ls, err := f.sessionOf(user)
	if err != nil {
		return err
	}
	m := term.mark()
	term.send("7")
	if term.waitFor(m, wait, fmt.Sprintf("1 of %d", total)) < 0 {
		return fmt.Errorf("%s: the All queue did not open: %s", user, term.since(m))
	}
	if first > 0 {
		if err := term.moveTo(first+1, total); err != nil {
			return fmt.Errorf("%s: %w", user, err)
		}
	}
	for i := range n {
		next := ""
		if first+i+2 <= total {
			next = fmt.Sprintf("%d of %d", first+i+2, total)
		}
		if err := term.tryApprove(ls, next, wait); err != nil {
			return fmt.Errorf("%s: decision %d: %w", user, i+1, err)
		}
	}
	term.send("q")
	term.waitClosed(wait)
	return nil
}

// moveTo selects row (from 1) of a list of total: one page down to learn
// the page's height, pages down, then arrows (escape sequences, unlike
// letters, stay separate keys when they arrive in one read).
func (term *terminal) moveTo(row, total int) error {
	pos := regexp.MustCompile(fmt.Sprintf(`(\d+) of %d`, total))
	// The position is read off the screen once output has come since m:
	// Bubble Tea v2 redraws only the digits that changed.
	at := func(m int) int {
		if term.mark() <= m {
			return 0
		}
		found := pos.FindStringSubmatch(term.shown())
		if found == nil {
			return 0
		}
		n, _ := strconv.Atoi(found[1])
		return n
	}
	m := term.mark()
	term.send("\x1b[6~")
	waitUntilOK := func(want int) error {
		deadline := time.Now().Add(wait)
		for at(m) != want {
			if time.Now().After(deadline) {
				return fmt.Errorf("could not move to row %d (at %d): %s", want, at(m), term.since(m))
			}
			term.waitFor(term.mark(), 20*time.Millisecond, "\x00never")
		}
		return nil
	}
	deadline := time.Now().Add(wait)
	for at(m) <= 1 {
		if time.Now().After(deadline) {
			return fmt.Errorf("page down did not move: %s", term.since(m))
		}
		term.waitFor(term.mark(), 20*time.Millisecond, "\x00never")
	}
	step := at(m) - 1
	cur := 1 + step
	// last marks the output since the last move sent: the marker on the
	// row it lands on is drawn there. (A move that is already on the row
	// sends nothing, and nothing redraws the marker.)
	last := m
	if pages := (row - cur) / step; pages > 0 {
		last = term.mark()
		term.send(strings.Repeat("\x1b[6~", pages))
		cur += pages * step
		if err := waitUntilOK(cur); err != nil {
			return err
		}
	}
	if row != cur {
		last = term.mark()
	}
	switch {
	case row > cur:
		term.send(strings.Repeat("\x1b[B", row-cur))
	case row < cur:
		term.send(strings.Repeat("\x1b[A", cur-row))
	}
	if err := waitUntilOK(row); err != nil {
		return err
	}
	// The marker is drawn once the selected row has been read: only then
	// does a act on it.
	if term.waitFor(last, wait, "▶") < 0 {
		return fmt.Errorf("row %d was not shown: %s", row, term.since(last))
	}
	return nil
}

// bytesPerSession summarises what the server sent each reviewer's
// terminal, first frame to goodbye.
func bytesPerSession(sent []int) string {
	if len(sent) == 0 {
		return "no sessions"
	}
	total, lo, hi := 0, sent[0], sent[0]
	for _, n := range sent {
		total += n
		lo, hi = min(lo, n), max(hi, n)
	}
	return fmt.Sprintf("bytes sent per session: mean %.1f KiB (min %.1f, max %.1f)",
		float64(total)/float64(len(sent))/1024, float64(lo)/1024, float64(hi)/1024)
}

// sessionOf is the admitted session of user.
func (f *fixture) sessionOf(user string) (*liveSession, error) {
	deadline := time.Now().Add(wait)
	for {
		f.srv.mu.Lock()
		for s := range f.srv.admitted {
			if s.id.User == user && s.store != nil {
				f.srv.mu.Unlock()
				return s, nil
			}
		}
		f.srv.mu.Unlock()
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("no session of %s", user)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sampleMemory samples the Go runtime's memory until the returned function
// is called, which gives the peaks of HeapInuse and Sys.
func sampleMemory(every time.Duration) func() (heap, sys uint64) {
	stop := make(chan struct{})
	var heap, sys uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			heap, sys = max(heap, ms.HeapInuse), max(sys, ms.Sys)
			select {
			case <-stop:
				return
			case <-time.After(every):
			}
		}
	}()
	return func() (uint64, uint64) {
		close(stop)
		wg.Wait()
		return heap, sys
	}
}

// cpuTime is the CPU time the process has used (user and system): on a
// shared machine it says more about the cost than the wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// vmHWM is the process's peak resident set size as Linux reports it.
func vmHWM() string {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
