package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/store"
)

// pendingDecision is a decision being prepared: confirmed if it needs to
// be, then given its note, then stored.
type pendingDecision struct {
	checkID string
	action  store.Action
	// risks are why approving needs a confirmation (low confidence,
	// expired document); empty when it does not.
	risks []string
	// meanwhile is a decision made elsewhere on the check while the
	// dialog is open ("escalated by bob 3s ago"), "" when none.
	meanwhile string

	// reasons are the reject or escalate reasons the picker offers, the
	// first likely of them suggested by the check's codes (reasons.go);
	// reason is the one picked, finality a rejection's, pickErr what the
	// picker says about a key that picked nothing.
	reasons  []store.Reason
	likely   int
	reason   store.Reason
	finality store.Finality
	pickErr  string
	// proposal is the proposal a confirm or return answers, as shown
	// (secondreview.go): another one awaiting by then is refused as stale.
	proposal *store.Decision
	// proposedUnder is the four-eyes policy, as the console has read it,
	// under which the decision would only be proposed ("" when it takes
	// effect): the note dialog says so before it is saved, not only the
	// footer after (helper-56).
	proposedUnder store.FourEyes
}

// request is the decision as the store takes it.
func (p *pendingDecision) request(note, reviewer string) store.DecisionRequest {
	r := store.DecisionRequest{CheckID: p.checkID, Action: p.action, Note: note, Reviewer: reviewer,
		Reason: p.reason, Finality: p.finality}
	if p.proposal != nil {
		r.Proposal = p.proposal.Seq
	}
	return r
}

// meanwhileLine warns that the check was decided elsewhere while the
// dialog was open: the decision being made here is stored after it.
func meanwhileLine(st Styles, p *pendingDecision) string {
	if p.meanwhile == "" {
		return ""
	}
	return "\n" + st.Warn.Render("⚠ "+p.meanwhile+" while this was open: yours is stored after it")
}

// approvalRisks is store.ApprovalRisks with the open record's result when
// it is the selected row's (it may still be loading).
func approvalRisks(r store.Row, rec *store.Record, c *programContext) []string {
	var result *caisson.Check
	if rec != nil && rec.CheckID == r.CheckID {
		result = rec.Result
	}
	return store.ApprovalRisks(r, result, c.now())
}

// confirmDialog asks to confirm a risky approval; the answer defaults to
// No.
func confirmDialog(c *programContext, p *pendingDecision, width int) dialog {
	st := c.styles
	// The reasons are the point of the question: wrapped, never cut.
	why := ansi.Wrap(strings.Join(p.risks, "; "), max(width-6, 10), " ")
	body := st.Warn.Render("⚠ Approve "+caisson.ShortID(line(p.checkID), 10)+" anyway?") + "\n" +
		"  " + strings.ReplaceAll(why, "\n", "\n  ") + meanwhileLine(st, p) + "\n" +
		st.Bold.Render("y") + " approve · " + st.Bold.Render("n/enter/esc") + " no (default)"
	return newDialog("Confirm approval", body, width)
}

// noteDialog asks for the decision's note: required for reject and
// escalate, optional otherwise.
type noteDialog struct {
	input textinput.Model
	err   string
}

func newNoteDialog(a store.Action, blink bool, st Styles) noteDialog {
	in := textinput.New()
	st.styleInput(&in, blink)
	in.Prompt = "note> "
	in.CharLimit = 1000
	if a.NeedsNote() {
		in.Placeholder = "required: say why"
	} else {
		in.Placeholder = "optional"
	}
	in.Focus()
	return noteDialog{input: in}
}

func (n *noteDialog) update(msg tea.Msg) tea.Cmd {
	before := n.input.Value()
	var cmd tea.Cmd
	n.input, cmd = n.input.Update(msg)
	keepPrintable(&n.input, msg)
	if n.input.Value() != before {
		// "needs a note" was about the empty note, not the one being typed.
		n.err = ""
	}
	return cmd
}

func (n *noteDialog) dialog(c *programContext, p *pendingDecision, width int) dialog {
	st := c.styles
	n.input.SetWidth(max(width-12, 10))
	need := "optional note"
	if p.action.NeedsNote() {
		need = "note required"
	}
	what := actionVerb(p.action) + " " + caisson.ShortID(line(p.checkID), 10)
	if r := reasonText(p); r != "" {
		what += " · " + r
	}
	if p.proposal != nil {
		what += " · " + proposalText(p.proposal)
	}
	body := fmt.Sprintf("%s (%s)%s\n%s", what, need, meanwhileLine(st, p), n.input.View())
	if p.proposedUnder != "" {
		body = st.Warn.Render("● four-eyes ("+string(p.proposedUnder)+"): proposed only; it takes effect once another reviewer confirms it") + "\n" + body
	}
	if n.err != "" {
		body += "\n" + st.Bad.Render("✗ "+n.err)
	}
	return newDialog("Decision", body, width)
}

func actionVerb(a store.Action) string {
	switch a {
	case store.Approve:
		return "Approve"
	case store.Reject:
		return "Reject"
	case store.Escalate:
		return "Escalate"
	case store.Reopen:
		return "Reopen"
	case store.Confirm:
		return "Confirm"
	case store.Return:
		return "Return"
	}
	return line(string(a))
}

// dialog is an open dialog's title and text, drawn in a box (dialogBox)
// across the screen above the footer. Its text is already fitted to the
// box (newDialog), so that its height is known without drawing it.
type dialog struct{ title, body string }

// newDialog is a dialog whose lines longer than a box of the given outer
// width are wrapped, not cut: what a dialog says is what the reviewer
// answers to. Wrapping here, not when the box is drawn, keeps height
// exact.
func newDialog(title, body string, width int) dialog {
	inner := max(width-4, 10)
	lines := strings.Split(body, "\n")
	wrapped := false
	for i, l := range lines {
		if cells(l) > inner {
			lines[i], wrapped = ansi.Wrap(l, inner, " "), true
		}
	}
	if wrapped {
		body = strings.Join(lines, "\n")
	}
	return dialog{title: title, body: body}
}

// height is the box's height, known without drawing it: the layout needs
// it on every message, and drawing the box costs more than the rest of
// the dialog.
func (d dialog) height() int {
	if d.title == "" {
		return 0
	}
	return strings.Count(d.body, "\n") + 1 + 3 // the title and the border
}

// dialogBox draws a bordered box of the given outer width, the width the
// dialog was made for (newDialog).
func dialogBox(c *programContext, d dialog, width int) string {
	title, body := d.title, d.body
	// A style's width holds its border and padding (Lip Gloss v2).
	return c.styles.Dialog.Width(width).Render(c.styles.Bold.Render(title) + "\n" + body)
}

// newFilterInput is the "/" prompt.
func newFilterInput(value string, blink bool, st Styles) textinput.Model {
	in := textinput.New()
	st.styleInput(&in, blink)
	in.Prompt = "/"
	in.Placeholder = "check id, customer id or name"
	in.CharLimit = 200
	in.SetValue(value)
	in.Focus()
	return in
}

// matches is key.Matches for one binding, to keep call sites short.
func matches(msg tea.KeyPressMsg, b key.Binding) bool { return key.Matches(msg, b) }

// keepPrintable drops from what is typed or pasted into a one-line input
// the characters the sanitizer would escape (controls, a right-to-left
// override, other invisible format characters): the input draws its text
// raw, so one pasted into a note misaligned the dialog's box, or turned
// the text around on screen, and stored it showed as an escape
// (helper-56). What is kept is what will be shown.
func keepPrintable(in *textinput.Model, msg tea.Msg) {
	if !insertsHidden(msg) {
		return
	}
	v := in.Value()
	if sanitize.Safe(v) {
		return
	}
	// The cursor stays after the character it was after: moved by the
	// characters dropped before it, not left at its old count, which put
	// the next key one further on for each (helper-58).
	runes := []rune(v)
	pos := min(in.Position(), len(runes))
	in.SetValue(printable(v, false))
	in.SetCursor(len([]rune(printable(string(runes[:pos]), false))))
}

// printable is s without the characters the sanitizer would escape, but
// line breaks when lines is set (the add dialog's list of ids).
func printable(s string, lines bool) string {
	return strings.Map(func(r rune) rune {
		if sanitize.Escapes(r) && !(lines && r == '\n') {
			return -1
		}
		return r
	}, s)
}

// insertsHidden reports whether msg types or pastes a character the
// sanitizer would escape: only then can an input hold one, since each
// message's text is checked as it comes (keepPrintable, the add dialog).
func insertsHidden(msg tea.Msg) bool {
	var text string
	switch m := msg.(type) {
	case tea.PasteMsg:
		text = m.Content
	case tea.KeyPressMsg:
		text = m.Text
	}
	return strings.ContainsFunc(text, sanitize.Escapes)
}
