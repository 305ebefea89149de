package service

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/store"
)

// testNow is the injected clock, in a zone with an offset so that times
// written "as local" are visibly so.
var testNow = time.Date(2026, 11, 26, 9, 30, 0, 0, time.FixedZone("CET", 3600))

func fixedClock() time.Time { return testNow }

// fixture is a real store in a temp file and the real client against the
// sandbox on loopback: no stand-ins for our own components.
type fixture struct {
	t    *testing.T
	st   *store.Store
	sb   *sandbox.Server
	api  *caisson.Client
	base string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	sb := sandbox.New(sandbox.Options{Seed: 1, Checks: 100, Now: fixedClock})
	base, stop, err := sb.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatalf("starting the sandbox: %v", err)
	}
	t.Cleanup(func() { _ = stop() })
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "review.db"), store.WithClock(fixedClock))
	if err != nil {
		t.Fatalf("opening the store: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	f := &fixture{t: t, st: st, sb: sb, base: base}
	f.api = f.client(sb.Key())
	return f
}

// client is the real client against the sandbox with key (the sandbox's,
// or a wrong one, as after a rotation).
func (f *fixture) client(key string) *caisson.Client {
	f.t.Helper()
	k, err := caisson.NewAPIKey(key)
	if err != nil {
		f.t.Fatal(err)
	}
	// The test owns the transport so that it can close idle connections
	// before the sandbox stops.
	transport := &http.Transport{}
	f.t.Cleanup(transport.CloseIdleConnections)
	c, err := caisson.NewClient(f.base, k, caisson.WithRetries(1), caisson.WithTimeout(5*time.Second),
		caisson.WithHTTPClient(&http.Client{Transport: transport}))
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// wrongKey is a client whose key the sandbox refuses.
func (f *fixture) wrongKey() *caisson.Client { return f.client("sk_test_RotatedAway_0000000000") }

// service is the service over the fixture's store as alice, through api
// (nil: offline).
func (f *fixture) service(api *caisson.Client) *Service {
	o := Options{Reviewer: "alice", Now: fixedClock}
	if api == nil {
		return New(f.st, nil, o)
	}
	return New(f.st, api, o)
}

func (f *fixture) track(ids ...string) {
	f.t.Helper()
	if _, err := f.st.AddMany(context.Background(), ids, "tester", store.SourceTyped); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) get(id string) *store.Record {
	f.t.Helper()
	rec, err := f.st.Get(context.Background(), id)
	if err != nil {
		f.t.Fatalf("reading %s: %v", id, err)
	}
	return rec
}

func (f *fixture) asked(id string) bool {
	for _, r := range f.sb.Requests() {
		if r.CheckID == id {
			return true
		}
	}
	return false
}

func localTime(t time.Time) string { return t.In(testNow.Location()).Format("2006-01-02 15:04") }
