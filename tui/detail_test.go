package tui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// handMadeCheck is a result with everything the detail pane decodes: an
// expired document without reason 308, a reason whose API text differs
// from the reference, an unknown code, and a time in another zone. It is
// decoded from a body, as the store keeps and re-reads the body; version
// changes the body without changing what it says.
func handMadeCheck(t *testing.T, id string, version int) *caisson.Check {
	t.Helper()
	body := fmt.Sprintf(`{"check_id": %q, "customer_id": "cust-42", "checked_on": "2026-11-20T15:00:42-04:00",
		"confidence": {"document": "medium", "face": "low", "reasons": [
			{"code": 201, "description": "Selfie off-centre"},
			{"code": 777, "description": "Hologram not detected"},
			{"code": 301, "description": ""}]},
		"info": {"first_name": "JAMIE", "last_name": "DOE", "sex": "F", "dob": "1990-12-01T00:00:00Z",
			"expires_on": "2026-11-25T00:00:00Z",
			"address": {"street": "6 CROWN DR # 11B", "city": "NEW YORK", "state": "NY", "zip": "10001"}},
		"version": %d}`, id, version)
	chk, err := caisson.DecodeCheck([]byte(body))
	if err != nil {
		t.Fatalf("decoding the hand-made check: %v", err)
	}
	return chk
}

func TestDetailShowsEverythingAReviewerNeeds(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 10})
	ctx := context.Background()
	id := f.sb.CheckID(0)
	if _, err := f.st.Add(ctx, id, "bob", store.SourceTyped); err != nil {
		t.Fatal(err)
	}
	if err := f.st.RecordFetch(ctx, id, handMadeCheck(t, id, 1), nil, testNow.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.Decide(ctx, id, store.Escalate, "photo unclear\nask the branch", "bob"); err != nil {
		t.Fatal(err)
	}
	// Caisson's answer changes after the decision: it is now stale.
	if err := f.st.RecordFetch(ctx, id, handMadeCheck(t, id, 2), nil, testNow.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	m := newTestModel(t, f.config(), 160, 60)
	pump(t, m, keys("7")...)
	screen := plain(m)
	mustContain(t, screen,
		"JAMIE DOE",
		"check     "+id,
		"customer  cust-42",
		"sex       F",
		"born      1990-12-01 (age 35)",
		"expires   2026-11-25 ✗ EXPIRED",
		"address   6 CROWN DR # 11B, NEW YORK, NY 10001",
		"checked   2026-11-20 20:00:42 +01:00 (5d ago)",
		"doc ~ medium", "face ✗ low",
		"· 201 Selfie badly positioned · selfie · low severity",
		"reference: The selfie was not positioned properly",
		"Caisson says: Selfie off-centre",
		"! 777 UNKNOWN CODE · unknown group · medium severity",
		"Caisson says: Hologram not detected",
		"· 301 Document face badly positioned · document front image",
		"fetched   2026-11-26 09:29:00 +01:00 (1m ago)",
		"result    ✓ result received",
		"Decisions (1, oldest first):",
		"escalated by bob",
		"⚠ STALE: Caisson's result has changed since this decision",
		"│ photo unclear", "│ ask the branch",
		caisson.DashboardURL(id),
	)
}

// A check Caisson has no result for yet waits in tab 2 with its reason,
// in words and without a failure's ✗; only a failed fetch is in tab 6 with
// a ✗ and what went wrong.
func TestDetailSaysWhyACheckWaitsOrWhyItsFetchFailed(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		err       error
		tab       string
		status    string
		result    string
		unwanted  string
		narrowing string // the hint under the list at 80 columns
	}{
		{"the person has not finished: waiting, not failed", &caisson.APIError{Code: caisson.CodeNotVerified, Message: "not verified"},
			"2", "status    waiting", "result    waiting at Caisson: the person has not finished the check", "✗ The person",
			"waiting at Caisson: the person has not finished the check (NOT_VERIFIED)"},
		{"Caisson's reviewers have it: waiting, not failed", &caisson.APIError{Code: caisson.CodePendingReview},
			"2", "status    waiting", "result    waiting at Caisson: Caisson's reviewers have it (PENDING_REVIEW)", "✗ Caisson",
			"waiting at Caisson: Caisson's reviewers have it (PENDING_REVIEW)"},
		{"an unreachable Caisson is a failure", errors.New("dial tcp 127.0.0.1:1: connection refused"),
			"6", "status    error", "result    ✗ could not fetch it from Caisson: ", "waiting", "enter shows the detail of the selected check"},
		{"an expired check is a failure", &caisson.APIError{Code: caisson.CodeIDCheckExpired},
			"6", "status    error", "result    ✗ Caisson no longer keeps this check's result", "waiting", "enter shows the detail of the selected check"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOpts{checks: 10, path: filepath.Join(t.TempDir(), "review.db")})
			id := f.sb.CheckID(0)
			if _, err := f.st.Add(ctx, id, "bob", store.SourceTyped); err != nil {
				t.Fatal(err)
			}
			if err := f.st.RecordFetch(ctx, id, nil, tc.err, testNow); err != nil {
				t.Fatal(err)
			}
			m := newTestModel(t, f.config(), 200, 50)
			pump(t, m, keys(tc.tab)...)
			if got := selectedID(t, m); got != id {
				t.Fatalf("tab %s selects %s, want %s", tc.tab, got, id)
			}
			screen := plain(m)
			mustContain(t, screen, tc.status, tc.result)
			mustNotContain(t, screen, tc.unwanted)

			narrow := newTestModel(t, f.config(), 80, 24)
			pump(t, narrow, keys(tc.tab)...)
			mustContain(t, plain(narrow), tc.narrowing)
		})
	}
}

func TestTheDashboardLinkIsNeverCutShort(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	for _, size := range []struct{ w, h int }{{120, 40}, {160, 48}, {80, 24}} {
		m := newTestModel(t, f.config(), size.w, size.h)
		id := selectedID(t, m)
		url := caisson.DashboardURL(id)
		if size.w < 120 {
			// The full-screen detail scrolls; the link is its last line.
			pump(t, m, keys("enter", "J", "J", "J", "J", "J", "J", "J", "J")...)
		}
		// The link stands whole on one line, so that one selection copies it.
		found := false
		for _, l := range strings.Split(plain(m), "\n") {
			if strings.Contains(l, url) {
				found = true
			}
		}
		if !found {
			t.Errorf("%dx%d: no line holds the whole link %s:\n%s", size.w, size.h, url, plain(m))
		}
	}
}

// The pane beside the list is redrawn at every cursor move: what follows
// the reasons stays on its screen rows whatever the number of reasons, so
// that a slow link carries only what differs, not every line below the
// reasons moved up or down.
func TestThePaneBesideTheListKeepsItsTailInPlaceWhateverTheReasons(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 30, track: 30, fetch: true})
	m := newTestModel(t, f.config(), 120, 40)
	reasonCounts := map[string]bool{}
	tailRows := map[string]bool{}
	for range 12 {
		lines := strings.Split(plain(m), "\n")
		fetched, pointer, reasons := -1, -1, ""
		for i, l := range lines {
			_, pane, ok := strings.Cut(l, "│ ")
			if !ok {
				continue
			}
			switch {
			case strings.HasPrefix(pane, "fetched "):
				fetched = i
			case strings.HasPrefix(pane, "Caisson dashboard: on the bottom line"):
				pointer = i
			case strings.HasPrefix(pane, "Reasons"):
				reasons = strings.TrimSpace(pane)
			}
		}
		if fetched < 0 || pointer < 0 {
			t.Fatalf("the pane of %s shows no fetched line or dashboard line:\n%s", selectedID(t, m), plain(m))
		}
		reasonCounts[reasons] = true
		tailRows[fmt.Sprintf("fetched on row %d, dashboard on row %d", fetched, pointer)] = true
		pump(t, m, keys("j")...)
	}
	if len(reasonCounts) < 2 {
		t.Fatalf("the checks shown all had %v: the fixture does not vary the reasons", reasonCounts)
	}
	if len(tailRows) != 1 {
		t.Errorf("checks with %d different reason headings put the tail on different rows: %v", len(reasonCounts), tailRows)
	}
}
