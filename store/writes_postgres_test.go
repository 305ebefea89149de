package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store/pgtest"
)

// The tests of the writes that only a shared PostgreSQL can put to the
// test: several Stores (as several serve instances on several hosts) on
// one database, and a database edited by hand with psql. They run on
// every `go test ./store`, whatever CAISSON_TEST_BACKEND says, since the
// comparison of the two backends needs both.

// A third reviewer besides compliance_test's ana and bob: four-eyes
// compares identities.
var ritaID = Identity{Kind: IdentityOS, ID: "uid=1003,login=rita"}

// proposedChecks makes n fetched checks, sets four-eyes to approvals and
// has ana propose approving each: n proposals awaiting a second reviewer.
func proposedChecks(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 1; i <= n; i++ {
		addFetched(t, s, result{id: checkID(i), doc: "high", face: "high"})
	}
	if _, err := s.SetFourEyes(ctx, PolicyChange{FourEyes: FourEyesApprovals, Note: "two people approve", Reviewer: "ana", Identity: anaID}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		d, err := s.DecideAs(ctx, DecisionRequest{CheckID: checkID(i), Action: Approve, Reviewer: "ana", Identity: anaID})
		if err != nil || d.Action != Propose {
			t.Fatalf("ana approving %s under four-eyes = %+v, %v; want a proposal", checkID(i), d, err)
		}
	}
}

// atOnce runs each fn in its own goroutine, released together, and
// returns their errors in order.
func atOnce(fns ...func() error) []error {
	errs := make([]error, len(fns))
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i, fn := range fns {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			errs[i] = fn()
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	return errs
}

// entriesOn counts the log's entries of action on check id.
func entriesOn(t *testing.T, s *Store, id string, a Action) int {
	t.Helper()
	rec, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range rec.Decisions {
		if d.Action == a {
			n++
		}
	}
	return n
}

func TestPostgresTwoReviewersConfirmingOneProposalAtOnceExactlyOneWins(t *testing.T) {
	url := pgtest.URL(t)
	c := &clock{t: testNow}
	const checks = 8
	proposedChecks(t, openIdentified(t, url, c, anaID), checks)
	reviewers := []struct {
		name string
		s    *Store
	}{{"bob", openIdentified(t, url, c, bobID)}, {"rita", openIdentified(t, url, c, ritaID)}}
	ctx := context.Background()
	wins := map[string]int{}
	for i := 1; i <= checks; i++ {
		id := checkID(i)
		errs := atOnce(func() error {
			_, err := reviewers[0].s.DecideAs(ctx, DecisionRequest{CheckID: id, Action: Confirm, Reviewer: reviewers[0].name})
			return err
		}, func() error {
			_, err := reviewers[1].s.DecideAs(ctx, DecisionRequest{CheckID: id, Action: Confirm, Reviewer: reviewers[1].name})
			return err
		})
		won, lost := 0, 1
		if errs[0] != nil {
			won, lost = 1, 0
		}
		if errs[won] != nil || !errors.Is(errs[lost], ErrNoProposal) {
			t.Fatalf("%s: confirmations at once: bob %v, rita %v; want exactly one to succeed and the other refused with ErrNoProposal", id, errs[0], errs[1])
		}
		if want := "already confirmed by " + reviewers[won].name; !strings.Contains(errs[lost].Error(), want) {
			t.Errorf("%s: the loser was told %q, want it to say %q", id, errs[lost], want)
		}
		wins[reviewers[won].name]++
		if n := entriesOn(t, reviewers[0].s, id, Confirm); n != 1 {
			t.Errorf("%s: %d confirm entries, want 1", id, n)
		}
		if rec, _ := reviewers[1].s.Get(ctx, id); rec.Status != StatusApproved || rec.Proposal != nil {
			t.Errorf("%s: status %s, proposal %v after the race; want approved, none awaiting", id, rec.Status, rec.Proposal)
		}
	}
	t.Logf("wins: %v", wins)
	if v, err := reviewers[0].s.Verify(ctx); err != nil || !v.OK || v.Entries != 1+2*checks {
		t.Errorf("Verify after the races = %+v, %v; want intact with %d entries", v, err, 1+2*checks)
	}
}

func TestPostgresTheProposerCanNeverConfirmEvenRacingAnotherReviewer(t *testing.T) {
	url := pgtest.URL(t)
	c := &clock{t: testNow}
	const checks = 6
	ana := openIdentified(t, url, c, anaID)
	proposedChecks(t, ana, checks)
	bob := openIdentified(t, url, c, bobID)
	ctx := context.Background()
	// Alone, and with the name of another reviewer: the identity decides.
	_, err := ana.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Confirm, Reviewer: "bob"})
	if !errors.Is(err, ErrSameReviewer) {
		t.Fatalf("the proposer confirming alone: %v, want ErrSameReviewer", err)
	}
	for i := 1; i <= checks; i++ {
		id := checkID(i)
		errs := atOnce(func() error {
			_, err := ana.DecideAs(ctx, DecisionRequest{CheckID: id, Action: Confirm, Reviewer: "ana"})
			return err
		}, func() error {
			_, err := bob.DecideAs(ctx, DecisionRequest{CheckID: id, Action: Confirm, Reviewer: "bob"})
			return err
		})
		// The proposer is refused whichever goes first: as the proposer
		// while the proposal awaits, as too late once bob confirmed it.
		if !errors.Is(errs[0], ErrSameReviewer) && !errors.Is(errs[0], ErrNoProposal) {
			t.Errorf("%s: the proposer racing bob: %v, want ErrSameReviewer or ErrNoProposal", id, errs[0])
		}
		if errs[1] != nil {
			t.Errorf("%s: bob racing the proposer: %v, want his confirmation recorded", id, errs[1])
		}
		if n := entriesOn(t, bob, id, Confirm); n != 1 {
			t.Errorf("%s: %d confirm entries, want bob's alone", id, n)
		}
	}
}

func TestPostgresTheChainHoldsUnderConcurrentDecisionsFromTwoStores(t *testing.T) {
	url := pgtest.URL(t)
	c := &clock{t: testNow}
	stores := []*Store{openIdentified(t, url, c, anaID), openIdentified(t, url, c, bobID)}
	const checks, workers, each = 4, 4, 8 // workers per store, decisions per worker
	for i := 1; i <= checks; i++ {
		addFetched(t, stores[0], result{id: checkID(i), doc: "low", face: "high"})
	}
	ctx := context.Background()
	var fns []func() error
	for si, s := range stores {
		for w := 0; w < workers; w++ {
			fns = append(fns, func() error {
				for n := 0; n < each; n++ {
					id := checkID(1 + (si*workers+w+n)%checks)
					note := fmt.Sprintf("store %d worker %d decision %d", si, w, n)
					if _, err := decideOtherwise(ctx, s, id, note, "r"); err != nil {
						return fmt.Errorf("%s: %w", note, err)
					}
				}
				return nil
			})
		}
	}
	for _, err := range atOnce(fns...) {
		if err != nil {
			t.Fatal(err)
		}
	}
	total := int64(len(stores) * workers * each)
	v, err := stores[1].Verify(ctx)
	if err != nil || !v.OK || v.Entries != total || v.Head.Seq != total {
		t.Fatalf("Verify after %d concurrent decisions = %+v, %v; want intact, %d entries, head at %d", total, v, err, total, total)
	}
	notes := map[string]int{}
	seq := int64(0)
	err = stores[0].Decisions(ctx, time.Time{}, func(d Decision) error {
		seq++
		if d.Seq != seq {
			return fmt.Errorf("entry %d follows entry %d", d.Seq, seq-1)
		}
		notes[d.Note]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for si := range stores {
		for w := 0; w < workers; w++ {
			for n := 0; n < each; n++ {
				if note := fmt.Sprintf("store %d worker %d decision %d", si, w, n); notes[note] != 1 {
					t.Errorf("%q is in the log %d times, want once", note, notes[note])
				}
			}
		}
	}
}

func TestPostgresVerifyNamesADecisionEditedWithPsql(t *testing.T) {
	url := pgtest.URL(t)
	s := decisionLogAt(t, url)
	ctx := context.Background()
	// The role the program runs as is refused by the log's trigger...
	_, err := pgtest.RunPsql(t, url, "UPDATE decisions SET note = 'looks fine' WHERE seq = 3;")
	if err == nil || !strings.Contains(err.Error(), "the decision log is append-only") {
		t.Fatalf("psql editing the log: %v, want the trigger's refusal", err)
	}
	// ...so an administrator turns it off, edits, and turns it on again.
	pgtest.Psql(t, pgtest.Superuser(t, url), `ALTER TABLE decisions DISABLE TRIGGER USER;
UPDATE decisions SET note = 'looks fine' WHERE seq = 3;
ALTER TABLE decisions ENABLE TRIGGER USER;`)
	if got := pgtest.Psql(t, url, "SELECT note FROM decisions WHERE seq = 3;"); strings.TrimSpace(got) != "looks fine" {
		t.Fatalf("the edit did not take: the note is %q", got)
	}
	v, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v.OK || v.BrokenAt != 3 || !strings.Contains(v.Problem, "edited") || len(v.Unguarded) != 0 {
		t.Errorf("Verify after a psql edit = %+v, want broken at entry 3 (edited), the triggers back as shipped", v)
	}
}

// decisionLogAt makes a store at location with five decisions on three
// checks, written alike on either backend: same clock, same identity,
// so the same hashes.
func decisionLogAt(t *testing.T, location string) *Store {
	t.Helper()
	s := openIdentified(t, location, &clock{t: testNow}, anaID)
	fiveDecisions(t, s)
	return s
}

// tamperSQLite edits the file as its owner would with sqlite3: the
// foreign keys and the log's triggers off, the edit, the triggers back
// exactly as shipped.
func tamperSQLite(t *testing.T, path, edit string) {
	t.Helper()
	restore := appendOnlyTriggers["decisions_no_update"] + ";\n" + appendOnlyTriggers["decisions_no_delete"] + ";"
	editByHand(t, path, "PRAGMA foreign_keys = OFF; DROP TRIGGER decisions_no_update; DROP TRIGGER decisions_no_delete;\n"+edit+restore, "")
}

// tamperPostgres makes the same edit with psql as a superuser, with the
// triggers and foreign keys off for the session (replica role), as a DBA
// would.
func tamperPostgres(t *testing.T, url, edit string) {
	t.Helper()
	editByHand(t, pgtest.Superuser(t, url), "", "SET session_replication_role = replica;\n"+edit)
}

// The same log, edited the same way, gets the same answer on both
// backends: export --verify prints VerifyResult, so equal results are
// equal reports.
func TestVerifyGivesTheSameAnswerOnBothBackends(t *testing.T) {
	tests := []struct {
		name   string
		edit   string
		kept   int64 // the seq of a head kept outside, 0 for none
		wantAt int64
	}{
		{"an intact log", "", 5, 0},
		{"a note edited in place", "UPDATE decisions SET note = 'looks fine' WHERE seq = 3;", 0, 3},
		{"a reviewer changed", "UPDATE decisions SET reviewer = 'bob' WHERE seq = 2;", 0, 2},
		{"an entry deleted", "DELETE FROM decisions WHERE seq = 2;", 0, 3},
		{"an entry deleted and the rest renumbered", "DELETE FROM decisions WHERE seq = 2; UPDATE decisions SET seq = seq - 1 WHERE seq > 2;", 0, 2},
		{"a time rewritten as the same instant in another form", "UPDATE decisions SET at = replace(at, 'Z', '+00:00') WHERE seq = 2;", 0, 2},
		{"a hash overwritten", "UPDATE decisions SET hash = 'ff' WHERE seq = 4;", 0, 4},
		{"a status changed behind the log's back", "UPDATE checks SET status = 'approved' WHERE check_id = '" + checkID(1) + "';", 0, 3},
		{"the newest entry deleted and its check's status set back", "DELETE FROM decisions WHERE seq = 5; UPDATE checks SET status = 'approved' WHERE check_id = '" + checkID(2) + "';", 5, 0},
		{"a decided check deleted", "DELETE FROM checks WHERE check_id = '" + checkID(3) + "'; DELETE FROM tracked WHERE check_id = '" + checkID(3) + "';", 0, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path, url := filepath.Join(t.TempDir(), "review.db"), pgtest.URL(t)
			lite, pg := decisionLogAt(t, path), decisionLogAt(t, url)
			var heads []Head
			if tt.kept != 0 {
				heads = []Head{keptHead(t, lite, tt.kept)}
				if h := keptHead(t, pg, tt.kept); h != heads[0] {
					t.Fatalf("entry %d is %s on SQLite and %s on PostgreSQL: the same decisions must hash alike", tt.kept, heads[0], h)
				}
			}
			if tt.edit != "" {
				tamperSQLite(t, path, tt.edit)
				tamperPostgres(t, url, tt.edit)
			}
			want, err := lite.Verify(ctx, heads...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := pg.Verify(ctx, heads...)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Verify on PostgreSQL = %+v\nVerify on SQLite     = %+v\nwant the same answer", got, want)
			}
			if want.BrokenAt != tt.wantAt || want.OK != (tt.edit == "") {
				t.Errorf("Verify on SQLite = %+v, want broken at %d", want, tt.wantAt)
			}
			if tt.edit == "" {
				if a, b := exported(t, lite), exported(t, pg); !reflect.DeepEqual(a, b) {
					t.Errorf("the export differs:\nPostgreSQL %+v\nSQLite     %+v", b, a)
				}
			}
		})
	}
}

func keptHead(t *testing.T, s *Store, seq int64) Head {
	t.Helper()
	var h Head
	err := s.Decisions(context.Background(), time.Time{}, func(d Decision) error {
		if d.Seq == seq {
			h = d.Head()
		}
		return nil
	})
	if err != nil || h.IsZero() {
		t.Fatalf("entry %d: %v", seq, err)
	}
	return h
}

func exported(t *testing.T, s *Store) []Decision {
	t.Helper()
	var all []Decision
	if err := s.Decisions(context.Background(), time.Time{}, func(d Decision) error { all = append(all, d); return nil }); err != nil {
		t.Fatal(err)
	}
	return all
}

// A batch of results meeting a server gone fails whole, once, saying so:
// not a second time for each result, which would be as many connection
// attempts, each reported as that result's own failure. Nothing of it is
// written, and the same batch is recorded once the server is back.
func TestPostgresRecordFetchesWithTheServerGoneFailsTheBatchOnce(t *testing.T) {
	door, viaDoor := pgtest.NewDoor(t, pgtest.URL(t))
	s := openPG(t, viaDoor)
	ctx := context.Background()
	const n = 20
	var results []FetchResult
	for i := 1; i <= n; i++ {
		if _, err := s.Add(ctx, checkID(i), "ana", SourceTyped); err != nil {
			t.Fatal(err)
		}
		results = append(results, FetchResult{CheckID: checkID(i), Check: makeCheck(t, result{id: checkID(i), doc: "high", face: "high"}), At: testNow})
	}
	door.GoAway()
	errs, err := s.RecordFetches(ctx, results)
	if !errors.Is(err, errUnreachable) {
		t.Fatalf("RecordFetches with the server gone = %v; want the batch refused as unreachable", err)
	}
	for i, e := range errs {
		if e != nil {
			t.Errorf("result %d has its own error %v: the batch's error is the server's, not the result's", i+1, e)
		}
	}
	door.ComeBack()
	if errs, err := s.RecordFetches(ctx, results); err != nil || errors.Join(errs...) != nil {
		t.Fatalf("the same batch with the server back: %v, %v", errs, err)
	}
	c, err := s.Counts(ctx)
	if err != nil || c[QueueAll] != n {
		t.Errorf("counts after the batch: %v, %v; want %d checks", c, err, n)
	}
	for i := 1; i <= n; i++ {
		if rec, err := s.Get(ctx, checkID(i)); err != nil || rec.Outcome != OutcomeOK {
			t.Fatalf("%s after the batch: %+v, %v; want its result cached", checkID(i), rec, err)
		}
	}
}

// The response is kept exactly as received on both backends: bytes that
// are not text (NUL, 0xff), text that looks like PostgreSQL's bytea
// escapes, a trailing newline. The decision's response hash is the hash
// of what was received, so a byte changed on the way in or out would mark
// every decision stale.
func TestRecordFetchKeepsTheResponseByteForByteOnBothBackends(t *testing.T) {
	for name, location := range map[string]string{
		"SQLite":     filepath.Join(t.TempDir(), "review.db"),
		"PostgreSQL": pgtest.URL(t),
	} {
		t.Run(name, func(t *testing.T) {
			s := openIdentified(t, location, &clock{t: testNow}, anaID)
			ctx := context.Background()
			chk := makeCheck(t, result{id: checkID(1), doc: "low", face: "high"})
			chk.Raw = append(chk.Raw, []byte("\x00\xff\xfe \\x41 \\\\000 é\r\n")...)
			want := sha256.Sum256(chk.Raw)
			if _, err := s.Add(ctx, checkID(1), "ana", SourceTyped); err != nil {
				t.Fatal(err)
			}
			if err := s.RecordFetch(ctx, checkID(1), chk, nil, testNow); err != nil {
				t.Fatal(err)
			}
			var raw []byte
			if err := s.db.QueryRow("SELECT raw FROM checks WHERE check_id = ?", checkID(1)).Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(raw, chk.Raw) {
				t.Errorf("the response read back is %q, want %q", raw, chk.Raw)
			}
			d, err := s.Decide(ctx, checkID(1), Escalate, "odd bytes", "ana")
			if err != nil || d.ResponseHash != hex.EncodeToString(want[:]) {
				t.Errorf("the decision's response hash = %s, %v; want the hash of the bytes received, %x", d.ResponseHash, err, want)
			}
		})
	}
}

// Instances of serve on several hosts poll one queue: of those asking
// for the lease of a due check at the same moment, exactly one gets it,
// for each of several checks.
func TestPostgresPollLeaseTakenAtOnceByThreeStoresGoesToOne(t *testing.T) {
	url := pgtest.URL(t)
	c := &clock{t: testNow}
	stores := []*Store{openPG(t, url, WithClock(c.Now)), openPG(t, url, WithClock(c.Now)), openPG(t, url, WithClock(c.Now))}
	const checks = 5
	for i := 1; i <= checks; i++ {
		addWaiting(t, stores[0], c, checkID(i), caisson.ErrPendingReview)
	}
	c.Advance(5 * time.Minute)
	ctx := context.Background()
	for i := 1; i <= checks; i++ {
		id := checkID(i)
		var fns []func() error
		for n, s := range stores {
			fns = append(fns, func() error {
				return s.TakePollLease(ctx, id, fmt.Sprintf("host-%d", n), testSchedule, c.Now(), 2*time.Minute)
			})
		}
		won := 0
		for n, err := range atOnce(fns...) {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, ErrLeaseHeld):
				t.Errorf("%s: host-%d's lease: %v, want it taken or ErrLeaseHeld", id, n, err)
			}
		}
		if won != 1 {
			t.Errorf("%s: %d hosts got the lease at once, want exactly 1", id, won)
		}
	}
}
