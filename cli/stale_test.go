package cli

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
)

// setNow moves the commands' clock for the rest of the test.
func setNow(t *testing.T, at time.Time) {
	t.Helper()
	old := now
	now = func() time.Time { return at }
	t.Cleanup(func() { now = old })
}

func TestRefreshStaleRefetchesOnlyChecksLastFetchedLongerAgo(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := f.sb.CheckIDs(3)
	deleted := f.sb.ErrorCheckID(string(caisson.CodeIDCheckDeleted))
	f.must(0, append([]string{"add", deleted}, ids...)...)
	start := time.Now()
	setNow(t, start)
	f.must(1, "refresh", ids[0], ids[1], deleted) // the deleted one fails
	// A week and a day later, the third is fetched for the first time.
	setNow(t, start.Add(8*24*time.Hour))
	f.must(0, "refresh", ids[2])

	f.sb.ResetRequests()
	r := f.must(0, "refresh", "--stale", "7d")
	var asked []string
	for _, req := range f.sb.Requests() {
		asked = append(asked, req.CheckID)
	}
	slices.Sort(asked)
	want := []string{ids[0], ids[1]}
	slices.Sort(want)
	if !slices.Equal(asked, want) {
		t.Errorf("refresh --stale 7d asked for %v, expected only the two fetched 8 days ago %v", asked, want)
	}
	if got := strings.TrimSpace(r.stderr); got != "refreshed 2 of 2 checks" {
		t.Errorf("stderr = %q, expected the two refreshed", r.stderr)
	}
	// Just refreshed, none is stale any more, at one second under 7 days
	// either.
	setNow(t, start.Add(15*24*time.Hour-time.Second))
	f.sb.ResetRequests()
	r = f.must(0, "refresh", "--stale", "7d")
	if n := len(f.sb.Requests()); n != 0 || !strings.Contains(r.stderr, "no check was last fetched more than 7d ago") {
		t.Errorf("%d requests, stderr %q: expected nothing stale", n, r.stderr)
	}
}
