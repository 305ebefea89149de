package store

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
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
	assertFileHasNo(t, r.s.Path(), token, "the exchanged token")
	assertFileHasNo(t, r.s.Path(), r.key, "the API key")
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

// assertFileHasNo reads the database and its WAL raw: secret must not be
// anywhere in them.
func assertFileHasNo(t *testing.T, path, secret, what string) {
	t.Helper()
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s is in %s", what, filepath.Base(p))
		}
	}
	if strings.TrimSpace(secret) == "" {
		t.Fatalf("%s is empty: the check proves nothing", what)
	}
}

// A failure that may pass keeps the token and says until when; a refusal
// for good forgets it at once. The words of the CLI rest on this.
func TestExchangeKeepsATokenOnlyWhileItMayStillWork(t *testing.T) {
	r := newExchangeRig(t)
	ctx := context.Background()
	srv := httptest.NewServer(r.box)
	t.Cleanup(srv.Close)
	wrongKey, err := caisson.NewAPIKey("sk_sandbox_notTheKeyThisSandboxTakes")
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := caisson.NewClient(srv.URL, wrongKey, caisson.WithRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	recorded := r.clk.Now()
	token := r.box.NewToken(4)
	_, _, err = r.s.Exchange(ctx, token, "ana", wrong.ExchangeToken)
	var kept *ExchangeKeptError
	if !errors.As(err, &kept) || !errors.Is(err, caisson.ErrKeyRefused) {
		t.Fatalf("a refused key: error %v, want an *ExchangeKeptError wrapping ErrKeyRefused", err)
	}
	if want := recorded.Add(2*time.Hour + 5*time.Minute); !kept.Until.Equal(want) {
		t.Errorf("kept until %v, want %v (2 hours and the 5-minute grace after it was recorded)", kept.Until, want)
	}
	if n := r.pending(t); n != 1 {
		t.Fatalf("%d tokens kept after a refused key, want 1", n)
	}
	// Tried again later, the token keeps the time it was first recorded.
	r.clk.Advance(time.Minute)
	_, _, err = r.s.Exchange(ctx, token, "ana", wrong.ExchangeToken)
	if !errors.As(err, &kept) || !kept.Until.Equal(recorded.Add(2*time.Hour+5*time.Minute)) {
		t.Fatalf("a second try: %v, want kept until the first recording's limit", err)
	}
	outs, err := r.s.ResumeExchanges(ctx, "ana", r.client.ExchangeToken)
	if err != nil || len(outs) != 1 || outs[0].CheckID != r.box.CheckID(4) || !outs[0].RecordedAt.Equal(recorded) {
		t.Fatalf("the resume with the right key = %+v, %v; want check 4 added", outs, err)
	}

	never := "chk_xchg_" + strings.Repeat("Q", 22) // never issued: INVALID_INPUT
	_, _, err = r.s.Exchange(ctx, never, "ana", r.client.ExchangeToken)
	if err == nil || errors.As(err, &kept) || caisson.CodeOf(err) != caisson.CodeInvalidInput {
		t.Fatalf("a token refused for good: %v, want Caisson's INVALID_INPUT, not kept", err)
	}
	if n := r.pending(t); n != 0 {
		t.Errorf("%d tokens kept after a refusal for good, want 0", n)
	}
}
