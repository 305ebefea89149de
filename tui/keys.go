package tui

import "charm.land/bubbles/v2/key"

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
	Filter, Sort, Mask                      key.Binding
	Back, Help, Quit, ForceQuit             key.Binding
	readOnly                                bool
}

// DefaultKeyMap is the key map; readOnly leaves out every key that writes
// to the store: decisions, adding checks, and refreshing them.
func DefaultKeyMap(readOnly bool) KeyMap {
	k := KeyMap{
		Up:         key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑/k", "up")),
		Down:       key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "down")),
		Top:        key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:     key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		PageUp:     key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown:   key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		NextTab:    key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next queue")),
		PrevTab:    key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous queue")),
		Tab:        key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8"), key.WithHelp("1-8", "queue")),
		Open:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open detail")),
		ScrollDown: key.NewBinding(key.WithKeys("J", "ctrl+d"), key.WithHelp("J", "scroll detail down")),
		ScrollUp:   key.NewBinding(key.WithKeys("K", "ctrl+u"), key.WithHelp("K", "scroll detail up")),
		Customer:   key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "customer's checks")),
		Filter:     key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Sort:       key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
		Mask:       key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "mask personal data")),
		Back:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Help:       key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:       key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit")),
		ForceQuit:  key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		readOnly:   readOnly,
	}
	if !readOnly {
		k.Approve = key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "approve"))
		k.Reject = key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "reject"))
		k.Escalate = key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "escalate"))
		k.Reopen = key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "reopen"))
		k.Confirm = key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "confirm proposal"))
		k.Return = key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "return proposal"))
		k.Add = key.NewBinding(key.WithKeys("A", "+"), key.WithHelp("A/+", "add checks"))
		k.Refresh = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "refresh check"))
		k.RefreshAll = key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "refresh queue"))
	}
	return k
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
	find := []key.Binding{k.Filter, k.Sort, k.Mask, k.Refresh, k.RefreshAll}
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

// detailHelp is the footer's help while the detail is full screen: the
// movement keys scroll it.
type detailHelp struct{ KeyMap }

func (d detailHelp) ShortHelp() []key.Binding {
	scroll := key.NewBinding(key.WithKeys("j", "k"), key.WithHelp("j/k", "scroll"))
	back := key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back"))
	return []key.Binding{scroll, back, d.Approve, d.Reject, d.Escalate, d.Refresh, d.Mask, d.Help, d.Quit}
}
