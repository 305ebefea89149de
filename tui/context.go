package tui

import (
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"

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
	// lastID numbers tasks and requests; ids only ever grow, so an answer
	// can be matched to the latest request.
	lastID int
	// badges are the list's confidence badges, drawn once: [level][plain],
	// and statuses its status words, by word. Rendering a style costs
	// more than the rest of a row.
	badges   map[[2]int]string
	statuses map[string]string
}

// status is the list's status word for r, fitted to its column and drawn
// once per word.
func (c *programContext) status(r store.Row) string {
	word, style := c.styles.status(r)
	return remember(&c.statuses, word, func() string {
		if style == nil {
			return fit(word, statusWidth)
		}
		return style.Render(word) + strings.Repeat(" ", max(statusWidth-cells(word), 0))
	})
}

// badge is a confidence badge fitted to the list's column, plain for the
// selected row (whose reverse video an inner style would end).
func (c *programContext) badge(lv caisson.Level, plain bool) string {
	k := [2]int{int(lv), 0}
	if plain {
		k[1] = 1
	}
	return remember(&c.badges, k, func() string {
		st := c.styles
		if plain {
			st = Styles{}
		}
		return fit(st.badge(lv), 6)
	})
}

// remember returns (*m)[k], drawing it and keeping it on the first call.
func remember[K comparable](m *map[K]string, k K, draw func() string) string {
	if s, ok := (*m)[k]; ok {
		return s
	}
	if *m == nil {
		*m = map[K]string{}
	}
	s := draw()
	(*m)[k] = s
	return s
}

func newProgramContext(cfg Config) *programContext {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	st := DefaultStyles(cfg.Renderer)
	h := help.New()
	h.Styles.ShortKey = st.Accent
	h.Styles.FullKey = st.Accent
	h.Styles.ShortDesc = st.Muted
	h.Styles.FullDesc = st.Muted
	h.Styles.ShortSeparator = st.Muted
	h.Styles.FullSeparator = st.Muted
	h.Styles.Ellipsis = st.Muted
	return &programContext{
		cfg:    cfg,
		styles: st,
		keys:   DefaultKeyMap(cfg.ReadOnly),
		help:   h,
		now:    now,
	}
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
