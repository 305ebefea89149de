package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// An exchange cut off after Caisson exchanged the token (a crash, a
// dropped connection) is finished by the next ResumeExchanges, once.
func TestResumeExchangesFinishesAnInterruptedExchangeOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, _, err := f.st.Exchange(ctx, f.sb.NewToken(9), "bob", func(context.Context, string) (string, error) {
		return "", errors.New("connection reset by peer")
	})
	var kept *store.ExchangeKeptError
	if !errors.As(err, &kept) {
		t.Fatalf("the cut-off exchange: %v, want the token kept", err)
	}
	if got, err := f.service(nil).ResumeExchanges(ctx); err != nil || len(got) != 0 {
		t.Fatalf("offline: %+v, %v; want nothing tried", got, err)
	}
	svc := f.service(f.api)
	got, err := svc.ResumeExchanges(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Failed() || got[0].CheckID != f.sb.CheckID(9) {
		t.Fatalf("resumed %+v: want the token finished as %s", got, f.sb.CheckID(9))
	}
	want := "finished the exchange of a token kept since 2026-11-26 09:30: added " + f.sb.CheckID(9)
	if text := got[0].Text(localTime); text != want {
		t.Errorf("text %q, want %q", text, want)
	}
	if rec := f.get(f.sb.CheckID(9)); rec.Source != store.SourceExchanged || rec.AddedBy != "alice" {
		t.Errorf("the finished exchange's check: source %q, added by %q", rec.Source, rec.AddedBy)
	}
	if got, err := svc.ResumeExchanges(ctx); err != nil || len(got) != 0 {
		t.Errorf("a second resume: %+v, %v; want nothing left", got, err)
	}
}

func TestResumedSaysWhatBecameOfTheToken(t *testing.T) {
	at := testNow
	refused := &caisson.APIError{Code: caisson.CodeInvalidInput, Message: "bad token"}
	tests := []struct {
		name string
		out  store.ExchangeOutcome
		want string
	}{
		{"too old to try", store.ExchangeOutcome{RecordedAt: at, Expired: true, Dropped: true},
			"dropped an exchange token recorded 2026-11-26 09:30: too old to exchange now"},
		{"refused for good", store.ExchangeOutcome{RecordedAt: at, Err: refused, Dropped: true},
			"dropped an exchange token recorded 2026-11-26 09:30: " + caisson.Explain(refused)},
		{"kept to retry", store.ExchangeOutcome{RecordedAt: at, Err: caisson.ErrKeyRefused, KeptUntil: at.Add(2*time.Hour + 5*time.Minute)},
			"an exchange token kept since 2026-11-26 09:30 is still not exchanged: " + caisson.Explain(caisson.ErrKeyRefused) +
				". It stays kept, to try again next time, until 2026-11-26 11:35"},
		{"finished, new", store.ExchangeOutcome{RecordedAt: at, CheckID: "chk_priv_x", Added: true, Dropped: true},
			"finished the exchange of a token kept since 2026-11-26 09:30: added chk_priv_x"},
		{"finished, tracked already", store.ExchangeOutcome{RecordedAt: at, CheckID: "chk_priv_x", Dropped: true},
			"finished the exchange of a token kept since 2026-11-26 09:30: chk_priv_x was already tracked"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := (Resumed{tc.out}).Text(localTime); got != tc.want {
				t.Errorf("\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}
