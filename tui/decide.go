// The decision flow: confirm a risky approval, take the note, store the
// decision in a command, and show it saved only once the store has it.

package tui

import (
	"errors"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// beginDecision starts a decision on the selected check: a confirmation
// first when approving is risky, then the note.
func (m *Model) beginDecision(a store.Action) tea.Cmd {
	row, ok := m.current()
	if !ok {
		m.refuse(fmt.Sprintf("nothing to %s: no check selected", a))
		return nil
	}
	if m.refuseOnPinned(a) {
		return nil
	}
	if store.ChangesNothing(a, row) {
		// Said before a note is asked for, not as a save that failed.
		short := caisson.ShortID(line(row.CheckID), 10)
		msg := fmt.Sprintf("nothing to reopen: %s is open", short)
		if a != store.Reopen {
			msg = fmt.Sprintf("nothing to %s: %s is %s already (%s reopens it)", a, short, row.Status, m.ctx.keys.Reopen.Help().Key)
		}
		m.refuse(msg)
		return nil
	}
	if rec := m.detail.rec; rec != nil && rec.CheckID == row.CheckID && rec.Proposal != nil && rec.Proposal.Proposes == a {
		// The store refuses it (ErrAlreadyProposed): said before the
		// questions and the note, not after them as a save that failed
		// (helper-71).
		m.refuse(m.alreadyProposed(rec.Proposal))
		return nil
	}
	p := &pendingDecision{checkID: row.CheckID, action: a}
	m.pending = p
	if a == store.Approve {
		p.risks = approvalRisks(row, m.detail.rec, m.ctx)
	}
	var result *caisson.Check
	if rec := m.detail.rec; rec != nil && rec.CheckID == row.CheckID {
		result = rec.Result
	}
	if store.NeedsSecond(m.fourEyes, a, row, result, m.ctx.now()) {
		p.proposedUnder = m.fourEyes
	}
	m.prevMode = m.mode
	if len(p.risks) > 0 {
		m.mode = modeConfirm
		return nil
	}
	if store.ReasonsFor(a) != nil {
		p.offerReasons(row, m.detail.rec, m.ctx.now())
		m.mode = modeReason
		return nil
	}
	m.mode = modeNote
	m.note = newNoteDialog(a, m.animate, m.ctx.styles)
	return m.blink()
}

// blink starts the text cursor's blinking; without animation the cursor
// is steady and nothing ticks.
func (m *Model) blink() tea.Cmd {
	if !m.animate {
		return nil
	}
	return textinput.Blink
}

func (m *Model) endDialog() {
	m.pending = nil
	m.mode = m.prevMode
	if m.mode != modeDetail {
		m.mode = modeList
	}
}

func (m *Model) confirmKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case matches(msg, confirmKeys.Yes):
		m.mode = modeNote
		m.note = newNoteDialog(m.pending.action, m.animate, m.ctx.styles)
		return m.blink()
	case matches(msg, confirmKeys.No), matches(msg, confirmKeys.Cancel):
		m.refuse("not approved: " + caisson.ShortID(line(m.pending.checkID), 10) + " left as it was")
		m.endDialog()
	}
	return nil
}

func (m *Model) noteKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case matches(msg, noteKeys.Cancel) && m.pending.reasons != nil:
		// Back to the reasons, the one picked marked: a wrong number is
		// put right without starting again.
		m.mode = modeReason
		return nil
	case matches(msg, noteKeys.Cancel):
		m.refuse("cancelled: no decision stored")
		m.endDialog()
		return nil
	case matches(msg, noteKeys.Submit):
		note := strings.TrimSpace(m.note.input.Value())
		p := m.pending
		if p.action.NeedsNote() && note == "" {
			m.note.err = fmt.Sprintf("%s needs a note saying why", strings.ToLower(actionVerb(p.action)))
			return nil
		}
		task := m.ctx.nextID()
		label := fmt.Sprintf("saving %s of %s", p.action, caisson.ShortID(line(p.checkID), 10))
		spin := m.footer.start(task, label, m.animate)
		m.endDialog()
		if m.deciding == nil {
			m.deciding = map[string]bool{}
		}
		m.deciding[p.checkID] = true
		write := m.ctx.writes.track(task, fmt.Sprintf("%s of %s", p.action, caisson.ShortID(line(p.checkID), 10)),
			decide(m.ctx.cfg.Store, m.ctx.cfg.Service, task, m.query(), p.request(note, m.ctx.cfg.Reviewer)))
		return tea.Batch(spin, write)
	}
	return m.note.update(msg)
}

// decided shows a decision saved only once the store has it, then moves
// to the next check of the queue.
func (m *Model) decided(msg decidedMsg) tea.Cmd {
	short := caisson.ShortID(line(msg.checkID), 10)
	delete(m.deciding, msg.checkID)
	if msg.err != nil {
		why := whyNotSaved(msg.err, msg.action, msg.checkID)
		if errors.Is(msg.err, store.ErrAlreadyProposed) {
			// What to do first: the store's words (who proposed, when,
			// under serve a long name) ran past the footer before
			// they said it (helper-63).
			k := m.ctx.keys
			why = fmt.Sprintf("already proposed: %s confirms it, %s returns it, in Second review", keyName(k.Confirm), keyName(k.Return))
		}
		m.footer.finish(msg.task, false, fmt.Sprintf("%s of %s NOT saved: %s", msg.action, short, why))
		return nil
	}
	m.footer.finish(msg.task, true, savedText(msg, short))
	if msg.decision.Action == store.Propose {
		m.own.keep(msg.checkID, msg.decision.Seq)
	} else {
		// Decided here otherwise, which voided the proposal made here:
		// no news to tell the one who did it.
		delete(m.own.open, msg.checkID)
	}
	m.decidedHere = msg.checkID
	if p := m.pinned; p != nil && p.row.CheckID == msg.checkID && msg.action != store.Reopen {
		// Decided here after all: move on, as after any decision. A
		// reopened check stays until the list has it again.
		m.unpin()
	}
	if m.detail.checkID == msg.checkID {
		m.detail.seen = max(m.detail.seen, msg.decision.Seq)
	}
	if row, ok := m.list.selected(); ok && row.CheckID == msg.checkID {
		if msg.nextID != "" {
			m.list.selectID = msg.nextID
		}
		if m.mode == modeDetail && msg.nextID != "" {
			m.detail.scroll = 0
		}
	}
	return m.invalidate()
}

// alreadyProposed says why the decision d proposes cannot be made again:
// it awaits a second reviewer, who is not the proposer.
func (m *Model) alreadyProposed(d *store.Decision) string {
	short := caisson.ShortID(line(d.CheckID), 10)
	if ok, _ := d.ConfirmableBy(m.ctx.identity); !ok && !m.ctx.identity.IsZero() {
		return fmt.Sprintf("you proposed to %s %s: another reviewer confirms or returns it", line(string(d.Proposes)), short)
	}
	k := m.ctx.keys
	return fmt.Sprintf("already proposed: %s proposed to %s %s; %s confirms it, %s returns it",
		line(shortReviewer(d.Reviewer)), line(string(d.Proposes)), short, keyName(k.Confirm), keyName(k.Return))
}

// savedText says what the store saved, from the entry it returned: under a
// four-eyes policy an approval (or a rejection) is only proposed, and the
// console must not say it was made.
func savedText(msg decidedMsg, short string) string {
	switch d := msg.decision; d.Action {
	case store.Propose:
		return fmt.Sprintf("proposed to %s %s: saved, awaits a second reviewer", line(string(d.Proposes)), short)
	case store.Confirm:
		return fmt.Sprintf("confirmed: %s %s: saved", pastTense(d.Proposes), short)
	case store.Return:
		switch q := msg.to; {
		case !msg.toKnown:
			return fmt.Sprintf("returned %s: saved", short)
		case q == store.QueueNeedsReview:
			return fmt.Sprintf("returned %s to needs review: saved", short)
		case q == store.QueuePending:
			return fmt.Sprintf("returned %s: saved; it waits at Caisson, with nothing to review until Caisson gives a result", short)
		case q != "":
			return fmt.Sprintf("returned %s: saved; it stays %s, that decision stands", short, q)
		case msg.passed:
			return fmt.Sprintf("returned %s: saved; Caisson passed it, so it waits in All, not Needs review", short)
		}
		return fmt.Sprintf("returned %s: saved; it has no result to review, so it is in All (and Errors if its fetch failed)", short)
	}
	return fmt.Sprintf("%s %s: saved", pastTense(msg.action), short)
}

// whyNotSaved is a failed decision's reason without what the footer's
// line already says, the action and the check: the layers' wrapping of
// them ("storing the decision: recording confirm on chk_priv_…: chk_priv_…:")
// took a line of 120 columns, and the reason itself ("already confirmed
// by carol") was cut off.
func whyNotSaved(err error, a store.Action, checkID string) string {
	s := errText(err)
	for _, p := range []string{"storing the decision: ", fmt.Sprintf("recording %s on %s: ", a, checkID), checkID + ": "} {
		s = strings.TrimPrefix(s, line(p))
	}
	return s
}
