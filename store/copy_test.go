package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/caisson-review/caisson-review/caisson"
)

// fillForCopy gives s one of everything a store holds: checks only
// tracked, results of every kind (risky, passed, expired, waiting at
// Caisson since before their last fetch, failed, purged by Caisson),
// decisions of every action under a four-eyes policy and an SLA, access
// records and an exchange token kept to retry. ana and bob are two
// reviewers on the file; c is its clock.
func fillForCopy(t *testing.T, location string, c *clock) {
	t.Helper()
	ctx := context.Background()
	open := func(id Identity) *Store {
		s, err := Open(ctx, location, WithClock(c.Now), WithIdentity(id))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// Closed here, not at the end of the test: the file is then whole
	// (its WAL folded in) for copyTemplate to read.
	ana, bob := open(anaID), open(bobID)
	defer ana.Close()
	defer bob.Close()
	var bare []string
	for i := 100; i < 112; i++ {
		bare = append(bare, checkID(i))
	}
	if _, err := ana.AddMany(ctx, bare, "ana", SourceImported); err != nil {
		t.Fatal(err)
	}
	fetch := func(i int, r result) {
		t.Helper()
		r.id, r.customer, r.first, r.last = checkID(i), fmt.Sprintf("cust-%d", i), "Jamie", fmt.Sprintf("Doe%d", i)
		addFetched(t, ana, r)
	}
	fail := func(i int, code caisson.ErrorCode) {
		t.Helper()
		if _, err := ana.Add(ctx, checkID(i), "ana", SourceTyped); err != nil {
			t.Fatal(err)
		}
		if err := ana.RecordFetch(ctx, checkID(i), nil, &caisson.APIError{Code: code}, c.Now()); err != nil {
			t.Fatal(err)
		}
	}
	fetch(1, result{doc: "low", face: "high", reasons: []int{201, 308}})
	fetch(2, result{doc: "high", face: "high"})
	fetch(3, result{doc: "high", face: "high", expires: "2020-01-01"})
	fetch(4, result{doc: "medium", face: "medium"})
	fetch(5, result{doc: "low", face: "low"})
	fetch(6, result{doc: "medium", face: "high"})
	fetch(7, result{doc: "high", face: "high", expires: testNow.AddDate(0, 0, 2).Format("2006-01-02")})
	fail(8, caisson.CodePendingReview)
	fail(9, caisson.CodeNotVerified)
	fail(10, caisson.CodeIDCheckExpired)
	fetch(11, result{doc: "low", face: "high"})
	c.Advance(time.Hour)
	// A second waiting answer an hour later: the wait began at the first.
	if err := ana.RecordFetch(ctx, checkID(8), nil, &caisson.APIError{Code: caisson.CodePendingReview}, c.Now()); err != nil {
		t.Fatal(err)
	}
	if err := ana.RecordFetch(ctx, checkID(11), nil, &caisson.APIError{Code: caisson.CodeIDCheckDeleted}, c.Now()); err != nil {
		t.Fatal(err)
	}
	decide := func(s *Store, r DecisionRequest) {
		t.Helper()
		if r.Reviewer == "" {
			r.Reviewer = "Ana"
			if s == bob {
				r.Reviewer = "Bob"
			}
		}
		if _, err := s.DecideAs(ctx, r); err != nil {
			t.Fatalf("%s on %s: %v", r.Action, r.CheckID, err)
		}
		c.Advance(time.Minute)
	}
	decide(ana, DecisionRequest{CheckID: checkID(2), Action: Approve, Note: "fine"})
	decide(ana, DecisionRequest{CheckID: checkID(5), Action: Reject, Reason: ReasonDocumentAltered, Finality: Final, Note: "forged"})
	decide(bob, DecisionRequest{CheckID: checkID(6), Action: Escalate, Note: "ask compliance, \"twice\"\nplease"})
	decide(bob, DecisionRequest{CheckID: checkID(6), Action: Reopen})
	if _, err := ana.SetFourEyes(ctx, PolicyChange{FourEyes: FourEyesRisky, Note: "audit finding", Reviewer: "Ana"}); err != nil {
		t.Fatal(err)
	}
	decide(ana, DecisionRequest{CheckID: checkID(4), Action: Approve, Note: "looks right"}) // proposed
	decide(bob, DecisionRequest{CheckID: checkID(4), Action: Confirm})
	decide(ana, DecisionRequest{CheckID: checkID(1), Action: Approve}) // awaits bob
	decide(ana, DecisionRequest{CheckID: checkID(100), Action: Escalate, Note: "never fetched"})
	if _, err := ana.SetSLA(ctx, SLAChange{SLA: 24 * time.Hour, Note: "contract", Reviewer: "Ana"}); err != nil {
		t.Fatal(err)
	}
	for _, who := range []*Store{ana, bob} {
		sess := AccessSession{Reviewer: "someone", Origin: OriginServe, Address: "127.0.0.1:51910"}
		if err := who.RecordAccess(ctx, sess, AccessDetail, checkID(1), checkID(3)); err != nil {
			t.Fatal(err)
		}
	}
	down := func(context.Context, string) (string, error) { return "", errors.New("network down") }
	if _, _, err := ana.Exchange(ctx, "chk_xchg_"+strings.Repeat("Ab", 12), "ana", down); err == nil {
		t.Fatal("an exchange against a network that is down succeeded")
	}
	// Two days on, a day's first write brings the counts to the day.
	c.Advance(48 * time.Hour)
	decide(bob, DecisionRequest{CheckID: checkID(7), Action: Approve, Note: "in date"})
}

// copySource is a filled store on the run's backend, its clock two days
// past testNow.
func copySource(t *testing.T) (*Store, *clock) {
	t.Helper()
	location := testLocation(t)
	c := fillCopySource(t, location)
	return openIdentified(t, location, c, anaID), c
}

// copyTemplate is fillForCopy's SQLite file, made once per test binary:
// the copy tests need a dozen filled sources, and each fill is some forty
// durable transactions.
var copyTemplate struct {
	once  sync.Once
	bytes []byte
	now   time.Time
	err   error
}

// fillCopySource fills the new store at location as fillForCopy does and
// returns its clock: a PostgreSQL database filled afresh, an SQLite file
// written from copyTemplate.
func fillCopySource(t *testing.T, location string) *clock {
	t.Helper()
	if IsPostgres(location) {
		c := &clock{t: testNow}
		fillForCopy(t, location, c)
		return c
	}
	copyTemplate.once.Do(func() {
		copyTemplate.err = errors.New("filling the template failed in an earlier test")
		dir, err := os.MkdirTemp("", "caisson-copy-")
		if err != nil {
			copyTemplate.err = err
			return
		}
		defer os.RemoveAll(dir)
		c := &clock{t: testNow}
		fillForCopy(t, filepath.Join(dir, "source.db"), c)
		copyTemplate.bytes, copyTemplate.err = os.ReadFile(filepath.Join(dir, "source.db"))
		copyTemplate.now = c.Now()
	})
	if copyTemplate.err != nil {
		t.Fatalf("the copy tests' source: %v", copyTemplate.err)
	}
	if err := os.WriteFile(location, copyTemplate.bytes, 0o600); err != nil {
		t.Fatal(err)
	}
	return &clock{t: copyTemplate.now}
}

// copyTarget is an empty store for a copy on the run's backend, on the
// source's clock.
func copyTarget(t *testing.T, c *clock) *Store {
	t.Helper()
	return openIdentified(t, testLocation(t), c, bobID)
}

// everyRow is every row a store holds that a copy must carry, by table,
// each as CopyFrom reads it, with the tables the target writes itself.
func everyRow(t *testing.T, s *Store) map[string][][]any {
	t.Helper()
	ctx := context.Background()
	out := map[string][][]any{}
	tables := append(append([]copyTable(nil), copiedTables...), exchangesTable,
		copyTable{name: "polls", columns: []copyColumn{{"check_id", colText}, {"since", colInt}}},
		copyTable{name: "decision_days", columns: []copyColumn{{"day", colText}, {"reviewer", colText}, {"action", colText},
			{"proposes", colText}, {"reason", colText}, {"n", colInt}}})
	for _, tb := range tables {
		rows, err := readRows(ctx, s.db, tb, "")
		if err != nil {
			t.Fatalf("reading %s: %v", tb.name, err)
		}
		// In Go, not by ORDER BY: the backends sort text differently.
		slices.SortFunc(rows, func(a, b []any) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		out[tb.name] = rows
	}
	return out
}

func sameRows(t *testing.T, got, want map[string][][]any) {
	t.Helper()
	for table, w := range want {
		g := got[table]
		if len(g) != len(w) {
			t.Errorf("%s: %d rows on the target, %d on the source", table, len(g), len(w))
			continue
		}
		for i := range w {
			if !reflect.DeepEqual(g[i], w[i]) {
				t.Errorf("%s row %d:\n got  %v\n want %v", table, i, g[i], w[i])
			}
		}
	}
}

// countsByDefinition counts every queue over its definition, and the
// overdue checks over theirs.
func countsByDefinition(t *testing.T, s *Store) Counts {
	t.Helper()
	want := Counts{}
	for _, q := range append(append([]Queue(nil), Queues...), QueueSecondReview) {
		want[q] = countByDefinition(t, s, q)
	}
	p, err := s.Policy(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var overdue int
	if p.SLA > 0 {
		if err := s.db.QueryRow("SELECT count(*) FROM checks AS c WHERE "+waitingCond+" AND c.reviewable_at < ?",
			s.now().UnixNano()-int64(p.SLA)).Scan(&overdue); err != nil {
			t.Fatal(err)
		}
	}
	want[CountOverdue] = overdue
	return want
}

func copyAll(t *testing.T, to, from *Store, opts CopyOptions) CopyReport {
	t.Helper()
	rep, err := to.CopyFrom(context.Background(), from, opts)
	if err != nil {
		t.Fatalf("CopyFrom: %v", err)
	}
	return rep
}

// The progress counts every row the copy carries, the kept exchanges too,
// and ends with all of them done (it ended "copied 64 of 64 rows" before
// the exchanges were merged).
func TestCopyProgressCountsTheKeptExchanges(t *testing.T) {
	src, c := copySource(t)
	dst := copyTarget(t, c)
	rows := 0
	for _, table := range everyRow(t, src) {
		rows += len(table)
	}
	derived := 0
	for name := range copyDerived {
		derived += len(everyRow(t, src)[name])
	}
	var last CopyProgress
	rep := copyAll(t, dst, src, CopyOptions{BatchSize: 3, Progress: func(p CopyProgress) { last = p }})
	if rep.Exchanges == 0 {
		t.Fatal("the source kept no exchange: the test shows nothing")
	}
	if want := int64(rows - derived); last.Total != want || last.Done != want || last.Table != exchangesTable.what {
		t.Errorf("the last progress: %+v; want %d of %d rows, the kept exchanges last", last, want, want)
	}
}

func TestCopyCarriesEveryRowByteForByteAndTheChainEndsAtTheSameHead(t *testing.T) {
	src, c := copySource(t)
	dst := copyTarget(t, c)
	want := everyRow(t, src)
	rep := copyAll(t, dst, src, CopyOptions{BatchSize: 4})

	sameRows(t, everyRow(t, dst), want)
	head, err := src.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.SourceHead != head || rep.TargetHead != head || head.IsZero() {
		t.Errorf("heads: source %s, target %s; the source's log ends at %s", rep.SourceHead, rep.TargetHead, head)
	}
	// A head kept outside the database before the move holds on the copy.
	if v, err := dst.Verify(context.Background(), head); err != nil || !v.OK {
		t.Errorf("Verify(the source's head %s) on the copy = %+v, %v; want OK", head, v, err)
	}
	wantRep := CopyReport{Copied: int64(len(want["tracked"]) + len(want["checks"]) + len(want["decisions"]) + len(want["access"]) + 1),
		Tracked: int64(len(want["tracked"])), Checks: int64(len(want["checks"])), Decisions: int64(len(want["decisions"])),
		Access: int64(len(want["access"])), Exchanges: 1, SourceHead: head, TargetHead: head}
	if rep != wantRep {
		t.Errorf("report %+v, want %+v", rep, wantRep)
	}
	for _, table := range []string{"tracked", "checks", "decisions", "access", "polls", "decision_days", "exchanges"} {
		if len(want[table]) == 0 {
			t.Errorf("the source has no %s: the test copies nothing of them", table)
		}
	}
}

// The purged check keeps no response (NULL, not empty bytes), and the
// policy and SLA come with the log that holds them.
func TestCopyKeepsThePolicyAPurgedResponseAndTheSearch(t *testing.T) {
	src, c := copySource(t)
	dst := copyTarget(t, c)
	copyAll(t, dst, src, CopyOptions{})
	ctx := context.Background()
	p, err := dst.Policy(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.FourEyes != FourEyesRisky || p.SLA != 24*time.Hour {
		t.Errorf("policy on the target: %s, SLA %s; want risky, 24h", p.FourEyes, p.SLA)
	}
	var null bool
	if err := dst.db.QueryRow("SELECT raw IS NULL FROM checks WHERE check_id = ?", checkID(11)).Scan(&null); err != nil || !null {
		t.Errorf("the purged check's response on the target: NULL %v, %v; want NULL", null, err)
	}
	rows, err := dst.Page(ctx, PageQuery{Queue: QueueAll, Filter: "doe3", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(rows); !reflect.DeepEqual(got, []string{checkID(3)}) {
		t.Errorf("filter doe3 on the target: %v, want %s (the names are in its search index)", got, checkID(3))
	}
}

func TestCopiedCountsEqualACountOfEveryQueueOnTheTarget(t *testing.T) {
	src, c := copySource(t)
	dst := copyTarget(t, c)
	copyAll(t, dst, src, CopyOptions{BatchSize: 3})
	ctx := context.Background()
	got, err := dst.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := countsByDefinition(t, dst)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("target's counts %v, counted by definition %v", got, want)
	}
	theirs, err := src.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, theirs) {
		t.Errorf("target's counts %v, the source's %v", got, theirs)
	}
	if want[CountOverdue] == 0 || want[QueueNeedsReview] == 0 || want[QueuePending] == 0 || want[QueueSecondReview] == 0 {
		t.Errorf("the source leaves some queue empty (%v): the test proves less than it says", want)
	}
}

// After the copy the target is a store like any other: its log goes on
// from the copied head and new checks get new keys.
func TestACopiedStoreGoesOnFromTheCopiedHead(t *testing.T) {
	src, c := copySource(t)
	dst := copyTarget(t, c)
	rep := copyAll(t, dst, src, CopyOptions{})
	ctx := context.Background()
	if _, err := dst.Add(ctx, checkID(500), "bob", SourceTyped); err != nil {
		t.Fatal(err)
	}
	d, err := dst.Decide(ctx, checkID(500), Escalate, "new here", "Bob")
	if err != nil {
		t.Fatal(err)
	}
	if d.Seq != rep.SourceHead.Seq+1 || d.PrevHash != rep.SourceHead.Hash {
		t.Errorf("first decision on the copy: #%d after %s, want #%d after %s", d.Seq, d.PrevHash, rep.SourceHead.Seq+1, rep.SourceHead.Hash)
	}
	mustVerify(t, dst)
}

func TestCopyRefusesATargetThatIsNotAnUnfinishedCopyOfTheSource(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		prepare func(t *testing.T, dst, src *Store)
		says    string
	}{
		{"a target tracking a check of its own", func(t *testing.T, dst, _ *Store) {
			if _, err := dst.Add(ctx, checkID(900), "bob", SourceTyped); err != nil {
				t.Fatal(err)
			}
		}, "it holds 1 tracked checks"},
		{"a target with a policy of its own (a decision log entry)", func(t *testing.T, dst, _ *Store) {
			if _, err := dst.SetFourEyes(ctx, PolicyChange{FourEyes: FourEyesAll, Note: "new team", Reviewer: "Bob"}); err != nil {
				t.Fatal(err)
			}
		}, "it holds 1 decisions"},
		{"a finished copy where a reviewer has since decided", func(t *testing.T, dst, src *Store) {
			copyAll(t, dst, src, CopyOptions{})
			if _, err := dst.Decide(ctx, checkID(3), Reject, "expired", "Bob"); err != nil {
				t.Fatal(err)
			}
		}, "the target has 12 decisions up to seq 12, the source 11"},
		{"an unfinished copy of a source that has changed since", func(t *testing.T, dst, src *Store) {
			stopped, cancel := context.WithCancel(ctx)
			defer cancel()
			_, err := dst.CopyFrom(stopped, src, CopyOptions{BatchSize: 3, Progress: func(p CopyProgress) {
				if p.Table == "decisions" {
					cancel()
				}
			}})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("the stopped copy: %v", err)
			}
			// A check copied in the first batch of checks, decided since.
			if _, err := src.Decide(ctx, checkID(3), Reject, "expired", "Ana"); err != nil {
				t.Fatal(err)
			}
			// Its own unfinished copy: said so, and that it cannot be
			// finished, not that it is no unfinished copy of the source
			// (beside the warning naming this very source; helper-57).
		}, "it is the unfinished copy of this source, but the source changed since that copy began (its checks row 15 is not the source's: one of them changed since the copy began), so it cannot be finished"},
		{"a finished copy of another source", func(t *testing.T, dst, _ *Store) {
			other, _ := newStore(t)
			for i := range 5 {
				if _, err := other.Add(ctx, checkID(1000+i), "eve", SourceTyped); err != nil {
					t.Fatal(err)
				}
			}
			copyAll(t, dst, other, CopyOptions{})
		}, "its tracked row 5 is not the source's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, c := copySource(t)
			dst := copyTarget(t, c)
			tt.prepare(t, dst, src)
			before := everyRow(t, dst)
			_, err := dst.CopyFrom(ctx, src, CopyOptions{})
			if !errors.Is(err, ErrTargetNotEmpty) {
				t.Fatalf("CopyFrom into %s: %v, want ErrTargetNotEmpty", tt.name, err)
			}
			wants := []string{"the target store is not empty", tt.says, "nothing was copied"}
			if !strings.Contains(tt.says, "it is the unfinished copy of this source") {
				wants = append(wants, "is no unfinished copy of the source")
			}
			for _, want := range wants {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the refusal %q does not say %q", err, want)
				}
			}
			sameRows(t, everyRow(t, dst), before)
		})
	}
}

func TestCopyRefusesASourceWhoseChainDoesNotVerify(t *testing.T) {
	location := testLocation(t)
	c := fillCopySource(t, location)
	src := openIdentified(t, location, c, anaID)
	// Edited behind the program's back.
	edit := dropTriggers() + "UPDATE decisions SET note = 'looks fine' WHERE seq = 3;"
	editByHand(t, adminLocation(t, location), edit, edit)
	dst := copyTarget(t, c)
	_, err := dst.CopyFrom(context.Background(), src, CopyOptions{})
	if !errors.Is(err, ErrSourceUnverified) {
		t.Fatalf("CopyFrom of a tampered source: %v, want ErrSourceUnverified", err)
	}
	for _, want := range []string{"do not verify", "decision log entry 3", "edited", "nothing was copied"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal %q does not say %q", err, want)
		}
	}
	for table, rows := range everyRow(t, dst) {
		if len(rows) > 0 {
			t.Errorf("the target holds %d rows of %s after a refused copy", len(rows), table)
		}
	}
}

// A copy stopped after any batch, in any table, and run again ends with
// every row once: the target's rows are its progress.
func TestACopyStoppedAfterAnyBatchEndsWithEverythingOnceWhenRunAgain(t *testing.T) {
	src, c := copySource(t)
	want := everyRow(t, src)
	const batch = 3
	batches := 0
	for _, table := range []string{"tracked", "checks", "decisions", "access"} {
		batches += (len(want[table]) + batch - 1) / batch
	}
	step := 2
	if testing.Short() {
		step = 4 // still a stop in each table
	}
	for stopAfter := 1; stopAfter < batches; stopAfter += step {
		t.Run(fmt.Sprintf("stopped after batch %d of %d", stopAfter, batches), func(t *testing.T) {
			dst := copyTarget(t, c)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			n, table := 0, ""
			_, err := dst.CopyFrom(ctx, src, CopyOptions{BatchSize: batch, Progress: func(p CopyProgress) {
				if p.Table == "" {
					return // before the first batch
				}
				if n++; n == stopAfter {
					table = p.Table
					cancel()
				}
			}})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("the stopped copy: %v, want context.Canceled", err)
			}
			rep := copyAll(t, dst, src, CopyOptions{BatchSize: batch})
			if !rep.Resumed || rep.Copied == 0 {
				t.Errorf("the second run (after a stop in %s): resumed %v, copied %d; want resumed, and the rest copied", table, rep.Resumed, rep.Copied)
			}
			sameRows(t, everyRow(t, dst), want)
			mustVerify(t, dst)
			got, err := dst.Counts(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if wantCounts := countsByDefinition(t, dst); !reflect.DeepEqual(got, wantCounts) {
				t.Errorf("counts after resuming %v, by definition %v", got, wantCounts)
			}
		})
	}
}

// Run again once finished, a copy finds everything there and copies
// nothing.
func TestACopyRunAgainAfterItFinishedCopiesNothing(t *testing.T) {
	src, c := copySource(t)
	dst := copyTarget(t, c)
	copyAll(t, dst, src, CopyOptions{})
	want := everyRow(t, dst)
	rep := copyAll(t, dst, src, CopyOptions{})
	if !rep.Resumed || rep.Copied != 0 {
		t.Errorf("second run: resumed %v, copied %d; want resumed, 0", rep.Resumed, rep.Copied)
	}
	sameRows(t, everyRow(t, dst), want)
}

// A copy reads the source as it was when it started: a check added and a
// decision made meanwhile are not half-copied but left to the next run,
// which finds the target a prefix of the source and copies them.
func TestACopyIsOfTheSourceAsItWasWhenItStarted(t *testing.T) {
	src, c := copySource(t)
	dst := copyTarget(t, c)
	ctx := context.Background()
	before, err := src.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wrote := false
	rep, err := dst.CopyFrom(ctx, src, CopyOptions{BatchSize: 3, Progress: func(p CopyProgress) {
		if p.Table == "" || wrote {
			return
		}
		wrote = true
		if _, err := src.Add(ctx, checkID(700), "ana", SourceTyped); err != nil {
			t.Errorf("adding to the source during the copy: %v", err)
		}
		if _, err := src.Decide(ctx, checkID(700), Escalate, "during the copy", "Ana"); err != nil {
			t.Errorf("deciding on the source during the copy: %v", err)
		}
	}})
	if err != nil {
		t.Fatalf("CopyFrom with the source written during it: %v", err)
	}
	if rep.TargetHead != before || rep.SourceHead != before {
		t.Errorf("heads %s and %s, want the source's when the copy began, %s", rep.SourceHead, rep.TargetHead, before)
	}
	rep = copyAll(t, dst, src, CopyOptions{BatchSize: 3})
	if !rep.Resumed || rep.Copied != 3 { // its tracked row, its checks row, its decision
		t.Errorf("the next run: resumed %v, copied %d; want resumed, 3 rows", rep.Resumed, rep.Copied)
	}
	sameRows(t, everyRow(t, dst), everyRow(t, src))
	mustVerify(t, dst)
}

// copyDerived are the tables CopyFrom does not copy row by row, and why:
// the target writes them itself from the rows it copies, or they belong to
// the source's running processes, not to its data.
var copyDerived = map[string]string{
	"polls":                 "made by polls_insert with each waiting check; its since is set from the source's",
	"decision_days":         "the tally of the copied entries",
	"queue_counts":          "kept by the triggers and the store's code as rows are copied",
	"schema_version":        "PostgreSQL's migrations' own",
	"claims":                "who has which check open in the source's running consoles: gone 30 s after they stop, as poll leases",
	"checks_search":         "SQLite's trigram index of checks.search",
	"checks_search_data":    "the trigram index's own",
	"checks_search_idx":     "the trigram index's own",
	"checks_search_docsize": "the trigram index's own",
	"checks_search_config":  "the trigram index's own",
	"unfinished_copy":       "the copy's own mark, written before its first row and deleted as it finishes",
}

// A migration that adds a table or a column must teach CopyFrom about it,
// or a copy would silently leave it behind.
func TestCopyKnowsEveryTableAndStoredColumnOfTheSchema(t *testing.T) {
	s, _ := newStore(t)
	tables := dialect(`SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`,
		`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`)
	rows, err := s.db.Query(tables)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	known := map[string]copyTable{}
	for _, tb := range append(append([]copyTable(nil), copiedTables...), exchangesTable) {
		known[tb.name] = tb
	}
	for _, name := range names {
		tb, copied := known[name]
		if _, derived := copyDerived[name]; !copied {
			if !derived {
				t.Errorf("table %s is neither copied by CopyFrom nor written by the target from what it copies", name)
			}
			continue
		}
		// Stored columns only: generated ones are the target's to compute.
		columns := dialect(`SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0`,
			`SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND is_generated = 'NEVER'`)
		crs, err := s.db.Query(columns, name)
		if err != nil {
			t.Fatal(err)
		}
		var stored []string
		for crs.Next() {
			var c string
			if err := crs.Scan(&c); err != nil {
				t.Fatal(err)
			}
			stored = append(stored, c)
		}
		crs.Close()
		var copiedCols []string
		for _, c := range tb.columns {
			copiedCols = append(copiedCols, c.name)
		}
		slices.Sort(stored)
		slices.Sort(copiedCols)
		if !slices.Equal(stored, copiedCols) {
			t.Errorf("table %s stores %v; CopyFrom copies %v", name, stored, copiedCols)
		}
	}
}

// A batch the target refuses stops the copy with an error that says the
// batches before it were kept and the copy can be run again, not only the
// write's own "nothing was written", which is true of that batch alone;
// run again once the target accepts it, the copy finishes with every row
// once.
func TestACopyStoppedByARefusedBatchSaysWhatIsKeptAndFinishesWhenRunAgain(t *testing.T) {
	src, c := copySource(t)
	want := everyRow(t, src)
	if len(want["checks"]) < 4 {
		t.Fatalf("the source has %d checks; the test needs four", len(want["checks"]))
	}
	location := testLocation(t)
	dst := openIdentified(t, location, c, bobID)
	refused := want["checks"][2][0] // the third check: its batch is the second of checks
	editByHand(t, adminLocation(t, location),
		fmt.Sprintf(`CREATE TRIGGER copy_stopper BEFORE INSERT ON checks WHEN NEW.id = %v BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;`, refused),
		fmt.Sprintf(`CREATE FUNCTION copy_stopper() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
			CREATE TRIGGER copy_stopper BEFORE INSERT ON checks FOR EACH ROW WHEN (NEW.id = %v) EXECUTE FUNCTION copy_stopper();`, refused))
	_, err := dst.CopyFrom(context.Background(), src, CopyOptions{BatchSize: 2})
	if err == nil || !strings.Contains(err.Error(), "refused by the test") ||
		!strings.Contains(err.Error(), "the batches copied before it are kept in the target: run the same copy again") {
		t.Fatalf("the refused batch: %v; want the refusal, and that what was copied before it is kept", err)
	}
	if n := len(everyRow(t, dst)["checks"]); n != 2 {
		t.Errorf("the target holds %d checks after the second batch of checks was refused, want the first batch's 2", n)
	}
	editByHand(t, adminLocation(t, location), `DROP TRIGGER copy_stopper;`, `DROP TRIGGER copy_stopper ON checks; DROP FUNCTION copy_stopper();`)
	rep := copyAll(t, dst, src, CopyOptions{BatchSize: 2})
	if !rep.Resumed {
		t.Errorf("the second run did not resume the first")
	}
	sameRows(t, everyRow(t, dst), want)
	mustVerify(t, dst)
}

// An interrupted copy leaves a target that says what it is (migration 14):
// opened, it warns, and it refuses every write but the copy's own, since a
// decision made on it would make the copy impossible to finish (found by
// a helper, who made one on a copy that looked whole but lacked its access
// log). Run again, the copy finishes and the store is an ordinary one. A
// copy of an unfinished copy is refused: it would look whole too.
func TestAnUnfinishedCopyWarnsAndRefusesWritesUntilTheCopyFinishes(t *testing.T) {
	src, c := copySource(t)
	location := testLocation(t)
	dst := openIdentified(t, location, c, bobID)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := dst.CopyFrom(ctx, src, CopyOptions{BatchSize: 3, Progress: func(p CopyProgress) {
		if p.Table == "decisions" {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the interrupted copy: %v, want context.Canceled", err)
	}
	var warned strings.Builder
	used, err := Open(context.Background(), location, WithClock(c.Now), WithIdentity(anaID), WithWarnings(&warned))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { used.Close() })
	source := src.path
	if !strings.Contains(warned.String(), "WARNING: this store is an unfinished copy of "+source) || len(used.Warnings()) != 1 {
		t.Errorf("opening the unfinished copy warned %q (Warnings %q); want it named as an unfinished copy of %s", warned.String(), used.Warnings(), source)
	}
	before := everyRow(t, dst)
	rows, err := used.Page(context.Background(), PageQuery{Queue: QueueAll, Limit: 1})
	if err != nil || len(rows) != 1 {
		t.Fatalf("reading the unfinished copy: %v, %v", rows, err)
	}
	_, err = used.Decide(context.Background(), rows[0].CheckID, Escalate, "used the unfinished copy", "ana")
	if !errors.Is(err, ErrUnfinishedCopy) || !strings.Contains(err.Error(), "run the same migrate-store again to finish it") {
		t.Errorf("a decision on the unfinished copy: %v; want it refused, saying how to finish the copy", err)
	}
	if _, err := used.Add(context.Background(), checkID(999), "ana", SourceTyped); !errors.Is(err, ErrUnfinishedCopy) {
		t.Errorf("an add on the unfinished copy: %v; want it refused", err)
	}
	if err := used.ShowsPersonalData(context.Background()); !errors.Is(err, ErrUnfinishedCopy) || !strings.Contains(err.Error(), "access log") {
		t.Errorf("showing personal data from the unfinished copy: %v; want it refused, saying it would go unrecorded", err)
	}
	if after := everyRow(t, dst); !reflect.DeepEqual(after, before) {
		t.Error("the refused writes changed the unfinished copy")
	}
	other := openIdentified(t, testLocation(t), c, bobID)
	if _, err := other.CopyFrom(context.Background(), used, CopyOptions{}); !errors.Is(err, ErrUnfinishedCopy) {
		t.Errorf("a copy of the unfinished copy: %v; want it refused", err)
	}

	// The copy run again through a store opened as its target.
	target, err := Open(context.Background(), location, WithClock(c.Now), WithIdentity(bobID), AsCopyTarget(), WithWarnings(&warned))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { target.Close() })
	if rep := copyAll(t, target, src, CopyOptions{BatchSize: 3}); !rep.Resumed {
		t.Errorf("the copy run again: %+v, want it resumed", rep)
	}
	warned.Reset()
	done, err := Open(context.Background(), location, WithClock(c.Now), WithIdentity(anaID), WithWarnings(&warned))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { done.Close() })
	if warned.Len() != 0 || len(done.Warnings()) != 0 {
		t.Errorf("opening the finished copy warned %q", warned.String())
	}
	sameRows(t, everyRow(t, target), everyRow(t, src))
	if _, err := done.Decide(context.Background(), rows[0].CheckID, Escalate, "the copy is finished", "ana"); err != nil {
		t.Errorf("a decision on the finished copy: %v", err)
	}
	// A store opened while the copy was unfinished (a console left open)
	// writes too once it is finished: the mark is read again.
	if _, err := used.Add(context.Background(), checkID(999), "ana", SourceTyped); err != nil {
		t.Errorf("an add, once the copy is finished, through a store opened before: %v", err)
	}
	if err := used.ShowsPersonalData(context.Background()); err != nil {
		t.Errorf("showing personal data, once the copy is finished, through a store opened before: %v", err)
	}
}

// A failed fetch's error text cut at 500 bytes through a character, as
// builds before f6dc1af stored it in an SQLite file, is not UTF-8:
// PostgreSQL refused the batch holding it, and migrate-store could never
// finish. It is copied without the cut character's bytes, as a build
// since then would have stored it, to either backend.
func TestAnErrorTextCutThroughACharacterByAnOldBuildIsCopiedWithoutIt(t *testing.T) {
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "source.db")
	c := fillCopySource(t, file)
	src := openIdentified(t, file, c, anaID)
	id := checkID(900)
	if _, err := src.Add(ctx, id, "ana", SourceTyped); err != nil {
		t.Fatal(err)
	}
	if err := src.RecordFetch(ctx, id, nil, errors.New("refused"), c.Now()); err != nil {
		t.Fatal(err)
	}
	whole := strings.Repeat("x", maxFetchError-1) + "検"
	oldCut := whole[:maxFetchError] + "…"
	if _, err := src.db.Exec("UPDATE checks SET fetch_error = ? WHERE check_id = ?", oldCut, id); err != nil {
		t.Fatal(err)
	}
	if rec, err := src.Get(ctx, id); err != nil || utf8.ValidString(rec.FetchError) {
		t.Fatalf("the source's text is UTF-8 (%v): the test does not hold what an old build stored", err)
	}
	dst := copyTarget(t, c)
	copyAll(t, dst, src, CopyOptions{BatchSize: 3})
	rec, err := dst.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat("x", maxFetchError-1) + "…"; rec.FetchError != want {
		t.Errorf("copied as %q, want %q", rec.FetchError, want)
	}
	mustVerify(t, dst)
	// Run again, the copy compares what it copied with the source and
	// finds them the same.
	if rep := copyAll(t, dst, src, CopyOptions{BatchSize: 3}); rep.Copied != 0 {
		t.Errorf("run again, the copy wrote %d rows, want none", rep.Copied)
	}
}

// The mark of an unfinished copy names an SQLite source by its absolute
// path: named as typed ("review.db"), the warning pointed whoever opened
// the target later, from another directory, at a file that was not there.
func TestAnUnfinishedCopyNamesItsSourceFileByItsAbsolutePath(t *testing.T) {
	dir := t.TempDir()
	c := fillCopySource(t, filepath.Join(dir, "review.db"))
	t.Chdir(dir)
	src := openIdentified(t, "review.db", c, anaID)
	location := filepath.Join(t.TempDir(), "copy.db")
	dst := openIdentified(t, location, c, bobID)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := dst.CopyFrom(ctx, src, CopyOptions{BatchSize: 3, Progress: func(CopyProgress) { cancel() }}); !errors.Is(err, context.Canceled) {
		t.Fatalf("the interrupted copy: %v, want context.Canceled", err)
	}
	t.Chdir(t.TempDir())
	var warned strings.Builder
	used, err := Open(context.Background(), location, WithClock(c.Now), WithIdentity(anaID), WithWarnings(&warned))
	if err != nil {
		t.Fatal(err)
	}
	defer used.Close()
	if want := "an unfinished copy of " + filepath.Join(dir, "review.db") + ":"; !strings.Contains(warned.String(), want) {
		t.Errorf("opening the unfinished copy warned %q, want it to name %q", warned.String(), want)
	}
}

// A source whose access log does not verify is refused saying so: it was
// "the source's decision log does not verify: ;", the wrong log and no
// reason (helper-76).
func TestCopyRefusesASourceWhoseAccessLogDoesNotVerify(t *testing.T) {
	location := testLocation(t)
	c := fillCopySource(t, location)
	src := openIdentified(t, location, c, anaID)
	if err := src.RecordAccess(context.Background(), AccessSession{Reviewer: "ana", Origin: OriginCLI}, AccessShow, checkID(1)); err != nil {
		t.Fatal(err)
	}
	edit := dialect("DROP TRIGGER access_no_update; UPDATE access SET reviewer = 'Rita' WHERE id = (SELECT max(id) FROM access);",
		"DROP TRIGGER access_no_update ON access; UPDATE access SET reviewer = 'Rita' WHERE id = (SELECT max(id) FROM access);")
	editByHand(t, adminLocation(t, location), edit, edit)
	_, err := copyTarget(t, c).CopyFrom(context.Background(), src, CopyOptions{})
	if !errors.Is(err, ErrSourceUnverified) || !strings.Contains(err.Error(), "access log record") || !strings.Contains(err.Error(), "edited") {
		t.Fatalf("CopyFrom of a source whose access log was edited: %v, want it refused naming the record", err)
	}
}
