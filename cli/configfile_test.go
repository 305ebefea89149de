package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/store"
	"github.com/caisson-review/caisson-review/tui"
)

// writeConfig writes the default configuration file under home and
// returns its path.
func writeConfig(t *testing.T, home, text string) string {
	t.Helper()
	dir := filepath.Join(home, ".config", "caisson-review")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// configRows reads the output of `config`: setting → value and source.
func configRows(t *testing.T, out string) map[string][2]string {
	t.Helper()
	rows := map[string][2]string{}
	cols := regexp.MustCompile(`\s{2,}`)
	for _, l := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		f := cols.Split(strings.TrimSpace(l), 3)
		if len(f) != 3 {
			t.Fatalf("config line %q: want three columns", l)
		}
		rows[f[0]] = [2]string{f[1], f[2]}
	}
	return rows
}

// Each setting that a flag, the environment and the file can all give is
// taken from the first of them that gives it, or else is the default; and
// config says which.
func TestPrecedenceFlagThenEnvironmentThenFileThenDefault(t *testing.T) {
	home := t.TempDir()
	// Key files that exist: config refuses one it cannot read.
	keys := t.TempDir()
	flagKey, fileKey := filepath.Join(keys, "flag-key"), filepath.Join(keys, "file-key")
	for _, k := range []string{flagKey, fileKey} {
		if err := os.WriteFile(k, []byte(testKey+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := writeConfig(t, home, `api-url = "https://file.example"
api-key-file = "`+fileKey+`"
db = "/file/review.db"
reviewer = "file-rita"
`)
	at := func(line string) string { return path + ":" + line }
	tests := []struct {
		setting, flag, env  string
		flagValue, envValue string
		fileValue, fileLine string
		defaultValue        string
	}{
		{"api-url", "--api-url", envAPIURL, "https://flag.example", "https://env.example", "https://file.example", "1", caisson.DefaultBaseURL},
		{"db", "--db", envDB, "/flag/review.db", "/env/review.db", "/file/review.db", "3", filepath.Join(home, ".local/share/caisson-review/review.db")},
		{"reviewer", "--reviewer", envReviewer, "flag-rita", "env-rita", "file-rita", "4", "(the login user)"},
		{"api-key", "--api-key-file", envAPIKey, "read from the file " + flagKey, "the value of " + envAPIKey + " (not shown)", "read from the file " + fileKey, "2", "none"},
	}
	for _, tt := range tests {
		flagArg := tt.flagValue
		if tt.setting == "api-key" {
			flagArg = flagKey
		}
		envArg := tt.envValue
		if tt.setting == "api-key" {
			envArg = testKey
		}
		for _, c := range []struct {
			name                    string
			withFlag, withEnv, file bool
			value, from             string
		}{
			{"the flag beats the environment and the file", true, true, true, tt.flagValue, "flag " + tt.flag},
			{"the environment beats the file", false, true, true, tt.envValue, "env " + tt.env},
			{"the file beats the default", false, false, true, tt.fileValue, at(tt.fileLine)},
			{"the default without any", false, false, false, tt.defaultValue, "default"},
		} {
			t.Run(tt.setting+"/"+c.name, func(t *testing.T) {
				env := map[string]string{"HOME": home}
				if !c.file {
					env["HOME"] = t.TempDir() // no configuration file there
				}
				if c.withEnv {
					env[tt.env] = envArg
				}
				args := []string{"config"}
				if c.withFlag {
					args = append(args, tt.flag, flagArg)
				}
				r := runCLI(t, env, "", args...)
				if r.code != 0 {
					t.Fatalf("want exit 0, got\n%s", r)
				}
				got := configRows(t, r.stdout)[tt.setting]
				if tt.setting == "db" && !c.file && !c.withEnv && !c.withFlag {
					c.value = filepath.Join(env["HOME"], ".local/share/caisson-review/review.db")
				}
				if !strings.Contains(got[0], c.value) || got[1] != c.from {
					t.Errorf("%s = %q from %q; want %q from %q", tt.setting, got[0], got[1], c.value, c.from)
				}
			})
		}
	}
}

// What config says is what the commands do: the file's database and key
// file are the ones used, and the flag still beats the file.
func TestTheFileSettingsAreTheOnesCommandsUse(t *testing.T) {
	f := newFixture(t, sandbox.Options{Checks: 3})
	home := t.TempDir()
	keyFile := filepath.Join(home, "caisson-key")
	if err := os.WriteFile(keyFile, []byte(testKey), 0o600); err != nil {
		t.Fatal(err)
	}
	writeConfig(t, home, `api-url = "`+f.url+`"
api-key-file = "~/caisson-key"
db = "`+f.db+`"
reviewer = "file-rita"
`)
	env := map[string]string{"HOME": home}
	id := f.sb.CheckIDs(1)[0]
	if r := runCLI(t, env, "", "add", id); r.code != 0 {
		t.Fatalf("add with the file's settings: %s", r)
	}
	if r := runCLI(t, env, "", "refresh", id); r.code != 0 {
		t.Fatalf("refresh with the file's key file and API: %s", r)
	}
	rec, err := f.openStore().Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.AddedBy != "file-rita" || rec.Result == nil {
		t.Errorf("added by %q, result %v: want the file's reviewer and a fetched result", rec.AddedBy, rec.Result != nil)
	}
	other := filepath.Join(t.TempDir(), "other.db")
	if r := runCLI(t, env, "", "--db", other, "add", id); r.code != 0 {
		t.Fatalf("add with --db: %s", r)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("--db did not beat the file's db: %v", err)
	}
}

// config names where the key comes from and never shows it, wherever it
// is given (runCLI fails the test if the key is in any output).
func TestConfigNamesTheKeysSourceNeverItsValue(t *testing.T) {
	home := t.TempDir()
	r := runCLI(t, map[string]string{"HOME": home, envAPIKey: testKey}, "", "config")
	if r.code != 0 {
		t.Fatalf("want exit 0, got\n%s", r)
	}
	got := configRows(t, r.stdout)["api-key"]
	if got != [2]string{"the value of " + envAPIKey + " (not shown)", "env " + envAPIKey} {
		t.Errorf("api-key row %q", got)
	}
	// The key put in the file itself is refused, and not repeated either.
	path := writeConfig(t, home, "api-key = \""+testKey+"\"\n")
	r = runCLI(t, map[string]string{"HOME": home}, "", "config")
	if r.code != 1 || !strings.Contains(r.stderr, path+":1: api-key: the API key itself is refused") {
		t.Errorf("want exit 1 naming %s:1, got\n%s", path, r)
	}
}

// Every mistake in a configuration file is an error naming the file and
// the line, saying what was expected; none is ignored.
func TestBadConfigFilesNameTheFileAndLine(t *testing.T) {
	home := t.TempDir()
	tests := []struct {
		name, text string
		want       []string // each preceded by "config.toml:"
	}{
		{"invalid TOML", "db = \"/x\"\napi-url = \"unclosed\n", []string{`2: invalid TOML:`}},
		{"a wrong type", "db = \"/x\"\n\n[console]\nmask = \"yes\"\n", []string{`4: console.mask is a string: expected true or false`}},
		{"a number for a string", "reviewer = 42\n", []string{`1: reviewer is a number: expected a string in quotes`}},
		{"an unknown setting, the nearest suggested", "\napi_url = \"https://x\"\n", []string{`2: unknown setting api_url (did you mean api-url?)`}},
		{"a console setting at the top", "theme = \"dark\"\n", []string{`1: unknown setting theme: did you mean theme under [console]?`}},
		{"an unknown console setting", "[console]\nsrot = \"name\"\n", []string{`2: unknown setting console.srot (did you mean sort?)`}},
		{"a setting in another case", "DB = \"/x\"\n", []string{`1: unknown setting DB (did you mean db?)`}},
		{"a value outside its choices", "[console]\ntheme = \"drak\"\n", []string{`2: console.theme "drak": expected one of auto, dark, light, none (did you mean dark?)`}},
		{"an unknown queue", "[console]\nqueue = \"review\"\n", []string{`2: console.queue "review": expected one of needs-review`}},
		{"an unknown action", "[keys]\naprove = [\"v\"]\n", []string{`2: keys.aprove: no such action in the console's help (did you mean approve?)`}},
		{"a key bound to two actions", "[keys]\napprove = [\"y\"]\nreject = [\"y\"]\n", []string{`3: keys.reject: key "y" is also bound to approve (line 2)`}},
		{"a key taken from a default", "[keys]\napprove = [\"x\"]\n", []string{`2: keys.approve: key "x" is also bound to reject (its default key): bind reject to other keys too`}},
		{"an action left with no key", "[keys]\napprove = []\n", []string{`2: keys.approve: is bound to no key: expected one or more, as approve = ["a"]`}},
		{"a key that is not a list", "[keys]\napprove = \"a\"\n", []string{`2: keys.approve is a string: expected a list of keys in quotes`}},
		{"a key no terminal sends", "[keys]\napprove = [\"Ctrl+a\"]\n", []string{`2: keys.approve: key "Ctrl+a": expected one character`}},
		{"the API key in the file", "api-key = \"sk_live_0123456789abcdefABCDEF\"\n", []string{`1: api-key: the API key itself is refused`, "often shared, synced or committed"}},
		{"a key where its file goes", "api-key-file = \"Zq4Wx7Lm2Np9Rt5Yv8Bc3Dk\"\n", []string{`1: api-key-file names no file and looks like a key itself, refused and not repeated here`}},
		{"a key in another setting", "reviewer = \"sk_live_0123456789abcdef\"\n", []string{`1: reviewer looks like a secret API key (sk_…), refused and not repeated here`}},
		// Where a key is pasted as a name, or as a key of [keys], it is
		// not repeated either (helper-59).
		{"a key as a setting's name", "\"sk_live_0123456789abcdef\" = \"v\"\n", []string{`1: unknown setting (a name that looks like a secret API key, sk_…, not repeated here)`}},
		{"a key as a table's name", "[sk_live_0123456789abcdef]\nx = 1\n", []string{`1: unknown setting (a name that looks like a secret API key`}},
		{"a key as an action's name", "[keys]\n\"sk_live_0123456789abcdef\" = [\"z\"]\n", []string{`2: (a name that looks like a secret API key, sk_…, not repeated here): no such action`}},
		{"a key as a key", "[keys]\napprove = [\"sk_live_0123456789abcdef\"]\n", []string{`2: keys.approve: a key that looks like a secret API key (sk_…), refused and not repeated here`}},
		{"every problem at once", "db = 1\n[console]\nsort = \"nmae\"\n", []string{`has 2 problems`, `1: db is a number`, `3: console.sort "nmae"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, home, tt.text)
			r := runCLI(t, map[string]string{"HOME": home}, "", "config")
			if r.code != 1 {
				t.Fatalf("want exit 1, got\n%s", r)
			}
			for _, w := range tt.want {
				if !strings.HasPrefix(w, "has ") && !strings.HasPrefix(w, "often") {
					w = path + ":" + w
				}
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			for _, secret := range []string{"sk_live_0123456789", "Zq4Wx7Lm2Np9Rt5Yv8Bc3Dk"} {
				if strings.Contains(r.stderr, secret) {
					t.Errorf("the key was repeated:\n%s", r.stderr)
				}
			}
		})
	}
}

// The file that is read is the default one, or the one --config or
// CAISSON_REVIEW_CONFIG names; only a named file must exist.
func TestWhichConfigFileIsRead(t *testing.T) {
	home := t.TempDir()
	other := filepath.Join(t.TempDir(), "team.toml")
	if err := os.WriteFile(other, []byte("reviewer = \"team-rita\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(home, "missing.toml")
	tests := []struct {
		name       string
		env        map[string]string
		args       []string
		code       int
		config     [2]string // the config row
		wantStderr string
	}{
		{"no default file is no error", map[string]string{"HOME": home}, nil, 0,
			[2]string{filepath.Join(home, ".config/caisson-review/config.toml") + " (not there: every setting from elsewhere)", "default"}, ""},
		{"XDG_CONFIG_HOME moves the default", map[string]string{"HOME": home, "XDG_CONFIG_HOME": "/xdg"}, nil, 0,
			[2]string{"/xdg/caisson-review/config.toml (not there: every setting from elsewhere)", "default"}, ""},
		{"--config names another", map[string]string{"HOME": home}, []string{"--config", other}, 0, [2]string{other, "flag --config"}, ""},
		{"so does the environment", map[string]string{"HOME": home, envConfig: other}, nil, 0, [2]string{other, "env " + envConfig}, ""},
		{"the flag beats the environment", map[string]string{"HOME": home, envConfig: missing}, []string{"--config", other}, 0, [2]string{other, "flag --config"}, ""},
		{"a missing --config file is an error", map[string]string{"HOME": home}, []string{"--config", missing}, 1, [2]string{},
			"no configuration file at " + missing + " (named by flag --config)"},
		{"a missing CAISSON_REVIEW_CONFIG file is an error", map[string]string{"HOME": home, envConfig: missing}, nil, 1, [2]string{},
			"no configuration file at " + missing + " (named by env " + envConfig + ")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.env, "", append([]string{"config"}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.wantStderr) {
				t.Fatalf("want exit %d and %q, got\n%s", tt.code, tt.wantStderr, r)
			}
			if tt.code == 0 {
				if got := configRows(t, r.stdout)["config"]; got != tt.config {
					t.Errorf("config row %q, want %q", got, tt.config)
				}
			}
		})
	}
}

// A configuration file others can change gets the key file's warning:
// whoever writes it chooses the API and the key file.
func TestAConfigFileWritableByOthersIsWarnedAbout(t *testing.T) {
	for _, tt := range []struct {
		mode os.FileMode
		warn bool
	}{{0o600, false}, {0o644, false}, {0o664, true}, {0o646, true}} {
		t.Run(tt.mode.String(), func(t *testing.T) {
			home := t.TempDir()
			path := writeConfig(t, home, "reviewer = \"rita\"\n")
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			r := runCLI(t, map[string]string{"HOME": home}, "", "config")
			want := "warning: the configuration file " + path + " can be changed by group or others"
			if r.code != 0 || strings.Contains(r.stderr, want) != tt.warn {
				t.Errorf("mode %04o: want warning %v, got\n%s", tt.mode, tt.warn, r)
			}
		})
	}
}

// config lists every action of the console's help with its keys, the
// remapped ones as written in the file.
func TestConfigListsEveryKeyBinding(t *testing.T) {
	home := t.TempDir()
	path := writeConfig(t, home, "[keys]\napprove = [\"y\", \"ctrl+a\"]\n")
	r := runCLI(t, map[string]string{"HOME": home}, "", "config")
	rows := configRows(t, r.stdout)
	for _, action := range tui.ActionNames() {
		if _, ok := rows["keys."+action]; !ok {
			t.Errorf("no row for keys.%s", action)
		}
	}
	if got := rows["keys.approve"]; got != [2]string{"y, ctrl+a", path + ":2"} {
		t.Errorf("keys.approve %q", got)
	}
	if got := rows["keys.reject"]; got != [2]string{"x", "default"} {
		t.Errorf("keys.reject %q", got)
	}
}

// The console is started with the file's console defaults and keys.
func TestTheConsoleTakesTheFilesDefaultsAndKeys(t *testing.T) {
	home := t.TempDir()
	writeConfig(t, home, "[console]\nqueue = \"escalated\"\nsort = \"customer\"\nmask = true\ntheme = \"none\"\n\n[keys]\napprove = [\"y\"]\n")
	a := &app{stderr: &strings.Builder{}, getenv: func(k string) string { return map[string]string{"HOME": home}[k] }}
	var cfg tui.Config
	if err := a.applyConsoleSettings(&cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.StartQueue != store.QueueEscalated || cfg.StartSort != store.SortCustomer || !cfg.Masked || cfg.Theme != tui.ThemeNone ||
		len(cfg.Keys["approve"]) != 1 || cfg.Keys["approve"][0] != "y" {
		t.Errorf("console config %+v", cfg)
	}
}

// The default database follows the environment the program was given,
// not the process's own (store.DefaultPath reads no variable itself).
func TestTheDefaultDatabaseFollowsTheGivenEnvironment(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/process/data")
	r := runCLI(t, map[string]string{"HOME": "/given/home"}, "", "config")
	if got := configRows(t, r.stdout)["db"]; got != [2]string{"/given/home/.local/share/caisson-review/review.db", "default"} {
		t.Errorf("db row %q", got)
	}
	r = runCLI(t, map[string]string{"XDG_DATA_HOME": "/given/data"}, "", "config")
	if got := configRows(t, r.stdout)["db"]; got[0] != "/given/data/caisson-review/review.db" {
		t.Errorf("db row %q", got)
	}
}

// The sort by waiting is a sort like the others: the file's console.sort
// and a binding of the stats key are taken.
func TestTheConsoleTakesTheWaitingSortAndAStatsKey(t *testing.T) {
	home := t.TempDir()
	writeConfig(t, home, "[console]\nsort = \"waiting\"\n\n[keys]\nstats = [\"f2\"]\n")
	a := &app{stderr: &strings.Builder{}, getenv: func(k string) string { return map[string]string{"HOME": home}[k] }}
	var cfg tui.Config
	if err := a.applyConsoleSettings(&cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.StartSort != store.SortWaiting || len(cfg.Keys["stats"]) != 1 || cfg.Keys["stats"][0] != "f2" {
		t.Errorf("console config %+v", cfg)
	}
}

// A setting the console or refresh would refuse is refused by config too,
// each problem said with where it came from, after the whole table, exit
// 1: a deployment checked with config finds it before the cron job.
func TestConfigRefusesWhatTheCommandsWouldRefuse(t *testing.T) {
	home := t.TempDir()
	path := writeConfig(t, home, "api-url = \"https://api.caisson.com/v1\"\npoll-cap = \"soon\"\n")
	r := runCLI(t, map[string]string{"HOME": home, envPollInterval: "5x", envStaleAfter: "never"}, "", "--api-url", "http://10.0.0.8", "config")
	if r.code != 1 {
		t.Fatalf("want exit 1, got\n%s", r)
	}
	if rows := configRows(t, r.stdout); rows["stale-after"][0] != "never" || rows["keys.quit"][0] == "" {
		t.Errorf("want every row printed, the refused ones as given:\n%s", r.stdout)
	}
	for _, want := range []string{
		"api-url (flag --api-url): API address http://10.0.0.8: plain http is allowed only on this machine",
		`poll-interval "5x" (env ` + envPollInterval + `): expected days (7d) or a Go duration`,
		`poll-cap "soon" (` + path + `:2): expected days`,
		`stale-after "never" (env ` + envStaleAfter + `): expected days`,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	// The file's own api-url, without the flag: refused for its /v1.
	r = runCLI(t, map[string]string{"HOME": home}, "", "config")
	if r.code != 1 || !strings.Contains(r.stderr, "api-url ("+path+":1): API address https://api.caisson.com/v1: expected the address without /v1") {
		t.Errorf("want exit 1 naming the file's api-url, got\n%s", r)
	}
	writeConfig(t, home, "poll-cap = \"2h\"\n")
	if r := runCLI(t, map[string]string{"HOME": home}, "", "config"); r.code != 0 || r.stderr != "" {
		t.Errorf("good settings: want exit 0 and nothing on stderr, got\n%s", r)
	}
}

// An API address holding a password or a key (in its user part or its
// query) is refused, and config shows it without them, in its row and in
// the problem below the table.
func TestConfigNeverShowsAPasswordOrKeyPutInTheAPIAddress(t *testing.T) {
	home := t.TempDir()
	for _, url := range []string{
		"https://user:s3cr3tpass@api.caisson.com",
		"https://api.caisson.com/?key=sk_live_0123456789abcdefABCDEF",
		"https://api.caisson.com/#sk_live_0123456789abcdefABCDEF",
		"htps:/ sk_live_0123456789abcdefABCDEF",
	} {
		r := runCLI(t, map[string]string{"HOME": home}, "", "--api-url", url, "config")
		if r.code != 1 {
			t.Errorf("%s: want exit 1, got\n%s", url, r)
		}
		for _, secret := range []string{"s3cr3tpass", "sk_live_0123456789"} {
			if strings.Contains(r.stdout+r.stderr, secret) {
				t.Errorf("%s: config repeated %s:\n%s", url, secret, r)
			}
		}
		mustContain(t, url, configRows(t, r.stdout)["api-url"][0], "(refused: see below)")
	}
}

// A db that is a URL of another kind (a typo in postgres://, mysql://) is
// refused, not taken as a file path under the current folder where a cron
// job would go on "succeeding"; config refuses it too, and a port out of
// range, without repeating a password.
func TestADatabaseURLOfAnotherKindIsRefusedNotMadeAFile(t *testing.T) {
	home := t.TempDir()
	dir := t.TempDir()
	t.Chdir(dir)
	for _, db := range []string{"postgress://rev@db.internal/review", "mysql://u:s3cr3tpass@db/review", "sqlite:///tmp/x.db"} {
		r := runCLI(t, map[string]string{"HOME": home}, "", "--db", db, "add", "chk_priv_K0xLMPgcUMuUmWtNEHp4dg")
		if r.code != 1 || !strings.Contains(r.stderr, "it is a URL, but not a PostgreSQL one") {
			t.Errorf("add --db %s: want exit 1 refusing it, got\n%s", db, r)
		}
		r = runCLI(t, map[string]string{"HOME": home}, "", "--db", db, "config")
		if r.code != 1 || !strings.Contains(r.stderr, "it is a URL, but not a PostgreSQL one") || strings.Contains(r.stdout+r.stderr, "s3cr3tpass") {
			t.Errorf("config --db %s: want exit 1, the password not shown, got\n%s", db, r)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files made under the current folder: %v", entries)
	}
	r := runCLI(t, map[string]string{"HOME": home}, "", "--db", "postgres://u@db:99999/review", "config")
	if r.code != 1 || !strings.Contains(r.stderr, "has port 99999: expected 1 to 65535") {
		t.Errorf("config with port 99999: want exit 1, got\n%s", r)
	}
}

// config refuses a key file that cannot be read, and names both polling
// settings, with where each came from, when the interval passes the cap.
func TestConfigRefusesAMissingKeyFileAndNamesBothPollSettingsInConflict(t *testing.T) {
	home := t.TempDir()
	missing := filepath.Join(t.TempDir(), "no-such-key")
	r := runCLI(t, map[string]string{"HOME": home}, "", "--api-key-file", missing, "config")
	if r.code != 1 || !strings.Contains(r.stderr, "api-key: opening the API key file "+missing) {
		t.Errorf("a missing key file: want exit 1 naming it, got\n%s", r)
	}
	r = runCLI(t, map[string]string{"HOME": home, envPollInterval: "2h"}, "", "config")
	want := `poll-interval "2h" (env ` + envPollInterval + `) and poll-cap "1h" (default): poll cap 1h0m0s: expected at least the interval`
	if r.code != 1 || !strings.Contains(r.stderr, want) {
		t.Errorf("interval past the cap: want exit 1 and\n%s\ngot\n%s", want, r)
	}
}
