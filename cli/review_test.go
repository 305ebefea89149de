package cli

import (
	"database/sql"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/store"
)

// refreshed adds and refreshes the first n sandbox checks.
func refreshed(t *testing.T, f *fixture, n int) []string {
	t.Helper()
	ids := f.sb.CheckIDs(n)
	f.runStdin(strings.Join(ids, "\n"), "add", "-")
	f.run("refresh", "--all")
	return ids
}

// checksWhere are those of ids whose stored record keep accepts, in the
// order of ids; the test fails when fewer than want are.
func checksWhere(t *testing.T, f *fixture, ids []string, want int, what string, keep func(*store.Record) bool) []string {
	t.Helper()
	st := f.openStore()
	defer st.Close()
	var found []string
	for _, id := range ids {
		if rec, err := st.Get(t.Context(), id); err == nil && keep(rec) {
			found = append(found, id)
		}
	}
	if len(found) < want {
		t.Fatalf("the data set should have %d %s among %d checks, has %d", want, what, len(ids), len(found))
	}
	return found
}

// riskyOpen keeps an open check with a result below high on either side.
func riskyOpen(rec *store.Record) bool {
	return rec.Result != nil && rec.Status == store.StatusOpen && (rec.Document < caisson.High || rec.Face < caisson.High)
}

// undecodable damages id's cached response so that it no longer decodes.
func undecodable(t *testing.T, f *fixture, id string) {
	t.Helper()
	db, err := sql.Open("sqlite", f.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("UPDATE checks SET raw = ? WHERE check_id = ?", []byte("\x00 not JSON"), id); err != nil {
		t.Fatal(err)
	}
}

// An open check whose document expired is in needs review whatever its
// confidences, which may both be high: its status says why, as the
// console's row does (helper-56: nothing on the row said so).
func TestListSaysAnOpenChecksDocumentExpired(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := refreshed(t, f, 60)
	out := f.must(0, "list", "--queue", "all").stdout
	expired := 0
	for _, id := range ids {
		var row string
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, id+" ") {
				row = l
			}
		}
		rec := f.get(id)
		if store.ExpiredOpen(rec.Row, time.Now()) {
			expired++
			mustContain(t, id, row, "open, document expired")
		} else if strings.Contains(row, "document expired") {
			t.Errorf("%s: %q says its document expired; it expires %s", id, row, rec.ExpiresOn)
		}
	}
	if expired == 0 {
		t.Fatal("no open check with an expired document among the sandbox's 60: the test holds nothing")
	}
}

func TestListShowsAQueueAsATableOrJSON(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	refreshed(t, f, 60)
	st := f.openStore()
	want, err := st.Page(t.Context(), store.PageQuery{Queue: store.QueueNeedsReview, Limit: 1000})
	if err != nil || len(want) == 0 {
		t.Fatalf("the sandbox's first 60 checks should need some review: %d, %v", len(want), err)
	}
	r := f.must(0, "list", "--json")
	var rows []rowJSON
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if len(rows) != len(want) {
		t.Fatalf("list --json: want the %d checks of needs-review, got %d", len(want), len(rows))
	}
	for i := range rows {
		if rows[i].CheckID != want[i].CheckID {
			t.Fatalf("row %d: want %s in the store's order, got %s", i, want[i].CheckID, rows[i].CheckID)
		}
	}
	r = f.must(0, "list")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != len(want)+1 || !strings.HasPrefix(lines[0], "CHECK ID") {
		t.Fatalf("list: want a header and %d rows, got\n%s", len(want), r.stdout)
	}
	mustContain(t, "list", lines[1], want[0].CheckID, want[0].Document.String())

	r = f.must(0, "list", "--queue", "all", "--json")
	json.Unmarshal([]byte(r.stdout), &rows)
	if len(rows) != 60 {
		t.Errorf("--queue all: want 60, got %d", len(rows))
	}
	r = f.must(0, "list", "--customer", want[0].CustomerID, "--json")
	json.Unmarshal([]byte(r.stdout), &rows)
	if len(rows) == 0 || rows[0].CustomerID != want[0].CustomerID {
		t.Errorf("--customer: got %+v", rows)
	}
}

func TestShowGivesTheWholeResultWithReasonsDecodedAndHistory(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	refreshed(t, f, 40)
	// Index 32 of every hundred has a reason 308 whose description differs
	// from the reference's, in the sandbox's data set.
	id := f.sb.CheckID(32)
	f.must(0, "decide", id, "escalate", "--note", "ask the team")
	rec := f.get(id)
	if rec.Result == nil || len(rec.Result.Confidence.Reasons) == 0 {
		t.Fatalf("check 32 should carry reasons: %+v", rec.Result)
	}
	reason := caisson.DescribeReason(rec.Result.Confidence.Reasons[0])

	r := f.must(0, "show", id)
	mustContain(t, "show", r.stdout,
		"check        "+id,
		"name         "+rec.Result.Info.FullName(),
		"reasons\n",
		reason.Label, reason.Group.String(),
		"dashboard    https://www.caisson.com/request/"+id,
		"escalate by alice", "ask the team",
	)

	r = f.must(0, "show", id, "--json")
	var got showJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if got.CheckID != id || got.Result == nil || got.Result.Reasons[0].Label != reason.Label ||
		len(got.Decisions) != 1 || got.Decisions[0].Reviewer != "alice" || got.Decisions[0].Note != "ask the team" {
		t.Errorf("show --json: got %+v", got)
	}

	pending := f.sb.ErrorCheckID(string(caisson.CodePendingReview))
	f.must(0, "add", pending)
	f.must(0, "refresh", pending) // pending is not a failure
	r = f.must(0, "show", pending)
	mustContain(t, "show of a pending check", r.stdout, "waiting at Caisson: "+caisson.Explain(caisson.ErrPendingReview))
	if strings.Contains(r.stdout, "failed") {
		t.Errorf("a check waiting at Caisson is shown as failed:\n%s", r.stdout)
	}
}

func TestDecideFollowsTheConsolesRules(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := refreshed(t, f, 40)
	st := f.openStore()
	var risky, safe string
	for _, id := range ids {
		rec, err := st.Get(t.Context(), id)
		if err != nil || rec.Result == nil {
			continue
		}
		switch {
		case risky == "" && len(store.ApprovalRisks(rec.Row, rec.Result, rec.FetchedAt)) > 0:
			risky = id
		case safe == "" && rec.Result.Passed() && len(store.ApprovalRisks(rec.Row, rec.Result, rec.FetchedAt)) == 0:
			safe = id
		}
	}
	if risky == "" || safe == "" {
		t.Fatalf("the data set should have a risky and a safe check: %q %q", risky, safe)
	}
	r := f.must(2, "decide", risky, "approve") // a usage error, like a missing note
	mustContain(t, "stderr", r.stderr, "pass --yes to approve it anyway")
	if rec := f.get(risky); len(rec.Decisions) != 0 {
		t.Fatalf("a refused approval was stored: %+v", rec.Decisions)
	}
	f.must(0, "decide", risky, "approve", "--yes")
	r = f.must(0, "decide", safe, "approve")
	mustContain(t, "stdout", r.stdout, "approved "+safe+": decision #2 by alice")
	f.must(2, "decide", safe, "escalate")
	f.must(2, "decide", safe, "escalate", "--note", "   ")
	f.must(0, "decide", safe, "escalate", "--note", "second look")
	rec := f.get(safe)
	if len(rec.Decisions) != 2 || rec.Decisions[1].Action != store.Escalate || rec.Decisions[1].Reviewer != "alice" ||
		rec.Status != store.StatusEscalated {
		t.Fatalf("decisions: %+v, status %s", rec.Decisions, rec.Status)
	}
	f.must(1, "decide", f.sb.CheckID(99), "approve")
}

func TestPurgeDropsPersonalDataAndKeepsDecisions(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := refreshed(t, f, 3)
	f.must(0, "decide", ids[0], "escalate", "--note", "n")
	r := f.must(0, "purge", "--older-than", "30d")
	mustContain(t, "stdout", r.stdout, "purged the personal data of 0 checks")
	r = f.must(0, "purge", "--older-than", "1ns")
	mustContain(t, "stdout", r.stdout, "purged the personal data of 3 checks")
	// A refresh of every check leaves the purged ones purged, and says so;
	// named, a check is fetched again.
	r = f.must(0, "refresh", "--all")
	mustContain(t, "stderr", r.stderr, "skipped 3 checks whose personal data was purged; name them to fetch it again")
	if rec := f.get(ids[1]); rec.Result != nil || rec.PurgedAt.IsZero() {
		t.Fatalf("refresh --all fetched a purged check's data again: result %v, purged at %v", rec.Result, rec.PurgedAt)
	}
	f.must(0, "refresh", ids[0])
	r = f.must(0, "purge", "--older-than", "1ns")
	mustContain(t, "stdout", r.stdout, "purged the personal data of 1 check older")
	rec := f.get(ids[0])
	if rec.Result != nil || rec.PurgedAt.IsZero() || len(rec.Decisions) != 1 {
		t.Fatalf("after purge: result %v, purged at %v, %d decisions", rec.Result, rec.PurgedAt, len(rec.Decisions))
	}
	f.must(0, "export", "--verify")
}

// A purge beside a reader in the middle of a transaction (serve, a
// console) cannot remove the old copy of what it purged from the files:
// it says so after its line, exit 1, and the same purge run again once
// the reader is done finishes it, exit 0.
func TestAPurgeThatCannotScrubTheFilesSaysSo(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	refreshed(t, f, 2)
	db, err := sql.Open("sqlite", f.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRow("SELECT count(*) FROM checks").Scan(&n); err != nil {
		t.Fatal(err)
	}
	r := f.must(1, "purge", "--older-than", "1ns")
	mustContain(t, "stdout", r.stdout, "purged the personal data of 2 checks")
	mustContain(t, "stderr", r.stderr, "an old copy of it is still in the database's files", "run the same purge again later")
	tx.Rollback()
	r = f.must(0, "purge", "--older-than", "1ns")
	mustContain(t, "stdout", r.stdout, "purged the personal data of 0 checks")
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]string{"30d": "720h0m0s", "1d": "24h0m0s", "12h": "12h0m0s", "90m": "1h30m0s"} {
		d, err := parseAge(in)
		if err != nil || d.String() != want {
			t.Errorf("%s: want %s, got %v, %v", in, want, d, err)
		}
	}
	for _, bad := range []string{"", "0d", "-3d", "0s", "30", "d", "3w", "1.5d", "-1h"} {
		if _, err := parseAge(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
	// Too many days says so, not that it must be greater than zero.
	if _, err := parseAge("300000d"); err == nil || !strings.Contains(err.Error(), "expected at most 36500d") {
		t.Errorf("300000d: %v, want it to say the most days taken", err)
	}
}

// A decision that would change nothing is refused, exit 1, saying who
// decided it so and when, the check named once (it was said twice:
// "recording reject on chk_…: chk_…: no change"), nothing written and no
// head printed, since the log did not move (helper-56).
func TestADecisionThatChangesNothingIsRefusedSayingWhoDecidedIt(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := refreshed(t, f, 2)
	id := ids[0]
	f.must(0, "decide", id, "reject", "--note", "the photo is not the person")
	r := f.must(1, "decide", id, "reject", "--note", "again")
	mustContain(t, "stderr", r.stderr, "no change: alice rejected it at ", "(#1); reopen it to decide again; nothing was written")
	if n := strings.Count(r.stderr, id); n != 1 {
		t.Errorf("the refusal names the check %d times:\n%s", n, r.stderr)
	}
	if strings.Contains(r.stderr, "decision log head") {
		t.Errorf("a refused decision printed a head:\n%s", r.stderr)
	}
	if rec := f.get(id); len(rec.Decisions) != 1 {
		t.Errorf("%d decisions after the refusal, want 1", len(rec.Decisions))
	}
	r = f.must(1, "decide", ids[1], "reopen", "--note", "x")
	mustContain(t, "stderr", r.stderr, "no change: it is open, there is nothing to reopen")
}

// show says who dropped a check's personal data: a check Caisson deleted
// read "purged … personal data dropped", and support told a customer
// asking "did you delete my data?" the wrong thing (helper-73).
func TestShowSaysWhoDroppedTheData(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	deleted := f.sb.ErrorCheckID(string(caisson.CodeIDCheckDeleted))
	ids := refreshed(t, f, 1)
	f.must(0, "add", deleted)
	f.run("refresh", deleted)
	r := f.must(0, "show", deleted)
	mustContain(t, "show of a check Caisson deleted", r.stdout, "personal data dropped as Caisson reported the check deleted (IDCHECK_DELETED), decisions kept")
	f.must(0, "purge", "--older-than", "1ns")
	r = f.must(0, "show", ids[0])
	mustContain(t, "show of a purged check", r.stdout, "personal data dropped by purge --older-than, decisions kept")
}

// Support is asked about a customer by the customer's id, and copies
// check ids out of tickets that lower-case them: show says what to do
// rather than only that the text is no check id, or not tracked
// (helper-73).
func TestShowHelpsWithACustomersIDAndAnIDInTheWrongCase(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := refreshed(t, f, 1)
	r := f.run("show", "5728349")
	if r.code != 2 || !strings.Contains(r.stderr, "a customer's id? caisson-review list --customer ID lists that customer's checks") {
		t.Errorf("show of a customer id: want exit 2 with the hint:\n%s", r)
	}
	for _, cut := range []string{"chk_priv_AbCdEf", "sk_live_AbCdEf"} {
		if r := f.run("show", cut); r.code != 2 || strings.Contains(r.stderr, "list --customer") {
			t.Errorf("show %s: want exit 2 without the customer hint:\n%s", cut, r)
		}
	}
	lower := strings.ToLower(strings.TrimPrefix(ids[0], "chk_priv_"))
	if lower == strings.TrimPrefix(ids[0], "chk_priv_") {
		t.Fatal("the fixture's id has no capital to change")
	}
	r = f.run("show", lower)
	if r.code != 1 || !strings.Contains(r.stderr, "is not tracked, but "+ids[0]+" is: check ids are case-sensitive") {
		t.Errorf("show of the id in lower case: want exit 1 naming the tracked id:\n%s", r)
	}
}
