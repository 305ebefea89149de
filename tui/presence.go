package tui

import (
	"maps"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/caisson-review/caisson-review/store"
)

// Presence is how a console shared with other reviewers (caisson-review
// serve) says which check it has open, and learns which checks the others
// have open. A console of one has none.
type Presence interface {
	// Claim says this console has checkID open (its detail, full screen
	// or in the pane beside the list, or a decision on it under way); ""
	// says it has none.
	Claim(checkID string)
	// ClaimedBy names the other reviewers who have checkID open.
	ClaimedBy(checkID string) (names string, ok bool)
}

// PresenceChanged tells a running console that another reviewer opened or
// left a check; the markers are redrawn with the frame it causes. Send it
// with tea.Program.Send.
type PresenceChanged struct{}

// watchTickMsg asks the console to look whether the store changed.
type watchTickMsg struct{}

// watchedMsg is what the look found: the queue counts.
type watchedMsg struct {
	counts store.Counts
	err    error
}

// watchTick schedules the next look, when Config.Watch asks for them.
func (m *Model) watchTick() tea.Cmd {
	if m.ctx.cfg.Watch <= 0 {
		return nil
	}
	return tea.Tick(m.ctx.cfg.Watch, func(time.Time) tea.Msg { return watchTickMsg{} })
}

// watchCounts reads the queue counts: one query on a narrow index, cheap
// enough every second, and it changes with every decision.
func watchCounts(st Store) tea.Cmd {
	load := loadCounts(st)
	return func() tea.Msg {
		c := load().(countsMsg)
		return watchedMsg{counts: c.counts, err: c.err}
	}
}

// watched takes the look's answer: when the counts moved, someone else
// decided or added checks, and what is on screen is read again (as for
// StoreChanged). A change that leaves every count as it was (a reopen and
// an approval in the same second) waits for the next one; in a shared
// server the other sessions are told at once with StoreChanged anyway.
func (m *Model) watched(msg watchedMsg) tea.Cmd {
	if msg.err != nil || m.counts == nil || maps.Equal(msg.counts, m.counts) {
		return nil
	}
	return m.invalidate()
}

// claim keeps this console's claim on the check it has open.
func (m *Model) claim() {
	p := m.ctx.cfg.Presence
	// A read-only console (support looking a customer up) reviews
	// nothing: shown "being reviewed" by it, reviewers would pass the
	// check by.
	if p == nil || m.ctx.cfg.ReadOnly {
		return
	}
	want := ""
	switch {
	case m.quitting:
	case m.pending != nil:
		want = m.pending.checkID
	default:
		// Beside the list (wide or tall) the detail pane has the selected
		// check open as surely as the detail full screen: two reviewers
		// working there must see each other on it, and the claim moves
		// with the cursor (in memory; serve writes what a moment leaves,
		// so a move costs the other sessions a redraw, the store at most
		// a write each claimWriteDelay). Not before the reviewer's first
		// key, though: every console opened wide and left would claim
		// the queue's top check.
		full, drawn := m.detailDrawn()
		row, ok := m.current()
		switch {
		case !drawn:
		case ok && (full || m.keyed):
			want = row.CheckID
		case !ok && m.list.req != 0:
			// The page is being read again (a filter's keystroke): the
			// screen holds its last frame meanwhile, and so does the
			// claim, rather than flicker off and on in every other
			// console.
			want = m.claimed
		}
	}
	if want != m.claimed {
		p.Claim(want)
		m.claimed = want
	}
}

// claimedBy names the other reviewers who have checkID open.
func (c *programContext) claimedBy(checkID string) (string, bool) {
	if c.cfg.Presence == nil || checkID == "" {
		return "", false
	}
	names, ok := c.cfg.Presence.ClaimedBy(checkID)
	return line(names), ok
}
