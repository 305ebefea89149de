package cli

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/store"
	"github.com/caisson-review/caisson-review/tui"
)

// readme is README.md with every run of white space made one space, so a
// claim can be looked up whatever the line breaks.
func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(strings.Fields(string(b)), " ")
}

// The README's exit statuses, each claim beside a run that shows it. A
// claim reworded in the README fails here until this table follows it.
func TestTheREADMEsExitStatusesHold(t *testing.T) {
	text := readme(t)
	f := newFixture(t, sandbox.Options{})
	risky, pending, deleted := f.sb.CheckID(2), f.sb.ErrorCheckID(string(caisson.CodePendingReview)), f.sb.ErrorCheckID(string(caisson.CodeIDCheckDeleted))
	f.must(0, "add", risky, pending, deleted)
	tests := []struct {
		claim string
		args  []string
		code  int
	}{
		{"Exit status: 0 success, 1 failure (the reasons are listed), 2 usage error", []string{"list", "--queue", "someday"}, 2},
		{"2 usage error (a missing or malformed argument,", []string{"show", "12345"}, 2},
		{"a missing note,", []string{"decide", risky, "reject"}, 2},
		{"approving a risky check without `--yes`)", []string{"decide", risky, "approve"}, 2},
		{"either missing is a usage error, exit 2", []string{"decide", risky, "escalate"}, 2},
		{"An unknown reason is a usage error, exit 2, listing the valid ones", []string{"decide", risky, "reject", "--reason", "vibes", "--note", "x"}, 2},
		{"a change is an entry in the decision log (who, when, old, new, why)", []string{"policy", "set", "four-eyes", "risky"}, 2}, // no --note
		{"exit 1 if any was refused or not exchanged yet", []string{"add", "chk_priv_tooShort"}, 1},
		{"are listed as not ready, which is not a failure, so a cron job does not alert on them", []string{"refresh", pending}, 0},
		{"every failure listed with its reason, exit 1 if any", []string{"refresh", deleted}, 1},
		{"one check (the id with or without `chk_priv_`) in full", []string{"show", strings.TrimPrefix(risky, "chk_priv_")}, 0},
		{"A file named by `--config` or `CAISSON_REVIEW_CONFIG` that is not there is an error, exit 1", []string{"--config", "/nonexistent/config.toml", "list"}, 1},
		{"Every mistake is an error naming the file and the line, all of them at once, and the command does not run (exit 1)", []string{"--config", "../README.md", "list"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.claim, func(t *testing.T) {
			if !strings.Contains(text, tt.claim) {
				t.Fatalf("the README no longer says %q: update this test with it", tt.claim)
			}
			f.must(tt.code, tt.args...)
		})
	}
}

// Every queue name the README gives is one the program takes, and every
// queue the program has is in the README.
func TestTheREADMEsQueueNamesAreThePrograms(t *testing.T) {
	text := readme(t)
	sentence := regexp.MustCompile("Queue names for `--queue`: ([^.]*)\\.").FindStringSubmatch(text)
	if sentence == nil {
		t.Fatal("the README no longer lists the queue names")
	}
	var names []string
	for _, m := range regexp.MustCompile("`([a-z-]+)`").FindAllStringSubmatch(sentence[1], -1) {
		names = append(names, m[1])
		if _, err := store.ParseQueue(m[1]); err != nil {
			t.Errorf("the README names queue %q, the program refuses it: %v", m[1], err)
		}
	}
	for _, q := range store.Queues {
		if !slices.Contains(names, string(q)) {
			t.Errorf("queue %s is not in the README's list %v", q, names)
		}
	}
}

// The README's queue rules: Waiting at Caisson holds PENDING_REVIEW and
// NOT_VERIFIED, Errors only failures, and a reviewer's decision wins.
func TestTheREADMEsQueueRulesHold(t *testing.T) {
	text := readme(t)
	for _, claim := range []string{
		"**Waiting at Caisson** (Caisson has no result for it yet, with the reason: its own reviewers have it, `PENDING_REVIEW`, or the person has not finished, `NOT_VERIFIED`",
		"**Errors** (the last fetch failed: anything but a result or those two answers)",
		"A check is in one of the first five at most. A reviewer's decision wins: a decided check is in its decision's queue only",
	} {
		if !strings.Contains(text, claim) {
			t.Fatalf("the README no longer says %q: update this test with it", claim)
		}
	}
	f := newFixture(t, sandbox.Options{})
	pending, notVerified := f.sb.ErrorCheckID(string(caisson.CodePendingReview)), f.sb.ErrorCheckID(string(caisson.CodeNotVerified))
	f.must(0, "add", pending, notVerified)
	f.must(0, "refresh", "--all")
	if got := f.listIDs("--queue", "pending"); len(got) != 2 {
		t.Errorf("waiting at Caisson: %v, want both", got)
	}
	if got := f.listIDs("--queue", "errors"); len(got) != 0 {
		t.Errorf("errors: %v, want none", got)
	}
	f.must(0, "decide", pending, "approve", "--yes")
	if got := f.listIDs("--queue", "pending"); !slices.Equal(got, []string{notVerified}) {
		t.Errorf("waiting after approving one: %v, want only %s", got, notVerified)
	}
	if got := f.listIDs("--queue", "approved"); !slices.Equal(got, []string{pending}) {
		t.Errorf("approved: %v, want %s", got, pending)
	}
}

// The README's filter rule, against the store the console and the CLI
// both read: names and customer ids in any case, ids by their start with
// the prefix in any case and the rest exactly.
func TestTheREADMEsFilterRuleHolds(t *testing.T) {
	text := readme(t)
	const claim = "customer id or name anywhere, in any case; a check id by its start (two characters or more, or `chk_priv_` and more), the prefix in any case and the rest exactly as written"
	if !strings.Contains(text, claim) {
		t.Fatalf("the README no longer says %q: update this test with it", claim)
	}
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(1)
	f.must(0, "add", id)
	f.must(0, "refresh", id)
	rec := f.get(id)
	body := strings.TrimPrefix(id, "chk_priv_")
	st := f.openStore()
	finds := func(filter string) bool {
		rows, err := st.Page(t.Context(), store.PageQuery{Queue: store.QueueAll, Filter: filter})
		if err != nil {
			t.Fatal(err)
		}
		return len(rows) == 1 && rows[0].CheckID == id
	}
	swapped := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, body[:6])
	for _, c := range []struct {
		filter string
		want   bool
	}{
		{strings.ToUpper(rec.LastName), true},
		{strings.ToLower(rec.LastName), true},
		{strings.ToLower(rec.CustomerID[3:9]), true},
		{body[:2], true},
		{"CHK_PRIV_" + body[:4], true},
		{"chk_priv_" + body[:1], true},
		{swapped, swapped == body[:6]},
	} {
		if got := finds(c.filter); got != c.want {
			t.Errorf("filter %q finds %s: %v, want %v", c.filter, id, got, c.want)
		}
	}
}

// The README's list of the actions [keys] takes is the console's whole
// list: confirm and return were missing from it (helper-56).
func TestTheREADMEListsEveryKeyAction(t *testing.T) {
	text := readme(t)
	start := strings.Index(text, "`[keys]` takes the actions")
	end := strings.Index(text[max(start, 0):], ");")
	if start < 0 || end < 0 {
		t.Fatal("the README no longer lists the actions [keys] takes")
	}
	list := text[start : start+end]
	for _, name := range tui.ActionNames() {
		if !strings.Contains(list, "`"+name+"`") {
			t.Errorf("the README's list of [keys] actions lacks %s", name)
		}
	}
}
