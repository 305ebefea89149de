package tui

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// BindingError is a problem with the keys a configuration file binds to
// one action of the main screen.
type BindingError struct {
	// Action is the action it is about, as named in [keys].
	Action string
	// Other is, for a key bound twice, the other action holding the key,
	// and OtherDefault whether it holds it by default (not bound in the
	// file): the fix is then to bind that one too.
	Other        string
	OtherDefault bool
	Reason       string
}

func (e *BindingError) Error() string { return e.Action + ": " + e.Reason }

// ActionNames are the names [keys] takes, in the order of the help.
func ActionNames() []string {
	names := make([]string, len(actions))
	for i, a := range actions {
		names[i] = a.name
	}
	return names
}

// DefaultKeys are an action's keys when a configuration binds none.
func DefaultKeys(name string) []string {
	for _, a := range actions {
		if a.name == name {
			return slices.Clone(a.keys)
		}
	}
	return nil
}

// CheckBindings says what is wrong with keys bound by action name, every
// problem in the order of the help: an unknown action, an action bound to
// no key, a key no terminal sends in that spelling, more queue keys than
// queues, and a key that two actions would share (one of them by
// default), which would silently make one of them unreachable.
func CheckBindings(bound map[string][]string) []*BindingError {
	var errs []*BindingError
	names := ActionNames()
	for _, name := range sortedKeys(bound) {
		if !slices.Contains(names, name) {
			errs = append(errs, &BindingError{Action: name, Reason: "no such action"})
		}
	}
	holder := map[string]string{} // key → the first action holding it
	for _, a := range actions {
		keys, fromFile := a.keys, false
		if b, ok := bound[a.name]; ok {
			keys, fromFile = b, true
		}
		if fromFile {
			if e := checkKeys(a.name, keys); e != nil {
				errs = append(errs, e)
				continue
			}
		}
		for _, k := range keys {
			other, taken := holder[k]
			if !taken {
				holder[k] = a.name
				continue
			}
			if other == a.name {
				continue // written twice for one action: harmless
			}
			_, otherFromFile := bound[other]
			e := &BindingError{Action: a.name, Other: other, OtherDefault: !otherFromFile,
				Reason: fmt.Sprintf("key %q is also bound to %s", k, other)}
			if !fromFile {
				// The file gave this key to other; the error is about other.
				e = &BindingError{Action: other, Other: a.name, OtherDefault: true,
					Reason: fmt.Sprintf("key %q is also bound to %s", k, a.name)}
			}
			errs = append(errs, e)
		}
	}
	return errs
}

func checkKeys(name string, keys []string) *BindingError {
	if len(keys) == 0 {
		return &BindingError{Action: name, Reason: fmt.Sprintf(`is bound to no key: expected one or more, as %s = ["%s"]`, name, DefaultKeys(name)[0])}
	}
	// Every tab has its number, Second review's included: the default is
	// 1 to 8, which this refused (helper-59).
	if name == "queue" && len(keys) > len(tabQueues) {
		return &BindingError{Action: name, Reason: fmt.Sprintf("%d keys for %d queues: expected at most one per queue, the first for the first tab", len(keys), len(tabQueues))}
	}
	for _, k := range keys {
		if strings.HasPrefix(strings.ToLower(k), "sk_") {
			// Most likely the API key pasted into the wrong place: not
			// repeated, as a setting's value that looks like one is not.
			return &BindingError{Action: name, Reason: "a key that looks like a secret API key (sk_…), refused and not repeated here: expected one character or a key's name"}
		}
		if as, ok := terminalAliases[k]; ok {
			return &BindingError{Action: name, Reason: fmt.Sprintf("key %q: a terminal sends it as %s, so it would never reach %s: expected another key", k, as, name)}
		}
		if !validKey(k) {
			return &BindingError{Action: name, Reason: fmt.Sprintf("key %q: expected one character as typed (\"a\", \"A\", \"?\") or a key's name (%s, f1-f20), "+
				"after ctrl+, alt+ or shift+ in that order", k, strings.Join(keyNames, ", "))}
		}
	}
	return nil
}

// terminalAliases are the keys a terminal sends as the same byte as
// another, which Bubble Tea reads as that other key (without the kitty
// keyboard protocol, as over most SSH sessions): bound, they looked
// accepted and never fired (helper-59).
var terminalAliases = map[string]string{"ctrl+i": "tab", "ctrl+m": "enter", "ctrl+[": "esc", "ctrl+@": "ctrl+space"}

// keyNames are the named keys as Bubble Tea spells them.
var keyNames = []string{"enter", "tab", "esc", "space", "backspace", "delete", "insert",
	"up", "down", "left", "right", "home", "end", "pgup", "pgdown"}

// validKey reports whether k is spelled as Bubble Tea names a key press,
// so that it can ever match: a binding to "Ctrl+A" or "alt+ctrl+a" would
// silently never fire.
func validKey(k string) bool {
	rest := k
	var mods []string
	for _, m := range []string{"ctrl+", "alt+", "shift+"} {
		if strings.HasPrefix(rest, m) {
			mods, rest = append(mods, m), rest[len(m):]
		}
	}
	if slices.Contains(keyNames, rest) || isFunctionKey(rest) {
		return true
	}
	r, size := utf8.DecodeRuneInString(rest)
	if size != len(rest) || r == utf8.RuneError || r == ' ' || !unicode.IsPrint(r) {
		return false
	}
	// A shifted character arrives as the character itself ("A", "?").
	return !(len(mods) == 1 && mods[0] == "shift+")
}

func isFunctionKey(k string) bool {
	var n int
	if _, err := fmt.Sscanf(k, "f%d", &n); err != nil {
		return false
	}
	return n >= 1 && n <= 20 && k == fmt.Sprintf("f%d", n)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
