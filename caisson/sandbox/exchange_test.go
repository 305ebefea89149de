package sandbox

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestExchangeTokenTiming(t *testing.T) {
	created := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	type step struct {
		at      time.Duration // after the token's creation
		ok      bool
		mention string // in the refusal's description
	}
	cases := []struct {
		name  string
		steps []step
	}{
		{"exchanged at 1h59 it works", []step{{1*time.Hour + 59*time.Minute, true, ""}}},
		{"exchanged at exactly 2h it still works", []step{{2 * time.Hour, true, ""}}},
		{"first exchanged at 2h01 it is refused", []step{{2*time.Hour + time.Minute, false, "2 hours"}}},
		{"re-exchanged within 5 minutes it works again, past the 2 hours", []step{
			{1*time.Hour + 59*time.Minute, true, ""},
			{2*time.Hour + 1*time.Minute, true, ""},
			{2*time.Hour + 4*time.Minute, true, ""},
		}},
		{"re-exchanged more than 5 minutes after the first exchange it is refused", []step{
			{10 * time.Minute, true, ""},
			{15 * time.Minute, true, ""},
			{15*time.Minute + time.Second, false, "5 minutes"},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{now: created}
			f := start(t, Options{Now: clock.Now})
			token := f.s.NewToken(42)
			if !validToken.MatchString(token) {
				t.Fatalf("NewToken = %q, want chk_xchg_ + 22 URL-safe base64 characters", token)
			}
			for _, st := range tc.steps {
				clock.Set(created.Add(st.at))
				r := f.exchange(token)
				if st.ok {
					if r.status != http.StatusOK {
						t.Fatalf("at %v: status %d; body %s", st.at, r.status, r.body)
					}
					if got := r.json(t)["check_id"]; got != f.s.CheckID(42) {
						t.Fatalf("at %v: check_id %v, want %s", st.at, got, f.s.CheckID(42))
					}
					continue
				}
				m := wantError(t, r, http.StatusBadRequest, codeInvalidInput, fieldDescription)
				if d := m[fieldDescription].(string); !strings.Contains(d, "expired") || !strings.Contains(d, st.mention) {
					t.Errorf("at %v: description %q, want it to say the token expired and mention %q", st.at, d, st.mention)
				}
			}
		})
	}
}

func TestExchangeRefusesWhatIsNotAnIssuedToken(t *testing.T) {
	f := start(t, Options{})
	other := New(Options{Seed: 99})
	other.NewToken(0)
	cases := map[string]string{
		"another sandbox's token":                    `{"check_exchange_token":"` + other.NewToken(0) + `"}`,
		"a check id":                                 `{"check_exchange_token":"` + f.s.CheckID(0) + `"}`,
		"a token issued later, not yet":              `{"check_exchange_token":"` + f.s.ids.encode(tokenPrefix, kindToken, 5) + `"}`,
		"no token field":                             `{"token":"chk_xchg_x"}`,
		"not JSON":                                   `check_exchange_token=chk_xchg_x`,
		"the token as a number":                      `{"check_exchange_token": 12}`,
		"empty body":                                 ``,
		"a body over the size cap":                   `{"check_exchange_token":"` + strings.Repeat("a", maxExchangeBody) + `"}`,
		"the reference's sample token, never issued": `{ "check_exchange_token": "chk_xchg_UeRXDryTTpvU24CTre8W2Q" }`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			r := f.mustDo(http.MethodPost, pathExchange, []byte(body), "Authorization", f.auth())
			wantError(t, r, http.StatusBadRequest, codeInvalidInput, fieldDescription)
		})
	}
}

func TestNewTokenPanicsOutOfRange(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("NewToken(Len()) did not panic")
		}
	}()
	s := New(Options{})
	s.NewToken(s.Len())
}
