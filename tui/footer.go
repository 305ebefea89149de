package tui

import (
	"slices"
	"sort"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// footerModel shows the state of running work (a spinner and what is
// running) or how the last piece of work ended (✓ or ✗ and a short
// message), and below it the short help.
type footerModel struct {
	spinner spinner.Model
	running map[int]string
	// last is the message of the latest finished task.
	last   string
	lastOK bool
	// refusal is set while last is a key's refusal (refuse), said of the
	// check refusedOn ("" for none selected): it is cleared once another
	// check is selected.
	refusal   bool
	refusedOn string
}

func newFooter(st Styles) footerModel {
	return footerModel{
		spinner: spinner.New(spinner.WithSpinner(spinner.Line), spinner.WithStyle(st.Accent)),
		running: map[int]string{},
	}
}

// restyle draws the spinner in new styles.
func (f *footerModel) restyle(st Styles) { f.spinner.Style = st.Accent }

// start records a task as running and returns the spinner's first tick
// when nothing was running before (and animation is on).
func (f *footerModel) start(task int, label string, animate bool) tea.Cmd {
	wasIdle := len(f.running) == 0
	f.running[task] = label
	if wasIdle && animate {
		return f.spinner.Tick
	}
	return nil
}

// finish records how a task ended.
func (f *footerModel) finish(task int, ok bool, message string) {
	delete(f.running, task)
	f.last, f.lastOK = message, ok
	f.refusal, f.refusedOn = false, ""
}

// refuse says why a key did nothing to the check checkID, the one
// selected. Said of that check, it goes once another is selected
// (followSelection): helper-69 saw "✗ not escalated: rejected by bob 7s
// ago" stay two checks further down, under the confirmation of a third,
// still saying 7s.
func (f *footerModel) refuse(checkID, message string) {
	f.finish(0, false, message)
	f.refusal, f.refusedOn = true, checkID
}

// followSelection clears a refusal said of another check than id, the
// one selected now.
func (f *footerModel) followSelection(id string) {
	if f.refusal && f.refusedOn != id {
		f.last, f.refusal, f.refusedOn = "", false, ""
	}
}

// dismiss clears the last message if it is a refusal that begins with
// prefix: said of one check, it is wrong once the same key worked on
// another (helper-60: "no customer's checks to show: … has no customer
// id" stayed under the customer view of the next check).
func (f *footerModel) dismiss(prefix string) {
	if !f.lastOK && strings.HasPrefix(f.last, prefix) {
		f.last, f.refusal, f.refusedOn = "", false, ""
	}
}

func (f *footerModel) busy() bool { return len(f.running) > 0 }

func (f *footerModel) tick(msg spinner.TickMsg) tea.Cmd {
	if !f.busy() {
		return nil // let the tick chain end while idle
	}
	var cmd tea.Cmd
	f.spinner, cmd = f.spinner.Update(msg)
	return cmd
}

// view draws the footer; saving are the writes a quitting console waits
// for.
func (f *footerModel) view(c *programContext, keys help.KeyMap, saving []string) string {
	st := c.styles
	var status string
	switch {
	case len(saving) > 0:
		status = f.spinner.View() + " saving " + strings.Join(saving, " · ") + " before quitting…"
	case f.busy():
		ids := make([]int, 0, len(f.running))
		for id := range f.running {
			ids = append(ids, id)
		}
		sort.Ints(ids)
		labels := make([]string, 0, len(ids))
		for _, id := range ids {
			labels = append(labels, f.running[id])
		}
		// A label may end with a shortened id's own "…": one is enough.
		status = f.spinner.View() + " " + strings.TrimSuffix(strings.Join(labels, " · "), "…") + "…"
	case f.last == "":
		status = st.Muted.Render("ready")
	case f.lastOK:
		status = st.Good.Render("✓ ") + f.last
	default:
		status = st.Bad.Render("✗ " + f.last)
	}
	return clip(status, c.width) + "\n" + c.shortHelp(keys.ShortHelp())
}

// helpKey is what the footer's keys are drawn from: the enabled keys'
// help, in order, and the width.
type helpKey struct {
	keys  string
	width int
}

// shortHelp is the footer's keys for bs, clipped to the width, as drawn
// the last time the same keys were shown at this width: drawing them
// measures the line once for every key dropped, and a frame is drawn for
// every change on screen.
func (c *programContext) shortHelp(bs []key.Binding) string {
	var k strings.Builder
	for _, b := range bs {
		if b.Enabled() {
			h := b.Help()
			k.WriteString(h.Key + "\x1f" + h.Desc + "\x1e")
		}
	}
	return c.helpLine.get(helpKey{keys: k.String(), width: c.width}, func() string {
		return clip(shortHelp(c.help, bs, c.width), c.width)
	})
}

// shortHelp is the footer's keys, as many as fit the width: the last ones
// go first, except how to get help and how to quit, which stay.
func shortHelp(h help.Model, bs []key.Binding, width int) string {
	h.SetWidth(0) // measured here, never cut with "…"
	bs = slices.Clone(bs)
	for {
		view := h.ShortHelpView(bs)
		i := len(bs) - 1
		for i >= 0 && (!bs[i].Enabled() || kept(bs[i])) {
			if !bs[i].Enabled() {
				bs = slices.Delete(bs, i, i+1)
			}
			i--
		}
		if lipgloss.Width(view) <= width || i < 0 {
			return view
		}
		bs = slices.Delete(bs, i, i+1)
	}
}

// kept reports whether a footer key is never dropped: ? and q.
func kept(b key.Binding) bool {
	k := b.Help().Key
	return k == "?" || k == "q"
}
