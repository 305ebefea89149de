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

// ownClosedMsg is what closed some of them.
type ownClosedMsg struct{ closed []closedProposal }

// closedProposal is the Confirm, Return or Void entry that closed a
// proposal, and for a Void because a reviewer decided the check otherwise,
// that decision.
type closedProposal struct {
	by, then store.Decision
}

// keep notes a proposal this console made.
func (o *ownProposals) keep(checkID string, seq int64) {
	if o.open == nil {
		o.open = map[string]int64{}
	}
	o.open[checkID] = seq
}

// lookOwnProposals reads the open ones again, one read at a time.
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
		var closed []closedProposal
		for id, seq := range looked {
			rec, err := st.Get(ctx, id)
			if err != nil {
				continue // looked at again at the next change
			}
			for i, d := range rec.Decisions {
				if d.Ref != seq || (d.Action != store.Confirm && d.Action != store.Return && d.Action != store.Void) {
					continue
				}
				c := closedProposal{by: d}
				if d.Action == store.Void && d.Reason == store.VoidDecidedOtherwise && i+1 < len(rec.Decisions) {
					c.then = rec.Decisions[i+1] // the decision the void made way for
				}
				closed = append(closed, c)
			}
		}
		return ownClosedMsg{closed: closed}
	}
}

// ownClosed says in the footer what closed the reviewer's proposals and
// forgets them.
func (m *Model) ownClosed(msg ownClosedMsg) tea.Cmd {
	o := &m.own
	o.reading = false
	for _, c := range msg.closed {
		if o.open[c.by.CheckID] != c.by.Ref {
			continue // forgotten, or a newer one proposed since
		}
		delete(o.open, c.by.CheckID)
		m.footer.finish(0, c.by.Action == store.Confirm, ownClosedText(c))
	}
	if o.again {
		return m.lookOwnProposals()
	}
	return nil
}

// ownClosedText says what closed one of the reviewer's proposals.
func ownClosedText(c closedProposal) string {
	d := c.by
	short := caisson.ShortID(line(d.CheckID), 10)
	by := line(shortReviewer(d.Reviewer))
	switch d.Action {
	case store.Confirm:
		return fmt.Sprintf("%s confirmed your proposal: %s %s", by, pastTense(d.Proposes), short)
	case store.Return:
		return fmt.Sprintf("%s returned your proposal on %s: %s", by, short, line(d.Note))
	}
	var why string
	switch t := c.then; {
	case d.Reason == store.VoidDecidedOtherwise && t.Seq > d.Seq:
		// What the proposer asks next: decided how, and why.
		why = fmt.Sprintf("%s %s it", line(shortReviewer(t.Reviewer)), pastTense(t.Action))
		if t.Note != "" {
			why += ": " + line(t.Note)
		}
	case d.Reason == store.VoidDecidedOtherwise:
		why = by + " decided it otherwise"
	case d.Reason == store.VoidResponseChanged:
		why = "a refresh brought another response"
	case d.Reason == store.VoidPolicyOff:
		why = "four-eyes was turned off"
	case d.Reason == store.VoidPurged:
		why = "its personal data was purged"
	default:
		why = line(string(d.Reason))
	}
	return fmt.Sprintf("your proposal on %s was voided: %s", short, why)
}
