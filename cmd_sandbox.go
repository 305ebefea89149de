package main

import (
	"context"
	"fmt"
	"time"

	"github.com/caisson-review/caisson-review/caisson/sandbox"
)

func init() {
	commandHelp["sandbox"] = `
Runs the built-in fake of the Caisson API until interrupted, on a loopback
address only. It prints its base URL, the throwaway key it accepts (a
made-up key that works nowhere else; printing it is safe), some check ids,
exchange tokens and ids answering each documented error, and a curl
example. Point caisson-review at it with CAISSON_API_URL and
CAISSON_API_KEY.`
}

func cmdSandbox(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("sandbox")
	listen := fs.String("listen", "127.0.0.1:0", "loopback `ADDR` to listen on (port 0 picks a free one)")
	latency := fs.Duration("latency", 0, "added to every request (`D`, such as 50ms)")
	failRate := fs.Float64("fail-rate", 0, "fraction `F` (0 to 1) of requests given an injected failure")
	checks := fs.Int("checks", sandbox.DefaultChecks, "number of checks in the data set (`N`)")
	hostile := fs.Bool("hostile", false, "put escape sequences and bidi characters in some names and customer ids")
	pos, err := a.parse(fs, "sandbox", args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("sandbox", "sandbox takes no arguments")
	}
	opts := sandbox.Options{Checks: *checks, Latency: *latency, FailRate: *failRate, Hostile: *hostile}
	if *checks < 1 {
		return usageErrorf("sandbox", "--checks %d: expected 1 to %d", *checks, sandbox.MaxChecks)
	}
	if err := opts.Validate(); err != nil {
		return usageErrorf("sandbox", "%s", err.Error())
	}
	sb := sandbox.New(opts)
	baseURL, stop, err := sb.Listen(*listen)
	if err != nil {
		return err
	}
	defer stop()
	a.printSandboxIntro(sb, baseURL, *checks)
	<-ctx.Done()
	fmt.Fprintln(a.stderr, "sandbox stopped")
	return nil
}

func (a *app) printSandboxIntro(sb *sandbox.Server, baseURL string, checks int) {
	w := a.stdout
	fmt.Fprintf(w, "Caisson sandbox: a fake of the Caisson API with %d made-up checks, for trying caisson-review.\n\n", checks)
	fmt.Fprintf(w, "  base URL  %s\n", baseURL)
	// The one place a key is printed: it is the sandbox's own throwaway
	// key, not a secret, and accepted nowhere but here.
	fmt.Fprintf(w, "  API key   %s\n", sb.Key())
	fmt.Fprintf(w, "            (a throwaway key this sandbox made up; printing it is safe, it works nowhere else)\n\n")
	fmt.Fprintf(w, "Use it:\n  export %s=%s\n  export %s=%s\n  %s add %s\n  %s refresh --all\n  %s\n\n",
		envAPIURL, baseURL, envAPIKey, sb.Key(), progName, sb.CheckID(0), progName, progName)
	fmt.Fprintln(w, "Check ids:")
	for _, id := range sb.CheckIDs(min(5, checks)) {
		fmt.Fprintf(w, "  %s\n", id)
	}
	fmt.Fprintln(w, "Exchange tokens (valid for 2 hours; once exchanged, 5 more minutes):")
	for i := range min(3, checks) {
		fmt.Fprintf(w, "  %s\n", sb.NewToken(i))
	}
	fmt.Fprintln(w, "Check ids that always answer an error:")
	for _, code := range demoErrorCodes {
		fmt.Fprintf(w, "  %-16s %s\n", code, sb.ErrorCheckID(string(code)))
	}
	fmt.Fprintf(w, "\nTry it with curl:\n  curl -s -H 'Authorization: Caisson %s' -H 'X-Caisson-CheckID: %s' '%s/v1/idcheck?fields=sex,dob,address,expires_on'\n\n",
		sb.Key(), sb.CheckID(0), baseURL)
	fmt.Fprintf(w, "Started %s. Stop with Ctrl-C.\n", time.Now().Format(time.TimeOnly))
}
