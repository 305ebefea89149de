package store

import (
	"context"
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
)

// exchangeRig is a store and the real client against the sandbox, sharing
// one clock so the token timing rules can be stepped through.
type exchangeRig struct {
	s      *Store
	clk    *clock
	box    *sandbox.Server
	client *caisson.Client
	key    string
}

func newExchangeRig(t *testing.T) *exchangeRig {
	t.Helper()
	s, clk := newStore(t)
	box := sandbox.New(sandbox.Options{Checks: 20, Now: clk.Now})
	srv := httptest.NewServer(box)
	t.Cleanup(srv.Close)
	key, err := caisson.NewAPIKey(box.Key())
	if err != nil {
		t.Fatal(err)
	}
	client, err := caisson.NewClient(srv.URL, key, caisson.WithRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	return &exchangeRig{s: s, clk: clk, box: box, client: client, key: box.Key()}
}

func (r *exchangeRig) pending(t *testing.T) int {
	t.Helper()
	var n int
	if err := r.s.db.QueryRow("SELECT count(*) FROM exchanges").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// lostAnswer exchanges for real, then loses the answer, as a crash or a
// dropped connection right after Caisson exchanged the token would.
func (r *exchangeRig) lostAnswer(ctx context.Context, token string) (string, error) {
	if _, err := r.client.ExchangeToken(ctx, token); err != nil {
		return "", err
	}
	return "", errors.New("connection reset before the answer was read")
}

func TestExchangeTracksTheCheckAndForgetsTheToken(t *testing.T) {
	r := newExchangeRig(t)
	ctx := context.Background()
	token := r.box.NewToken(3)
	id, added, err := r.s.Exchange(ctx, token, "ana", r.client.ExchangeToken)
	if err != nil || !added || id != r.box.CheckID(3) {
		t.Fatalf("Exchange = %s, %v, %v; want %s added", id, added, err, r.box.CheckID(3))
	}
	rec, err := r.s.Get(ctx, id)
	if err != nil || rec.Source != SourceExchanged || rec.AddedBy != "ana" {
		t.Fatalf("Get: %+v %v", rec, err)
	}
	if n := r.pending(t); n != 0 {
		t.Errorf("%d tokens left after the exchange, want 0", n)
	}
	if _, _, err := r.s.Exchange(ctx, id, "ana", r.client.ExchangeToken); err == nil {
		t.Error("a check id was accepted as an exchange token")
	}
	r.s.Close()
	assertStoreHasNo(t, r.s.Path(), token, "the exchanged token")
	assertStoreHasNo(t, r.s.Path(), r.key, "the API key")
}

func TestResumeCompletesAnExchangeInterruptedAfterCaissonAnswered(t *testing.T) {
	r := newExchangeRig(t)
	ctx := context.Background()
	token := r.box.NewToken(5)
	if _, _, err := r.s.Exchange(ctx, token, "ana", r.lostAnswer); err == nil {
		t.Fatal("the lost answer was not reported")
	}
	if n := r.pending(t); n != 1 {
		t.Fatalf("%d tokens pending after a lost answer, want 1 kept for the resume", n)
	}
	r.clk.Advance(4 * time.Minute) // inside Caisson's 5-minute grace
	outs, err := r.s.ResumeExchanges(ctx, "ana", r.client.ExchangeToken)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 1 || outs[0].Err != nil || outs[0].CheckID != r.box.CheckID(5) || !outs[0].Added || !outs[0].Dropped {
		t.Fatalf("ResumeExchanges = %+v, want check 5 added", outs)
	}
	if n := r.pending(t); n != 0 {
		t.Errorf("%d tokens left after the resume, want 0", n)
	}
}

func TestResumeDropsTokensThatCanNoLongerWork(t *testing.T) {
	r := newExchangeRig(t)
	ctx := context.Background()
	refused := r.box.NewToken(1)
	if _, _, err := r.s.Exchange(ctx, refused, "ana", r.lostAnswer); err == nil {
		t.Fatal("the lost answer was not reported")
	}
	r.clk.Advance(6 * time.Minute) // past the grace: Caisson refuses it
	outs, err := r.s.ResumeExchanges(ctx, "ana", r.client.ExchangeToken)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 1 || outs[0].Err == nil || !outs[0].Dropped || caisson.CodeOf(outs[0].Err) != caisson.CodeInvalidInput {
		t.Fatalf("ResumeExchanges past the grace = %+v, want a refusal that drops the token", outs)
	}

	// A network failure keeps the token; only age then drops it, without
	// asking Caisson again.
	old := r.box.NewToken(2)
	down := func(context.Context, string) (string, error) { return "", errors.New("network is unreachable") }
	if _, _, err := r.s.Exchange(ctx, old, "ana", down); err == nil {
		t.Fatal("the network failure was not reported")
	}
	outs, _ = r.s.ResumeExchanges(ctx, "ana", down)
	if len(outs) != 1 || outs[0].Dropped || r.pending(t) != 1 {
		t.Fatalf("a transient failure dropped the token: %+v", outs)
	}
	r.clk.Advance(2*time.Hour + 6*time.Minute)
	called := false
	outs, err = r.s.ResumeExchanges(ctx, "ana", func(context.Context, string) (string, error) { called = true; return "", nil })
	if err != nil || len(outs) != 1 || !outs[0].Expired || !outs[0].Dropped || called || r.pending(t) != 0 {
		t.Fatalf("an expired token: %+v %v (exchange called: %v), want dropped without trying", outs, err, called)
	}
}

// Caisson unreachable stops resuming at the first kept token: each other
// token would wait out the same retries in turn (minutes each against an
// API that hangs). They stay kept for the next run.
func TestResumeStopsAtTheFirstTokenCaissonCannotAnswer(t *testing.T) {
	r := newExchangeRig(t)
	ctx := context.Background()
	down := func(context.Context, string) (string, error) { return "", errors.New("network is unreachable") }
	for i := range 3 {
		if _, _, err := r.s.Exchange(ctx, r.box.NewToken(3+i), "ana", down); err == nil {
			t.Fatal("the network failure was not reported")
		}
	}
	key, err := caisson.NewAPIKey(r.key)
	if err != nil {
		t.Fatal(err)
	}
	unreachable, err := caisson.NewClient("http://127.0.0.1:1", key, caisson.WithRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	tried := 0
	outs, err := r.s.ResumeExchanges(ctx, "ana", func(ctx context.Context, token string) (string, error) {
		tried++
		return unreachable.ExchangeToken(ctx, token)
	})
	if err != nil || tried != 1 || len(outs) != 1 || !caisson.Unavailable(outs[0].Err) || r.pending(t) != 3 {
		t.Fatalf("tried %d, outcomes %+v (%v), %d kept: want one tried, all three still kept", tried, outs, err, r.pending(t))
	}
}
