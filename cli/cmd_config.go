package cli

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
	"github.com/caisson-review/caisson-review/tui"
)

func init() {
	commandHelp["config"] = `
Prints every setting in effect and where it came from: a flag, a variable
of the environment, a line of the configuration file (PATH:LINE), or the
default. The API key is never printed: only the file or the variable it is
read from. A configuration file with a mistake is reported here as
everywhere, each problem with its line.

The file is $XDG_CONFIG_HOME/caisson-review/config.toml (~/.config/… without
XDG_CONFIG_HOME), or the one named by --config PATH or ` + envConfig + `.
A flag beats the environment, which beats the file, which beats the default.`
}

func wireConfig(a *app, _ *cobra.Command) runFunc {
	return func(ctx context.Context, pos []string) error { return cmdConfig(ctx, a, pos) }
}

// cmdConfig prints the effective configuration.
func cmdConfig(_ context.Context, a *app, pos []string) error {
	if len(pos) > 0 {
		return usageErrorf("config", "config takes no arguments")
	}
	if err := a.loadConfig(); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "setting\tvalue\tfrom")
	for _, r := range a.effectiveSettings() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.name, sanitize.Line(r.value), r.from)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// A setting the console or refresh would refuse is refused here too,
	// so that checking a deployment with config finds it before a cron
	// job does.
	problems := a.settingProblems()
	for _, p := range problems {
		fmt.Fprintln(a.stderr, sanitize.Line(p))
	}
	if len(problems) > 0 {
		return errReported
	}
	return nil
}

// settingProblems are the settings in effect that a command would refuse,
// each in a sentence naming where it came from.
func (a *app) settingProblems() []string {
	var problems []string
	if url, from, ok := a.setting(a.globals.apiURL, "api-url", envAPIURL, "api-url"); ok {
		if err := a.checkAPIURL(url); err != nil {
			problems = append(problems, fmt.Sprintf("api-url (%s): %v", from, err))
		}
	}
	if db, from, ok := a.setting(a.globals.db, "db", envDB, "db"); ok {
		if err := checkDBSetting(db, from); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if _, from, ok := a.setting(a.globals.reviewer, "reviewer", envReviewer, "reviewer"); ok {
		if _, err := a.reviewer(); err != nil {
			problems = append(problems, fmt.Sprintf("reviewer (%s): %v", from, err))
		}
	}
	// A key given (a file, the variable) that cannot be read or is no
	// key; none at all is no mistake (the console opens offline).
	if _, err := a.apiKey(); err != nil && !errors.Is(err, errNoKey) {
		problems = append(problems, "api-key: "+err.Error())
	}
	_, pollProblems := a.pollSettingsRead()
	return append(problems, pollProblems...)
}

// checkAPIURL says why url is refused as the API address, with the key
// (when one is given and readable) it must not hold.
func (a *app) checkAPIURL(url string) error {
	key, _ := a.apiKey()
	return caisson.CheckBaseURLKey(url, key)
}

// settingRow is one line of `config`.
type settingRow struct {
	name, value string
	from        origin
}

// effectiveSettings are every setting in effect, in the order of the
// README's table, then the console's and its keys. The configuration
// file has been read.
func (a *app) effectiveSettings() []settingRow {
	rows := []settingRow{a.configFileRow()}
	url, from, ok := a.setting(a.globals.apiURL, "api-url", envAPIURL, "api-url")
	if !ok {
		url = caisson.DefaultBaseURL
	}
	switch err := a.checkAPIURL(url); {
	case errors.Is(err, caisson.ErrURLHoldsKey):
		url = "(not shown: it holds the API key; see below)"
	case err != nil:
		// A refused address may hold a password or a key: shown without
		// them, the problem said below the table.
		url = caisson.ShowURL(url) + " (refused: see below)"
	}
	rows = append(rows, settingRow{"api-url", url, from}, a.keyRow())
	db, from, ok := a.setting(a.globals.db, "db", envDB, "db")
	if !ok {
		p, err := store.DefaultPath(a.getenv)
		db = p
		if err != nil {
			db = "none: " + err.Error()
		}
	}
	if store.LooksLikeConninfo(db) || store.LooksLikeOtherURL(db) {
		db = store.Redact(db) + ": refused, expected a file path or a postgres:// URL"
	} else if store.IsPostgres(db) {
		// config is where a password in the URL would be shown if
		// anywhere: it is redacted, and warned of as every command does.
		a.warnDBPassword(db, from)
		db = store.Redact(db)
	}
	rows = append(rows, settingRow{"db", db, from})
	name, from, ok := a.setting(a.globals.reviewer, "reviewer", envReviewer, "reviewer")
	if !ok {
		name = "the login user"
		if u, err := user.Current(); err == nil && u.Username != "" {
			name = u.Username + " (the login user)"
		}
	}
	if _, err := a.reviewer(); errors.Is(err, service.ErrHoldsKey) {
		// Refused by every command that records it (reviewer); the
		// problem is said below the table (helper-75: shown here).
		name = "(not shown: it holds the API key; see below)"
	}
	rows = append(rows, settingRow{"reviewer", name, from})
	rows = append(rows, a.pollRows()...)
	rows = append(rows, a.consoleRows()...)
	return append(rows, a.keyBindingRows()...)
}

func (a *app) configFileRow() settingRow {
	path, from, explicit := a.configPath()
	switch {
	case path == "":
		return settingRow{"config", "none (neither XDG_CONFIG_HOME nor HOME is set)", from}
	case a.file == nil && !explicit:
		return settingRow{"config", path + " (not there: every setting from elsewhere)", from}
	}
	return settingRow{"config", path, from}
}

// keyRow says where the key is read from, never what it is.
func (a *app) keyRow() settingRow {
	if a.globals.keyFile.set {
		return settingRow{"api-key", "read from the file " + a.globals.keyFile.value, origin{kind: originFlag, name: "--api-key-file"}}
	}
	if a.getenv(envAPIKey) != "" {
		return settingRow{"api-key", "the value of " + envAPIKey + " (not shown)", origin{kind: originEnv, name: envAPIKey}}
	}
	if v, ok := a.keyFileFromConfig(); ok {
		return settingRow{"api-key", "read from the file " + v.s, origin{kind: originFile, name: a.file.path, line: v.line}}
	}
	return settingRow{"api-key", "none (the console opens offline; commands that need the API say how to give one)", origin{}}
}

// consoleRows are the console's defaults: no flag or variable sets them.
func (a *app) consoleRows() []settingRow {
	var rows []settingRow
	for _, name := range consoleSettings {
		v, from := a.consoleValue(name)
		if name == "theme" && a.getenv("NO_COLOR") != "" && v != string(tui.ThemeNone) {
			v += " (NO_COLOR is set: no colour)"
		}
		rows = append(rows, settingRow{"console." + name, v, from})
	}
	return rows
}

// consoleValue is one [console] setting in effect, as text.
func (a *app) consoleValue(name string) (string, origin) {
	if a.file != nil {
		if name == "mask" && a.file.mask != nil {
			return fmt.Sprint(a.file.mask.b), a.fileOrigin(a.file.mask.line)
		}
		if v, ok := a.file.strings["console."+name]; ok {
			return v.s, a.fileOrigin(v.line)
		}
	}
	defaults := map[string]string{"queue": string(store.QueueNeedsReview), "sort": store.SortNames[store.SortRisk],
		"mask": "false", "theme": string(tui.ThemeAuto)}
	return defaults[name], origin{}
}

func (a *app) fileOrigin(line int) origin {
	return origin{kind: originFile, name: a.file.path, line: line}
}

func (a *app) keyBindingRows() []settingRow {
	var rows []settingRow
	for _, action := range tui.ActionNames() {
		keys, from := tui.DefaultKeys(action), origin{}
		if a.file != nil {
			if b, ok := a.file.keys[action]; ok {
				keys, from = b, a.fileOrigin(a.file.lines["keys."+action])
			}
		}
		rows = append(rows, settingRow{"keys." + action, strings.Join(keys, ", "), from})
	}
	return rows
}

// applyConsoleSettings puts the configuration file's console defaults
// and keys into the console's configuration.
func (a *app) applyConsoleSettings(cfg *tui.Config) error {
	if err := a.loadConfig(); err != nil {
		return err
	}
	f := a.file
	if f == nil {
		return nil
	}
	// Each was checked as the file was read: these cannot fail.
	if v, ok := f.strings["console.queue"]; ok {
		cfg.StartQueue, _ = store.ParseQueue(v.s)
	}
	if v, ok := f.strings["console.sort"]; ok {
		cfg.StartSort, _ = store.ParseSort(v.s)
	}
	if v, ok := f.strings["console.theme"]; ok {
		cfg.Theme = tui.Theme(v.s)
	}
	if f.mask != nil {
		cfg.Masked = f.mask.b
	}
	cfg.Keys = f.keys
	return nil
}
