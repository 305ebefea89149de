package serve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/caisson-review/caisson-review/store"
	"github.com/caisson-review/caisson-review/store/pgtest"
)

// The load test's team: 20 reviewers under four-eyes, half of them each
// proposing 50 approvals, the other half each confirming one proposer's.
const (
	loadSessions  = 20
	loadEach      = 50
	loadProposers = loadSessions / 2
)

// TestLoadTwentyReviewersDecideFiftyChecksEach drives 20 SSH sessions at
// once, each with its own key, under the four-eyes policy approvals: ten
// approve 50 checks each through the console's keys (each approval a
// proposal), and the other ten each confirm one proposer's 50 from the
// Second review tab as they come (v, enter), with one hostile client of
// each kind alongside (see hostileClients). It runs on one server on
// SQLite, and on two servers on one PostgreSQL, each with its own Store
// (pool, listening connection, claims), host key and log, as two bastions
// would: there the reviewers and the hostile clients are split between
// them, each proposer on one and its confirmer on the other, so every
// confirmation is of a proposal made on the other server.
//
// Every entry must be in the servers' logs together exactly once, no
// proposal may be confirmed by the key that proposed it, and the store's
// hash chain must verify. Each proposer first opens its first check and
// keeps it open until its confirmer (on the other server) is shown it
// "being reviewed by" the proposer. It reports the time taken, the bytes
// the servers sent each reviewer and the peak memory of the test process
// (servers, the SSH clients and the sandboxes together).
//
//	go test ./serve -run TestLoad -v
//	CAISSON_LOAD_NO_HOSTILE=1 go test ./serve -run TestLoad -v  # the reviewers alone, to compare
func TestLoadTwentyReviewersDecideFiftyChecksEach(t *testing.T) {
	if testing.Short() {
		t.Skip("load test: skipped with -short")
	}
	// Beside the SIGKILL test, which mostly waits out a claim's expiry:
	// together they take the longer one's time, not the sum. Its figures
	// (time, CPU, heap) are read from a run of this test alone (-run).
	t.Parallel()
	t.Run("one server on SQLite", func(t *testing.T) {
		runLoad(t, loadServers(t, 1, ""))
	})
	t.Run("two servers on one PostgreSQL", func(t *testing.T) {
		runLoad(t, loadServers(t, 2, pgtest.URL(t)))
	})
}

// loadServers starts n servers on the store at location (a file of the
// first server's when ""), each with every reviewer's key and room for
// its share of the reviewers and a set of hostile clients.
func loadServers(t *testing.T, n int, location string) []*fixture {
	keys := map[string]string{"alice": "alice@laptop"} // the hostile clients'
	for i := range loadSessions {
		keys[reviewerName(i)] = reviewerName(i) + "@desk"
	}
	o := fixtureOpts{checks: loadProposers * loadEach, maxSessions: loadSessions/n + len(hostileClients),
		fourEyes: store.FourEyesApprovals, keys: keys, location: location}
	servers := make([]*fixture, n)
	for i := range servers {
		o.joining = i > 0
		servers[i] = newFixture(t, o)
	}
	return servers
}

// runLoad runs the load test's team on servers: proposer p on server p
// mod n, its confirmer on the next one.
func runLoad(t *testing.T, servers []*fixture) {
	const total = loadProposers * loadEach
	n := len(servers)
	// The All queue's order, which proposals do not change: proposer p
	// takes rows p*loadEach to (p+1)*loadEach, and its confirmer the same
	// checks.
	rows, err := servers[0].st.Page(context.Background(), store.PageQuery{Queue: store.QueueAll, Limit: total})
	if err != nil || len(rows) != total {
		t.Fatalf("reading the All queue: %d rows, %v", len(rows), err)
	}
	claims := make([]*claimShown, loadProposers)
	for p := range claims {
		claims[p] = newClaimShown(reviewerName(p), rows[p*loadEach].CheckID)
	}

	hostile := os.Getenv("CAISSON_LOAD_NO_HOSTILE") == ""
	peak := sampleMemory(10 * time.Millisecond)
	cpuBefore := cpuTime()
	start := time.Now()
	if hostile {
		// One of each kind, as on one server, dealt out between the
		// servers: the huge window's console alone costs as much to draw
		// as ten reviewers' (300x100 cells to their 100x30 each).
		for k, connect := range hostileClients {
			connect(servers[k%n], t)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, loadSessions)
	sent := make([]int, loadSessions)
	for i := range loadSessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := i % loadProposers
			var err error
			if i < loadProposers {
				sent[i], err = servers[p%n].reviewer(reviewerName(i), p*loadEach, loadEach, total, claims[p])
			} else {
				var ids []string
				for _, r := range rows[p*loadEach : (p+1)*loadEach] {
					ids = append(ids, r.CheckID)
				}
				sent[i], err = servers[(p+1)%n].confirmer(reviewerName(i), ids, p*loadEach, total, claims[p])
			}
			errs <- err
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		t.Fatal("the load test did not finish within 5 minutes")
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

	entries, confirmed := checkLoadLog(t, servers)
	hostiles := 0
	if hostile {
		hostiles = len(hostileClients)
	}
	t.Logf("%d sessions (%d proposing, %d confirming) on %d server(s) x %d = %d entries (on %d distinct checks) in %s (%.0f entries/s), with %d hostile clients; CPU %s; peak heap in use %.1f MiB, peak Go runtime memory %.1f MiB, VmHWM %s; %s; %s",
		loadSessions, loadProposers, loadSessions-loadProposers, n, loadEach, entries, confirmed, elapsed.Round(time.Millisecond), float64(entries)/elapsed.Seconds(), hostiles, cpu.Round(10*time.Millisecond),
		float64(heapPeak)/(1<<20), float64(sysPeak)/(1<<20), vmHWM(), bytesPerSession(sent), claimsShownAfter(claims))
}

// checkLoadLog checks the decision log the load test left: every proposal
// confirmed once, never by its proposer's key; every entry in the
// servers' logs together exactly once; the chain verifies. It returns the
// number of entries the sessions made and of checks confirmed.
func checkLoadLog(t *testing.T, servers []*fixture) (entries, confirmedChecks int) {
	t.Helper()
	const total = loadProposers * loadEach
	var ds []store.Decision
	bySeq := map[int64]store.Decision{}
	confirmed := map[string]bool{}
	for _, d := range servers[0].decisions() {
		bySeq[d.Seq] = d
		if d.Action == store.PolicyEntry {
			continue // set before the servers started, not by a session
		}
		ds = append(ds, d)
		if d.Action == store.Confirm {
			confirmed[d.CheckID] = true
			if p := bySeq[d.Ref]; p.Action != store.Propose || p.Identity == d.Identity || p.Identity == "" {
				t.Errorf("confirmation %d by %s of entry %d (%s by %s): a proposer confirmed their own, or no proposal",
					d.Seq, d.Identity, d.Ref, p.Action, p.Identity)
			}
		}
	}
	count := map[store.Action]int{}
	for _, d := range ds {
		count[d.Action]++
	}
	if count[store.Propose] != total || count[store.Confirm] != total || len(count) != 2 || len(confirmed) != total {
		t.Errorf("log holds %v on %d confirmed checks, expected %d proposals each confirmed once", count, len(confirmed), total)
	}
	logged := map[int64]int{}
	seqRE := regexp.MustCompile(`msg=decision .* seq=(\d+) `)
	for _, f := range servers {
		for _, l := range strings.Split(f.log.String(), "\n") {
			if m := seqRE.FindStringSubmatch(l); m != nil {
				seq, _ := strconv.ParseInt(m[1], 10, 64)
				logged[seq]++
			}
		}
	}
	for _, d := range ds {
		if logged[d.Seq] != 1 {
			t.Errorf("decision %d is in the servers' logs %d times, expected once", d.Seq, logged[d.Seq])
		}
		delete(logged, d.Seq)
	}
	if len(logged) != 0 {
		t.Errorf("the servers' logs have decisions the store does not: %v", logged)
	}
	v, err := servers[0].st.Verify(context.Background())
	if err != nil || !v.OK || v.Entries != int64(len(ds)+1) {
		t.Errorf("Verify = %+v, %v; expected OK over %d entries", v, err, len(ds)+1)
	}
	return len(ds), len(confirmed)
}

// claimShown is one proposer's claim on its first check, which its
// confirmer must be shown: "being reviewed by" the proposer.
type claimShown struct {
	proposer, checkID string
	opened            atomic.Int64  // when the proposer opened it, in Unix ns
	after             atomic.Int64  // how long after that the confirmer was shown it
	shown             chan struct{} // closed once the confirmer was shown it
	over              chan struct{} // closed when the confirmer gave up looking
	overOnce          sync.Once
}

// giveUp says the confirmer stopped without being shown the claim (if it
// was not), so the proposer need not wait for it.
func (c *claimShown) giveUp() {
	select {
	case <-c.shown:
	default:
		c.overOnce.Do(func() { close(c.over) })
	}
}

func newClaimShown(proposer, checkID string) *claimShown {
	return &claimShown{proposer: proposer, checkID: checkID, shown: make(chan struct{}), over: make(chan struct{})}
}

// claimsShownAfter summarises how long after each proposer opened its
// check its confirmer was shown the claim.
func claimsShownAfter(claims []*claimShown) string {
	var worst time.Duration
	seen := 0
	for _, c := range claims {
		select {
		case <-c.shown:
			seen++
			worst = max(worst, time.Duration(c.after.Load()))
		default:
		}
	}
	return fmt.Sprintf("%d of %d proposers' claims shown to their confirmers, within %s", seen, len(claims), worst.Round(time.Millisecond))
}

func reviewerName(i int) string { return fmt.Sprintf("reviewer%02d", i) }

// hostileClients are the kinds of client issue 11 found harmful, one
// function each that connects one to f for the whole load test: one that
// never answers a terminal query and sends twenty window changes in its
// first second; one with a 10000x10000 window; one that types before the
// console has drawn; and one with no session at all (ssh -N). They hold
// their slots and decide nothing.
var hostileClients = []func(f *fixture, t *testing.T){
	func(f *fixture, t *testing.T) {
		flood := hostileSession(f, t, "hostile-flood", 100, 30)
		startTerminalWith(t, flood, true)
		go floodWindow(flood, 20, 50*time.Millisecond, 100, 30)
	},
	func(f *fixture, t *testing.T) { startTerminal(t, hostileSession(f, t, "hostile-huge", 10000, 10000)) },
	func(f *fixture, t *testing.T) { f.typeAtConnectAs(t, "hostile-ahead", "?", "j", "j", "\x1b") },
	func(f *fixture, t *testing.T) { f.dialKey("hostile-quiet", "alice") }, // ssh -N
}

// hostileSession opens a session as user, with alice's key, and a pty of
// w x h.
func hostileSession(f *fixture, t *testing.T, user string, w, h int) *gossh.Session {
	t.Helper()
	sess, err := f.dialKey(user, "alice").NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", h, w, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	return sess
}

// reviewer opens a console as user and approves the n checks from row
// first of the All queue (of total): each reviewer its own rows, as a
// team splits a backlog. Approving moves the selection to the next check.
// Before the first, it holds its claim on it (holdClaim).
func (f *fixture) reviewer(user string, first, n, total int, c *claimShown) (sent int, err error) {
	term, closeConn, err := f.reviewerTerminal(user)
	if err != nil {
		return 0, err
	}
	defer closeConn()
	defer func() { sent = term.mark() }()
	return sent, f.review(term, user, first, n, total, c)
}

// reviewerTerminal opens a console as user, with user's own key (alice's
// for a user without one).
func (f *fixture) reviewerTerminal(user string) (*terminal, func() error, error) {
	k, ok := f.keys[user]
	if !ok {
		k = f.keys["alice"]
	}
	c, err := f.dial(user, sshKey(k))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: connecting: %w", user, err)
	}
	return f.openTerminal(c, "xterm-256color", 100, 30), c.Close, nil
}

// confirmer opens a console as user, is shown its proposer's claim
// (seeClaim, on row first of the All queue of total), and confirms the
// proposals on ids, in order, from the Second review tab as each is
// proposed: filtered to the check, v, enter (no note), then esc to clear
// the filter.
func (f *fixture) confirmer(user string, ids []string, first, total int, c *claimShown) (sent int, err error) {
	defer c.giveUp()
	term, closeConn, err := f.reviewerTerminal(user)
	if err != nil {
		return 0, err
	}
	defer closeConn()
	defer func() { sent = term.mark() }()
	if term.waitFor(0, wait, "▶") < 0 {
		return 0, fmt.Errorf("%s: no console", user)
	}
	ls, err := f.sessionOf(user)
	if err != nil {
		return 0, err
	}
	if err := seeClaim(term, first, total, c); err != nil {
		return 0, fmt.Errorf("%s: %w", user, err)
	}
	m := term.mark()
	term.send("8")
	if term.waitFor(m, wait, "Second review") < 0 {
		return 0, fmt.Errorf("%s: the Second review tab did not open: %s", user, term.since(m))
	}
	for i, id := range ids {
		if err := f.confirmOne(term, ls, id); err != nil {
			return 0, fmt.Errorf("%s: confirmation %d (%s): %w", user, i+1, id, err)
		}
	}
	term.send("q")
	term.waitClosed(wait)
	return 0, nil
}

// confirmOne waits for the proposal on id, then confirms it through the
// keys.
func (f *fixture) confirmOne(term *terminal, ls *liveSession, id string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		rec, err := f.st.Get(context.Background(), id)
		if err != nil {
			return err
		}
		if rec.Proposal != nil {
			break
		}
		if time.Now().After(deadline) {
			return errors.New("never proposed")
		}
		time.Sleep(100 * time.Millisecond)
	}
	start := strings.TrimPrefix(id, "chk_priv_")[:12]
	m := term.mark()
	term.send("/", start, "\r")
	shown := func(texts ...string) bool {
		s := term.shown()
		for _, t := range texts {
			if !strings.Contains(s, t) {
				return false
			}
		}
		return true
	}
	for !shown(`filter: "`+start+`"`, "1 of 1", "▶ "+start[:8]) {
		if time.Now().After(deadline) {
			return fmt.Errorf("the filter did not find it: %s", term.since(m))
		}
		term.waitFor(term.mark(), 20*time.Millisecond, "\x00never")
	}
	before := ls.store.decided.Load()
	if term.pressUntil("v", wait, "note>") < 0 {
		return fmt.Errorf("v opened no dialog: %s", term.since(m))
	}
	m = term.mark()
	term.send("\r")
	for ls.store.decided.Load() == before {
		if time.Now().After(deadline) {
			return fmt.Errorf("not saved: %s", term.since(m))
		}
		if term.waitFor(m, 10*time.Millisecond, "NOT saved") >= 0 {
			out := term.since(m)
			i := strings.Index(out, "NOT saved")
			return fmt.Errorf("the console says %s", out[max(0, i-40):min(len(out), i+200)])
		}
	}
	m = term.mark()
	term.send("\x1b")
	for shown(`filter: "`) {
		if time.Now().After(deadline) {
			return fmt.Errorf("esc did not clear the filter: %s", term.since(m))
		}
		term.waitFor(term.mark(), 20*time.Millisecond, "\x00never")
	}
	return nil
}

// review is reviewer's work once its console is open.
func (f *fixture) review(term *terminal, user string, first, n, total int, c *claimShown) error {
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
	if err := f.holdClaim(term, user, c); err != nil {
		return fmt.Errorf("%s: %w", user, err)
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

// holdClaim opens the selected check (its detail: the session's claim on
// it) and keeps it open until the confirmer was shown the claim, then
// goes back to the list.
func (f *fixture) holdClaim(term *terminal, user string, c *claimShown) error {
	claimed := func() bool {
		return slices.ContainsFunc(f.srv.presence.Claims()[c.checkID], func(name string) bool {
			return strings.HasPrefix(name, user+" ")
		})
	}
	c.opened.Store(time.Now().UnixNano())
	// enter does nothing while the selected row is being read again (a
	// decision elsewhere): pressed again until it opens (and harmless
	// once it has).
	for tries := 0; !claimed(); tries++ {
		if tries == int(wait/time.Second) {
			return fmt.Errorf("enter did not open %s", c.checkID)
		}
		term.send("\r")
		eventually(time.Second, claimed)
	}
	select {
	case <-c.shown:
	case <-c.over:
		return fmt.Errorf("the confirmer was never shown the claim on %s", c.checkID)
	}
	term.send("\x1b")
	if !eventually(wait, func() bool { return !claimed() }) {
		return fmt.Errorf("esc did not leave %s", c.checkID)
	}
	return nil
}

// seeClaim selects c's check (row first of the All queue of total) and
// waits until it is shown being reviewed by c's proposer.
func seeClaim(term *terminal, first, total int, c *claimShown) error {
	m := term.mark()
	term.send("7")
	if term.waitFor(m, wait, fmt.Sprintf("1 of %d", total)) < 0 {
		return fmt.Errorf("the All queue did not open: %s", term.since(m))
	}
	if first > 0 {
		if err := term.moveTo(first+1, total); err != nil {
			return err
		}
	}
	name := "being reviewed by " + c.proposer + " ("
	if term.waitFor(m, time.Minute, name) < 0 {
		return fmt.Errorf("%s was never shown being reviewed by %s: %s", c.checkID, c.proposer, term.since(m))
	}
	c.after.Store(time.Now().UnixNano() - c.opened.Load())
	close(c.shown)
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
