package cli

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/caisson-review/caisson-review/caisson/sandbox"
)

// list --sort orders a queue as the console's s does; without it, riskiest
// first as before.
func TestListSortsAsTheConsoleDoes(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ex := f.sb.Examples()
	risky, passed := ex[0].ID, ex[2].ID // a confidence below high; both high
	f.must(0, "add", passed)
	f.must(0, "add", risky)
	f.must(0, "refresh", "--all")
	order := func(args ...string) []string {
		var rows []rowJSON
		r := f.must(0, append([]string{"list", "--queue", "all", "--json"}, args...)...)
		if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		var ids []string
		for _, row := range rows {
			ids = append(ids, row.CheckID)
		}
		return ids
	}
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"riskiest first by default", nil, []string{risky, passed}},
		{"risk", []string{"--sort", "risk"}, []string{risky, passed}},
		{"most recently added first", []string{"--sort", "added"}, []string{risky, passed}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := order(c.args...); !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
	// The other way round by time added: passed was added first.
	f.must(0, "add", ex[1].ID)
	if got := order("--sort", "added"); len(got) != 3 || got[0] != ex[1].ID {
		t.Errorf("--sort added: the last added is not first: %v", got)
	}
	if got := order("--sort", "risk"); got[len(got)-1] != passed {
		t.Errorf("--sort risk: the passed check is not last: %v", got)
	}
}
