package tui

import (
	"context"
	"errors"
	"fmt"
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

func TestDetailExplainsAFailedFetchInWords(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 10})
	ctx := context.Background()
	ids := f.sb.CheckIDs(3)
	for _, id := range ids {
		if _, err := f.st.Add(ctx, id, "bob", store.SourceTyped); err != nil {
			t.Fatal(err)
		}
	}
	errs := map[string]error{
		ids[0]: &caisson.APIError{Code: caisson.CodeNotVerified, Message: "not verified"},
		ids[1]: errors.New("dial tcp 127.0.0.1:1: connection refused"),
		ids[2]: &caisson.APIError{Code: caisson.CodeIDCheckExpired},
	}
	for id, err := range errs {
		if err := f.st.RecordFetch(ctx, id, nil, err, testNow); err != nil {
			t.Fatal(err)
		}
	}
	m := newTestModel(t, f.config(), 200, 50)
	pump(t, m, keys("6")...)
	want := map[string]string{
		ids[0]: "The person has not completed this ID check",
		ids[1]: "could not reach Caisson: ",
		ids[2]: "Caisson no longer keeps this check's result",
	}
	for id, sentence := range want {
		moveTo(t, m, func(r store.Row) bool { return r.CheckID == id })
		mustContain(t, plain(m), "result    ✗ "+sentence)
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
