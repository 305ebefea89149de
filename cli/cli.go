// Package cli is caisson-review's command line: the subcommands, their flags
// and help, the configuration and the wiring of the store, the API client,
// the console and the SSH server behind them. main hands it os.Args.
//
// The commands are cobra commands run by fang, which styles help and
// errors on a terminal. Everything the program reads from outside (the
// arguments, the streams, the environment) comes through Main's
// parameters, so tests run it in-process exactly as a shell would.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"charm.land/fang/v2"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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

// runFunc is a command's work, given the positional arguments once its
// flags are parsed.
type runFunc func(ctx context.Context, pos []string) error

// command is one subcommand: its name and arguments (cobra's Use, shown in
// the list of commands), its synopsis with the flags (shown in its help and
// with a usage error), its one-line summary, and wire, which declares its
// flags on the cobra command and returns the work they feed. The longer
// help is commandHelp[name].
type command struct {
	name    string
	use     string
	usage   string // the synopsis after the program name
	summary string
	wire    func(a *app, c *cobra.Command) runFunc
}

// commands is filled in init because help and completion refer to it.
// Adding a command is one line here and its wire function.
var commands []command

func init() {
	// Once, not per run: runs may be concurrent (the tests' scripts), and
	// the client reads it on every request.
	caisson.Version = version
	// Help lists the commands in this order: the daily ones first.
	cobra.EnableCommandSorting = false
	commands = []command{
		{"demo", "demo", "demo [--checks N] [--read-only]", "Open the console on the built-in sandbox with a throwaway database.", wireDemo},
		{"add", "add ID_OR_TOKEN...", "add ID_OR_TOKEN... | add -", "Track check ids; exchange tokens are exchanged first. - reads one per line from standard input.", wireAdd},
		{"exchange", "exchange TOKEN", "exchange TOKEN", "Exchange a token for its check id, print the id and track it.", wireExchange},
		{"refresh", "refresh [ID...]", "refresh [ID...] [--all] [--queue Q] [--stale AGE] [--concurrency N]", "Fetch results from the API and cache them.", wireRefresh},
		{"list", "list", "list [--queue Q] [--sort S] [--customer ID] [--overdue] [--json]", "List tracked checks.", wireList},
		{"show", "show ID", "show ID [--json]", "Show one check in full: result, reasons, decisions.", wireShow},
		{"decide", "decide ID ACTION", "decide ID approve|reject|escalate|reopen|confirm|return [--note TEXT] [--reason REASON] [--final|--retry] [--yes]", "Record a decision, with the console's rules and the four-eyes policy.", wireDecide},
		{"policy", "policy show|set", "policy show | policy set four-eyes off|risky|approvals|all --note TEXT | policy set sla HOURSh|DAYSd|off --note TEXT", "Show or change the database's four-eyes policy and SLA (logged in the decision log).", wirePolicy},
		{"stats", "stats", "stats [--since DATE] [--json]", "The team's figures: queues, backlog, decisions per reviewer, waiting times, reasons, outcomes.", wireStats},
		{"access", "access", "access [--check ID] [--customer ID] [--reviewer NAME] [--since DATE] [--format csv|json]", "Who was shown whose personal data, and when: the access log.", wireAccess},
		{"export", "export", "export [--format csv|json] [--since DATE] | --head | --verify [--head SEQ:HASH]...", "Write the decision log, oldest first, print its head, or verify its hash chain.", wireExport},
		{"purge", "purge", "purge --older-than DURATION", "Drop cached personal data older than DURATION (30d, 12h); decisions are kept.", wirePurge},
		{"migrate-store", "migrate-store", "migrate-store --from PATH_OR_URL --to PATH_OR_URL", "Copy every check, decision and access record from one store (SQLite file or PostgreSQL) into an empty one.", wireMigrateStore},
		{"sandbox", "sandbox", "sandbox [--listen ADDR] [--latency D] [--fail-rate F] [--checks N] [--hostile]", "Run the fake Caisson API on loopback, for trying things out.", wireSandbox},
		{"serve", "serve", "serve --host-key PATH --authorized-keys PATH [--listen ADDR] [--idle-timeout D] [--max-sessions N]", "Serve the console over SSH to a team of reviewers (public keys only).", wireServe},
		{"completion", "completion SHELL", "completion bash|zsh|fish", "Write the shell's completion script (commands, flags, queues, check ids).", wireCompletion},
		{"man", "man", "man", "Write the manual page (roff) to standard output.", wireMan},
		{"config", "config", "config", "Print every setting in effect and where it came from (never the API key).", wireConfig},
		{"version", "version", "version", "Print the version.", wireVersion},
		{"help", "help [COMMAND]", "help [COMMAND]", "Show help for the program or one command.", wireHelp},
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

// refuseEmpty refuses, as a usage error, a flag of c given with nothing
// in it (spaces count as nothing): an unset shell variable ($CUSTOMER) is
// no wish to list or count everything, and a filter ignored when empty
// handed an audit script the whole log (helper-61). expect says what each
// flag named takes.
func refuseEmpty(c *cobra.Command, expect map[string]string) error {
	for _, name := range slices.Sorted(maps.Keys(expect)) {
		if f := c.Flags().Lookup(name); f != nil && f.Changed && strings.TrimSpace(f.Value.String()) == "" {
			return usageErrorf(c.Name(), "--%s is empty: expected %s", name, expect[name])
		}
	}
	return nil
}

// errReported: the failures were already listed; exit 1 without
// repeating them.
var errReported = errors.New("failures reported above")

// Main runs the program with the arguments after its name, the standard
// streams and a way to read the environment, and returns the exit status.
// Everything it reads from outside comes through these, so tests run it
// in-process exactly as a shell would.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string) int {
	return run(ctx, args, stdin, stdout, stderr, env)
}

// run is Main under the name the tests have always called.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string) int {
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: env}
	var failed error
	root := a.rootCommand(&failed)
	args = rewriteArgs(root, args)
	if args == nil {
		args = []string{} // cobra reads os.Args when given nil: never, here
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	out, help := newHelpWriter(a.styledOrPlain(stdout), a.helpWidth(stdout))
	root.SetOut(out)
	root.SetErr(a.styledOrPlain(stderr))
	err := fang.Execute(ctx, root,
		fang.WithVersion(version),
		// Ours write to the injected stdout and list only the shells we
		// document; fang's man page goes to os.Stdout.
		fang.WithoutManpage(),
		fang.WithoutCompletions(),
		// The console's 16 ANSI colours, not fang's true-colour palette.
		fang.WithColorSchemeFunc(fang.AnsiColorScheme),
		fang.WithErrorHandler(a.reportError),
	)
	if ferr := help.Flush(); err == nil {
		err = ferr
	}
	if err == nil && failed != nil {
		err = failed
		a.reportError(nil, fang.Styles{}, err)
	}
	return exitStatus(err)
}

// keep is a command's work as cobra runs it, after the --read-only check:
// an error it ends with is kept in failed and reported by run, not handed
// to fang, whose error path asks the terminal for its background first (up
// to 2 s twice when the terminal does not answer) even when the error is
// printed plain. fang reports only what pflag finds: a flag unknown, or
// without its value, or with a bad one.
func (a *app) keep(failed *error, work runFunc) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, pos []string) error {
		if *failed = a.refuseUnderReadOnly(c, pos); *failed == nil {
			*failed = work(c.Context(), pos)
		}
		if *failed == nil {
			a.noteUnreadKeyFile()
		}
		return nil
	}
}

// rootCommand is the program: the console without a command, the global
// flags, and every subcommand. A command's error ends up in failed.
func (a *app) rootCommand(failed *error) *cobra.Command {
	var root *cobra.Command
	root = &cobra.Command{
		Use:   progName,
		Short: "A terminal review console for Caisson ID Checks.",
		Long:  strings.TrimSpace(rootHelp),
		// Any word that is no command reaches RunE, which refuses it.
		Args: cobra.ArbitraryArgs,
		RunE: a.keep(failed, func(ctx context.Context, args []string) error {
			if len(args) > 0 {
				return a.unknownCommand(root, args[0])
			}
			return cmdConsole(ctx, a)
		}),
		DisableFlagsInUseLine: true,
		SilenceErrors:         true,
		SilenceUsage:          true,
	}
	root.SuggestionsMinimumDistance = 2
	root.SetVersionTemplate(progName + " {{.Version}}\n")
	root.SetFlagErrorFunc(a.flagError)
	a.registerGlobals(root)
	a.pollFlags.wire(root)
	for _, spec := range commands {
		c := a.subcommand(spec, failed)
		if spec.name == "help" {
			root.SetHelpCommand(c)
			continue
		}
		root.AddCommand(c)
	}
	return root
}

// registerGlobals declares the flags every command takes, before or after
// its name. Adding a global flag is one line here.
func (a *app) registerGlobals(root *cobra.Command) {
	fs := root.PersistentFlags()
	a.globals.register(fs)
	fs.BoolVar(&a.readOnly, "read-only", false, "the console without any decision keys, and commands that change the database refused (for support staff)")
	a.completeGlobals(root)
}

func (a *app) subcommand(spec command, failed *error) *cobra.Command {
	c := &cobra.Command{
		Use:                   spec.use,
		Short:                 spec.summary,
		DisableFlagsInUseLine: true,
	}
	c.Long, c.Example = longHelp(spec)
	c.RunE = a.keep(failed, spec.wire(a, c))
	return c
}

// longHelp splits a command's help text into what its help says above the
// usage (the summary, then the text) and the examples, the indented lines
// after the last blank line, which fang shows styled as commands.
func longHelp(spec command) (long, examples string) {
	text := strings.TrimSpace(commandHelp[spec.name])
	if i := strings.LastIndex(text, "\n\n"); i >= 0 && isIndented(text[i+2:]) {
		text, examples = strings.TrimSpace(text[:i]), text[i+2:]
	}
	if text == "" {
		return spec.summary, examples
	}
	return spec.summary + "\n\n" + text, examples
}

func isIndented(block string) bool {
	for _, line := range strings.Split(block, "\n") {
		if !strings.HasPrefix(line, "  ") {
			return false
		}
	}
	return true
}

// rewriteArgs adapts the arguments to pflag: a long flag written with one
// dash, as Go's flag package took it (-all, -queue=pending), gets its
// second, so scripts written for the earlier parser keep working; and
// export's --head may come with or without a value.
func rewriteArgs(root *cobra.Command, args []string) []string {
	c, _, err := root.Find(args)
	if err != nil {
		return args
	}
	out := make([]string, len(args))
	for i, arg := range args {
		if arg == "--" {
			copy(out[i:], args[i:])
			break
		}
		out[i] = arg
		name, _, _ := strings.Cut(strings.TrimPrefix(arg, "-"), "=")
		if len(name) > 1 && arg[0] == '-' && arg[1] != '-' && isLongFlag(c, name) {
			out[i] = "-" + arg
		}
	}
	if c.Name() == "export" {
		return bareHead(out)
	}
	return out
}

// isLongFlag reports whether c takes --name, its own or a global one.
func isLongFlag(c *cobra.Command, name string) bool {
	return c.Flags().Lookup(name) != nil || c.Root().PersistentFlags().Lookup(name) != nil
}

// unknownCommand is the usage error for a word that is no command, with
// the commands it may be a slip for.
func (a *app) unknownCommand(root *cobra.Command, word string) error {
	msg := fmt.Sprintf("unknown command %q", sanitize.Line(word))
	if s := root.SuggestionsFor(word); len(s) > 0 {
		msg += ": did you mean " + strings.Join(s, " or ") + "?"
	}
	return usageErrorf("", "%s", msg)
}

// writesUnderReadOnly are the commands --read-only refuses, and why: it
// opens the console without decision or add keys, and a support account
// that keeps it in an alias must not find decide working behind it.
var writesUnderReadOnly = map[string]string{
	"add":           "tracks checks",
	"exchange":      "tracks checks",
	"refresh":       "stores Caisson's answers",
	"decide":        "records a decision",
	"purge":         "drops personal data",
	"migrate-store": "writes a whole store",
	"serve":         "serves the deciding console (read-only is per key there: caisson-review:read-only in authorized_keys)",
	// policy show only reads; its set changes the rules every reviewer
	// decides under, which a support account must never do.
	"policy set": "changes the team's four-eyes policy or SLA",
}

func (a *app) refuseUnderReadOnly(c *cobra.Command, pos []string) error {
	name := c.Name()
	if name == "policy" && len(pos) > 0 && pos[0] == "set" {
		name = "policy set"
	}
	if why := writesUnderReadOnly[name]; a.readOnly && why != "" && c.Parent() != nil {
		return usageErrorf("", "--read-only promises no decision and no change: %s %s; leave --read-only out, or use list, show or export",
			name, why)
	}
	return nil
}

// exitStatus is the status an error ends the program with; reportError
// has said what it was.
func exitStatus(err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		return exitUsage
	}
	return exitFailure
}

// flagError makes pflag's complaint (an unknown flag, a missing or bad
// value) a usage error of the command it was given to.
func (a *app) flagError(c *cobra.Command, err error) error {
	msg := err.Error()
	var bad *pflag.InvalidValueError
	if errors.As(err, &bad) {
		msg = badValue(bad)
	}
	if strings.HasSuffix(msg, "-api-key") || strings.HasSuffix(msg, "-key") {
		msg += "; no flag takes the key itself (it would show in ps and shell history): use --api-key-file PATH or set " + envAPIKey
	}
	name := ""
	if c.Parent() != nil {
		name = c.Name()
	}
	return usageErrorf(name, "%s", msg)
}

// badValue says what a flag expected, where pflag would quote strconv
// ("strconv.ParseInt: parsing \"x\": invalid syntax").
func badValue(e *pflag.InvalidValueError) string {
	f := e.GetFlag()
	expected := map[string]string{
		"int":      "a whole number",
		"float64":  "a number such as 0.25",
		"duration": "a duration such as 30s, 5m or 2h",
		"bool":     "true or false",
	}[f.Value.Type()]
	if expected == "" {
		// Our own flag types say what they expect in their error.
		return fmt.Sprintf("--%s %q: %v", f.Name, sanitize.Line(e.GetValue()), errors.Unwrap(e))
	}
	return fmt.Sprintf("--%s %q: expected %s", f.Name, sanitize.Line(e.GetValue()), expected)
}

const rootHelp = `
Without a command, opens the review console. Global flags go before or
after the command.

Configuration (a flag beats the environment, which beats the file, which
beats the default; ` + "`" + progName + ` config` + "`" + ` shows each and where it came from):
  API base URL   --api-url URL          CAISSON_API_URL     api-url        https://api.caisson.com
  secret key     --api-key-file PATH    CAISSON_API_KEY     api-key-file   none
  database       --db PATH|URL          CAISSON_REVIEW_DB   db             $XDG_DATA_HOME/caisson-review/review.db
  reviewer       --reviewer NAME        CAISSON_REVIEWER    reviewer       the login user
  config file    --config PATH          CAISSON_REVIEW_CONFIG              $XDG_CONFIG_HOME/caisson-review/config.toml
The file (TOML) also sets the console's [console] queue, sort, mask, theme
and its [keys]. No flag takes the key itself, and neither does the file:
it would show in ps and in shell history, or in a shared dotfile.
Exit status: 0 success, 1 failure, 2 usage error.`

// commandHelp is the longer text shown by `COMMAND --help`.
var commandHelp = map[string]string{}

// wireHelp is help's own command, in place of cobra's: help of an
// unknown command is a usage error (2), where cobra's prints the program's
// help and succeeds.
func wireHelp(a *app, c *cobra.Command) runFunc {
	c.ValidArgsFunction = completeCommandNames
	return func(_ context.Context, pos []string) error {
		root := c.Root()
		switch len(pos) {
		case 0:
			return root.Help()
		case 1:
			target, _, err := root.Find(pos)
			if err != nil || target == root || target.Hidden {
				return usageErrorf("help", "unknown command %q", sanitize.Line(pos[0]))
			}
			// As cobra's help does: the global flags are merged in so
			// that they are listed with the command's own.
			target.InitDefaultHelpFlag()
			return target.Help()
		}
		return usageErrorf("help", "expected at most one command name")
	}
}

func wireVersion(a *app, c *cobra.Command) runFunc {
	return func(_ context.Context, pos []string) error {
		if len(pos) > 0 {
			return usageErrorf("version", "version takes no arguments")
		}
		fmt.Fprintf(a.stdout, "%s %s\n", progName, version)
		return nil
	}
}
