package tui

import (
	"context"
	"fmt"
	"maps"

	tea "charm.land/bubbletea/v2"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// The reviewer's own proposals, and what became of them. A proposal
// waits for another reviewer, who confirms or returns it minutes or hours
// later from another console; the proposer's footer said "saved, awaits a
// second reviewer" until something else replaced it, and nothing told her
// it was returned (helper-69). The console keeps the proposals it made
// and, whenever the store changes, reads their checks again (a handful:
// one a proposal awaiting) for the entry that closed each.

// ownProposals are the proposals this console made that are still open as
// far as it knows, by check id, with the read of them under way.
type ownProposals struct {
	open    map[string]int64 // check id -> the proposal's seq
	reading bool
	again   bool // the store changed while they were read
}

// ownClosedMsg is what closed some of them: the Confirm, Return or Void
// entry of each.
type ownClosedMsg struct {
	closed []store.Decision
	looked map[string]int64
}

// keep notes a proposal this console made.
func (o *ownProposals) keep(checkID string, seq int64) {
	if o.open == nil {
		o.open = map[string]int64{}
	}
	o.open[checkID] = seq
}

// look reads the open ones again, one read at a time.
func (m *Model) lookOwnProposals() tea.Cmd {
	o := &m.own
	if len(o.open) == 0 {
		return nil
	}
	if o.reading {
		o.again = true
		return nil
	}
	o.reading, o.again = true, false
	st, looked := m.ctx.cfg.Store, maps.Clone(o.open)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		var closed []store.Decision
		for id, seq := range looked {
			rec, err := st.Get(ctx, id)
			if err != nil {
				continue // looked at again at the next change
			}
			for _, d := range rec.Decisions {
				if d.Ref == seq && (d.Action == store.Confirm || d.Action == store.Return || d.Action == store.Void) {
					closed = append(closed, d)
				}
			}
		}
		return ownClosedMsg{closed: closed, looked: looked}
	}
}

// ownClosed says in the footer what closed the reviewer's proposals and
// forgets them.
func (m *Model) ownClosed(msg ownClosedMsg) tea.Cmd {
	o := &m.own
	o.reading = false
	for _, d := range msg.closed {
		if o.open[d.CheckID] != d.Ref {
			continue // forgotten, or a newer one proposed since
		}
		delete(o.open, d.CheckID)
		m.footer.finish(0, d.Action == store.Confirm, ownClosedText(d))
	}
	if o.again {
		return m.lookOwnProposals()
	}
	return nil
}

// ownClosedText says what closed one of the reviewer's proposals.
func ownClosedText(d store.Decision) string {
	short := caisson.ShortID(line(d.CheckID), 10)
	by := line(shortReviewer(d.Reviewer))
	switch d.Action {
	case store.Confirm:
		return fmt.Sprintf("%s confirmed your proposal: %s %s", by, pastTense(d.Proposes), short)
	case store.Return:
		return fmt.Sprintf("%s returned your proposal on %s: %s", by, short, line(d.Note))
	}
	why := map[store.Reason]string{
		store.VoidResponseChanged:  "a refresh brought another response",
		store.VoidDecidedOtherwise: by + " decided it otherwise",
		store.VoidPolicyOff:        "four-eyes was turned off",
		store.VoidPurged:           "its personal data was purged",
	}[d.Reason]
	if why == "" {
		why = line(string(d.Reason))
	}
	return fmt.Sprintf("your proposal on %s was voided: %s", short, why)
}
