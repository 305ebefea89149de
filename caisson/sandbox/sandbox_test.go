package sandbox

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestAKeyOtherThanTheServersIsRefusedWith401AndNeverEchoed(t *testing.T) {
	f := start(t, Options{Key: "sk_test_right"})
	const wrong = "sk_test_wrong_SECRET"
	cases := []struct {
		name  string
		auth  string
		allow bool
	}{
		{"no Authorization header", "", false},
		{"the wrong key", "Caisson " + wrong, false},
		{"the right key under another scheme", "Bearer sk_test_right", false},
		{"the right key without a scheme", "sk_test_right", false},
		{"the right key with a suffix", "Caisson sk_test_right" + "x", false},
		{"the right key", "Caisson sk_test_right", true},
		{"the right key, scheme in lower case", "caisson sk_test_right", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var headers []string
			if tc.auth != "" {
				headers = append(headers, "Authorization", tc.auth)
			}
			headers = append(headers, headerCheckID, f.s.CheckID(0))
			r := f.mustDo(http.MethodGet, pathIDCheck, nil, headers...)
			if tc.allow {
				if r.status != http.StatusOK {
					t.Fatalf("status %d, want 200; body %s", r.status, r.body)
				}
				return
			}
			wantError(t, r, http.StatusUnauthorized, codeUnauthorized, fieldDescription)
			if strings.Contains(string(r.body), "sk_test") {
				t.Errorf("401 body echoes a key: %s", r.body)
			}
		})
	}
}

func TestTheExchangeEndpointChecksTheKeyToo(t *testing.T) {
	f := start(t, Options{})
	r := f.mustDo(http.MethodPost, pathExchange, []byte(`{"check_exchange_token":"`+f.s.NewToken(0)+`"}`),
		"Authorization", "Caisson nope")
	wantError(t, r, http.StatusUnauthorized, codeUnauthorized, fieldDescription)
}

func TestAnEndpointRefusesOtherMethodsWith405(t *testing.T) {
	f := start(t, Options{})
	cases := []struct {
		method, path, allow string
	}{
		{http.MethodPost, pathIDCheck, http.MethodGet},
		{http.MethodDelete, pathIDCheck, http.MethodGet},
		{http.MethodGet, pathExchange, http.MethodPost},
		{http.MethodPut, pathExchange, http.MethodPost},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := f.mustDo(tc.method, tc.path, nil, "Authorization", f.auth(), headerCheckID, f.s.CheckID(0))
			wantError(t, r, http.StatusMethodNotAllowed, codeInvalidInput, fieldDescription)
			if got := r.header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow %q, want %q", got, tc.allow)
			}
		})
	}
}

func TestAnUnknownPathIs404WithAnErrorBody(t *testing.T) {
	f := start(t, Options{})
	r := f.mustDo(http.MethodGet, "/v2/idcheck", nil, "Authorization", f.auth())
	wantError(t, r, http.StatusNotFound, codeInvalidInput, fieldDescription)
}

func TestOptionsValidateSaysWhatWasExpected(t *testing.T) {
	cases := []struct {
		name string
		opts Options
		want string // in the error; "" means valid
	}{
		{"zero value", Options{}, ""},
		{"a million checks", Options{Checks: MaxChecks}, ""},
		{"more than a million checks", Options{Checks: MaxChecks + 1}, "up to 1000000"},
		{"negative checks", Options{Checks: -1}, "expected 0"},
		{"negative latency", Options{Latency: -1}, ">= 0"},
		{"fail rate over 1", Options{FailRate: 1.5}, "from 0 to 1"},
		{"key with a newline", Options{Key: "secret\n"}, "no surrounding spaces"},
		{"key with an escape", Options{Key: "sec\x1bret"}, "no control characters"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "sec") && tc.opts.Key != "" {
				t.Errorf("error echoes the key: %v", err)
			}
		})
	}
}

func TestNewPanicsOnInvalidOptions(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "up to") {
			t.Fatalf("recover = %v, want the Validate error", r)
		}
	}()
	New(Options{Checks: MaxChecks + 1})
}

func TestARandomKeyIsIssuedWhenNoneIsGiven(t *testing.T) {
	a, b := New(Options{}), New(Options{})
	if a.Key() == "" || a.Key() == b.Key() {
		t.Fatalf("keys %q and %q: want two different non-empty keys", a.Key(), b.Key())
	}
}
