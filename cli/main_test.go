package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/store"
	"github.com/caisson-review/caisson-review/store/pgtest"
)

// testKey is the only key the tests' sandboxes accept. Every run of the
// program in these tests asserts it never appears in what was written.
const testKey = "sk_test_DoNotPrintMe_7f3a9c2e1b"

func TestMain(m *testing.M) {
	// Injected failures are retried; the default backoff would make each
	// test wait seconds for nothing.
	clientOptions = []caisson.Option{caisson.WithBackoff(time.Millisecond, 5*time.Millisecond), caisson.WithTimeout(5 * time.Second)}
	// pgtest.Main stops the PostgreSQL server a test started, if any.
	os.Exit(pgtest.Main(m))
}

// result is what one in-process run of the program produced.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s--- stderr:\n%s", r.code, r.stdout, r.stderr)
}

// runCLI runs the program in-process with exactly the environment given.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	return runCLIContext(t, context.Background(), env, stdin, args...)
}

func runCLIContext(t *testing.T, ctx context.Context, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(ctx, args, strings.NewReader(stdin), &out, &errOut, func(k string) string { return env[k] })
	r := result{code: code, stdout: out.String(), stderr: errOut.String()}
	assertNoKey(t, r.stdout, r.stderr)
	return r
}

func assertNoKey(t *testing.T, outputs ...string) {
	t.Helper()
	for _, o := range outputs {
		if strings.Contains(o, testKey) || strings.Contains(o, testKey[8:]) {
			t.Fatalf("the API key appeared in the program's output:\n%s", o)
		}
	}
}

// fixture is a sandbox on loopback, an empty database and the environment
// that points the program at both.
type fixture struct {
	t   *testing.T
	sb  *sandbox.Server
	url string
	db  string
	env map[string]string
}

func newFixture(t *testing.T, opts sandbox.Options) *fixture {
	t.Helper()
	opts.Key = testKey
	sb := sandbox.New(opts)
	sb.SetSlowBody(20 * time.Millisecond)
	url, stop, err := sb.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatalf("starting the sandbox: %v", err)
	}
	t.Cleanup(func() { stop() })
	db := filepath.Join(t.TempDir(), "review.db")
	return &fixture{t: t, sb: sb, url: url, db: db, env: map[string]string{
		envAPIURL:   url,
		envAPIKey:   testKey,
		envDB:       db,
		envReviewer: "alice",
	}}
}

func (f *fixture) run(args ...string) result {
	f.t.Helper()
	return runCLI(f.t, f.env, "", args...)
}

func (f *fixture) runStdin(stdin string, args ...string) result {
	f.t.Helper()
	return runCLI(f.t, f.env, stdin, args...)
}

// must runs the program and fails the test unless it exits with code.
func (f *fixture) must(code int, args ...string) result {
	f.t.Helper()
	r := f.run(args...)
	if r.code != code {
		f.t.Fatalf("%s %v: want exit %d, got\n%s", progName, args, code, r)
	}
	return r
}

// openStore opens the fixture's database directly, to check what the
// program stored; closed at the end of the test.
func (f *fixture) openStore() *store.Store {
	f.t.Helper()
	st, err := store.Open(context.Background(), f.db)
	if err != nil {
		f.t.Fatalf("opening the store: %v", err)
	}
	f.t.Cleanup(func() { st.Close() })
	return st
}

func (f *fixture) get(id string) *store.Record {
	f.t.Helper()
	st, err := store.Open(context.Background(), f.db)
	if err != nil {
		f.t.Fatalf("opening the store: %v", err)
	}
	defer st.Close()
	rec, err := st.Get(context.Background(), id)
	if err != nil {
		f.t.Fatalf("reading %s: %v", id, err)
	}
	return rec
}

func withEnv(env map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, got)
		}
	}
}
