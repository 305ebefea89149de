package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/caisson-review/caisson-review/caisson/sandbox"
)

func TestExitStatuses(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	f.must(0, "add", f.sb.CheckID(5)) // the database exists, check 0 is not in it
	missing := filepath.Join(t.TempDir(), "typo.db")
	for _, c := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"version succeeds", []string{"version"}, 0, ""},
		{"help succeeds", []string{"--help"}, 0, ""},
		{"help of a command succeeds", []string{"help", "refresh"}, 0, ""},
		{"an empty list succeeds", []string{"list"}, 0, "no checks in queue needs-review"},
		{"an unknown command is a usage error", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"an unknown flag is a usage error", []string{"list", "--colour"}, 2, "caisson-review list: unknown flag: --colour"},
		{"an unknown global flag is a usage error", []string{"--colour", "list"}, 2, "unknown flag: --colour"},
		{"a misspelt command is a usage error with a suggestion", []string{"refersh"}, 2, `unknown command "refersh": did you mean refresh?`},
		{"a flag without its value is a usage error", []string{"list", "--queue"}, 2, "flag needs an argument: --queue"},
		{"a bad number is a usage error", []string{"refresh", "--concurrency", "many"}, 2, `--concurrency "many": expected a whole number`},
		{"a bad sort is a usage error", []string{"list", "--sort", "size"}, 2, `--sort "size": expected one of risk, added, name, customer`},
		{"completion of an unknown shell is a usage error", []string{"completion", "tcsh"}, 2, `unknown shell "tcsh": expected bash, zsh or fish`},
		{"completion without a shell is a usage error", []string{"completion"}, 2, "expected one shell: bash, zsh or fish"},
		{"man takes no arguments", []string{"man", "extra"}, 2, "man takes no arguments"},
		{"demo refuses --db, which it would not use", []string{"demo", "--db", missing}, 2, "the demo uses a throwaway database of its own"},
		{"a bad queue is a usage error", []string{"list", "--queue", "later"}, 2, "expected one of needs-review"},
		{"show without an id is a usage error", []string{"show"}, 2, "usage: caisson-review show ID"},
		{"show of garbage is a usage error", []string{"show", "12345"}, 2, "not a check id (5 characters): expected a check id: 22 or more"},
		{"show of an untracked check fails", []string{"show", f.sb.CheckID(0)}, 1, "is not tracked"},
		{"decide without a note for reject is a usage error", []string{"decide", f.sb.CheckID(0), "reject"}, 2, "reject needs a note"},
		{"decide with an invisible note is a usage error", []string{"decide", f.sb.CheckID(0), "reject", "--note", "\u200b"}, 2, "reject needs a note"},
		{"a policy change with a blank note is a usage error", []string{"policy", "set", "four-eyes", "risky", "--note", "  "}, 2, "a policy change needs a note"},
		{"an SLA change with an invisible note is a usage error", []string{"policy", "set", "sla", "24h", "--note", "\u200b "}, 2, "a policy change needs a note"},
		{"decide of an unknown action is a usage error", []string{"decide", f.sb.CheckID(0), "maybe"}, 2, "expected approve, reject, escalate or reopen"},
		{"help of an unknown command is a usage error", []string{"help", "frobnicate"}, 2, `unknown command "frobnicate"`},
		{"purge of a bad age is a usage error", []string{"purge", "--older-than", "a while"}, 2, "expected days (30d) or a Go duration"},
		{"purge without an age is a usage error", []string{"purge"}, 2, "--older-than is required"},
		{"a command that reads refuses a missing database", []string{"export", "--db", missing}, 1, "no review database at " + missing},
		{"listing a missing database fails too", []string{"list", "--db", missing}, 1, "no review database"},
		{"policy show refuses a missing database read-only", []string{"--read-only", "policy", "show", "--db", missing}, 1, "no review database at " + missing},
		{"the console without a terminal fails", nil, 1, "needs a terminal"},
		{"the demo without a terminal fails", []string{"demo"}, 1, "needs a terminal"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := f.run(c.args...)
			if r.code != c.code {
				t.Fatalf("want exit %d, got\n%s", c.code, r)
			}
			mustContain(t, "stderr", r.stderr, c.stderr)
			if c.code == 2 && !strings.Contains(r.stderr, "--help") {
				t.Errorf("a usage error should point to --help:\n%s", r.stderr)
			}
		})
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			for _, args := range [][]string{{c.name, "--help"}, {c.name, "-h"}, {"help", c.name}} {
				r := runCLI(t, nil, "", args...)
				if r.code != 0 || r.stderr != "" {
					t.Fatalf("%v: want exit 0 and nothing on stderr, got\n%s", args, r)
				}
				// fang's help: the summary, then the usage line of the
				// command's name and arguments.
				mustContain(t, "help", r.stdout, c.summary, "caisson-review "+c.use)
			}
		})
	}
	r := runCLI(t, nil, "", "--help")
	// A summary may go on over two lines (wrapped to 120 columns).
	flat := strings.Join(strings.Fields(r.stdout), " ")
	for _, c := range commands {
		mustContain(t, "program help", r.stdout, "  "+c.use+" ")
		mustContain(t, "program help", flat, c.summary)
	}
	mustContain(t, "program help", r.stdout, "CAISSON_API_KEY", "--api-key-file PATH", "--read-only")
}

// Reviewers read help on 80-column terminals: each command's prose fits
// (an indented example line may not: a head's hash alone is 64 columns).
func TestEveryCommandsHelpProseFitsEightyColumns(t *testing.T) {
	for name, text := range commandHelp {
		for _, line := range strings.Split(text, "\n") {
			if !strings.HasPrefix(line, "  ") && utf8.RuneCountInString(line) > 80 {
				t.Errorf("%s --help: a line of %d columns: %q", name, utf8.RuneCountInString(line), line)
			}
		}
	}
}

// An empty global flag is a mistake in the command line (an unset shell
// variable), said as such with exit 2.
func TestAnEmptyGlobalFlagIsAUsageError(t *testing.T) {
	for _, name := range []string{"--db", "--api-url", "--api-key-file", "--reviewer"} {
		for _, args := range [][]string{{name, "", "list"}, {"list", name, " "}} {
			r := runCLI(t, nil, "", args...)
			if r.code != 2 {
				t.Errorf("%q: want exit 2, got\n%s", args, r)
			}
			mustContain(t, fmt.Sprint(args), r.stderr, name+` "`)
			mustContain(t, fmt.Sprint(args), r.stderr, ": it is empty: expected a value")
		}
	}
}

// A database others may read or write is used, with a warning, and its
// mode left alone; one shared with the group only gets none.
func TestADatabaseOpenToOtherAccountsGetsAWarning(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	f.must(0, "add", f.sb.CheckID(0))
	for _, c := range []struct {
		mode os.FileMode
		warn bool
	}{{0o600, false}, {0o660, false}, {0o644, true}, {0o666, true}} {
		if err := os.Chmod(f.db, c.mode); err != nil {
			t.Fatal(err)
		}
		r := f.must(0, "list", "--queue", "all")
		if got := strings.Contains(r.stderr, "can be used by any account on this machine"); got != c.warn {
			t.Errorf("mode %04o: warned %v, want %v\n%s", c.mode, got, c.warn, r.stderr)
		}
		if c.warn {
			mustContain(t, "warning", r.stderr, fmt.Sprintf("(mode %04o)", c.mode), "chmod o-rwx")
		}
		if info, _ := os.Stat(f.db); info.Mode().Perm() != c.mode {
			t.Errorf("mode %04o changed to %04o", c.mode, info.Mode().Perm())
		}
	}
}

// --read-only before a command that changes the database is refused, not
// ignored: decide used to record a decision behind it.
func TestReadOnlyRefusesTheCommandsThatChangeTheDatabase(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	f.must(0, "add", id)
	for _, args := range [][]string{
		{"decide", id, "escalate", "--note", "x"}, {"add", f.sb.CheckID(1)}, {"refresh", id},
		{"purge", "--older-than", "1s"}, {"exchange", f.sb.NewToken(0)},
		// A support account turning four-eyes off changed it for everyone.
		{"policy", "set", "four-eyes", "off", "--note", "x"}, {"policy", "set", "sla", "24h", "--note", "x"},
	} {
		r := f.must(2, append([]string{"--read-only"}, args...)...)
		what := args[0]
		if what == "policy" {
			what = "policy set"
		}
		mustContain(t, args[0], r.stderr, "--read-only promises no decision and no change: "+what)
	}
	if rec := f.get(id); len(rec.Decisions) != 0 || !rec.FetchedAt.IsZero() {
		t.Errorf("something was written under --read-only: %+v", rec)
	}
	if r := f.must(0, "export", "--head"); r.stdout != "" || !strings.Contains(r.stderr, "the decision log is empty") {
		t.Errorf("the decision log's head after the refused commands: %q %q, want an empty log", r.stdout, r.stderr)
	}
	for _, args := range [][]string{{"list", "--queue", "all"}, {"show", id}, {"export", "--verify"}, {"policy", "show"}} {
		f.must(0, append([]string{"--read-only"}, args...)...)
	}
}

// Every command is either refused under --read-only or known to change
// nothing a reviewer decides by: a new command that writes cannot slip
// past the flag unnoticed.
func TestEveryCommandIsClassifiedForReadOnly(t *testing.T) {
	reads := map[string]bool{
		"list": true, "show": true, "stats": true, "access": true, "export": true, "config": true, "version": true,
		"help": true, "man": true, "completion": true,
		// Its own throwaway database and the fake API.
		"demo": true, "sandbox": true,
		// show reads; set is classified on its own.
		"policy": true,
	}
	for _, c := range commands {
		if _, writes := writesUnderReadOnly[c.name]; writes == reads[c.name] {
			t.Errorf("command %s: refused under --read-only %v, listed as reading %v: classify it once", c.name, writes, reads[c.name])
		}
	}
	if _, ok := writesUnderReadOnly["policy set"]; !ok {
		t.Errorf("policy set is not refused under --read-only")
	}
}

func TestGlobalFlagsWorkBeforeAndAfterTheCommand(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	other := filepath.Join(t.TempDir(), "other.db")
	id := f.sb.CheckID(0)
	f.must(0, "--db", other, "add", id)
	f.must(0, "add", f.sb.CheckID(1), "--db", other)
	r := f.must(0, "list", "--queue", "all", "--db", other, "--json")
	mustContain(t, "list of the other database", r.stdout, id, f.sb.CheckID(1))
	// The environment's database was never made: the flag beat it.
	r = f.must(1, "list", "--queue", "all", "--json")
	mustContain(t, "stderr", r.stderr, "no review database")
	// A flag after the command beats one before it.
	r = f.must(0, "--reviewer", "carol", "decide", id, "escalate", "--note", "n", "--reviewer", "dave", "--db", other)
	mustContain(t, "stdout", r.stdout, "by dave")
}

func TestAFlagBeatsTheEnvironmentWhichBeatsTheDefault(t *testing.T) {
	a := &app{getenv: func(k string) string {
		return map[string]string{envAPIURL: "https://env.example", envReviewer: "erin"}[k]
	}}
	if got := a.apiURL(); got != "https://env.example" {
		t.Errorf("api url from env: got %s", got)
	}
	a.globals.apiURL.Set("https://flag.example")
	if got := a.apiURL(); got != "https://flag.example" {
		t.Errorf("api url from flag: got %s", got)
	}
	if got, _ := a.reviewer(); got != "erin" {
		t.Errorf("reviewer from env: got %s", got)
	}
	a = &app{getenv: func(string) string { return "" }}
	if got := a.apiURL(); got != "https://api.caisson.com" {
		t.Errorf("default api url: got %s", got)
	}
	if got, err := a.reviewer(); err != nil || got == "" {
		t.Errorf("default reviewer: want the login user, got %q, %v", got, err)
	}
	a = &app{getenv: func(k string) string { return map[string]string{envReviewer: "eve\x1b[2J"}[k] }}
	if _, err := a.reviewer(); err == nil {
		t.Errorf("a reviewer name with an escape sequence was accepted")
	}
}

func TestTheKeyComesFromAFileOrTheEnvironmentAndIsNeverShown(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	f.must(0, "add", id)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(testKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	openFile := filepath.Join(dir, "open-key")
	if err := os.WriteFile(openFile, []byte(testKey), 0o640); err != nil {
		t.Fatal(err)
	}
	os.Chmod(openFile, 0o640) // whatever the umask did
	wrongFile := filepath.Join(dir, "wrong-key")
	os.WriteFile(wrongFile, []byte("sk_live_wrong"), 0o600)
	emptyFile := filepath.Join(dir, "empty-key")
	os.WriteFile(emptyFile, []byte("\n"), 0o600)
	noKey := withEnv(f.env, envAPIKey, "")

	for _, c := range []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stderr []string
	}{
		{"by environment", f.env, nil, 0, nil},
		{"by file", noKey, []string{"--api-key-file", keyFile}, 0, nil},
		{"the file beats the environment", withEnv(f.env, envAPIKey, "sk_wrong"), []string{"--api-key-file", keyFile}, 0, nil},
		{"a group-readable file works with a warning", noKey, []string{"--api-key-file", openFile}, 0,
			[]string{"warning: the API key file " + openFile + " can be read by group or others (mode 0640)"}},
		{"a wrong key is refused by the API", noKey, []string{"--api-key-file", wrongFile}, 1, []string{"Caisson refused the API key"}},
		{"an empty key file", noKey, []string{"--api-key-file", emptyFile}, 1, []string{"the API key in " + emptyFile}},
		{"a missing key file", noKey, []string{"--api-key-file", filepath.Join(dir, "nope")}, 1, []string{"opening the API key file"}},
		{"no key says how to give one", noKey, nil, 1, []string{"no API key", "--api-key-file PATH", envAPIKey}},
		{"the key given where its file goes is not repeated", noKey, []string{"--api-key-file", testKey}, 1,
			[]string{"looks like a key itself (not repeated here)", "expected the path of a file holding the key"}},
		{"a missing key file is named once, sanitized", noKey, []string{"--api-key-file", filepath.Join(dir, "no\x1b]0;pwned\a")}, 1,
			[]string{"opening the API key file " + filepath.Join(dir, "no^[]0;pwned^G") + ": no such file or directory"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := runCLI(t, c.env, "", append([]string{"refresh", id}, c.args...)...)
			if r.code != c.code {
				t.Fatalf("want exit %d, got\n%s", c.code, r)
			}
			mustContain(t, "stderr", r.stderr, c.stderr...)
			if c.code == 0 && strings.Contains(r.stderr, "warning") != (len(c.stderr) > 0) {
				t.Errorf("unexpected warning:\n%s", r.stderr)
			}
		})
	}
	for _, req := range f.sb.Requests() {
		if strings.Contains(req.Path+req.RawQuery, testKey) {
			t.Errorf("the key went into a URL: %s?%s", req.Path, req.RawQuery)
		}
	}
}

func TestPlainHTTPIsRefusedUnlessLoopback(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	f.must(0, "add", id)
	for _, url := range []string{"http://api.caisson.com", "http://10.0.0.8:8080"} {
		r := runCLI(t, withEnv(f.env, envAPIURL, url), "", "refresh", id)
		if r.code != 1 {
			t.Fatalf("%s: want exit 1, got\n%s", url, r)
		}
		mustContain(t, "stderr", r.stderr, "API address "+url+": plain http is allowed only on this machine", "use https")
	}
	// The fixture's own URL is http on 127.0.0.1.
	f.must(0, "refresh", id)
}

// Flags go anywhere among the arguments (refresh ID --all reads as it
// would be meant), and everything after -- is an argument.
func TestFlagsGoAnywhereAndEverythingAfterDoubleDashIsAnArgument(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	a, b := f.sb.CheckID(0), f.sb.CheckID(1)
	f.must(0, "add", a, b)
	f.must(0, "decide", "--note", "first", a, "escalate")
	r := f.must(0, "decide", b, "--note", "between", "escalate", "--reviewer", "carol")
	mustContain(t, "stdout", r.stdout, "escalated "+b, "by carol")
	r = f.must(2, "show", "--", "--json")
	mustContain(t, "stderr", r.stderr, "not a check id")
}

// Go's flag package, which the program used before cobra, took a long
// flag with one dash: scripts written so keep working.
func TestALongFlagWithOneDashStillWorks(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	f.must(0, "add", id)
	r := f.must(0, "list", "-queue", "all", "-json", "-db="+f.db)
	mustContain(t, "stdout", r.stdout, `"check_id": "`+id+`"`)
	r = f.must(2, "-read-only", "decide", id, "escalate", "-note", "x")
	mustContain(t, "stderr", r.stderr, "--read-only promises no decision")
	f.must(0, "decide", id, "escalate", "-note", "x")
	r = f.must(0, "export", "-head")
	if !strings.Contains(r.stdout, ":") {
		t.Errorf("export -head printed no head: %q", r.stdout)
	}
	// A word that is no flag is left alone: an id may start with a dash.
	r = f.must(2, "show", "-xyz")
	mustContain(t, "stderr", r.stderr, "unknown shorthand flag")
}

func TestNoFlagTakesTheKeyItself(t *testing.T) {
	// serve's SSH host key and authorized keys are files of public or
	// server keys, and --api-key-file names the key's file: none is the
	// API key.
	files := map[string]bool{"--api-key-file": true, "--host-key": true, "--authorized-keys": true}
	seen := 0
	for _, c := range commands {
		r := runCLI(t, nil, "", c.name, "--help")
		for _, line := range strings.Split(r.stdout, "\n") {
			fields := strings.Fields(line)
			if len(fields) == 0 || !strings.HasPrefix(fields[0], "--") {
				continue
			}
			seen++
			if strings.Contains(fields[0], "key") && !files[fields[0]] {
				t.Errorf("%s: %q would put a key in argv", c.name, line)
			}
		}
	}
	if seen == 0 {
		t.Fatal("no flag found in any help: this test no longer reads the help's layout")
	}
	r := runCLI(t, nil, "", "refresh", "--all", "--api-key", testKey)
	if r.code != 2 {
		t.Fatalf("--api-key: want a usage error, got\n%s", r)
	}
	mustContain(t, "stderr", r.stderr, "no flag takes the key itself", "--api-key-file PATH", envAPIKey)
}

// A flag given a value of the wrong kind names what it expected, in the
// user's words, never strconv's.
func TestABadFlagValueSaysWhatWasExpected(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"refresh", "--all", "--concurrency", "x"}, `--concurrency "x": expected a whole number`},
		{[]string{"sandbox", "--latency", "soon"}, `--latency "soon": expected a duration such as 30s, 5m or 2h`},
		{[]string{"sandbox", "--fail-rate", "lots"}, `--fail-rate "lots": expected a number such as 0.25`},
		{[]string{"list", "--json=maybe"}, `--json "maybe": expected true or false`},
		{[]string{"purge", "--older-than", "forever"}, `--older-than "forever": expected days (30d)`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCLI(t, map[string]string{}, "", tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) || strings.Contains(r.stderr, "strconv") {
				t.Fatalf("want exit 2 saying %q, got\n%s", tt.want, r)
			}
		})
	}
}

// A token names no tracked check: show, decide and refresh say so, ask for
// the exchange first, and change nothing (the README's promise; add and
// exchange are where tokens go).
func TestCommandsThatNameACheckRefuseATokenAskingForTheExchange(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	token := f.sb.NewToken(0)
	for _, args := range [][]string{{"show", token}, {"decide", token, "approve"}, {"refresh", token}} {
		r := f.must(2, args...)
		mustContain(t, args[0], r.stderr, "that is an exchange token", "exchange the token first")
	}
	if _, err := os.Stat(f.db); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused commands made the database: %v", err)
	}
}

// Help on a pipe or in a file ends no line in spaces: fang pads its text
// to 120 columns, every line of it (helper-56).
func TestHelpOnAPipeEndsNoLineInSpaces(t *testing.T) {
	for _, args := range [][]string{{"help", "decide"}, {"--help"}, {"refresh", "--help"}} {
		r := runCLI(t, nil, "", args...)
		if r.code != 0 || !strings.Contains(r.stdout, "Usage") && !strings.Contains(r.stdout, "USAGE") {
			t.Fatalf("%v: %s", args, r)
		}
		for i, l := range strings.Split(r.stdout, "\n") {
			if strings.HasSuffix(l, " ") {
				t.Errorf("%v: line %d ends in spaces: %q", args, i+1, l)
				break
			}
		}
	}
}

// A command that did without the API says when the --api-key-file it was
// given names no file (helper-60: list, show and add said nothing, and the
// next refresh failed), without repeating a name that looks like a key.
func TestAnAPIKeyFileThatIsNotThereIsSaidByEveryCommand(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := refreshed(t, f, 2)
	missing := filepath.Join(t.TempDir(), "caisson-key")
	r := f.must(0, "--api-key-file", missing, "list")
	mustContain(t, "list", r.stderr, "warning: --api-key-file "+missing+" names no file")
	r = f.must(0, "--api-key-file", "sk_live_abcdefabcdef123456", "add", f.sb.CheckID(3))
	mustContain(t, "add", r.stderr, "the name looks like a key itself (not repeated here)")
	if strings.Contains(r.stderr, "sk_live_abc") {
		t.Errorf("the key was repeated:\n%s", r.stderr)
	}
	if r := f.run("--api-key-file", missing, "refresh", ids[0]); r.code != 1 || !strings.Contains(r.stderr, "opening the API key file") {
		t.Errorf("refresh with a key file not there:\n%s", r)
	}
	there := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(there, []byte(testKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := f.must(0, "--api-key-file", there, "show", ids[0]); strings.Contains(r.stderr, "warning") {
		t.Errorf("a warning for a key file that is there:\n%s", r.stderr)
	}
}
