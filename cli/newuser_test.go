package cli

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/store"
)

// listIDs runs list --json for queue and returns the check ids it lists.
func (f *fixture) listIDs(args ...string) []string {
	f.t.Helper()
	r := f.must(0, append([]string{"list", "--json"}, args...)...)
	var rows []rowJSON
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		f.t.Fatalf("list %v: not JSON: %v\n%s", args, err, r.stdout)
	}
	ids := make([]string, len(rows))
	for i, row := range rows {
		ids[i] = row.CheckID
	}
	return ids
}

func TestAddRefusesAnIDTooShortToBeReal(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	r := f.run("add", "chk_priv_a", "chk_xchg_abc", f.sb.CheckID(0)[:30])
	if r.code != 1 {
		t.Fatalf("want exit 1, got\n%s", r)
	}
	mustContain(t, "stdout", r.stdout,
		"argument 1: refused: check id has only 1 characters after the prefix",
		"argument 2: refused: exchange token has only 3 characters after the prefix",
		"argument 3: refused: check id has only 21 characters",
		"expected chk_priv_ (a check id) or chk_xchg_ (an exchange token) followed by 22 or more URL-safe base64 characters",
		"0 added, 0 already there, 3 refused")
	if n, err := f.openStore().Count(t.Context(), store.PageQuery{Queue: store.QueueAll}); err != nil || n != 0 {
		t.Errorf("%d checks stored (%v), want none", n, err)
	}
	if got := len(f.sb.Requests()); got != 0 {
		t.Errorf("the short token reached Caisson (%d requests): it must be refused before", got)
	}
}

// The refresh's summary, the pending queue (Waiting at Caisson) as the
// CLI lists it and the store's counts say the same numbers, and errors
// holds only failures.
func TestRefreshSummaryTheQueuesAndTheCountsAgree(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := f.sb.CheckIDs(60) // 47 answers PENDING_REVIEW, 53 NOT_VERIFIED
	for _, code := range []caisson.ErrorCode{caisson.CodePendingReview, caisson.CodeNotVerified, caisson.CodeIDCheckDeleted, caisson.CodeInternalError} {
		ids = append(ids, f.sb.ErrorCheckID(string(code)))
	}
	f.runStdin(strings.Join(ids, "\n"), "add", "-")
	r := f.must(1, "refresh", "--all")
	m := regexp.MustCompile(`refreshed (\d+) of (\d+) checks, (\d+) not ready at Caisson, (\d+) failed`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no summary line:\n%s", r.stderr)
	}
	notReady, _ := strconv.Atoi(m[3])
	failed, _ := strconv.Atoi(m[4])
	if notReady != 4 || failed != 2 {
		t.Errorf("summary: %d not ready, %d failed; want 4 and 2", notReady, failed)
	}
	counts, err := f.openStore().Counts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		queue string
		want  int
	}{{"pending", notReady}, {"waiting", notReady}, {"errors", failed}} {
		if got := len(f.listIDs("--queue", c.queue)); got != c.want {
			t.Errorf("list --queue %s lists %d checks, the refresh said %d", c.queue, got, c.want)
		}
	}
	if counts[store.QueuePending] != notReady || counts[store.QueueErrors] != failed {
		t.Errorf("Counts: pending %d, errors %d; the refresh said %d not ready, %d failed",
			counts[store.QueuePending], counts[store.QueueErrors], notReady, failed)
	}
	// The list says why each one waits.
	r = f.must(0, "list", "--queue", "pending")
	mustContain(t, "list --queue pending", r.stdout,
		"waiting at Caisson: Caisson's reviewers have it (PENDING_REVIEW)",
		"waiting at Caisson: the person has not finished the check (NOT_VERIFIED)")
}

func TestShowDecideAndRefreshTakeAnIDWithoutItsPrefix(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(1)
	f.must(0, "add", id)
	bare := strings.TrimPrefix(id, "chk_priv_")
	f.must(0, "refresh", bare)
	for _, ref := range []string{bare, "CHK_PRIV_" + bare, " " + id + " "} {
		r := f.must(0, "show", ref)
		mustContain(t, "show "+ref, r.stdout, "check        "+id)
	}
	f.must(0, "decide", bare, "escalate", "--note", "second look")
	if rec := f.get(id); rec.Status != store.StatusEscalated {
		t.Errorf("status %s after deciding by the bare id, want escalated", rec.Status)
	}
	// The case after the prefix is the id's own: another case is another
	// check, which is not tracked.
	other := "chk_priv_" + strings.ToUpper(bare)
	if other != id {
		r := f.must(1, "show", strings.ToUpper(bare))
		mustContain(t, "show in other capitals", r.stderr, other+" is not tracked")
	}
}

func TestListCustomerMatchesExactlyOrByItsStartAndSaysWhich(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := f.sb.CheckIDs(5)
	f.runStdin(strings.Join(ids, "\n"), "add", "-")
	f.must(0, "refresh", "--all")
	full := f.get(ids[0]).CustomerID // "1234567 - Last, First"
	start, _, ok := strings.Cut(full, " ")
	if !ok || start == full {
		t.Fatalf("customer id %q: want a number then a name", full)
	}

	r := f.must(0, "list", "--customer", start)
	mustContain(t, "stdout", r.stdout, ids[0])
	mustContain(t, "stderr", r.stderr, "no customer id is exactly "+start+": 1 check of the 1 customer whose id starts with it")

	r = f.must(0, "list", "--customer", full)
	mustContain(t, "stdout", r.stdout, ids[0])
	mustContain(t, "stderr", r.stderr, "1 check of customer "+full+" (the customer id matched exactly)")

	r = f.must(0, "list", "--customer", "0000000")
	mustContain(t, "stderr", r.stderr, "no checks of customer 0000000: no customer id is 0000000 or starts with it")
	if strings.Contains(r.stderr, "queue all") {
		t.Errorf("the message names the queue, not the customer:\n%s", r.stderr)
	}
	r = f.must(0, "list", "--customer", full, "--queue", "escalated")
	mustContain(t, "stderr", r.stderr, "no checks of customer "+full+" in queue escalated (the customer id matched exactly; its checks are in other queues)")
}

func TestDecideWithoutYesIsAUsageError(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	risky := f.sb.CheckID(2) // document low, face high
	f.must(0, "add", risky)
	f.must(0, "refresh", risky)
	r := f.must(2, "decide", risky, "approve")
	mustContain(t, "stderr", r.stderr, "pass --yes to approve it anyway", "usage: caisson-review decide")
	if rec := f.get(risky); len(rec.Decisions) != 0 {
		t.Fatalf("a refused approval was stored: %+v", rec.Decisions)
	}
}

// Every id the sandbox prints as showing a queue lands in that queue once
// added and refreshed, the first needs review, and the commands it prints
// are the ones that run.
func TestSandboxBannerIDsLandInTheQueuesItNames(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	old := selfCommand
	selfCommand = func() string { return "go run ." }
	t.Cleanup(func() { selfCommand = old })
	var out bytes.Buffer
	(&app{stdout: &out}).printSandboxIntro(f.sb, f.url, f.sb.Len(), "")
	banner := out.String()
	lines := regexp.MustCompile(`(?m)^  (needs-review|pending|errors|all) +(chk_priv_\S+)  \S`).FindAllStringSubmatch(banner, -1)
	if len(lines) < 5 || lines[0][1] != "needs-review" {
		t.Fatalf("want ids for each queue, one needing review first:\n%s", banner)
	}
	var ids []string
	for _, l := range lines {
		ids = append(ids, l[2])
	}
	// "More check ids" adds new ones, not the examples again.
	_, more, _ := strings.Cut(banner, "More check ids:\n")
	more, _, _ = strings.Cut(more, "Exchange tokens")
	for _, id := range ids {
		if strings.Contains(more, id) {
			t.Errorf("More check ids repeats the example %s:\n%s", id, more)
		}
	}
	if n := strings.Count(more, "chk_priv_"); n != 5 {
		t.Errorf("More check ids lists %d ids, want 5:\n%s", n, more)
	}
	mustContain(t, "banner", banner, "from this clone", "  go run . add "+strings.Join(ids, " ")+"\n", "  go run . refresh --all\n")
	f.must(0, append([]string{"add"}, ids...)...)
	f.must(1, "refresh", "--all") // one always fails, to fill errors
	queues := map[string][]string{}
	for _, q := range []string{"needs-review", "pending", "errors", "escalated", "approved", "rejected"} {
		queues[q] = f.listIDs("--queue", q)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		queue, id := l[1], l[2]
		seen[queue] = true
		for q, in := range queues {
			if got, want := slices.Contains(in, id), q == queue; got != want {
				t.Errorf("%s, printed as %s: in %s is %v", id, queue, q, got)
			}
		}
	}
	for _, q := range []string{"needs-review", "pending", "errors"} {
		if !seen[q] {
			t.Errorf("no id printed for %s:\n%s", q, banner)
		}
	}
}

func TestTheBannersCommandsRunFromWhereTheProgramWasStarted(t *testing.T) {
	tests := []struct {
		name, exe, arg0, want string
	}{
		{"go run from a clone", "/tmp/go-build2837465/b001/exe/caisson-review", "/tmp/go-build2837465/b001/exe/caisson-review", "go run ."},
		{"go run with GOTMPDIR", "/home/rita/tmp/go-build1/b001/exe/caisson-review", "caisson-review", "go run ."},
		{"installed on the PATH", "/usr/local/bin/caisson-review", "caisson-review", "caisson-review"},
		{"built in the clone", "/home/rita/caisson-review/caisson-review", "./caisson-review", "./caisson-review"},
		{"a test binary is not go run", "/tmp/go-build1/b001/caisson-review.test", "/tmp/go-build1/b001/caisson-review.test", "/tmp/go-build1/b001/caisson-review.test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := runCommand(tt.exe, tt.arg0); got != tt.want {
				t.Errorf("runCommand(%q, %q) = %q, want %q", tt.exe, tt.arg0, got, tt.want)
			}
		})
	}
}

// A decided check that Caisson then calls not ready stays in its
// decision's queue; the refresh's summary says so, and its numbers still
// match the pending queue's.
func TestRefreshCountsADecidedCheckThatIsNotReadyApart(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	pending, notVerified := f.sb.ErrorCheckID(string(caisson.CodePendingReview)), f.sb.ErrorCheckID(string(caisson.CodeNotVerified))
	f.must(0, "add", pending, notVerified)
	f.must(0, "decide", pending, "escalate", "--note", "ask Caisson")
	r := f.must(0, "refresh", "--all")
	mustContain(t, "stderr", r.stderr,
		"not ready "+pending+": Caisson's own reviewers still have this check: look again later (already escalated: it stays in that queue)",
		"refreshed 0 of 2 checks, 2 not ready at Caisson (1 of them already decided)")
	if got := f.listIDs("--queue", "pending"); !slices.Equal(got, []string{notVerified}) {
		t.Errorf("pending: %v, want only the undecided %s", got, notVerified)
	}
}

func TestAddReadsThePrefixInAnyCase(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(3)
	r := f.must(0, "add", "CHK_PRIV_"+strings.TrimPrefix(id, "chk_priv_"))
	mustContain(t, "stdout", r.stdout, "argument 1: added "+id, "1 added, 0 already there, 0 refused")
	r = f.must(0, "add", id)
	mustContain(t, "stdout", r.stdout, "argument 1: already there "+id)
}

// In a queue that holds none of them, a start that other queues' customer
// ids do have is not reported as matching no customer at all; and an
// empty --customer (an unset shell variable) is a usage error, not a quiet
// needs-review list.
func TestListCustomerByItsStartInAnotherQueueSaysWhereTheyAre(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	f.must(0, "add", id)
	f.must(0, "refresh", id)
	start, _, _ := strings.Cut(f.get(id).CustomerID, " ")

	r := f.must(0, "list", "--customer", start, "--queue", "rejected")
	mustContain(t, "stderr", r.stderr, "no checks in queue rejected of the customers whose id starts with "+start,
		"their checks are in other queues")
	if strings.Contains(r.stderr, "or starts with it") {
		t.Errorf("says no customer id starts so, yet one does:\n%s", r.stderr)
	}

	for _, empty := range []string{"", "  "} {
		r = f.must(2, "list", "--customer", empty)
		mustContain(t, "stderr", r.stderr, "--customer is empty: expected a customer id", "usage: caisson-review list")
		if r.stdout != "" {
			t.Errorf("list --customer %q listed something:\n%s", empty, r.stdout)
		}
	}
}

// With --hostile the banner names checks whose names carry escape
// sequences, each of which does: otherwise a person trying the sanitizer
// would have to add all 200 to find them.
func TestSandboxBannerWithHostileNamesTheChecksThatCarryEscapes(t *testing.T) {
	const header = "Check ids with escape sequences in a name (--hostile)"
	plain := newFixture(t, sandbox.Options{})
	var out bytes.Buffer
	(&app{stdout: &out}).printSandboxIntro(plain.sb, plain.url, plain.sb.Len(), "")
	if strings.Contains(out.String(), header) {
		t.Errorf("without --hostile the banner lists hostile ids:\n%s", out.String())
	}

	f := newFixture(t, sandbox.Options{Hostile: true})
	out.Reset()
	(&app{stdout: &out}).printSandboxIntro(f.sb, f.url, f.sb.Len(), "")
	mustContain(t, "banner", out.String(), header)
	lines := regexp.MustCompile(`(?m)^  (chk_priv_\S+)  last name: (.+)$`).FindAllStringSubmatch(out.String(), -1)
	if len(lines) != 9 {
		t.Fatalf("want one id for each of the 9 hostile pieces, got %d:\n%s", len(lines), out.String())
	}
	var ids []string
	for _, l := range lines {
		ids = append(ids, l[1])
	}
	f.must(0, append([]string{"add"}, ids...)...)
	f.must(0, "refresh", "--all")
	r := f.must(0, "list", "--queue", "all", "--json")
	var rows []rowJSON
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatal(err)
	}
	for _, row := range rows {
		if strings.IndexFunc(row.LastName, func(r rune) bool { return r < 0x20 || r == 0x9b || r == 0x202e }) < 0 {
			t.Errorf("%s, printed as hostile, has a plain last name %q", row.CheckID, row.LastName)
		}
	}
}

// A note the log cannot take (too long, not text) is a mistake in the
// command like a missing one: exit 2, and nothing recorded.
func TestDecideWithANoteTheLogCannotTakeIsAUsageError(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	f.must(0, "add", id)
	for _, c := range []struct{ name, note, want string }{
		{"too long", strings.Repeat("x", store.MaxNote+1), "--note: the note is 4001 bytes: expected at most 4000"},
		{"not UTF-8", "photo \xff", "--note: the note is not valid UTF-8 (byte 7 starts no character): expected text"},
	} {
		r := f.run("decide", id, "reject", "--note", c.note)
		if r.code != 2 {
			t.Errorf("%s: want exit 2, got %d\n%s", c.name, r.code, r.stderr)
		}
		mustContain(t, c.name, r.stderr, c.want, "usage: caisson-review decide")
	}
	if rec := f.get(id); len(rec.Decisions) != 0 {
		t.Fatalf("a refused note was stored: %+v", rec.Decisions)
	}
}

// The API key pasted where an id goes is refused without being repeated
// (runCLI fails the test if any output shows the key).
func TestTheKeyPastedForAnIDIsNotRepeated(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	f.must(0, "add", f.sb.CheckID(0))
	for _, args := range [][]string{{"show", testKey}, {"decide", testKey, "approve"}, {"refresh", testKey}} {
		r := f.must(2, args...)
		mustContain(t, args[0], r.stderr, "looks like a secret API key (sk_…), not a check id")
	}
	r := f.must(2, "list", testKey)
	mustContain(t, "list with an argument", r.stderr, "list takes no arguments: expected only flags")
	bare := strings.TrimPrefix(f.sb.CheckID(0), "chk_priv_")
	r = f.must(2, "list", bare)
	mustContain(t, "list with an id", r.stderr, "did you mean show "+f.sb.CheckID(0)+"?")
}

// show says why an open check is where it is, as list's STATUS does: it
// said "open" of a check waiting at Caisson, and nothing of one Caisson
// passed (helper-60).
func TestShowSaysWhyAnOpenCheckIsWhereItIs(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := refreshed(t, f, 20)
	pending := f.sb.ErrorCheckID(string(caisson.CodePendingReview))
	f.must(0, "add", pending)
	f.run("refresh", pending)
	r := f.must(0, "show", pending)
	mustContain(t, "show of a pending check", r.stdout, "open (waiting at Caisson: Caisson's reviewers have it (PENDING_REVIEW))")
	passed := checksWhere(t, f, ids, 1, "passed checks", func(rec *store.Record) bool { return store.Passed(rec.Row, rec.Result, time.Now()) })[0]
	r = f.must(0, "show", passed)
	mustContain(t, "show of a passed check", r.stdout, "open (Caisson passed it: in all only, nothing to review)")
}

// show --read-only does not send its reader to a refresh it cannot run.
func TestShowReadOnlyDoesNotSuggestARefresh(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	f.must(0, "add", id)
	r := f.must(0, "--read-only", "show", id)
	mustContain(t, "show --read-only", r.stdout, "none cached: a refresh by someone who can write to the database fetches it")
	if strings.Contains(r.stdout, "run caisson-review refresh") {
		t.Errorf("show --read-only suggests a refresh:\n%s", r.stdout)
	}
	mustContain(t, "show", f.must(0, "show", id).stdout, "none cached: run caisson-review refresh "+id)
}
