package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

// testNow is the fixed "now" of the tests' clock.
var testNow = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

// clock is a settable clock for a Store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// openAt opens the store at location (a file or a PostgreSQL URL),
// closed at the end of the test.
func openAt(t testing.TB, location string, c *clock) *Store {
	t.Helper()
	s, err := Open(context.Background(), location, WithClock(c.Now))
	if err != nil {
		t.Fatalf("Open(%s): %v", Redact(location), err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newStore opens a new empty store on the backend the tests run on.
func newStore(t testing.TB) (*Store, *clock) {
	t.Helper()
	c := &clock{t: testNow}
	return openAt(t, testLocation(t), c), c
}

// checkID makes a valid check id from a number.
func checkID(i int) string { return fmt.Sprintf("chk_priv_%022d", i) }

// result describes a fetched check for makeCheck.
type result struct {
	id, customer, first, last string
	doc, face                 string
	reasons                   []int
	expires, dob              string
	checkedOn                 time.Time
}

// makeCheck builds a response body as the API sends it and decodes it with
// the real decoder, so Raw and the fields agree.
func makeCheck(t testing.TB, r result) *caisson.Check {
	t.Helper()
	if r.checkedOn.IsZero() {
		r.checkedOn = testNow.Add(-24 * time.Hour)
	}
	type reason struct {
		Code        int    `json:"code"`
		Description string `json:"description"`
	}
	var reasons []reason
	for _, c := range r.reasons {
		reasons = append(reasons, reason{c, fmt.Sprintf("reason %d", c)})
	}
	body := map[string]any{
		"check_id":    r.id,
		"customer_id": r.customer,
		"checked_on":  r.checkedOn.Format(time.RFC3339Nano),
		"confidence":  map[string]any{"document": r.doc, "face": r.face, "reasons": reasons},
		"info": map[string]any{
			"first_name": r.first, "last_name": r.last, "sex": "F",
			"dob": r.dob, "expires_on": r.expires,
			"address": map[string]string{"street": "6 CROWN DR", "city": "NEW YORK", "state": "NY", "zip": "10001"},
		},
	}
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	chk, err := caisson.DecodeCheck(raw)
	if err != nil {
		t.Fatalf("DecodeCheck: %v", err)
	}
	return chk
}

// addFetched adds a check and records a successful fetch of r.
func addFetched(t testing.TB, s *Store, r result) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Add(ctx, r.id, "tester", SourceTyped); err != nil {
		t.Fatalf("Add(%s): %v", r.id, err)
	}
	if err := s.RecordFetch(ctx, r.id, makeCheck(t, r), nil, s.now()); err != nil {
		t.Fatalf("RecordFetch(%s): %v", r.id, err)
	}
}

// rawDB opens the store's database with a plain connection, bypassing the
// Store, as an attacker or a careless admin would.
func rawDB(t testing.TB, location string) *sql.DB {
	t.Helper()
	driver, dsn := "sqlite", location+"?_pragma=busy_timeout(5000)"
	if IsPostgres(location) {
		driver, dsn = "pgx", location
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func ids(rows []Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.CheckID
	}
	return out
}

// decideOtherwise records a decision on id that changes its status
// (escalate, or reject an escalated check), as reviewers racing on one
// check do: a decision that would leave the check as it is is refused
// (ErrAlreadyDecided), so one that met another's first tries the other.
func decideOtherwise(ctx context.Context, s *Store, id, note, reviewer string) (Decision, error) {
	a := Escalate
	for range 20 {
		d, err := s.Decide(ctx, id, a, note, reviewer)
		if !errors.Is(err, ErrAlreadyDecided) {
			return d, err
		}
		a = map[Action]Action{Escalate: Reject, Reject: Escalate}[a]
	}
	return Decision{}, fmt.Errorf("%s: still decided so after 20 tries", id)
}
