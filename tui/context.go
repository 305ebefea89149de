package tui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/help"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// programContext is what every component shares: the terminal size, the
// styles, the keys, the clock and the configuration, as gh-dash hands its
// ProgramContext around.
type programContext struct {
	cfg    Config
	width  int
	height int
	styles Styles
	keys   KeyMap
	help   help.Model
	now    func() time.Time
	// storeGone is when the store stopped answering (StoreUnreachable),
	// zero while it answers.
	storeGone time.Time
	// lastID numbers tasks and requests; ids only ever grow, so an answer
	// can be matched to the latest request.
	lastID int
	// header is the header as drawn; words the list's badges and status
	// words as drawn, by their text and whether plain (memo.go).
	header *memo[headerKey, string]
	words  *memo[wordKey, string]
	// helpLine is the footer's keys as drawn (footer.go).
	helpLine *memo[helpKey, string]
	// writes are the store writes in flight, which quitting waits for.
	writes *writes
	// identity is who this console's decisions are made as (the SSH key
	// under serve, else the OS account), zero until the store has said:
	// a proposal of this identity's is not its to confirm.
	identity store.Identity
	// sla is the database's SLA (0: none), read with the counts: a
	// waiting check past it is overdue.
	sla time.Duration
	// ascii is set when the terminal gets no colour (NO_COLOR, theme
	// none): the stats view's bars are then ASCII.
	ascii bool
}

// wordKey is a drawn badge (its level, plain or not) or status word.
type wordKey struct {
	word         string
	level        caisson.Level
	badge, plain bool
}

// status is the list's status word for r, fitted to its column.
func (c *programContext) status(r store.Row) string {
	word, style := c.styles.status(r)
	return c.words.get(wordKey{word: word}, func() string {
		if style == nil {
			return fit(word, statusWidth)
		}
		return style.Render(word) + strings.Repeat(" ", max(statusWidth-cells(word), 0))
	})
}

// badge is a confidence badge fitted to the list's column, plain for the
// selected row (whose reverse video an inner style would end).
func (c *programContext) badge(lv caisson.Level, plain bool) string {
	return c.words.get(wordKey{level: lv, badge: true, plain: plain}, func() string {
		st := c.styles
		if plain {
			st = Styles{}
		}
		return fit(st.badge(lv), 6)
	})
}

func newProgramContext(cfg Config) *programContext {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	if cfg.Service == nil {
		cfg.Service = noService{}
	}
	c := &programContext{
		cfg:      cfg,
		keys:     NewKeyMap(cfg.ReadOnly, cfg.Keys),
		help:     help.New(),
		now:      now,
		writes:   newWrites(),
		header:   newMemo[headerKey, string](16),
		words:    newMemo[wordKey, string](64),
		helpLine: newMemo[helpKey, string](16),
	}
	// Until the terminal says otherwise, a dark background: most terminals
	// have one, and it is what a terminal that never answers gets.
	dark := cfg.HasDarkBackground == nil || *cfg.HasDarkBackground
	if known, ok := cfg.Theme.background(); ok {
		dark = known
	}
	c.restyle(dark)
	return c
}

// restyle builds the styles for the terminal's background and forgets
// everything drawn with the old ones.
func (c *programContext) restyle(dark bool) {
	c.styles = DefaultStyles(dark)
	c.help.Styles = c.styles.helpStyles()
	c.header.reset()
	c.words.reset()
	c.helpLine.reset()
}

func (c *programContext) nextID() int {
	c.lastID++
	return c.lastID
}

// local is the zone timestamps are shown in: the clock's own, so an
// injected clock fixes it too.
func (c *programContext) local(t time.Time) time.Time {
	return t.In(c.now().Location())
}

// minWidth and minHeight are the smallest terminal the console draws in.
const (
	minWidth  = 80
	minHeight = 24
	// wideWidth is where the detail pane moves beside the list.
	wideWidth = 120
	// tallHeight is where, in a narrow terminal, the detail pane fits below
	// the list.
	tallHeight = 40
)
