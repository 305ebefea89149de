package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caisson-review/caisson-review/caisson/sandbox"
)

// echoingServer is a hostile Caisson on loopback that puts the key it was
// sent back into its answers: for check errID in an error message, split
// by an escape sequence; for check nameID in the names of a 200 answer,
// whole and split.
func echoingServer(t *testing.T, errID, nameID string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Caisson ")
		split, _ := json.Marshal(key[:10] + "\x1b[0m" + key[10:])
		whole, _ := json.Marshal(key)
		message, _ := json.Marshal("unknown key " + key[:10] + "\x1b[0m" + key[10:] + ", sent at 09:00")
		w.Header().Set("Content-Type", "application/json")
		switch id := r.Header.Get("X-Caisson-CheckID"); id {
		case errID:
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error": "INVALID_INPUT", "error_description": %s}`, message)
		case nameID:
			fmt.Fprintf(w, `{"check_id": %q, "customer_id": %s, "checked_on": "2026-07-19T15:00:42-04:00",
				"confidence": {"document": "high", "face": "high", "reasons": []},
				"info": {"first_name": %s, "last_name": %s, "expires_on": "2031-01-01"}}`, id, whole, whole, split)
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// showsKey reports whether s shows the test key to a reader: any 12 of its
// characters in a row once escape sequences, in any of the forms they may
// take on the way (raw, JSON-escaped, sanitized), are taken out.
func showsKey(s string) bool {
	for _, seq := range []string{"\x1b[0m", `\u001b[0m`, "^[[0m"} {
		s = strings.ReplaceAll(s, seq, "")
	}
	for i := 0; i+12 <= len(testKey); i++ {
		if strings.Contains(s, testKey[i:i+12]) {
			return true
		}
	}
	return false
}

func TestAServerEchoingTheKeyGetsItNeitherStoredNorShown(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	errID, nameID := f.sb.CheckID(0), f.sb.CheckID(1)
	f.env[envAPIURL] = echoingServer(t, errID, nameID)
	f.must(0, "add", errID, nameID)
	r := f.run("refresh", errID, nameID)
	if showsKey(r.stdout + r.stderr) {
		t.Errorf("refresh shows the key:\n%s", r)
	}

	for _, args := range [][]string{
		{"show", errID, "--json"}, {"show", errID}, {"show", nameID, "--json"}, {"show", nameID},
		{"list", "--queue", "all", "--json"}, {"list", "--queue", "all"}, {"list", "--queue", "errors", "--json"},
	} {
		r := f.must(0, args...)
		if showsKey(r.stdout + r.stderr) {
			t.Errorf("%v shows the key:\n%s", args, r)
		}
	}
	var shown showJSON
	if err := json.Unmarshal([]byte(f.must(0, "show", nameID, "--json").stdout), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.Result == nil || shown.Result.FirstName != "[redacted]" || shown.Result.LastName != "[redacted]" || shown.CustomerID != "[redacted]" {
		t.Errorf("the 200 answer's names and customer id were not redacted: %+v %+v", shown.Result, shown.rowJSON)
	}
	if fetchErr := f.must(0, "show", errID, "--json").stdout; !strings.Contains(fetchErr, "[redacted]") {
		t.Errorf("the error message was not redacted:\n%s", fetchErr)
	}

	// The database's bytes, the write-ahead log included: nothing of the
	// key, in any form.
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(f.db + suffix)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if showsKey(string(b)) {
			t.Errorf("%s holds the key", filepath.Base(f.db+suffix))
		}
	}
}

// A note, a policy note or a reviewer's name holding the key (pasted
// from the wrong window) is refused before it reaches the append-only
// log, where nothing could remove it, and the refusal does not repeat it.
func TestTextHoldingTheKeyIsNeverWrittenToTheLog(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	f.must(0, "add", id)
	f.must(0, "refresh", id)
	cut := testKey[3:17] // fourteen of its characters, the prefix left out
	for _, args := range [][]string{
		{"decide", id, "reject", "--reason", "other", "--note", "see " + testKey},
		{"decide", id, "escalate", "--note", "ask ops: " + cut},
		{"policy", "set", "four-eyes", "risky", "--note", testKey},
		{"policy", "set", "sla", "24h", "--note", "rotate " + cut + " soon"},
		{"--reviewer", "rita " + testKey, "decide", id, "reopen"},
		{"--reviewer", testKey, "policy", "set", "sla", "off", "--note", "fine"},
		// Reads record the name in the access log (helper-74: kept there).
		{"--reviewer", "rita " + cut, "show", id},
		{"--reviewer", testKey, "list", "--queue", "all", "--json"},
		// config says what commands would refuse (helper-75: it showed it).
		{"--reviewer", "rita " + testKey, "config"},
	} {
		r := f.run(args...)
		if r.code != 1 || !strings.Contains(r.stderr, "holds the secret API key") {
			t.Errorf("%v: exit %d, want 1 saying the text holds the key:\n%s", args[:3], r.code, r)
		}
		if showsKey(r.stdout + r.stderr) {
			t.Errorf("%v: the refusal shows the key:\n%s", args[:3], r)
		}
	}
	var logged []decisionJSON
	if r := f.must(0, "export", "--format", "json"); json.Unmarshal([]byte(r.stdout), &logged) != nil || len(logged) != 0 {
		t.Errorf("the log holds entries after refusals only:\n%s", r.stdout)
	}
	if r := f.must(0, "access"); showsKey(r.stdout) || strings.Contains(r.stdout, ",show,") {
		t.Errorf("the access log holds a refused read, or the key:\n%s", r.stdout)
	}
	// A note without the key is written as before.
	f.must(0, "decide", id, "escalate", "--note", "ask ops about the key rotation")
	if r := f.run("--reviewer", testKey, "export"); r.code != 1 || !strings.Contains(r.stderr, "holds the secret API key") || strings.Contains(r.stdout, id) {
		t.Errorf("export by a reviewer named with the key: want exit 1 and nothing exported:\n%s", r)
	}
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(f.db + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if showsKey(string(b)) {
			t.Errorf("%s holds the key", filepath.Base(f.db+suffix))
		}
	}
}

// A reviewer's name that cannot be recorded (too long, control
// characters) refuses a read of personal data: it was shown, with the
// warning a full disk gets, so any user could read without leaving an
// access record by setting such a name.
func TestAReadIsRefusedWhenItsReaderCannotBeRecorded(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	f.must(0, "add", id)
	f.must(0, "refresh", id)
	name := f.get(id).Result.Info.LastName
	if name == "" {
		t.Fatal("the fixture's check has no name to look for")
	}
	for _, reviewer := range []string{strings.Repeat("x", 101), "rita\x1b[2J"} {
		for _, args := range [][]string{{"show", id}, {"list", "--queue", "all", "--json"}} {
			r := f.run(append([]string{"--reviewer", reviewer}, args...)...)
			if r.code != 1 || !strings.Contains(r.stderr, "reviewer name") || strings.Contains(r.stdout, name) {
				t.Errorf("%v as %.10q: want exit 1, nothing shown:\n%s", args, reviewer, r)
			}
		}
	}
	if r := f.must(0, "access"); strings.Contains(r.stdout, id) {
		t.Errorf("the access log holds a refused read:\n%s", r.stdout)
	}
}

// An API address holding the key in its path was shown by config and sent
// in every request's first line (helper-74): refused, and not repeated.
func TestAnAPIAddressHoldingTheKeyIsRefusedAndNotShown(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	for _, url := range []string{f.url + "/" + testKey, f.url + "/" + testKey + "?x=1", "http://proxy.example/" + testKey + "/v1"} {
		f.env[envAPIURL] = url
		for _, args := range [][]string{{"config"}, {"refresh", f.sb.CheckID(0)}} {
			r := f.run(args...)
			if r.code != 1 || !strings.Contains(r.stdout+r.stderr, "the API address holds the secret API key") || showsKey(r.stdout+r.stderr) {
				t.Errorf("%v: want exit 1 saying the address holds the key, without it:\n%s", args, r)
			}
		}
	}
}
