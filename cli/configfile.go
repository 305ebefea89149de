package cli

import (
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/store"
	"github.com/caisson-review/caisson-review/tui"
)

// envConfig names another configuration file, as --config does.
const envConfig = "CAISSON_REVIEW_CONFIG"

// The settings a configuration file takes: at the top, what the flags and
// the environment set; in [console], the console's defaults; in [keys],
// the keys of each action of the console's help.
var (
	topSettings     = append([]string{"api-url", "api-key-file", "db", "reviewer"}, pollSettingNames()...)
	consoleSettings = []string{"queue", "sort", "mask", "theme"}
	tableSettings   = []string{"console", "keys"}
)

// refusedKeySettings are where someone would put the key itself: it would
// then sit in a file that is often shared, synced or committed with the
// rest of a dotfiles repository.
var refusedKeySettings = []string{"api-key", "api_key", "apikey", "key", "secret", "token"}

// maxConfigFile bounds what is read: a configuration is a few hundred
// bytes, and a huge file is a wrong path.
const maxConfigFile = 1 << 20

// configFile is a configuration file as read: every setting it gives with
// the line that gives it.
type configFile struct {
	path    string
	strings map[string]fileValue // "api-url", "console.queue", …
	mask    *fileValue
	keys    map[string][]string // keys by action
	lines   map[string]int      // "keys.approve" and every other setting → its line
}

type fileValue struct {
	s    string
	b    bool
	line int
}

// configProblems are every problem of one file, each with its line, in
// the order of the lines: a person fixing a file wants them all at once.
type configProblems struct {
	path     string
	problems []configProblem
}

type configProblem struct {
	line int
	msg  string
}

func (e *configProblems) add(line int, format string, args ...any) {
	e.problems = append(e.problems, configProblem{line, fmt.Sprintf(format, args...)})
}

func (e *configProblems) Error() string {
	sort.SliceStable(e.problems, func(i, j int) bool { return e.problems[i].line < e.problems[j].line })
	shown := sanitize.Line(e.path)
	if len(e.problems) == 1 {
		return fmt.Sprintf("%s:%d: %s", shown, e.problems[0].line, e.problems[0].msg)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "the configuration file %s has %d problems:", shown, len(e.problems))
	for _, p := range e.problems {
		fmt.Fprintf(&b, "\n  %s:%d: %s", shown, p.line, p.msg)
	}
	return b.String()
}

// defaultConfigPath is $XDG_CONFIG_HOME/caisson-review/config.toml, or
// ~/.config/… without it; "" when neither is set (no file then).
func defaultConfigPath(getenv func(string) string) string {
	if d := getenv("XDG_CONFIG_HOME"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "caisson-review", "config.toml")
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".config", "caisson-review", "config.toml")
	}
	return ""
}

// configPath is the file to read and where its name came from: --config,
// then CAISSON_REVIEW_CONFIG, then the default. explicit is set when it
// was named, so that a missing file is an error and not "no file".
func (a *app) configPath() (path string, from origin, explicit bool) {
	if a.globals.config.set {
		return a.globals.config.value, origin{kind: originFlag, name: "--config"}, true
	}
	if v := a.getenv(envConfig); v != "" {
		return v, origin{kind: originEnv, name: envConfig}, true
	}
	return defaultConfigPath(a.getenv), origin{kind: originDefault}, false
}

// loadConfig reads the configuration file once, at the first setting a
// command needs (the global --config may come after the command, so not
// before the command's flags are read). A missing default file is no
// error: most people have none.
func (a *app) loadConfig() error {
	if a.configLoaded {
		return a.configErr
	}
	a.configLoaded = true
	path, from, explicit := a.configPath()
	if path == "" {
		return nil
	}
	f, err := a.readConfigFile(path)
	switch {
	case errors.Is(err, iofs.ErrNotExist) && !explicit:
		return nil
	case errors.Is(err, iofs.ErrNotExist):
		hint := ""
		if def := defaultConfigPath(a.getenv); def != "" {
			hint = "; leave " + from.name + " out for the default, " + sanitize.Line(def)
		}
		a.configErr = fmt.Errorf("no configuration file at %s (named by %s): expected a TOML file%s", sanitize.Line(path), from, hint)
	case err != nil:
		a.configErr = err
	default:
		a.file = f
	}
	return a.configErr
}

func (a *app) readConfigFile(path string) (*configFile, error) {
	shown := sanitize.Line(path)
	fh, err := os.Open(path)
	if err != nil {
		if errors.Is(err, iofs.ErrNotExist) {
			return nil, err
		}
		var pe *iofs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("opening the configuration file %s: %w", shown, err)
	}
	defer fh.Close()
	info, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading the configuration file %s: %w", shown, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("the configuration file %s is not a regular file", shown)
	}
	if perm := info.Mode().Perm(); perm&0o022 != 0 {
		// Whoever can write it can point the console at their own API or
		// key file: the same warning as a key file readable by others.
		fmt.Fprintf(a.stderr, "%s: warning: the configuration file %s can be changed by group or others (mode %04o): run chmod go-w on it\n",
			progName, shown, perm)
	}
	b, err := io.ReadAll(io.LimitReader(fh, maxConfigFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading the configuration file %s: %w", shown, err)
	}
	if len(b) > maxConfigFile {
		return nil, fmt.Errorf("the configuration file %s is larger than %d bytes: expected a few settings", shown, maxConfigFile)
	}
	return parseConfig(path, string(b), a.getenv)
}

// fileDoc is the file's shape. Every value is a Primitive, decoded once
// its TOML type is checked, so that a wrong type is reported as this
// program's error with its line rather than the decoder's; and a setting
// not in it stays undecoded, which is how an unknown one is found.
type fileDoc struct {
	APIURL     toml.Primitive `toml:"api-url"`
	APIKeyFile toml.Primitive `toml:"api-key-file"`
	DB         toml.Primitive `toml:"db"`
	Reviewer   toml.Primitive `toml:"reviewer"`
	Poll       toml.Primitive `toml:"poll"`
	PollEvery  toml.Primitive `toml:"poll-interval"`
	PollCap    toml.Primitive `toml:"poll-cap"`
	PollRate   toml.Primitive `toml:"poll-rate"`
	StaleAfter toml.Primitive `toml:"stale-after"`
	Console    toml.Primitive `toml:"console"`
	Keys       toml.Primitive `toml:"keys"`
}

type consoleDoc struct {
	Queue toml.Primitive `toml:"queue"`
	Sort  toml.Primitive `toml:"sort"`
	Mask  toml.Primitive `toml:"mask"`
	Theme toml.Primitive `toml:"theme"`
}

// parseConfig reads a configuration file's text; path names it in errors
// and is where relative paths in it start.
func parseConfig(path, text string, getenv func(string) string) (*configFile, error) {
	probs := &configProblems{path: path}
	var doc fileDoc
	md, err := toml.Decode(text, &doc)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			probs.add(pe.Position.Line, "invalid TOML: %s", sanitize.Line(pe.Message))
			return nil, probs
		}
		probs.add(0, "invalid TOML: %s", sanitize.Line(err.Error()))
		return nil, probs
	}
	f := &configFile{path: path, strings: map[string]fileValue{}, lines: keyLines(text)}
	p := &fileParser{md: &md, f: f, probs: probs, dir: filepath.Dir(path), getenv: getenv}
	p.str("api-url", doc.APIURL)
	p.path("api-key-file", doc.APIKeyFile)
	p.path("db", doc.DB)
	p.str("reviewer", doc.Reviewer)
	p.scalar("poll", doc.Poll, "Bool", "true or false")
	p.str("poll-interval", doc.PollEvery)
	p.str("poll-cap", doc.PollCap)
	p.scalar("poll-rate", doc.PollRate, "Integer", "a number of requests a second, like 2")
	p.str("stale-after", doc.StaleAfter)
	p.console(doc.Console)
	p.keys(doc.Keys)
	p.unknown()
	if len(probs.problems) > 0 {
		return nil, probs
	}
	return f, nil
}

type fileParser struct {
	md     *toml.MetaData
	f      *configFile
	probs  *configProblems
	dir    string
	getenv func(string) string
}

// typed reports whether the setting is there with the TOML type wanted,
// saying so when it is there with another.
func (p *fileParser) typed(name, want, expected string) bool {
	got := p.md.Type(strings.Split(name, ".")...)
	switch {
	case got == "":
		return false
	case got == want:
		return true
	}
	p.probs.add(p.f.lines[name], "%s is %s: expected %s", name, tomlTypeName(got), expected)
	return false
}

func tomlTypeName(t string) string {
	switch t {
	case "String":
		return "a string"
	case "Bool":
		return "true or false"
	case "Integer":
		return "a number"
	case "Float":
		return "a decimal number"
	case "Array":
		return "a list"
	case "Hash":
		return "a table"
	case "ArrayHash":
		return "a list of tables ([[…]])"
	case "Datetime":
		return "a date"
	}
	return "a " + strings.ToLower(t)
}

func (p *fileParser) str(name string, v toml.Primitive) {
	if !p.typed(name, "String", "a string in quotes") {
		return
	}
	var s string
	if err := p.md.PrimitiveDecode(v, &s); err != nil {
		p.probs.add(p.f.lines[name], "%s: %s", name, sanitize.Line(err.Error()))
		return
	}
	line := p.f.lines[name]
	if strings.HasPrefix(strings.TrimSpace(s), "sk_") {
		// Not repeated: it is most likely the key itself.
		p.probs.add(line, "%s looks like a secret API key (sk_…), refused and not repeated here: %s", name, whyNoKeyInFile)
		return
	}
	if strings.TrimSpace(s) == "" {
		p.probs.add(line, "%s is empty: expected a value (leave it out for the default)", name)
		return
	}
	if !sanitize.Safe(s) {
		p.probs.add(line, "%s has control or invisible characters: expected plain text", name)
		return
	}
	p.f.strings[name] = fileValue{s: s, line: line}
}

// scalar is a setting of a TOML type other than a string (poll = false,
// poll-rate = 2; a decimal number too for a number), kept as text: its
// value is checked with the flag's and the variable's.
func (p *fileParser) scalar(name string, v toml.Primitive, want, expected string) {
	if want == "Integer" && p.md.Type(name) == "Float" {
		want = "Float"
	}
	if !p.typed(name, want, expected) {
		return
	}
	var value any
	if err := p.md.PrimitiveDecode(v, &value); err != nil {
		p.probs.add(p.f.lines[name], "%s: %s", name, sanitize.Line(err.Error()))
		return
	}
	p.f.strings[name] = fileValue{s: fmt.Sprint(value), line: p.f.lines[name]}
}

// whyNoKeyInFile is why the key never goes in the configuration.
const whyNoKeyInFile = "a configuration file is often shared, synced or committed with other dotfiles; " +
	"put the key in a file only you can read (chmod 600) and name it with api-key-file = \"PATH\", or set " + envAPIKey

// path is a string setting naming a file: ~/ is the home folder, and a
// relative path starts at the configuration file's folder, not wherever
// the command happens to run. db may be a PostgreSQL URL instead, kept
// as written.
func (p *fileParser) path(name string, v toml.Primitive) {
	p.str(name, v)
	fv, ok := p.f.strings[name]
	if !ok || name == "db" && store.IsPostgres(fv.s) {
		return // a server's URL is no path
	}
	s := fv.s
	if rest, ok := strings.CutPrefix(s, "~/"); ok {
		home := p.getenv("HOME")
		if home == "" {
			p.probs.add(fv.line, "%s starts with ~/ but HOME is not set: expected an absolute path", name)
			delete(p.f.strings, name)
			return
		}
		s = filepath.Join(home, rest)
	} else if !filepath.IsAbs(s) {
		s = filepath.Join(p.dir, s)
	}
	if name == "api-key-file" && looksLikeKey(fv.s) {
		if _, err := os.Stat(s); errors.Is(err, iofs.ErrNotExist) {
			p.probs.add(fv.line, "api-key-file names no file and looks like a key itself, refused and not repeated here: expected the path of a file holding the key; %s", whyNoKeyInFile)
			delete(p.f.strings, name)
			return
		}
	}
	fv.s = s
	p.f.strings[name] = fv
}

func (p *fileParser) console(v toml.Primitive) {
	if !p.typed("console", "Hash", "a table, [console]") {
		return
	}
	var c consoleDoc
	if err := p.md.PrimitiveDecode(v, &c); err != nil {
		p.probs.add(p.f.lines["console"], "console: %s", sanitize.Line(err.Error()))
		return
	}
	p.choice("console.queue", c.Queue, queueNames())
	p.choice("console.sort", c.Sort, sortNames())
	p.choice("console.theme", c.Theme, themeNames())
	if p.typed("console.mask", "Bool", "true or false") {
		var b bool
		if err := p.md.PrimitiveDecode(c.Mask, &b); err == nil {
			p.f.mask = &fileValue{b: b, line: p.f.lines["console.mask"]}
		}
	}
}

// choice is a string setting that must be one of names.
func (p *fileParser) choice(name string, v toml.Primitive, names []string) {
	p.str(name, v)
	fv, ok := p.f.strings[name]
	if !ok || slices.Contains(names, fv.s) {
		return
	}
	delete(p.f.strings, name)
	p.probs.add(fv.line, "%s %q: expected one of %s%s", name, sanitize.Line(fv.s), strings.Join(names, ", "), didYouMean(fv.s, names))
}

func queueNames() []string {
	var names []string
	for _, q := range store.Queues {
		names = append(names, string(q))
	}
	return names
}

func sortNames() []string { return slices.Clone(store.SortNames) }

func themeNames() []string {
	var names []string
	for _, t := range tui.Themes {
		names = append(names, string(t))
	}
	return names
}

func (p *fileParser) keys(v toml.Primitive) {
	if !p.typed("keys", "Hash", `a table, [keys], of actions and their keys: approve = ["a"]`) {
		return
	}
	var raw map[string]toml.Primitive
	if err := p.md.PrimitiveDecode(v, &raw); err != nil {
		p.probs.add(p.f.lines["keys"], "keys: %s", sanitize.Line(err.Error()))
		return
	}
	bound := map[string][]string{}
	for action, prim := range raw {
		name := "keys." + action
		var ks []any
		if !p.typed(name, "Array", `a list of keys in quotes, as ["a"] or ["j", "down"]`) || p.md.PrimitiveDecode(prim, &ks) != nil {
			continue
		}
		var keys []string
		for _, k := range ks {
			s, ok := k.(string)
			if !ok {
				p.probs.add(p.f.lines[name], "%s has %s among its keys: expected each key in quotes, as [\"a\"]", shownSetting(name), sanitize.Line(fmt.Sprint(k)))
				keys = nil
				break
			}
			keys = append(keys, s)
		}
		if keys != nil || len(ks) == 0 {
			bound[action] = keys
		}
	}
	for _, e := range tui.CheckBindings(bound) {
		msg := sanitize.Line(e.Reason)
		switch {
		case e.Reason == "no such action":
			msg = fmt.Sprintf("no such action in the console's help%s; the actions: %s",
				didYouMean(e.Action, tui.ActionNames()), strings.Join(tui.ActionNames(), ", "))
		case e.Other != "" && e.OtherDefault:
			msg += fmt.Sprintf(" (its default key): bind %s to other keys too, or pick another key", e.Other)
		case e.Other != "":
			msg += fmt.Sprintf(" (line %d): a key does one thing", p.f.lines["keys."+e.Other])
		}
		p.probs.add(p.f.lines["keys."+e.Action], "%s: %s", shownSetting("keys."+e.Action), msg)
	}
	p.f.keys = bound
}

// unknown reports every setting the file has that this program does not
// know, the nearest known name suggested: a misspelt setting silently
// ignored is a setting that silently does not apply.
func (p *fileParser) unknown() {
	reported := map[string]bool{}
	// The decoder matches a struct's fields in any case ("DB" fills db);
	// this program's names are written one way, so "DB" is unknown too.
	var undecoded []toml.Key
	for _, k := range p.md.Keys() {
		if len(k) <= 2 && (len(k) == 1 || k[0] == "console") && !knownSpelling(k) {
			undecoded = append(undecoded, k)
		}
	}
	for _, k := range p.md.Undecoded() {
		if !slices.ContainsFunc(undecoded, func(u toml.Key) bool { return u.String() == k.String() }) {
			undecoded = append(undecoded, k)
		}
	}
	for _, k := range undecoded {
		name := k.String()
		if len(k) > 1 && reported[toml.Key(k[:len(k)-1]).String()] {
			continue // inside an unknown table, already reported
		}
		reported[name] = true
		line := p.f.lines[name]
		last := k[len(k)-1]
		switch {
		case len(k) == 1 && slices.Contains(refusedKeySettings, strings.ToLower(last)):
			p.probs.add(line, "%s: the API key itself is refused in a configuration file (not repeated here): %s", shownSetting(name), whyNoKeyInFile)
		case len(k) == 1 && slices.Contains(consoleSettings, last):
			p.probs.add(line, "unknown setting %s: did you mean %s under [console]?", shownSetting(name), last)
		case len(k) == 1:
			p.probs.add(line, "unknown setting %s%s; the settings: %s, and the tables [console] and [keys]",
				shownSetting(name), didYouMean(last, append(slices.Clone(topSettings), tableSettings...)), strings.Join(topSettings, ", "))
		case k[0] == "console" && len(k) == 2:
			p.probs.add(line, "unknown setting %s%s; [console] takes %s",
				shownSetting(name), didYouMean(last, consoleSettings), strings.Join(consoleSettings, ", "))
		default:
			p.probs.add(line, "unknown setting %s", shownSetting(name))
		}
	}
}

// knownSpelling reports whether a top-level or [console] key is written as
// one of the settings (or is inside a table whose name is wrong).
func knownSpelling(k toml.Key) bool {
	if len(k) == 1 {
		return slices.Contains(topSettings, k[0]) || slices.Contains(tableSettings, k[0])
	}
	return slices.Contains(consoleSettings, k[1])
}

// didYouMean is ` (did you mean NAME?)` for the known name nearest to s,
// when one is near enough to be a slip; "" otherwise.
func didYouMean(s string, names []string) string {
	best, bestD := "", len(s)/2+2
	norm := strings.ToLower(strings.ReplaceAll(s, "_", "-"))
	for _, n := range names {
		if d := editDistance(norm, n); d < bestD {
			best, bestD = n, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + best + "?)"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(rb)]
}

// keyLines is the line of every key and table of a file already known to
// be valid TOML. The decoder keeps each key's position but exposes it only
// in its errors, so each key is decoded into a value that refuses itself
// (lineProbe), and the line is read from the error.
func keyLines(text string) map[string]int {
	lines := map[string]int{}
	var top map[string]toml.Primitive
	md, err := toml.Decode(text, &top)
	if err != nil {
		return lines
	}
	var walk func(prefix toml.Key, table map[string]toml.Primitive)
	walk = func(prefix toml.Key, table map[string]toml.Primitive) {
		for name, prim := range table {
			k := append(slices.Clone(prefix), name)
			var pe toml.ParseError
			if err := md.PrimitiveDecode(prim, lineProbe{}); errors.As(err, &pe) {
				lines[k.String()] = pe.Position.Line
			}
			if md.Type(k...) == "Hash" {
				var inner map[string]toml.Primitive
				if md.PrimitiveDecode(prim, &inner) == nil {
					walk(k, inner)
				}
			}
		}
	}
	walk(nil, top)
	return lines
}

// lineProbe refuses to be decoded, so that the decoder says where its key is.
type lineProbe struct{}

var errLineProbe = errors.New("where is this key")

func (lineProbe) UnmarshalTOML(any) error { return errLineProbe }

// shownSetting is a setting's name as a message may repeat it: a name any
// part of which looks like a secret API key (sk_…) is not repeated, as a
// value that does is not (helper-59: "unknown setting sk_live_…").
func shownSetting(name string) string {
	for _, part := range strings.Split(name, ".") {
		if strings.HasPrefix(strings.ToLower(strings.Trim(part, `"' `)), "sk_") {
			return "(a name that looks like a secret API key, sk_…, not repeated here)"
		}
	}
	return sanitize.Line(name)
}
