package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"os/user"
	"strings"

	"github.com/spf13/pflag"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

// Environment variables, each the fallback for the flag of the same meaning.
const (
	envAPIURL   = "CAISSON_API_URL"
	envAPIKey   = "CAISSON_API_KEY"
	envDB       = "CAISSON_REVIEW_DB"
	envReviewer = "CAISSON_REVIEWER"
)

// testIdentity, when set, replaces the operating-system account as the
// identity the store vouches for: the tests play two reviewers in one
// process with it. Nothing but a test sets it; no flag or variable does.
var testIdentity store.Identity

// clientOptions are added to every API client; tests shorten the retry
// backoff with it so injected failures do not take seconds.
var clientOptions []caisson.Option

// app is one invocation: its streams, its environment and its flags.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	globals        globalFlags
	readOnly       bool
	// pollFlags are the console's and serve's (cli/poll.go).
	pollFlags pollFlags

	// file is the configuration file once read (nil when there is none);
	// configLoaded and configErr make it read once (loadConfig).
	file         *configFile
	configLoaded bool
	configErr    error

	// dbWarned is set once the database URL's password was warned of
	// (warnDBPassword): dbPath may be asked more than once.
	dbWarned bool

	// The key once read (apiKey): a second client (the poller's) must
	// not read the file again and repeat its warnings.
	key     caisson.APIKey
	keyErr  error
	keyRead bool
}

// optString is a string flag that remembers whether it was given, so a
// flag beats the environment even when set to the default's value.
type optString struct {
	value string
	set   bool
}

func (o *optString) String() string { return o.value }
func (o *optString) Type() string   { return "string" }
func (o *optString) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		// Usually a shell variable that was not set: better said now than
		// as "no review database at :" or "open : no such file".
		return errors.New("it is empty: expected a value (leave the flag out for the environment's or the default)")
	}
	o.value, o.set = s, true
	return nil
}

// globalFlags are accepted before the command and after it.
type globalFlags struct {
	apiURL, keyFile, db, reviewer, config optString
}

// register declares them on the root command's persistent flags, which
// every command inherits.
func (g *globalFlags) register(fs *pflag.FlagSet) {
	fs.Var(&g.apiURL, "api-url", "Caisson API base URL (env "+envAPIURL+"; default "+caisson.DefaultBaseURL+")")
	fs.Var(&g.keyFile, "api-key-file", "read the secret API key from the file at PATH (env "+envAPIKey+" holds the key itself)")
	fs.Var(&g.db, "db", "review database: a file PATH or a postgres:// URL (env "+envDB+"; default $XDG_DATA_HOME/caisson-review/review.db)")
	fs.Var(&g.reviewer, "reviewer", "your NAME in the decision log (env "+envReviewer+"; default the login user)")
	fs.Var(&g.config, "config", "read settings from the TOML file at PATH (env "+envConfig+"; default $XDG_CONFIG_HOME/caisson-review/config.toml)")
}

// originKind is where an effective setting came from.
type originKind int

const (
	originDefault originKind = iota
	originFlag
	originEnv
	originFile
)

// origin is where a setting came from: the flag, the variable or the
// file and line that gave it, or the default.
type origin struct {
	kind originKind
	name string // --db, CAISSON_REVIEW_DB, or the file's path
	line int
}

func (o origin) String() string {
	switch o.kind {
	case originFlag:
		return "flag " + o.name
	case originEnv:
		return "env " + o.name
	case originFile:
		return fmt.Sprintf("%s:%d", sanitize.Line(o.name), o.line)
	}
	return "default"
}

// setting applies the order flag, environment, configuration file; the
// caller has the default. The file must have been read (loadConfig).
func (a *app) setting(f optString, flagName, env, fileKey string) (string, origin, bool) {
	if f.set {
		return f.value, origin{kind: originFlag, name: "--" + flagName}, true
	}
	if v := a.getenv(env); env != "" && v != "" {
		return v, origin{kind: originEnv, name: env}, true
	}
	if a.file != nil {
		if v, ok := a.file.strings[fileKey]; ok {
			return v.s, origin{kind: originFile, name: a.file.path, line: v.line}, true
		}
	}
	return "", origin{}, false
}

// apiURL is the API's base URL; client reads the configuration first.
func (a *app) apiURL() string {
	if v, _, ok := a.setting(a.globals.apiURL, "api-url", envAPIURL, "api-url"); ok {
		return v
	}
	return caisson.DefaultBaseURL
}

// checkDBSetting says why the db setting v (from from) is refused before
// anything opens it, nil when it is not.
func checkDBSetting(v string, from origin) error {
	switch {
	case store.LooksLikeConninfo(v):
		return fmt.Errorf("the review database (%s): %w", from, store.ErrConninfo)
	case store.LooksLikeOtherURL(v):
		return fmt.Errorf("the review database (%s): %w", from, store.ErrOtherURL)
	case store.IsPostgres(v):
		return checkDBURL(v, from)
	}
	return nil
}

// dbPath is the review database's location: a file's path, or a
// PostgreSQL URL, checked here (so a mistake is said before anything
// connects) and its password, if it holds one, warned of.
func (a *app) dbPath() (string, error) {
	if err := a.loadConfig(); err != nil {
		return "", err
	}
	if v, from, ok := a.setting(a.globals.db, "db", envDB, "db"); ok {
		if err := checkDBSetting(v, from); err != nil {
			return "", err
		}
		if store.IsPostgres(v) {
			a.warnDBPassword(v, from)
		}
		return v, nil
	}
	p, err := store.DefaultPath(a.getenv)
	if err != nil {
		return "", fmt.Errorf("finding the default database path (set --db or %s): %w", envDB, err)
	}
	return p, nil
}

var errNoReviewer = errors.New("no reviewer name: pass --reviewer NAME or set " + envReviewer)

// reviewer is the name decisions are recorded under.
func (a *app) reviewer() (string, error) {
	if err := a.loadConfig(); err != nil {
		return "", err
	}
	name, _, ok := a.setting(a.globals.reviewer, "reviewer", envReviewer, "reviewer")
	if !ok {
		if u, err := user.Current(); err == nil {
			name = u.Username
		}
		if name == "" {
			name = a.getenv("USER")
		}
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", errNoReviewer
	case !sanitize.Safe(name):
		return "", fmt.Errorf("reviewer name %s has control or invisible characters: expected plain text", sanitize.Line(fmt.Sprintf("%q", name)))
	case len(name) > 100:
		return "", fmt.Errorf("reviewer name is %d bytes: expected at most 100", len(name))
	}
	// The name goes into the access log with every read of personal data
	// and into the decision log with every decision, both append-only: a
	// key pasted into it was kept by show, list --json and export
	// (helper-74; decide refused it). Without a key configured there is
	// nothing to compare it with.
	if key, err := a.apiKey(); err == nil && key.Holds(name) {
		return "", fmt.Errorf("the reviewer's name (--reviewer, %s or the configuration file's reviewer) %w: it would be kept in the append-only logs for good, so nothing was shown or written; set it without the key", envReviewer, service.ErrHoldsKey)
	}
	return name, nil
}

// errNoKey says how to provide a key, without suggesting a flag that
// would put it in argv.
var errNoKey = errors.New("no API key: put the key in a file only you can read (chmod 600) and pass --api-key-file PATH, or set " + envAPIKey)

// apiKey reads the key from the file named by --api-key-file, or else
// from the environment, or else from the file named by the configuration
// file's api-key-file. Nothing here ever repeats the key.
func (a *app) apiKey() (caisson.APIKey, error) {
	if !a.keyRead {
		a.key, a.keyErr = a.readAPIKey()
		a.keyRead = true
	}
	return a.key, a.keyErr
}

func (a *app) readAPIKey() (caisson.APIKey, error) {
	if err := a.loadConfig(); err != nil {
		return caisson.APIKey{}, err
	}
	if a.globals.keyFile.set {
		return a.readKeyFile(a.globals.keyFile.value)
	}
	if v := a.getenv(envAPIKey); v != "" {
		k, err := caisson.NewAPIKey(v)
		if err != nil {
			return caisson.APIKey{}, fmt.Errorf("the API key in %s: %w", envAPIKey, err)
		}
		return k, nil
	}
	if v, ok := a.keyFileFromConfig(); ok {
		return a.readKeyFile(v.s)
	}
	return caisson.APIKey{}, errNoKey
}

// noteUnreadKeyFile warns, for a command that did without the API, that
// the --api-key-file it was given names no file: the command worked, but
// the next one that fetches will not, and a key pasted where its path
// goes is in the shell's history (helper-60: list, show and add said
// nothing). The README promises a missing --api-key-file is an error;
// for a command that does not read it, a warning loses nothing.
func (a *app) noteUnreadKeyFile() {
	if !a.globals.keyFile.set || a.globals.keyFile.value == "" || (a.keyRead && a.keyErr == nil) {
		return
	}
	path := a.globals.keyFile.value
	if _, err := os.Stat(path); !errors.Is(err, iofs.ErrNotExist) {
		return
	}
	if looksLikeKey(path) {
		fmt.Fprintf(a.stderr, "%s: warning: no file named by --api-key-file, and the name looks like a key itself (not repeated here): if it is one, it is now in your shell's history and should be replaced; expected the path of a file holding the key\n", progName)
		return
	}
	fmt.Fprintf(a.stderr, "%s: warning: --api-key-file %s names no file: this command did not need the API, but one that fetches will fail\n", progName, sanitize.Line(path))
}

// keyFileFromConfig is the configuration file's api-key-file.
func (a *app) keyFileFromConfig() (fileValue, bool) {
	if a.file == nil {
		return fileValue{}, false
	}
	v, ok := a.file.strings["api-key-file"]
	return v, ok
}

// maxKeyFile bounds what is read: a key is a short line, and a huge file
// is a mistake (a wrong path), not a key.
const maxKeyFile = 4096

func (a *app) readKeyFile(path string) (caisson.APIKey, error) {
	shown := sanitize.Line(path)
	f, err := os.Open(path)
	if errors.Is(err, iofs.ErrNotExist) && looksLikeKey(path) {
		// Someone gave the key where its file's path goes: repeating the
		// "path" would print the key.
		return caisson.APIKey{}, errors.New("no file named by --api-key-file, and the name looks like a key itself (not repeated here): " +
			"expected the path of a file holding the key; put the key in a file only you can read (chmod 600), or set " + envAPIKey)
	}
	if err != nil {
		// The path error's own text would carry the path unsanitized.
		var pe *iofs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return caisson.APIKey{}, fmt.Errorf("opening the API key file %s: %w", shown, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return caisson.APIKey{}, fmt.Errorf("reading the API key file %s: %w", shown, err)
	}
	if !info.Mode().IsRegular() {
		return caisson.APIKey{}, fmt.Errorf("the API key file %s is not a regular file", shown)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		fmt.Fprintf(a.stderr, "%s: warning: the API key file %s can be read by group or others (mode %04o): run chmod 600 on it\n",
			progName, shown, perm)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return caisson.APIKey{}, fmt.Errorf("reading the API key file %s: %w", shown, err)
	}
	if len(b) > maxKeyFile {
		return caisson.APIKey{}, fmt.Errorf("the API key file %s is larger than %d bytes: expected just the key", shown, maxKeyFile)
	}
	k, err := caisson.NewAPIKey(string(b))
	if err != nil {
		return caisson.APIKey{}, fmt.Errorf("the API key in %s: %w", shown, err)
	}
	return k, nil
}

// looksLikeKey reports whether a path that names no file is more likely a
// secret key than a file name: a word beginning sk_, or one word of 20 or
// more URL-safe characters (no folder, no extension) mixing capitals,
// small letters and digits, as random keys do and file names seldom do.
func looksLikeKey(path string) bool {
	// Caisson's secret keys begin sk_ (sk_live_…, sk_test_…), whatever
	// the letters after.
	if strings.HasPrefix(path, "sk_") && !strings.ContainsRune(path, '/') {
		return true
	}
	if len(path) < 20 {
		return false
	}
	var upper, lower, digit bool
	for _, r := range path {
		switch {
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= '0' && r <= '9':
			digit = true
		case r == '-' || r == '_':
		default:
			return false
		}
	}
	return upper && lower && digit
}

// client builds the API client from the configuration. The client refuses
// plain http to anything but loopback; its error says so and reaches the
// user as it is.
func (a *app) client() (*caisson.Client, error) {
	key, err := a.apiKey() // reads the configuration file first
	if err != nil {
		return nil, err
	}
	// The client's error already names the address and what is wrong.
	return caisson.NewClient(a.apiURL(), key, clientOptions...)
}

// openStore opens the review database, creating it on first use.
func (a *app) openStore(ctx context.Context) (*store.Store, error) {
	return a.openStoreAt(ctx, false)
}

// openExistingStore is openStore for commands that only read or change
// what is already tracked (list, show, decide, export, refresh, purge): a
// mistyped --db must fail loudly, not export an empty log from a database
// it has just created.
func (a *app) openExistingStore(ctx context.Context) (*store.Store, error) {
	return a.openStoreAt(ctx, true)
}

func (a *app) openStoreAt(ctx context.Context, mustExist bool) (*store.Store, error) {
	path, err := a.dbPath()
	if err != nil {
		return nil, err
	}
	// --read-only promises no change: a mistyped --db made an empty store
	// and a console that said there were no checks (helper-60).
	mustExist = mustExist || a.readOnly
	// A server's database is not a file: whether it is there is the
	// server's to say, when Open connects.
	if mustExist && !store.IsPostgres(path) {
		if _, err := os.Stat(path); errors.Is(err, iofs.ErrNotExist) {
			return nil, fmt.Errorf("no review database at %s: expected one made by %s add (check --db or %s)",
				sanitize.Line(path), progName, envDB)
		}
	}
	// store.Open's errors already say which database, and why. Its
	// warnings (a tampered decision log) go to standard error, so a
	// command's JSON on standard output stays clean.
	opts := []store.Option{store.WithWarnings(a.stderr)}
	if !testIdentity.IsZero() {
		opts = append(opts, store.WithIdentity(testIdentity))
	}
	st, err := store.Open(ctx, path, opts...)
	if err != nil {
		return nil, err
	}
	if !store.IsPostgres(path) {
		a.warnOpenToOthers(path)
	}
	return st, nil
}

// warnOpenToOthers says so when accounts outside the owner and the group
// may read or write the database: it holds personal data, and whoever can
// write it can rewrite the decision log. Its mode is left as its owner set
// it (the group's bits are how reviewers share it), as the key file's is.
func (a *app) warnOpenToOthers(path string) {
	info, err := os.Stat(path)
	if err != nil {
		return
	}
	if perm := info.Mode().Perm(); perm&0o007 != 0 {
		fmt.Fprintf(a.stderr, "%s: warning: the review database %s can be used by any account on this machine (mode %04o): it holds personal data and the decision log; run chmod o-rwx on it\n",
			progName, sanitize.Line(path), perm)
	}
}
