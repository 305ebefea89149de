package cli

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/caisson-review/caisson-review/caisson/sandbox"
)

// TestScripts runs the command-line scenarios in testdata/*.txtar, each
// against its own sandbox on loopback and its own database. In a script:
//
//	caisson-review ARGS... [< FILE]   runs the program in-process with the
//	                                  script's environment; FILE, its $VARS
//	                                  expanded, is standard input
//	status N                          the last run's exit status was N
//
// The environment holds CAISSON_API_URL, CAISSON_REVIEW_DB ($WORK/review.db),
// CAISSON_REVIEWER (alice) and KEYFILE, a file (0600) holding the sandbox's
// key, which no run may print; and sandbox check ids: RISKY, EXPIRED,
// PASSED, PENDING and NOTVERIFIED (waiting at Caisson), FAILING (always
// IDCHECK_EXPIRED), DELETED (IDCHECK_DELETED), ID0 to ID2, TOKEN, an
// exchange token, and ESC, the escape character. Paths are given under $WORK: the program runs in the
// test's process, whose directory is the package's.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:   "testdata",
		Setup: setupScript,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			progName:   runInScript,
			"status":   checkStatus,
			"backdate": backdateWaits,
		},
	})
}

// lastStatus is where a script's runs leave their exit status for status.
type lastStatus struct{ code int }

func setupScript(env *testscript.Env) error {
	sb := sandbox.New(sandbox.Options{Key: testKey})
	url, stop, err := sb.Listen("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("starting the sandbox: %w", err)
	}
	env.Defer(func() { stop() })
	keyFile := filepath.Join(env.WorkDir, "key")
	if err := os.WriteFile(keyFile, []byte(testKey+"\n"), 0o600); err != nil {
		return err
	}
	env.Setenv(envAPIURL, url)
	env.Setenv(envDB, filepath.Join(env.WorkDir, "review.db"))
	env.Setenv(envReviewer, "alice")
	env.Setenv("KEYFILE", keyFile)
	names := map[sandbox.ExampleKind]string{
		sandbox.ExampleRisky: "RISKY", sandbox.ExampleExpired: "EXPIRED", sandbox.ExamplePassed: "PASSED",
		sandbox.ExamplePendingReview: "PENDING", sandbox.ExampleNotVerified: "NOTVERIFIED", sandbox.ExampleFailure: "FAILING",
	}
	for _, ex := range sb.Examples() {
		env.Setenv(names[ex.Kind], ex.ID)
	}
	env.Setenv("DELETED", sb.ErrorCheckID("IDCHECK_DELETED"))
	for i := range 3 {
		// Past the examples, which are among the first hundred.
		env.Setenv("ID"+strconv.Itoa(i), sb.CheckID(150+i))
	}
	env.Setenv("TOKEN", sb.NewToken(0))
	env.Setenv("ESC", "\x1b") // to type an escape sequence in a script
	env.Values[lastStatus{}] = &lastStatus{}
	return nil
}

// runInScript runs cli.Main in-process with the script's environment,
// and fails unless it succeeded (or failed, under !). Whatever it wrote
// is checked for the key.
func runInScript(ts *testscript.TestScript, neg bool, args []string) {
	stdin := ""
	if n := len(args); n >= 2 && args[n-2] == "<" {
		stdin = os.Expand(ts.ReadFile(args[n-1]), ts.Getenv)
		args = args[:n-2]
	}
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := Main(ctx, args, strings.NewReader(stdin), &stdout, &stderr, ts.Getenv)
	ts.Value(lastStatus{}).(*lastStatus).code = code
	for _, out := range []string{stdout.String(), stderr.String()} {
		if strings.Contains(out, testKey) || strings.Contains(out, testKey[8:]) {
			ts.Fatalf("the API key appeared in the program's output:\n%s", out)
		}
	}
	ts.Stdout().Write(stdout.Bytes())
	ts.Stderr().Write(stderr.Bytes())
	switch {
	case neg && code == 0:
		ts.Fatalf("%s %s: unexpected success", progName, strings.Join(args, " "))
	case !neg && code != 0:
		ts.Fatalf("%s %s: exit status %d", progName, strings.Join(args, " "), code)
	}
}

func checkStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: status N")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	if got := ts.Value(lastStatus{}).(*lastStatus).code; got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}

// backdateWaits moves the start of every wait back by a duration (backdate
// 25h), as if the checks had become reviewable that much earlier: the
// program's clock is the machine's, and an SLA is hours long. It writes
// the database as SQLite would for any other writer, so the store's
// triggers keep the overdue count as they do for the program's writes.
func backdateWaits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: backdate DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	db, err := sql.Open("sqlite", ts.Getenv(envDB)+"?_pragma=busy_timeout(5000)")
	ts.Check(err)
	defer db.Close()
	_, err = db.Exec("UPDATE checks SET reviewable_at = reviewable_at - ? WHERE reviewable_at <> 0", int64(d))
	ts.Check(err)
}
