package caisson

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const testKey = "sk_test_Sup3rS3cretK3yValue"

func mustKey(t testing.TB, s string) APIKey {
	t.Helper()
	k, err := NewAPIKey(s)
	if err != nil {
		t.Fatalf("NewAPIKey: %v", err)
	}
	return k
}

func TestAPIKeyPrintsRedactedUnderEveryVerb(t *testing.T) {
	k := mustKey(t, testKey)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-20v"} {
		got := fmt.Sprintf(verb, k)
		if strings.Contains(got, testKey) || strings.Contains(got, fmt.Sprintf("%x", testKey)) {
			t.Errorf("%s of an APIKey shows the key: %s", verb, got)
		}
		if !strings.Contains(got, redacted) {
			t.Errorf("%s of an APIKey = %q, want it to say %s", verb, got, redacted)
		}
	}
	if k.String() != redacted || k.GoString() != redacted {
		t.Errorf("String/GoString = %q/%q, want %s", k.String(), k.GoString(), redacted)
	}
}

func TestAPIKeyInsideOtherValuesStaysHidden(t *testing.T) {
	k := mustKey(t, testKey)
	type exported struct{ Key APIKey }
	type unexported struct{ key APIKey }
	values := map[string]any{
		"exported field":   exported{k},
		"unexported field": unexported{k},
		"pointer":          &exported{k},
		"slice":            []APIKey{k},
		"map":              map[string]APIKey{"k": k},
	}
	for name, v := range values {
		for _, verb := range []string{"%v", "%+v", "%#v"} {
			if got := fmt.Sprintf(verb, v); strings.Contains(got, testKey) {
				t.Errorf("%s printed with %s shows the key: %s", name, verb, got)
			}
		}
	}
}

func TestAPIKeyMarshalsRedacted(t *testing.T) {
	k := mustKey(t, testKey)
	j, err := json.Marshal(struct{ Key APIKey }{k})
	if err != nil {
		t.Fatal(err)
	}
	if string(j) != `{"Key":"[redacted]"}` {
		t.Errorf("JSON = %s", j)
	}
	txt, _ := k.MarshalText()
	if string(txt) != redacted {
		t.Errorf("MarshalText = %s", txt)
	}
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("calling", "key", k)
	if strings.Contains(b.String(), testKey) || !strings.Contains(b.String(), redacted) {
		t.Errorf("slog line = %s", b.String())
	}
}

func TestClientPrintsWithoutTheKey(t *testing.T) {
	c, err := NewClient("https://api.caisson.com", mustKey(t, testKey))
	if err != nil {
		t.Fatal(err)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		for name, v := range map[string]any{"*Client": c, "Client": *c} {
			got := fmt.Sprintf(verb, v)
			if strings.Contains(got, testKey) {
				t.Errorf("%s of %s shows the key: %s", verb, name, got)
			}
		}
	}
}

func TestNewAPIKey(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"a plain key is accepted", testKey, ""},
		{"surrounding spaces and newline are trimmed", "  " + testKey + "\r\n", ""},
		{"empty is refused", "", "empty API key"},
		{"only spaces is refused", " \n\t", "empty API key"},
		{"a control character is refused", "sk_\x1b[2Jkey", "control character"},
		{"a DEL is refused", "sk_\x7fkey", "control character"},
		{"a C1 control is refused", "sk_\u009bkey", "control character"},
		{"the scheme pasted with the key is refused", "Caisson " + testKey, "without the word"},
		{"non-ASCII (a smart quote) is refused", "sk_\u2019key", "non-ASCII"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := NewAPIKey(tt.in)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				if k.reveal() != testKey {
					t.Errorf("key = %q, want %q", k.reveal(), testKey)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to mention %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "key\"") || (len(tt.in) > 6 && strings.Contains(err.Error(), strings.TrimSpace(tt.in))) {
				t.Errorf("error echoes the key: %v", err)
			}
		})
	}
}

func TestScrubRemovesTheKeyFromServerText(t *testing.T) {
	k := mustKey(t, testKey)
	got := k.scrub("you sent Caisson " + testKey + " twice: " + testKey)
	if strings.Contains(got, testKey) || strings.Count(got, redacted) != 2 {
		t.Errorf("scrub = %q", got)
	}
	if (APIKey{}).scrub("text") != "text" {
		t.Error("the zero key changed text")
	}
}
