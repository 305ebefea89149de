// Package cli is caisson-review's command line: the subcommands, their flags
// and help, the configuration and the wiring of the store, the API client,
// the console and the SSH server behind them. main hands it os.Args.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
)

const progName = "caisson-review"

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// version is set at build time with
// -ldflags "-X github.com/caisson-review/caisson-review/cli.version=…".
var version = "dev"

// command is one subcommand. Each builds its own FlagSet, so `--help` and
// flag errors are specific to it.
type command struct {
	name    string
	usage   string // the synopsis after the program name
	summary string
	run     func(ctx context.Context, a *app, args []string) error
}

// commands is filled in init because the help command refers to it.
var commands []command

func init() {
	commands = []command{
		{"demo", "demo [--checks N] [--read-only]", "Open the console on the built-in sandbox with a throwaway database.", cmdDemo},
		{"add", "add ID_OR_TOKEN... | add -", "Track check ids; exchange tokens are exchanged first. - reads one per line from standard input.", cmdAdd},
		{"exchange", "exchange TOKEN", "Exchange a token for its check id, print the id and track it.", cmdExchange},
		{"refresh", "refresh [ID...] [--all] [--queue Q] [--concurrency N]", "Fetch results from the API and cache them.", cmdRefresh},
		{"list", "list [--queue Q] [--customer ID] [--json]", "List tracked checks.", cmdList},
		{"show", "show ID [--json]", "Show one check in full: result, reasons, decisions.", cmdShow},
		{"decide", "decide ID approve|reject|escalate|reopen|confirm|return [--note TEXT] [--reason REASON] [--final|--retry] [--yes]", "Record a decision, with the console's rules and the four-eyes policy.", cmdDecide},
		{"policy", "policy show | policy set four-eyes off|risky|approvals|all --note TEXT", "Show or change the database's four-eyes policy (logged in the decision log).", cmdPolicy},
		{"access", "access [--check ID] [--customer ID] [--reviewer NAME] [--since DATE] [--format csv|json]", "Who was shown whose personal data, and when: the access log.", cmdAccess},
		{"export", "export [--format csv|json] [--since DATE] | --head | --verify [--head SEQ:HASH]...", "Write the decision log, oldest first, print its head, or verify its hash chain.", cmdExport},
		{"purge", "purge --older-than DURATION", "Drop cached personal data older than DURATION (30d, 12h); decisions are kept.", cmdPurge},
		{"sandbox", "sandbox [--listen ADDR] [--latency D] [--fail-rate F] [--checks N] [--hostile]", "Run the fake Caisson API on loopback, for trying things out.", cmdSandbox},
		{"serve", "serve --host-key PATH --authorized-keys PATH [--listen ADDR] [--idle-timeout D] [--max-sessions N]", "Serve the console over SSH to a team of reviewers (public keys only).", cmdServe},
		{"config", "config", "Print every setting in effect and where it came from (never the API key).", cmdConfig},
		{"version", "version", "Print the version.", cmdVersion},
		{"help", "help [COMMAND]", "Show help for the program or one command.", cmdHelp},
	}
}

func findCommand(name string) (command, bool) {
	for _, c := range commands {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// usageError is a mistake in the command line: exit status 2.
type usageError struct {
	cmd string // "" for the program itself
	msg string
}

func (e *usageError) Error() string { return e.msg }

func usageErrorf(cmd, format string, args ...any) error {
	return &usageError{cmd: cmd, msg: fmt.Sprintf(format, args...)}
}

var (
	// errHelpShown: --help was asked for and printed; exit 0.
	errHelpShown = errors.New("help shown")
	// errReported: the failures were already listed; exit 1 without
	// repeating them.
	errReported = errors.New("failures reported above")
)

// run is Main under the name the tests have always called.
// Main runs the program with the arguments after its name, the standard
// streams and a way to read the environment, and returns the exit status.
// Everything it reads from outside comes through these, so tests run it
// in-process exactly as a shell would.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string) int {
	return run(ctx, args, stdin, stdout, stderr, env)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string) int {
	caisson.Version = version
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: env}
	return a.exitStatus(a.dispatch(ctx, args))
}

func (a *app) dispatch(ctx context.Context, args []string) error {
	root := a.flagSet("")
	root.BoolVar(&a.readOnly, "read-only", false, "open the console without any decision keys (for support staff)")
	// The program's own flags stop at the first word: the command name.
	if err := root.Parse(args); err != nil {
		return a.flagError(root, "", err)
	}
	rest := root.Args()
	if len(rest) == 0 {
		return cmdConsole(ctx, a)
	}
	cmd, ok := findCommand(rest[0])
	if !ok {
		return usageErrorf("", "unknown command %q", sanitize.Line(rest[0]))
	}
	if a.readOnly && writesUnderReadOnly[cmd.name] != "" {
		return usageErrorf("", "--read-only promises no decision and no change: %s %s; leave --read-only out, or use list, show or export",
			cmd.name, writesUnderReadOnly[cmd.name])
	}
	return cmd.run(ctx, a, rest[1:])
}

// writesUnderReadOnly are the commands --read-only refuses, and why: it
// opens the console without decision or add keys, and a support account
// that keeps it in an alias must not find decide working behind it.
var writesUnderReadOnly = map[string]string{
	"add":      "tracks checks",
	"exchange": "tracks checks",
	"refresh":  "stores Caisson's answers",
	"decide":   "records a decision",
	"purge":    "drops personal data",
	"serve":    "serves the deciding console (read-only is per key there: caisson-review:read-only in authorized_keys)",
}

func (a *app) exitStatus(err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelpShown):
		return exitOK
	case errors.Is(err, errReported):
		return exitFailure
	case errors.As(err, &ue):
		name := progName
		if ue.cmd != "" {
			name += " " + ue.cmd
		}
		fmt.Fprintf(a.stderr, "%s: %s\n", name, sanitize.Text(ue.msg))
		if c, ok := findCommand(ue.cmd); ok {
			fmt.Fprintf(a.stderr, "usage: %s %s\n", progName, c.usage)
		}
		fmt.Fprintf(a.stderr, "Run '%s --help' for more.\n", name)
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(a.stderr, "%s: interrupted\n", progName)
		return exitFailure
	}
	fmt.Fprintf(a.stderr, "%s: %s\n", progName, sanitize.Text(err.Error()))
	return exitFailure
}

// flagSet makes a FlagSet that reports errors to us instead of printing
// them, so the exit status and the wording stay ours.
func (a *app) flagSet(cmd string) *flag.FlagSet {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	a.globals.register(fs)
	return fs
}

// parse parses flags anywhere among the arguments (Go's flag package stops
// at the first non-flag, but `refresh ID --all` should work) and returns
// the positional arguments. Everything after "--" is positional.
func (a *app) parse(fs *flag.FlagSet, cmd string, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, a.flagError(fs, cmd, err)
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func (a *app) flagError(fs *flag.FlagSet, cmd string, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		a.printHelp(fs, cmd)
		return errHelpShown
	}
	msg := err.Error()
	if strings.HasSuffix(msg, "-api-key") || strings.HasSuffix(msg, "-key") {
		msg += "; no flag takes the key itself (it would show in ps and shell history): use --api-key-file PATH or set " + envAPIKey
	}
	return usageErrorf(cmd, "%s", msg)
}

func (a *app) printHelp(fs *flag.FlagSet, cmd string) {
	w := a.stdout
	if c, ok := findCommand(cmd); ok && cmd != "" {
		fmt.Fprintf(w, "usage: %s %s\n\n%s\n", progName, c.usage, c.summary)
		if help := commandHelp[cmd]; help != "" {
			fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(help))
		}
	} else {
		fmt.Fprintf(w, "usage: %s [GLOBAL FLAGS] [COMMAND] [FLAGS]\n\n", progName)
		fmt.Fprintf(w, "Without a command, opens the review console.\n\nCommands:\n")
		for _, c := range commands {
			fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
		}
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(configHelp))
	}
	var own, global strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		b := &own
		if isGlobalFlag(f.Name) {
			b = &global
		}
		writeFlagHelp(b, f)
	})
	if own.Len() > 0 {
		fmt.Fprintf(w, "\nFlags:\n%s", own.String())
	}
	if global.Len() > 0 {
		fmt.Fprintf(w, "\nGlobal flags (before or after the command):\n%s", global.String())
	}
}

func writeFlagHelp(b *strings.Builder, f *flag.Flag) {
	name, usage := flag.UnquoteUsage(f)
	fmt.Fprintf(b, "  --%s", f.Name)
	if name != "" {
		fmt.Fprintf(b, " %s", name)
	}
	fmt.Fprintf(b, "\n      %s", usage)
	if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
		fmt.Fprintf(b, " (default %s)", f.DefValue)
	}
	b.WriteString("\n")
}

const configHelp = `
Configuration (a flag beats the environment, which beats the file, which
beats the default; ` + "`" + progName + ` config` + "`" + ` shows each and where it came from):
  API base URL   --api-url URL          CAISSON_API_URL     api-url        https://api.caisson.com
  secret key     --api-key-file PATH    CAISSON_API_KEY     api-key-file   none
  database       --db PATH              CAISSON_REVIEW_DB   db             $XDG_DATA_HOME/caisson-review/review.db
  reviewer       --reviewer NAME        CAISSON_REVIEWER    reviewer       the login user
  config file    --config PATH          CAISSON_REVIEW_CONFIG              $XDG_CONFIG_HOME/caisson-review/config.toml
The file (TOML) also sets the console's [console] queue, sort, mask, theme
and its [keys]. No flag takes the key itself, and neither does the file:
it would show in ps and in shell history, or in a shared dotfile.
Exit status: 0 success, 1 failure, 2 usage error.`

// commandHelp is the longer text shown by `COMMAND --help`.
var commandHelp = map[string]string{}

func cmdHelp(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("help")
	pos, err := a.parse(fs, "help", args)
	if err != nil {
		return err
	}
	switch len(pos) {
	case 0:
		a.printHelp(a.flagSet(""), "")
		return nil
	case 1:
		c, ok := findCommand(pos[0])
		if !ok {
			return usageErrorf("help", "unknown command %q", sanitize.Line(pos[0]))
		}
		// Each command prints its own help, flags included.
		return c.run(ctx, a, []string{"--help"})
	}
	return usageErrorf("help", "expected at most one command name")
}

func cmdVersion(_ context.Context, a *app, args []string) error {
	fs := a.flagSet("version")
	pos, err := a.parse(fs, "version", args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf("version", "version takes no arguments")
	}
	fmt.Fprintf(a.stdout, "%s %s\n", progName, version)
	return nil
}
