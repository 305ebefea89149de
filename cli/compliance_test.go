package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/store"
)

// asAccount makes the following runs vouched for as another OS account.
func asAccount(t *testing.T, login string) {
	t.Helper()
	old := testIdentity
	t.Cleanup(func() { testIdentity = old })
	testIdentity = store.Identity{Kind: store.IdentityOS, ID: "uid=" + map[string]string{"alice": "1001", "bob": "1002"}[login] + ",login=" + login}
}

// riskyCheck refreshes a few sandbox checks and returns one that the
// risky policy sends to a second reviewer.
func riskyCheck(t *testing.T, f *fixture) string {
	t.Helper()
	ids := refreshed(t, f, 20)
	st := f.openStore()
	for _, id := range ids {
		rec, err := st.Get(t.Context(), id)
		if err == nil && rec.Result != nil && len(store.FourEyesRisks(rec.Row, rec.Result, rec.FetchedAt)) > 0 {
			return id
		}
	}
	t.Fatal("the data set should have a risky check")
	return ""
}

func exportRecords(t *testing.T, f *fixture) []map[string]string {
	t.Helper()
	r := f.must(0, "export", "--format", "csv")
	records, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, rec := range records[1:] {
		m := map[string]string{}
		for i, col := range records[0] {
			m[col] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

func TestFourEyesThroughTheCommandLine(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := riskyCheck(t, f)
	asAccount(t, "alice")
	r := f.must(0, "policy", "show")
	mustContain(t, "policy show", r.stdout, "four-eyes: off (the default")
	f.must(2, "policy", "set", "four-eyes", "risky")
	f.must(2, "policy", "set", "four-eyes", "sometimes", "--note", "x")
	f.must(2, "policy", "set", "two-eyes", "risky", "--note", "x")
	r = f.must(0, "policy", "set", "four-eyes", "risky", "--note", "audit finding 12")
	mustContain(t, "policy set", r.stdout, "four-eyes: risky (was off; set by alice [os:uid=1001,login=alice]", "audit finding 12")
	mustContain(t, "policy set", r.stderr, "decision log head 1:")

	r = f.must(0, "decide", id, "approve", "--yes")
	mustContain(t, "decide approve", r.stdout, "proposed approving "+id, "awaits a second reviewer")
	r = f.must(0, "show", id)
	mustContain(t, "show of a proposed check", r.stdout, "alice proposed approving", "awaits a second reviewer",
		"propose approve by alice [os:uid=1001,login=alice]")
	r = f.must(0, "list", "--queue", "second-review")
	mustContain(t, "list second-review", r.stdout, id, "awaiting a second reviewer")
	r = f.must(1, "decide", id, "confirm")
	// One line, the decision and the check named once (it was
	// "recording the decision: recording confirm on chk_…: chk_…: …").
	said := "caisson-review: recording confirm on " + id + ": a proposal must be confirmed or returned by a second reviewer: you (os:uid=1001,login=alice) proposed it (#2); another reviewer must confirm it\n"
	if r.stderr != said {
		t.Errorf("the proposer confirming said\n%q\nwant\n%q", r.stderr, said)
	}
	// Another display name does not make another reviewer.
	r = runCLI(t, withEnv(f.env, envReviewer, "bob"), "", "decide", id, "confirm")
	if r.code != 1 {
		t.Fatalf("the proposer under another name confirming: %s", r)
	}

	asAccount(t, "bob")
	f.env[envReviewer] = "bob"
	f.must(2, "decide", id, "return")
	r = f.must(0, "decide", id, "confirm")
	mustContain(t, "confirm", r.stdout, "confirmed: approved "+id+" as alice proposed (#2)")
	r = f.must(1, "decide", id, "confirm")
	mustContain(t, "a second confirmation", r.stderr, "already confirmed by bob", "nothing was written")
	if rec := f.get(id); rec.Status != store.StatusApproved {
		t.Errorf("status after the confirmation: %s", rec.Status)
	}
	var actions []string
	for _, rec := range exportRecords(t, f) {
		actions = append(actions, rec["action"]+":"+rec["identity"]+":"+rec["new_value"]+rec["proposes"])
	}
	want := "policy:os:uid=1001,login=alice:risky propose:os:uid=1001,login=alice:approve confirm:os:uid=1002,login=bob:approve"
	if got := strings.Join(actions, " "); got != want {
		t.Errorf("export: %s\nwant %s", got, want)
	}
	r = f.must(0, "export", "--verify")
	mustContain(t, "verify", r.stdout, "3 entries")
}

func TestReturningAProposalFromTheCommandLine(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := riskyCheck(t, f)
	asAccount(t, "alice")
	f.must(0, "policy", "set", "four-eyes", "approvals", "--note", "all approvals")
	f.must(0, "decide", id, "approve", "--yes")
	asAccount(t, "bob")
	r := f.must(0, "decide", id, "return", "--note", "selfie is a photo of a photo")
	mustContain(t, "return", r.stdout, "returned "+id+" to needs review")
	r = f.must(0, "list")
	mustContain(t, "needs review", r.stdout, id)
}

func TestRejectReasonsThroughTheCommandLine(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := refreshed(t, f, 4)
	r := f.must(2, "decide", ids[0], "reject", "--reason", "bad-vibes", "--note", "x")
	mustContain(t, "an unknown reason", r.stderr, `reject reason "bad-vibes": expected one of document-altered, document-unreadable, document-expired, face-mismatch`)
	f.must(2, "decide", ids[0], "approve", "--reason", "other")
	f.must(2, "decide", ids[0], "reject", "--final", "--retry", "--note", "x")
	f.must(2, "decide", ids[0], "escalate", "--retry", "--note", "x")
	f.must(2, "decide", ids[0], "escalate", "--reason", "face-mismatch", "--note", "x")
	f.must(0, "decide", ids[0], "reject", "--reason", "face-mismatch", "--retry", "--note", "not the same person")
	f.must(0, "decide", ids[1], "reject", "--note", "an old script's reject")
	f.must(0, "decide", ids[2], "escalate", "--reason", "needs-customer-contact", "--note", "call her")
	got := exportRecords(t, f)
	want := []string{"face-mismatch/retry", "other/final", "needs-customer-contact/"}
	for i, w := range want {
		if g := got[i]["reason"] + "/" + got[i]["finality"]; g != w {
			t.Errorf("decision %d exported reason %s, want %s", i+1, g, w)
		}
	}
	r = f.must(0, "export", "--format", "json")
	var entries []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &entries); err != nil || entries[0]["reason"] != "face-mismatch" || entries[0]["finality"] != "retry" {
		t.Errorf("JSON export: %v %v", entries, err)
	}
}

func TestShowListJSONAndExportAreInTheAccessLog(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := refreshed(t, f, 3)
	asAccount(t, "alice")
	f.must(0, "decide", ids[0], "escalate", "--note", "look")
	f.must(0, "show", ids[0])
	f.must(0, "list", "--queue", "all")           // names only: not an access
	f.must(0, "list", "--queue", "all", "--json") // customer ids and names
	f.must(0, "export")
	r := f.must(0, "access", "--format", "json")
	var recs []accessJSON
	if err := json.Unmarshal([]byte(r.stdout), &recs); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	count := map[string]int{}
	for _, a := range recs {
		count[a.What]++
		if a.Identity != "os:uid=1001,login=alice" || a.Reviewer != "alice" || a.Origin != "cli" {
			t.Errorf("record %+v", a)
		}
	}
	if count["show"] != 1 || count["list"] != 3 || count["export"] != 1 || len(recs) != 5 {
		t.Errorf("records by what: %v, want show 1, list 3 (one per check), export 1", count)
	}
	r = f.must(0, "access", "--check", ids[0])
	if lines := strings.Count(r.stdout, "\r\n"); lines != 4 { // header, show, list, export
		t.Errorf("access --check: %d lines\n%s", lines, r.stdout)
	}
	mustContain(t, "access CSV", r.stdout, "time,identity,reviewer,check_id,what,origin,address")
	r = f.must(0, "--reviewer", "nobody", "access")
	if strings.Count(r.stdout, "\r\n") != 1 {
		t.Errorf("access --reviewer nobody:\n%s", r.stdout)
	}
	f.must(2, "access", "--format", "xml")
	f.must(2, "access", "--since", "yesterday")
}

// A check never fetched holds no personal data: showing it, or listing
// it as JSON, is no access, and the log is not filled with records of
// nothing (a list --json of every check of a large store wrote one for
// each).
func TestShowingACheckWithoutPersonalDataIsNoAccess(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	fetched := refreshed(t, f, 2)
	never := f.sb.CheckID(40)
	f.must(0, "add", never)
	asAccount(t, "alice")
	f.must(0, "show", never)
	f.must(0, "show", never, "--json")
	f.must(0, "list", "--queue", "all", "--json")
	r := f.must(0, "access", "--format", "json")
	var recs []accessJSON
	if err := json.Unmarshal([]byte(r.stdout), &recs); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	var got []string
	for _, a := range recs {
		got = append(got, a.What+" "+a.CheckID)
	}
	want := []string{"list " + fetched[0], "list " + fetched[1]}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("access records %v, want the list of the two fetched checks only", got)
	}
}

// Turning four-eyes off voids the proposals awaiting a second reviewer,
// each with its own entry after the policy entry: the head the command
// prints, which compliance keeps, is the last of them, the log's.
func TestTurningFourEyesOffPrintsTheHeadAfterItsVoids(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := riskyCheck(t, f)
	asAccount(t, "alice")
	f.must(0, "policy", "set", "four-eyes", "risky", "--note", "audit finding 12")
	r := f.must(0, "decide", id, "approve", "--yes")
	mustContain(t, "decide approve", r.stdout, "proposed approving "+id)
	r = f.must(0, "policy", "set", "four-eyes", "off", "--note", "the audit is over")
	head, err := f.openStore().Head(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := loggedHead(t, r); got != head.String() || head.Seq != 4 {
		t.Errorf("policy set four-eyes off printed head %s; the log's is %s (4: the policy entry, then its void)", got, head)
	}
}

// access --customer with an id no check has exactly (its start, a typo)
// lists nothing, and says why on stderr: an empty report must not read as
// "nobody looked at this customer".
func TestAccessForACustomerIDNoCheckHasSaysSo(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := refreshed(t, f, 3)
	f.must(0, "show", ids[0])
	customer, err := f.openStore().CustomerID(t.Context(), ids[0])
	if err != nil || len(customer) < 4 {
		t.Fatalf("customer of %s: %q, %v", ids[0], customer, err)
	}
	r := f.must(0, "access", "--customer", customer)
	mustContain(t, "access by the whole id", r.stdout, ids[0])
	if strings.Contains(r.stderr, "no check has") {
		t.Errorf("a note for a customer id that matched:\n%s", r)
	}
	start := customer[:3]
	r = f.must(0, "access", "--customer", start)
	if strings.Contains(r.stdout, ids[0]) {
		t.Errorf("access by a customer id's start listed its records:\n%s", r)
	}
	mustContain(t, "access by a start", r.stderr, "no check has the customer id "+start+" exactly", "list --customer "+start)
	r = f.must(0, "access", "--customer", "no-such-customer")
	mustContain(t, "access by an unknown id", r.stderr, "no check has the customer id no-such-customer, so no access record is listed")
}

// A filter given empty (an unset shell variable) is a usage error, not the
// whole log as if it were that customer's or that check's; a customer id
// with spaces pasted around it is the customer id; a check not tracked is
// said to be (helper-60, helper-61).
func TestAccessFiltersGivenEmptyPastedOrMistyped(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := refreshed(t, f, 3)
	f.must(0, "show", ids[0])
	customer, err := f.openStore().CustomerID(t.Context(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"access", "--customer", ""}, {"access", "--check", " "}, {"access", "--since", ""},
		{"export", "--since", ""}, {"stats", "--since", ""},
	} {
		r := f.run(args...)
		if r.code != 2 || r.stdout != "" {
			t.Errorf("%q: exit %d, want 2 and nothing listed:\n%s", args, r.code, r)
		}
		mustContain(t, fmt.Sprint(args), r.stderr, "is empty: expected")
	}
	r := f.must(0, "access", "--customer", " "+customer+" ")
	mustContain(t, "access by a pasted customer id", r.stdout, ids[0])
	r = f.must(0, "list", "--customer", customer+" ")
	mustContain(t, "list by a pasted customer id", r.stdout, ids[0])
	untracked := f.sb.CheckID(5)
	r = f.must(0, "access", "--check", untracked)
	mustContain(t, "access of an untracked check", r.stderr, untracked+" is not tracked here")
	r = f.must(0, "access", "--check", ids[0])
	if strings.Contains(r.stderr, "not tracked") || !strings.Contains(r.stdout, ids[0]) {
		t.Errorf("access of a tracked check:\n%s", r)
	}
}

// A --reviewer no record has says so on stderr, as a customer id does:
// under serve a reviewer's name is "user (SHA256:…, comment)", and
// --reviewer alice listed nothing for alice's sessions without a word
// (helper-59).
func TestAccessForAReviewerNoRecordHasSaysSo(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := refreshed(t, f, 2)
	f.must(0, "show", ids[0])
	r := f.must(0, "--reviewer", "alice", "access")
	mustContain(t, "access by alice", r.stdout, ids[0])
	if strings.Contains(r.stderr, "no access record has") {
		t.Errorf("a note for a reviewer who matched:\n%s", r)
	}
	r = f.must(0, "--reviewer", "bob", "access")
	if strings.Contains(r.stdout, ids[0]) {
		t.Errorf("bob's records list alice's:\n%s", r)
	}
	mustContain(t, "access by bob", r.stderr, "no access record has the reviewer bob exactly", "ssh:SHA256:")
}

// A passed check (both confidences high, the document in date) whose
// approval was proposed and returned is open and waiting again, but in no
// queue to review: the command says where it is rather than "to needs
// review", where no reviewer would find it.
func TestReturningTheProposalOfAPassedCheckSaysWhereItWaits(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := checksWhere(t, f, refreshed(t, f, 20), 1, "passed checks", func(rec *store.Record) bool {
		return rec.Result != nil && rec.Outcome == store.OutcomeOK && rec.Document == caisson.High && rec.Face == caisson.High &&
			(rec.ExpiresOn.IsZero() || !rec.ExpiresOn.Before(time.Now()))
	})[0]
	asAccount(t, "alice")
	f.must(0, "policy", "set", "four-eyes", "approvals", "--note", "all approvals")
	f.must(0, "decide", id, "approve")
	asAccount(t, "bob")
	r := f.must(0, "decide", id, "return", "--note", "the address does not match the account")
	mustContain(t, "return", r.stdout, "returned "+id+" (Caisson passed it: it waits in all, not needs review), not approved as alice proposed")
	if strings.Contains(r.stdout, "to needs review") {
		t.Errorf("said it went back to needs review:\n%s", r.stdout)
	}
	if r := f.must(0, "list"); strings.Contains(r.stdout, id) {
		t.Errorf("the passed check is in needs review after all; the message is wrong:\n%s", r.stdout)
	}
	// It does wait for a reviewer: the return started its wait.
	r = f.must(0, "show", id, "--json")
	mustContain(t, "show --json", r.stdout, `"reviewable_at"`)
}

// A return says where the check went back to, and only a check with a
// result to review starts waiting for a reviewer: "returned … to needs
// review" was said of a check still escalated, one waiting at Caisson and
// one with no result, and the last two were counted waiting (and went
// overdue) in queues where no reviewer could act on them (helper-61).
func TestAReturnSaysWhereTheCheckWentBack(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := refreshed(t, f, 20)
	pending, failed := f.sb.ErrorCheckID(string(caisson.CodePendingReview)), f.sb.ErrorCheckID(string(caisson.CodeIDCheckExpired))
	f.must(0, "add", pending, failed)
	f.run("refresh", pending, failed)
	risky := checksWhere(t, f, ids, 2, "risky open checks", riskyOpen)
	escalated, open := risky[0], risky[1]
	asAccount(t, "alice")
	f.must(0, "decide", escalated, "escalate", "--note", "for a senior")
	f.must(0, "policy", "set", "four-eyes", "risky", "--note", "a team")
	for _, id := range []string{escalated, open, pending, failed} {
		f.must(0, "decide", id, "approve", "--yes", "--note", "seen the documents")
	}
	asAccount(t, "bob")
	for _, c := range []struct {
		id, says string
		waits    bool
	}{
		// Its wait ended with the escalation, which keeps its start.
		{escalated, "returned " + escalated + " (it stays escalated: that decision stands), not approved", true},
		{open, "returned " + open + " to needs review, not approved", true},
		{pending, "returned " + pending + " to pending (waiting at Caisson: nothing to review until Caisson gives a result), not approved", false},
		{failed, "returned " + failed + " (it has no result to review: it is in all, and in errors if its last fetch failed), not approved", false},
	} {
		r := f.must(0, "decide", c.id, "return", "--note", "not yet")
		mustContain(t, "return", r.stdout, c.says)
		r = f.must(0, "show", c.id, "--json")
		if waits := strings.Contains(r.stdout, `"reviewable_at"`); waits != c.waits {
			t.Errorf("%s: waiting for a reviewer after the return = %v, want %v:\n%s", c.id, waits, c.waits, r.stdout)
		}
	}
	if r := f.must(0, "list", "--queue", "escalated"); !strings.Contains(r.stdout, escalated[len(escalated)-6:]) {
		t.Errorf("the escalated check is not in escalated:\n%s", r.stdout)
	}
}

// A purge empties a check's personal data but keeps the decisions' notes,
// free text about the person: showing them is still an access.
func TestShowingAPurgedCheckWithANoteIsAnAccess(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := refreshed(t, f, 2)
	asAccount(t, "alice")
	f.must(0, "decide", ids[0], "escalate", "--note", "name on the ID differs from the account")
	f.must(0, "purge", "--older-than", "1ns")
	r := f.must(0, "show", ids[0])
	mustContain(t, "show of a purged check", r.stdout, "name on the ID differs")
	f.must(0, "show", ids[1]) // purged, no note: nothing of the person
	r = f.must(0, "access", "--format", "json")
	var recs []accessJSON
	if err := json.Unmarshal([]byte(r.stdout), &recs); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(recs) != 1 || recs[0].CheckID != ids[0] || recs[0].What != "show" {
		t.Errorf("access records %+v, want the one show of the purged check with a note", recs)
	}
}

// refresh and purge print the log's head when they appended to it (the
// voids of the proposals they ended), as decide and policy do: a cron job
// keeping each head as a witness saw none of them (helper-61); and print
// none when they did not.
func TestRefreshAndPurgePrintTheHeadWhenTheyVoid(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := refreshed(t, f, 50) // the 48th waits at Caisson
	pending := checksWhere(t, f, ids, 1, "checks waiting at Caisson", func(rec *store.Record) bool { return rec.Outcome.NotReady() })[0]
	risky := checksWhere(t, f, ids, 1, "risky open checks", riskyOpen)[0]
	asAccount(t, "alice")
	f.must(0, "policy", "set", "four-eyes", "risky", "--note", "a team")
	f.must(0, "decide", pending, "approve", "--yes")
	f.must(0, "decide", risky, "approve", "--yes")
	if r := f.run("refresh", risky); strings.Contains(r.stderr, "decision log head") {
		t.Errorf("a refresh that voided nothing printed a head:\n%s", r.stderr)
	}
	f.sb.Answer(pending)
	r := f.run("refresh", pending)
	head := headOf(t, f)
	mustContain(t, "refresh", r.stderr, "decision log head "+head)
	r = f.must(0, "purge", "--older-than", "1ns")
	if head2 := headOf(t, f); head2 == head {
		t.Fatal("the purge voided no proposal: the test shows nothing")
	} else {
		mustContain(t, "purge", r.stderr, "decision log head "+head2)
	}
}

func headOf(t *testing.T, f *fixture) string {
	t.Helper()
	st := f.openStore()
	defer st.Close()
	h, err := st.Head(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// A return on a check whose cached response no longer decodes is recorded,
// and says nothing of where the check went rather than something wrong
// (helper-62: the record could not be read, and the line said it had no
// result to review).
func TestAReturnOnACheckThatCannotBeReadDoesNotSayWhereItWent(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := checksWhere(t, f, refreshed(t, f, 20), 1, "risky open checks", riskyOpen)[0]
	asAccount(t, "alice")
	f.must(0, "policy", "set", "four-eyes", "risky", "--note", "a team")
	f.must(0, "decide", id, "approve", "--yes")
	undecodable(t, f, id)
	asAccount(t, "bob")
	r := f.must(0, "decide", id, "return", "--note", "cannot read it")
	// Nor could the proposal be read: its number, not its proposer, is said.
	mustContain(t, "return", r.stdout, "returned "+id+" (where it is now could not be read: see show), not approved as proposed (#")
}
