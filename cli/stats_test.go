package cli

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson/sandbox"
)

// keysOf is the sorted field names of a JSON object.
func keysOf(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// The JSON of stats is a contract (README): its fields, their kinds, and
// each list's elements' fields, whatever the data.
func TestStatsJSONShape(t *testing.T) {
	f := newFixture(t, sandbox.Options{Checks: 40})
	ids := map[sandbox.ExampleKind]string{}
	for _, ex := range f.sb.Examples() {
		ids[ex.Kind] = ex.ID
	}
	f.must(0, "add", ids[sandbox.ExampleRisky], ids[sandbox.ExampleExpired], ids[sandbox.ExamplePassed])
	f.must(0, "refresh", "--all")
	f.must(0, "policy", "set", "sla", "2d", "--note", "contract")
	f.must(0, "decide", ids[sandbox.ExampleRisky], "reject", "--reason", "face-mismatch", "--note", "other person")
	f.must(0, "decide", ids[sandbox.ExamplePassed], "approve")
	r := f.must(0, "stats", "--json")

	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(r.stdout), &top); err != nil {
		t.Fatalf("stats --json is not a JSON object: %v\n%s", err, r.stdout)
	}
	want := []string{"backlog", "decision_reasons", "decisions", "now", "outcomes", "overdue", "queues", "reason_codes", "since", "sla_hours", "waits"}
	if got := keysOf(t, []byte(r.stdout)); !reflect.DeepEqual(got, want) {
		t.Fatalf("stats --json fields %v, expected %v", got, want)
	}
	elements := map[string][]string{
		"backlog":          {"day", "waiting"},
		"decisions":        {"action", "count", "day", "reviewer"},
		"waits":            {"decided", "median_seconds", "p90_seconds", "week"},
		"reason_codes":     {"code", "count", "label"},
		"decision_reasons": {"action", "count", "reason"},
		"outcomes":         {"approved", "document", "escalated", "face", "rejected"},
	}
	for field, keys := range elements {
		var list []json.RawMessage
		if err := json.Unmarshal(top[field], &list); err != nil {
			t.Fatalf("%s is not a list: %s", field, top[field])
		}
		if len(list) == 0 {
			t.Errorf("%s is empty; the fixture gives it entries", field)
		}
		for _, e := range list {
			if got := keysOf(t, e); !reflect.DeepEqual(got, keys) {
				t.Errorf("an element of %s has fields %v, expected %v", field, got, keys)
			}
		}
	}
	var queues map[string]int
	if err := json.Unmarshal(top["queues"], &queues); err != nil {
		t.Fatal(err)
	}
	wantQueues := map[string]int{"needs-review": 1, "pending": 0, "second-review": 0, "escalated": 0, "approved": 1, "rejected": 1, "errors": 0, "all": 3}
	if !reflect.DeepEqual(queues, wantQueues) {
		t.Errorf("queues %v, expected %v", queues, wantQueues)
	}
	mustContain(t, "stats --json", r.stdout, `"sla_hours": 48,`, `"overdue": 0,`, `"reviewer": "alice"`,
		`"action": "reject",`, `"reason": "face-mismatch",`, `"median_seconds": `, `"waiting": 1`)
	if len(strings.Split(string(top["backlog"]), `"day"`)) != 31 {
		t.Errorf("backlog has not 30 days: %s", top["backlog"])
	}
}

// A --since after now is bad input, as a malformed one is: a usage
// error, exit 2 (it was 1, a failure), saying what was expected.
func TestStatsSinceAfterNowIsAUsageError(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	refreshed(t, f, 1)
	future := time.Now().AddDate(1, 0, 0).Format(time.DateOnly)
	r := f.must(2, "stats", "--since", future)
	mustContain(t, "stderr", r.stderr, "--since "+future+": expected a time before now")
	f.must(2, "stats", "--since", "yesterday")
	f.must(0, "stats", "--since", time.Now().AddDate(0, 0, -1).Format(time.DateOnly))
}
