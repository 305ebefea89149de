package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/caisson-review/caisson-review/caisson/sandbox"
)

// rawDanger finds what must never reach a terminal raw: C0 controls other
// than newline (and CR in a CRLF), DEL, C1 controls, bidi and other
// invisible format characters, invalid UTF-8. It names the first found.
func rawDanger(s string, allowCRLF bool) string {
	if allowCRLF {
		s = strings.ReplaceAll(s, "\r\n", "\n")
	}
	if !utf8.ValidString(s) {
		return "invalid UTF-8"
	}
	for _, r := range s {
		switch {
		case r == '\n':
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f, unicode.Is(unicode.Cf, r), r == 0x2028, r == 0x2029:
			return fmt.Sprintf("U+%04X", r)
		}
	}
	return ""
}

func TestHostileDataNeverReachesTheTerminalRaw(t *testing.T) {
	f := newFixture(t, sandbox.Options{Hostile: true})
	ids := refreshed(t, f, 30)
	// With Hostile, checks i%10 == 4 carry escape sequences and bidi
	// controls in their names or customer ids.
	hostile := []string{ids[4], ids[14], ids[24]}
	sawHostile := false
	for _, id := range hostile {
		rec := f.get(id)
		if rec.Result != nil && !isPlain(rec.Result.Info.FullName()+rec.Result.CustomerID) {
			sawHostile = true
		}
		f.must(0, "decide", id, "escalate", "--note", "name is \x1b]0;odd\x07 \u202e")
	}
	if !sawHostile {
		t.Fatal("the sandbox's hostile checks carry nothing hostile: the test would prove nothing")
	}
	outputs := map[string][]string{
		"list":        {"list", "--queue", "all"},
		"list --json": {"list", "--queue", "all", "--json"},
		"export json": {"export", "--format", "json"},
	}
	for _, id := range hostile {
		outputs["show "+id] = []string{"show", id}
		outputs["show --json "+id] = []string{"show", id, "--json"}
	}
	for name, args := range outputs {
		r := f.must(0, args...)
		if bad := rawDanger(r.stdout+r.stderr, false); bad != "" {
			t.Errorf("%s wrote %s raw:\n%q", name, bad, r.stdout)
		}
		if strings.Contains(name, "json") && !json.Valid([]byte(r.stdout)) {
			t.Errorf("%s: the escaped output is no longer valid JSON", name)
		}
	}
	r := f.must(0, "export", "--format", "csv")
	if bad := rawDanger(r.stdout, true); bad != "" {
		t.Errorf("export csv wrote %s raw", bad)
	}
}

func isPlain(s string) bool { return rawDanger(s, false) == "" }

func TestWriteJSONEscapesInvisibleCharactersAndStillRoundTrips(t *testing.T) {
	in := map[string]string{"name": "A\u202eB\u0085C\x1bD\u200bE😀F\u00e9"}
	var b strings.Builder
	if err := writeJSON(&b, in); err != nil {
		t.Fatal(err)
	}
	if bad := rawDanger(b.String(), false); bad != "" {
		t.Fatalf("raw %s in %q", bad, b.String())
	}
	mustContain(t, "json", b.String(), `\u202e`, `\u0085`, `\u001b`, `\u200b`, "😀", "é")
	var out map[string]string
	if err := json.Unmarshal([]byte(b.String()), &out); err != nil || out["name"] != in["name"] {
		t.Fatalf("round trip: got %q, %v", out["name"], err)
	}
}

// syncBuffer lets the test read what a running command has written so far.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startSandbox runs the sandbox command in-process with args until ctx
// ends, and returns its banner once printed, its standard error and its
// exit status to come.
func startSandbox(t *testing.T, ctx context.Context, args ...string) (string, *syncBuffer, <-chan int) {
	t.Helper()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"sandbox"}, args...), strings.NewReader(""), &out, &errOut,
			func(string) string { return "" })
	}()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "Stop with Ctrl-C") {
		if time.Now().After(deadline) {
			t.Fatalf("the sandbox did not start:\n%s\n%s", out.String(), errOut.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return out.String(), &errOut, done
}

func TestSandboxCommandServesTheFakeAPIUntilInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	text, errOut, done := startSandbox(t, ctx, "--checks", "50", "--latency", "1ms")
	mustContain(t, "intro", text, "throwaway key", "Check ids that show each queue", "needs-review  chk_priv_", "Exchange tokens", "PENDING_REVIEW", "curl -s")
	base := regexp.MustCompile(`base URL  (http://127\.0\.0\.1:\d+)`).FindStringSubmatch(text)
	key := regexp.MustCompile(`API key   (\S+)`).FindStringSubmatch(text)
	curl := regexp.MustCompile(`X-Caisson-CheckID: (chk_priv_\S+)'`).FindStringSubmatch(text)
	if base == nil || key == nil || curl == nil {
		t.Fatalf("intro lacks the URL, key or an example id:\n%s", text)
	}
	req, _ := http.NewRequest("GET", base[1]+"/v1/idcheck", nil)
	req.Header.Set("Authorization", "Caisson "+key[1])
	req.Header.Set("X-Caisson-CheckID", curl[1])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), curl[1]) {
		t.Fatalf("the printed example does not work: %d %s", resp.StatusCode, body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("want exit 0 when interrupted, got %d: %s", code, errOut.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the sandbox did not stop")
	}
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Error("the sandbox still answers after stopping")
	}
}

func TestSandboxCommandRefusesANonLoopbackAddress(t *testing.T) {
	r := runCLI(t, nil, "", "sandbox", "--listen", "0.0.0.0:0")
	if r.code != 1 {
		t.Fatalf("want exit 1, got\n%s", r)
	}
	mustContain(t, "stderr", r.stderr, "non-loopback")
	if r := runCLI(t, nil, "", "sandbox", "--fail-rate", "2"); r.code != 2 {
		t.Fatalf("--fail-rate 2: want exit 2, got\n%s", r)
	}
}

// --ids-file writes every check id of the data set, one per line, which
// add - takes as they are: a trial of a bulk import and refresh needs
// more ids than the banner prints. The ids answering an error are in it
// too, so that the trial's refresh fills Errors, as the banner's do.
func TestSandboxWritesEveryCheckIDForAdd(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	path := filepath.Join(t.TempDir(), "the ids.txt")
	// Given relative, named absolute: the banner's add - < PATH is pasted
	// in another terminal, maybe elsewhere.
	t.Chdir(filepath.Dir(path))
	text, _, done := startSandbox(t, ctx, "--checks", "300", "--ids-file", "the ids.txt")
	mustContain(t, "intro", text, fmt.Sprintf("All 300 check ids and the %d below that answer an error, one per line, are in %s", len(demoErrorCodes), path), "add - < '"+path+"'",
		"(NOT_VERIFIED and PENDING_REVIEW: no result yet, so pending, not errors)")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	n := 300 + len(demoErrorCodes)
	if len(lines) != n || len(slices.Compact(slices.Sorted(slices.Values(lines)))) != n {
		t.Fatalf("the file holds %d lines, want %d distinct ids", len(lines), n)
	}
	base := regexp.MustCompile(`base URL  (http://127\.0\.0\.1:\d+)`).FindStringSubmatch(text)
	key := regexp.MustCompile(`API key   (\S+)`).FindStringSubmatch(text)
	if base == nil || key == nil {
		t.Fatalf("intro lacks the URL or the key:\n%s", text)
	}
	env := map[string]string{envAPIURL: base[1], envAPIKey: key[1], envDB: filepath.Join(t.TempDir(), "review.db"), envReviewer: "alice"}
	if r := runCLI(t, env, string(data), "add", "-"); r.code != 0 || !strings.Contains(r.stdout, fmt.Sprintf("%d added, 0 already there, 0 refused", n)) {
		t.Fatalf("add - of the file: %s", r)
	}
	if r := runCLI(t, env, "", "refresh", "--all"); r.code != 1 || !regexp.MustCompile(fmt.Sprintf(`refreshed \d+ of %d checks, \d+ not ready at Caisson, 4 failed`, n)).MatchString(r.stdout+r.stderr) {
		t.Fatalf("refresh --all of the file's checks: %s", r)
	}
	if r := runCLI(t, env, "", "list", "--queue", "errors"); strings.Count(r.stdout, "chk_priv_") != 4 {
		t.Errorf("Errors after the refresh:\n%s", r.stdout)
	}
	cancel()
	<-done
	if code := runCLI(t, nil, "", "sandbox", "--ids-file", filepath.Join(t.TempDir(), "no", "such", "dir", "ids.txt")).code; code != 1 {
		t.Errorf("an ids file that cannot be written: exit %d, want 1", code)
	}
}
