package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/store"
)

func init() {
	commandHelp["sandbox"] = `
Runs the built-in fake of the Caisson API until interrupted, on a loopback
address only. It prints its base URL, the throwaway key it accepts (a
made-up key that works nowhere else; printing it is safe), the commands
that point caisson-review at it (go run . when run from a clone), check
ids that show each queue once refreshed (one needing review first), more
check ids, exchange tokens, ids answering each documented error, with
--hostile the ids whose names carry escape sequences, and a curl example.
With --ids-file PATH it also writes every check id of its data set, and
the ids answering an error, to PATH (replaced if it exists), one per
line, for trying add - and a bulk refresh on many checks.`
}

// sandboxFlags are sandbox's own flags.
type sandboxFlags struct {
	listen   string
	latency  time.Duration
	failRate float64
	checks   int
	hostile  bool
	idsFile  string
}

func wireSandbox(a *app, c *cobra.Command) runFunc {
	var f sandboxFlags
	c.Flags().StringVar(&f.listen, "listen", "127.0.0.1:0", "loopback ADDR to listen on (port 0 picks a free one)")
	c.Flags().DurationVar(&f.latency, "latency", 0, "added to every request (D, such as 50ms)")
	c.Flags().Float64Var(&f.failRate, "fail-rate", 0, "fraction F (0 to 1) of requests given an injected failure")
	c.Flags().IntVar(&f.checks, "checks", sandbox.DefaultChecks, "number of checks in the data set (N)")
	c.Flags().BoolVar(&f.hostile, "hostile", false, "put escape sequences and bidi characters in some names and customer ids")
	c.Flags().StringVar(&f.idsFile, "ids-file", "", "write the data set's N check ids and those answering an error to PATH, one per line (for add -)")
	c.ValidArgsFunction = cobra.NoFileCompletions
	return func(ctx context.Context, pos []string) error { return cmdSandbox(ctx, a, f, pos) }
}

func cmdSandbox(ctx context.Context, a *app, f sandboxFlags, pos []string) error {
	if len(pos) > 0 {
		return usageErrorf("sandbox", "sandbox takes no arguments")
	}
	opts := sandbox.Options{Checks: f.checks, Latency: f.latency, FailRate: f.failRate, Hostile: f.hostile}
	if f.checks < 1 {
		return usageErrorf("sandbox", "--checks %d: expected 1 to %d", f.checks, sandbox.MaxChecks)
	}
	if err := opts.Validate(); err != nil {
		return usageErrorf("sandbox", "%s", err.Error())
	}
	sb := sandbox.New(opts)
	baseURL, stop, err := sb.Listen(f.listen)
	if err != nil {
		return err
	}
	defer stop()
	if f.idsFile != "" {
		// Named absolute in the banner: its add - < PATH is pasted in
		// another terminal, maybe in another directory.
		if abs, err := filepath.Abs(f.idsFile); err == nil {
			f.idsFile = abs
		}
		// The error ids too: a trial's refresh then fills Errors (and
		// Waiting at Caisson), as the banner's few ids do; without them
		// a 5,000-check trial never met a failure (helper-67).
		ids := sb.CheckIDs(f.checks)
		for _, code := range demoErrorCodes {
			ids = append(ids, sb.ErrorCheckID(string(code)))
		}
		text := strings.Join(ids, "\n") + "\n"
		if err := os.WriteFile(f.idsFile, []byte(text), 0o600); err != nil {
			return fmt.Errorf("writing the check ids to --ids-file: %w", err)
		}
	}
	a.printSandboxIntro(sb, baseURL, f.checks, f.idsFile)
	<-ctx.Done()
	fmt.Fprintln(a.stderr, "sandbox stopped")
	return nil
}

func (a *app) printSandboxIntro(sb *sandbox.Server, baseURL string, checks int, idsFile string) {
	w := a.stdout
	run := selfCommand()
	examples := sb.Examples()
	fmt.Fprintf(w, "Caisson sandbox: a fake of the Caisson API with %d made-up checks, for trying caisson-review.\n\n", checks)
	fmt.Fprintf(w, "  base URL  %s\n", baseURL)
	// The one place a key is printed: it is the sandbox's own throwaway
	// key, not a secret, and accepted nowhere but here.
	fmt.Fprintf(w, "  API key   %s\n", sb.Key())
	fmt.Fprintf(w, "            (a throwaway key this sandbox made up; printing it is safe, it works nowhere else)\n\n")
	fmt.Fprintf(w, "Use it, in another terminal%s:\n  export %s=%s\n  export %s=%s\n",
		runWhere(run), envAPIURL, baseURL, envAPIKey, sb.Key())
	ids := make([]string, len(examples))
	for i, e := range examples {
		ids[i] = e.ID
	}
	fmt.Fprintf(w, "  %s add %s\n  %s refresh --all\n  %s\n\n", run, strings.Join(ids, " "), run, run)
	fmt.Fprintln(w, "Check ids that show each queue once refreshed (list --queue NAME, or the console's tabs):")
	for _, e := range examples {
		fmt.Fprintf(w, "  %-13s %s  %s\n", exampleQueue[e.Kind], e.ID, e.What)
	}
	fmt.Fprintln(w, "More check ids:")
	for _, id := range moreIDs(sb, ids, 5) {
		fmt.Fprintf(w, "  %s\n", id)
	}
	if idsFile != "" {
		fmt.Fprintf(w, "All %d check ids and the %d below that answer an error, one per line, are in %s:\n  %s add - < %s\n",
			checks, len(demoErrorCodes), sanitize.Line(idsFile), run, sanitize.Line(shellWord(idsFile)))
	}
	fmt.Fprintln(w, "Exchange tokens (valid for 2 hours; once exchanged, 5 more minutes):")
	for i := range min(3, checks) {
		fmt.Fprintf(w, "  %s\n", sb.NewToken(i))
	}
	fmt.Fprintf(w, "Check ids that always answer an error (%s and %s: no result yet, so pending, not errors):\n",
		caisson.CodeNotVerified, caisson.CodePendingReview)
	for _, code := range demoErrorCodes {
		fmt.Fprintf(w, "  %-16s %s\n", code, sb.ErrorCheckID(string(code)))
	}
	if hostile := sb.HostileExamples(); len(hostile) > 0 {
		fmt.Fprintln(w, "Check ids with escape sequences in a name (--hostile), to see them shown defused:")
		for _, h := range hostile {
			fmt.Fprintf(w, "  %s  %s: %s\n", h.ID, h.Where, h.What)
		}
	}
	fmt.Fprintf(w, "\nTry it with curl:\n  curl -s -H 'Authorization: Caisson %s' -H 'X-Caisson-CheckID: %s' '%s/v1/idcheck?fields=sex,dob,address,expires_on'\n\n",
		sb.Key(), sb.CheckID(0), baseURL)
	fmt.Fprintf(w, "Started %s. Stop with Ctrl-C.\n", time.Now().Format(time.TimeOnly))
}

// shellWord is s as one word of a shell command to copy: as it is when
// nothing in it is special to a shell, else in single quotes.
func shellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-+:@%=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// moreIDs is up to n of the sandbox's check ids that the banner has not
// already printed as examples.
func moreIDs(sb *sandbox.Server, printed []string, n int) []string {
	var out []string
	for _, id := range sb.CheckIDs(n + len(printed)) {
		if len(out) < n && !slices.Contains(printed, id) {
			out = append(out, id)
		}
	}
	return out
}

// exampleQueue is the queue each kind of sandbox example lands in after a
// refresh, as list --queue names it; a passed check is in no queue to
// work through, only in all.
var exampleQueue = map[sandbox.ExampleKind]string{
	sandbox.ExampleRisky:         string(store.QueueNeedsReview),
	sandbox.ExampleExpired:       string(store.QueueNeedsReview),
	sandbox.ExamplePendingReview: string(store.QueuePending),
	sandbox.ExampleNotVerified:   string(store.QueuePending),
	sandbox.ExampleFailure:       string(store.QueueErrors),
	sandbox.ExamplePassed:        string(store.QueueAll),
}

// selfCommand is how the person can run this program again, for the
// commands the banner prints.
var selfCommand = func() string {
	exe, _ := os.Executable()
	return runCommand(exe, os.Args[0])
}

// runCommand is "go run ." for a program go run built (its executable
// sits in the build cache, gone once it exits), otherwise the name it was
// started by: caisson-review when found on the PATH, the path as typed
// when not.
func runCommand(exe, arg0 string) string {
	if builtByGoRun(exe) {
		return "go run ."
	}
	if arg0 == "" || filepath.Base(arg0) == arg0 {
		return progName
	}
	return arg0
}

// builtByGoRun recognises go run's executable: $GOTMPDIR or the temp
// folder, then go-buildNNN/b001/exe/NAME.
func builtByGoRun(exe string) bool {
	dir := filepath.Dir(exe)
	return filepath.Base(dir) == "exe" && strings.HasPrefix(filepath.Base(filepath.Dir(filepath.Dir(dir))), "go-build")
}

// runWhere says where the printed commands work: go run . only in the
// clone.
func runWhere(run string) string {
	if run == "go run ." {
		return ", from this clone (or build it first: go build -o caisson-review .)"
	}
	return ""
}
