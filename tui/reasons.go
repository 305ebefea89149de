// The reason picker: reject and escalate take a reason from the store's
// catalogue, picked by its number before the note. The reasons the check's
// Caisson codes point to come first and say so, but none is chosen for the
// reviewer.

package tui

import (
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// reasonKeys are the picker's keys: a number picks, f and r set a
// rejection's finality.
var reasonKeys = dialogKeys{
	Submit: key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6", "7", "8", "9", "0"), key.WithHelp("1-0", "pick reason")),
	Yes:    key.NewBinding(key.WithKeys("f"), key.WithHelp("f/r", "final/retry")),
	No:     key.NewBinding(key.WithKeys("r")),
	Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
}

// pickerHelp is the picker's footer: the numbers the reasons offered
// take (escalate offers four: "1-0" named keys that pick nothing), and the
// finality keys for a rejection only.
type pickerHelp struct {
	finality bool
	reasons  int
}

func (p pickerHelp) ShortHelp() []key.Binding {
	pick := reasonKeys.Submit
	if p.reasons > 0 && p.reasons < 10 {
		pick.SetHelp("1-"+reasonIndex(p.reasons-1), "pick reason")
	}
	if p.finality {
		return []key.Binding{pick, reasonKeys.Yes, reasonKeys.Cancel}
	}
	return []key.Binding{pick, reasonKeys.Cancel}
}

func (p pickerHelp) FullHelp() [][]key.Binding { return [][]key.Binding{p.ShortHelp()} }

// reasonNoteKeys are the note prompt's keys after a reason was picked: esc
// goes back to the reasons rather than dropping the decision.
var reasonNoteKeys = dialogKeys{
	Submit: noteKeys.Submit,
	Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back to reasons")),
}

// offerReasons prepares the picker for a reject or escalate: the
// catalogue, most likely first from the check's reason codes and expiry.
func (p *pendingDecision) offerReasons(row store.Row, rec *store.Record, now time.Time) {
	codes, expires := row.ReasonCodes, row.ExpiresOn
	if rec != nil && rec.CheckID == row.CheckID && rec.Result != nil {
		codes = nil
		for _, r := range rec.Result.Confidence.Reasons {
			codes = append(codes, r.Code)
		}
		expires = rec.Result.Info.ExpiresOn
	}
	expired := !expires.IsZero() && expires.Before(now)
	p.reasons = store.SuggestReasons(p.action, codes, expired)
	p.likely = len(store.LikelyReasons(p.action, codes, expired))
	if p.action == store.Reject {
		p.finality = store.Final
	}
}

// reasonIndex is the picker's number for the i-th reason: 1 to 9, then 0.
func reasonIndex(i int) string { return fmt.Sprint((i + 1) % 10) }

// reasonKey handles a key in the picker.
func (m *Model) reasonKey(msg tea.KeyPressMsg) tea.Cmd {
	p := m.pending
	switch {
	case matches(msg, reasonKeys.Cancel):
		m.refuse("cancelled: no decision stored")
		m.endDialog()
	case p.action == store.Reject && matches(msg, reasonKeys.Yes):
		p.finality = store.Final
	case p.action == store.Reject && matches(msg, reasonKeys.No):
		p.finality = store.Retry
	case matches(msg, reasonKeys.Submit):
		i := (int(msg.Code-'0') + 9) % 10
		if i >= len(p.reasons) {
			p.pickErr = fmt.Sprintf("no reason %s: pick 1 to %s", msg.String(), reasonIndex(len(p.reasons)-1))
			return nil
		}
		p.reason, p.pickErr = p.reasons[i], ""
		m.mode = modeNote
		m.note = newNoteDialog(p.action, m.animate, m.ctx.styles)
		return m.blink()
	case matches(msg, noteKeys.Submit):
		p.pickErr = "pick a reason by its number first"
	}
	return nil
}

// reasonDialog lists the reasons, numbered, in two columns, and a
// rejection's finality. Nothing is marked chosen until a number is
// pressed; the suggested ones say so in words.
func reasonDialog(c *programContext, p *pendingDecision, width int) dialog {
	st := c.styles
	head := fmt.Sprintf("%s %s: pick the reason by its number", actionVerb(p.action), caisson.ShortID(line(p.checkID), 10))
	if p.likely > 0 {
		head += " (the first suggested by its Caisson codes)"
	}
	inner := max(width-4, 10)
	colW := inner / 2
	rows := (len(p.reasons) + 1) / 2
	var b strings.Builder
	b.WriteString(head)
	for r := range rows {
		b.WriteString("\n")
		for col := range 2 {
			i := col*rows + r
			if i >= len(p.reasons) {
				continue
			}
			cell := " " + st.Bold.Render(reasonIndex(i)) + " " + string(p.reasons[i])
			if p.reasons[i] == p.reason {
				cell = "▶" + cell[1:]
			}
			if i < p.likely {
				cell += st.Warn.Render(" (suggested)")
			} else if p.reasons[i] == store.ReasonOther {
				cell += st.Muted.Render(" (say why)")
			}
			if col == 0 {
				cell = fit(cell, colW)
			}
			b.WriteString(cell)
		}
	}
	if p.action == store.Reject {
		b.WriteString("\n" + finalityLine(st, p.finality))
	}
	b.WriteString(meanwhileLine(st, p))
	if p.pickErr != "" {
		b.WriteString("\n" + st.Bad.Render("✗ "+p.pickErr))
	}
	return newDialog(actionVerb(p.action)+": reason", b.String(), width)
}

// finalityLine says which finality a rejection carries, in words, and the
// key for the other.
func finalityLine(st Styles, f store.Finality) string {
	if f == store.Retry {
		return st.Bold.Render("retry") + ": ask the customer to verify again · " + st.Bold.Render("f") + " final instead"
	}
	return st.Bold.Render("final") + ": the person may not retry · " + st.Bold.Render("r") + " retry instead"
}

// reasonText is the picked reason as the note prompt repeats it.
func reasonText(p *pendingDecision) string {
	if p.reason == "" {
		return ""
	}
	s := "reason " + string(p.reason)
	if p.finality != "" {
		s += ", " + string(p.finality)
	}
	return s
}
