package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
)

// KeyMap is every key of the main screen, in one place, with its help text.
// In read-only mode the decision keys are not disabled but absent: they
// match nothing and the help never lists them.
type KeyMap struct {
	Up, Down, Top, Bottom, PageUp, PageDown key.Binding
	NextTab, PrevTab, Tab                   key.Binding
	Open, ScrollDown, ScrollUp              key.Binding
	Customer                                key.Binding
	Approve, Reject, Escalate, Reopen       key.Binding
	Confirm, Return                         key.Binding
	Add                                     key.Binding
	Refresh, RefreshAll                     key.Binding
	Filter, Sort, Mask, Stats               key.Binding
	Back, Help, Quit, ForceQuit             key.Binding
	readOnly                                bool
}

// action is one thing a key does on the main screen: its name in a
// configuration file's [keys] table, where it lives in the KeyMap, its
// default keys and how the help shows them.
type action struct {
	name   string
	field  func(*KeyMap) *key.Binding
	keys   []string
	label  string // the keys as the help shows the defaults
	desc   string
	writes bool // absent in read-only mode
}

// actions are the main screen's keys in the order of the help.
var actions = []action{
	{"up", func(k *KeyMap) *key.Binding { return &k.Up }, []string{"k", "up"}, "↑/k", "up", false},
	{"down", func(k *KeyMap) *key.Binding { return &k.Down }, []string{"j", "down"}, "↓/j", "down", false},
	{"top", func(k *KeyMap) *key.Binding { return &k.Top }, []string{"g", "home"}, "g", "top", false},
	{"bottom", func(k *KeyMap) *key.Binding { return &k.Bottom }, []string{"G", "end"}, "G", "bottom", false},
	{"page-up", func(k *KeyMap) *key.Binding { return &k.PageUp }, []string{"pgup", "ctrl+b"}, "pgup", "page up", false},
	{"page-down", func(k *KeyMap) *key.Binding { return &k.PageDown }, []string{"pgdown", "ctrl+f"}, "pgdn", "page down", false},
	{"next-queue", func(k *KeyMap) *key.Binding { return &k.NextTab }, []string{"tab"}, "tab", "next queue", false},
	{"previous-queue", func(k *KeyMap) *key.Binding { return &k.PrevTab }, []string{"shift+tab"}, "shift+tab", "previous queue", false},
	{"queue", func(k *KeyMap) *key.Binding { return &k.Tab }, []string{"1", "2", "3", "4", "5", "6", "7", "8"}, "1-8", "queue", false},
	{"open", func(k *KeyMap) *key.Binding { return &k.Open }, []string{"enter"}, "enter", "open detail", false},
	{"scroll-down", func(k *KeyMap) *key.Binding { return &k.ScrollDown }, []string{"J", "ctrl+d"}, "J", "scroll detail down", false},
	{"scroll-up", func(k *KeyMap) *key.Binding { return &k.ScrollUp }, []string{"K", "ctrl+u"}, "K", "scroll detail up", false},
	{"customer", func(k *KeyMap) *key.Binding { return &k.Customer }, []string{"c"}, "c", "customer's checks", false},
	{"approve", func(k *KeyMap) *key.Binding { return &k.Approve }, []string{"a"}, "a", "approve", true},
	{"reject", func(k *KeyMap) *key.Binding { return &k.Reject }, []string{"x"}, "x", "reject", true},
	{"escalate", func(k *KeyMap) *key.Binding { return &k.Escalate }, []string{"e"}, "e", "escalate", true},
	{"reopen", func(k *KeyMap) *key.Binding { return &k.Reopen }, []string{"o"}, "o", "reopen", true},
	{"confirm", func(k *KeyMap) *key.Binding { return &k.Confirm }, []string{"v"}, "v", "confirm proposal", true},
	{"return", func(k *KeyMap) *key.Binding { return &k.Return }, []string{"b"}, "b", "return proposal", true},
	{"add", func(k *KeyMap) *key.Binding { return &k.Add }, []string{"A", "+"}, "A/+", "add checks", true},
	{"filter", func(k *KeyMap) *key.Binding { return &k.Filter }, []string{"/"}, "/", "filter", false},
	{"sort", func(k *KeyMap) *key.Binding { return &k.Sort }, []string{"s"}, "s", "sort", false},
	{"mask", func(k *KeyMap) *key.Binding { return &k.Mask }, []string{"m"}, "m", "mask birth date, address", false},
	{"stats", func(k *KeyMap) *key.Binding { return &k.Stats }, []string{"t"}, "t", "team stats", false},
	{"refresh", func(k *KeyMap) *key.Binding { return &k.Refresh }, []string{"r"}, "r", "refresh check", true},
	{"refresh-queue", func(k *KeyMap) *key.Binding { return &k.RefreshAll }, []string{"R"}, "R", "refresh queue", true},
	{"back", func(k *KeyMap) *key.Binding { return &k.Back }, []string{"esc"}, "esc", "back", false},
	{"help", func(k *KeyMap) *key.Binding { return &k.Help }, []string{"?"}, "?", "help", false},
	{"quit", func(k *KeyMap) *key.Binding { return &k.Quit }, []string{"q"}, "q", "quit", false},
	{"force-quit", func(k *KeyMap) *key.Binding { return &k.ForceQuit }, []string{"ctrl+c"}, "ctrl+c", "quit", false},
}

// DefaultKeyMap is the key map; readOnly leaves out every key that writes
// to the store: decisions, adding checks, and refreshing them.
func DefaultKeyMap(readOnly bool) KeyMap { return NewKeyMap(readOnly, nil) }

// NewKeyMap is the key map with the keys bound by a configuration file:
// an action in bound gets exactly those keys, and the help shows them as
// they were written, joined by "/"; the others keep their defaults. Check
// bound with CheckBindings first: this takes it as it is.
func NewKeyMap(readOnly bool, bound map[string][]string) KeyMap {
	k := KeyMap{readOnly: readOnly}
	for _, a := range actions {
		if a.writes && readOnly {
			continue
		}
		keys, label := a.keys, a.label
		if b, ok := bound[a.name]; ok {
			keys, label = b, strings.Join(b, "/")
		}
		*a.field(&k) = key.NewBinding(key.WithKeys(keys...), key.WithHelp(label, a.desc))
	}
	return k
}

// binds reports whether any action of the main screen has the key k.
func (k *KeyMap) binds(name string) bool {
	for _, a := range actions {
		for _, b := range a.field(k).Keys() {
			if b == name {
				return true
			}
		}
	}
	return false
}

// syncMask makes the mask key's help say what pressing it does now: it
// said "mask personal data" while the data was masked (helper-60).
func (k *KeyMap) syncMask(masked bool) {
	desc := "mask birth date, address"
	if masked {
		desc = "show birth date, address"
	}
	k.Mask.SetHelp(k.Mask.Help().Key, desc)
}

// ShortHelp is the footer's help line.
func (k KeyMap) ShortHelp() []key.Binding {
	if k.readOnly {
		return []key.Binding{k.Help, k.Open, k.Customer, k.Filter, k.Sort, k.Quit}
	}
	return []key.Binding{k.Help, k.Approve, k.Reject, k.Escalate, k.Open, k.Filter, k.Quit}
}

// FullHelp is every key, in columns, shown on "?".
func (k KeyMap) FullHelp() [][]key.Binding {
	move := []key.Binding{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown}
	view := []key.Binding{k.NextTab, k.PrevTab, k.Tab, k.Open, k.ScrollDown, k.ScrollUp, k.Customer}
	find := []key.Binding{k.Filter, k.Sort, k.Mask, k.Stats, k.Refresh, k.RefreshAll}
	app := []key.Binding{k.Back, k.Help, k.Quit, k.ForceQuit}
	if k.readOnly {
		return [][]key.Binding{move, view, find, app}
	}
	decide := []key.Binding{k.Approve, k.Reject, k.Escalate, k.Reopen, k.Confirm, k.Return, k.Add}
	return [][]key.Binding{move, view, decide, find, app}
}

// dialogKeys are the keys of the note prompt, the confirmation and the add
// dialog, shown in the footer while one is open.
type dialogKeys struct {
	Submit, Cancel, Yes, No key.Binding
}

func (d dialogKeys) ShortHelp() []key.Binding  { return []key.Binding{d.Submit, d.Yes, d.No, d.Cancel} }
func (d dialogKeys) FullHelp() [][]key.Binding { return [][]key.Binding{d.ShortHelp()} }

var (
	noteKeys = dialogKeys{
		// ctrl+j is a line feed: enter as a terminal still in cooked mode
		// sends it (keys typed ahead while ssh connects).
		Submit: key.NewBinding(key.WithKeys("enter", "ctrl+j"), key.WithHelp("enter", "save decision")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
	confirmKeys = dialogKeys{
		Yes:    key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes, approve")),
		No:     key.NewBinding(key.WithKeys("n", "N", "enter"), key.WithHelp("n/enter", "no")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
	addKeys = dialogKeys{
		Submit: key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "add")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
	}
	// addScrollUp and addScrollDown scroll the add dialog's results; the
	// dialog says so when they are longer than it.
	addScrollUp   = key.NewBinding(key.WithKeys("pgup"))
	addScrollDown = key.NewBinding(key.WithKeys("pgdown"))
	filterKeys    = dialogKeys{
		Submit: key.NewBinding(key.WithKeys("enter", "ctrl+j"), key.WithHelp("enter", "keep filter")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
	}
	refreshKeys = dialogKeys{
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel refresh")),
	}
	closeKeys = dialogKeys{
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "close")),
	}
)

// statsHelp is the footer's help on the stats view: the movement keys
// scroll it, the refresh key reads it again.
type statsHelp struct{ KeyMap }

func (s statsHelp) ShortHelp() []key.Binding {
	again := key.NewBinding(key.WithKeys(s.Refresh.Keys()...), key.WithHelp(keyName(s.Refresh), "read again"))
	if s.readOnly {
		// No refresh key in read-only mode: the stats key reads again.
		again = key.NewBinding(key.WithKeys(s.Stats.Keys()...), key.WithHelp(keyName(s.Stats), "read again"))
	}
	return []key.Binding{s.pair(s.Down, s.Up, "scroll"), again, s.Back, s.Help, s.Quit}
}

func (s statsHelp) FullHelp() [][]key.Binding { return [][]key.Binding{s.ShortHelp()} }

// detailHelp is the footer's help while the detail is full screen: the
// movement keys scroll it.
type detailHelp struct{ KeyMap }

func (d detailHelp) ShortHelp() []key.Binding {
	return []key.Binding{d.pair(d.Down, d.Up, "scroll"), d.Back, d.Approve, d.Reject, d.Escalate, d.Refresh, d.Mask, d.Help, d.Quit}
}

// emptyHelp is the footer's help over a list with no check in it: what
// can be done there, not approve, reject and escalate (helper-69).
type emptyHelp struct{ KeyMap }

func (e emptyHelp) ShortHelp() []key.Binding {
	return []key.Binding{e.Help, e.NextTab, e.Filter, e.Add, e.Quit}
}

// backHelp is a list's footer keys with the back key second, after help,
// named for what it leaves: in a customer's checks or under a filter, the
// line that said "(esc leaves)" is cut at 80 columns, and the footer
// offered no way out (helper-73). Second, so that a narrow footer, which
// drops its last keys first, keeps it.
type backHelp struct {
	help.KeyMap
	back key.Binding
}

func (b backHelp) ShortHelp() []key.Binding {
	ks := b.KeyMap.ShortHelp()
	if len(ks) == 0 {
		return []key.Binding{b.back}
	}
	return append([]key.Binding{ks[0], b.back}, ks[1:]...)
}

// keyName is how a hint names a binding: its first key as bound ("j").
func keyName(b key.Binding) string {
	if ks := b.Keys(); len(ks) > 0 {
		return ks[0]
	}
	return ""
}

// pair is one hint for two bindings, by their first keys ("j/k scroll").
func (k KeyMap) pair(a, b key.Binding, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(append(a.Keys(), b.Keys()...)...), key.WithHelp(keyName(a)+"/"+keyName(b), desc))
}
