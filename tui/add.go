package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/textarea"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

// addDialog takes pasted check ids and exchange tokens, one a line,
// validates each line as it is typed, and after submitting shows what
// became of each line.
type addDialog struct {
	input    textarea.Model
	running  bool
	task     int
	outcomes []addOutcome
	// scroll is the first line of the results shown, when they are longer
	// than the dialog (pgup/pgdown).
	scroll int
}

// addOutcome is what became of one pasted line, or of a token an
// earlier add kept, which adding finishes first.
type addOutcome struct {
	// label names it: "line 3", or "a kept token".
	label string
	// earlier: a token an earlier add kept, finished (or not) first.
	earlier bool
	ok      bool
	// kept: a token not exchanged yet, for a reason that may pass
	// (*store.ExchangeKeptError); kept to retry, not refused.
	kept    bool
	message string
}

func newAddDialog(blink bool, st Styles) addDialog {
	ta := textarea.New()
	st.styleArea(&ta, blink)
	ta.Placeholder = "paste check ids (chk_priv_…) or exchange tokens (chk_xchg_…), one a line"
	ta.ShowLineNumbers = true
	ta.CharLimit = 0
	// The text area's default stops taking line breaks at 99 lines
	// without a word, and what comes after runs into the 99th: a paste
	// typed in (no bracketed paste over some links) joined two ids into
	// one. Its own limit is maxAddLines, which validation names.
	ta.MaxHeight = 0
	ta.SetHeight(5)
	ta.Focus()
	return addDialog{input: ta}
}

func (a *addDialog) update(msg tea.Msg) tea.Cmd {
	// What the sanitizer would escape is dropped from what this message
	// types or pastes before the text area takes it (the lines kept), so
	// the cursor ends after what was put in: cleaning the text area's
	// value afterwards moved its cursor to the very end. Only the message
	// need be read: the dialog holds up to 10,000 lines.
	if insertsHidden(msg) {
		switch m := msg.(type) {
		case tea.PasteMsg:
			// Many terminals send a paste's line breaks as CR (VTE,
			// iTerm2, xterm), which the text area makes new lines:
			// dropped as a control, they ran the ids together on one line
			// (helper-62). CR LF and CR are line breaks, a tab a space.
			m.Content = printable(pastedLines.Replace(m.Content), true)
			msg = m
		case tea.KeyPressMsg:
			if m.Text = printable(m.Text, true); m.Text == "" {
				return nil
			}
			msg = m
		}
	}
	var cmd tea.Cmd
	a.input, cmd = a.input.Update(msg)
	return cmd
}

// pastedLines makes a paste's line breaks LF and its tabs spaces before
// the characters the sanitizer would escape are dropped.
var pastedLines = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\t", " ")

// maxAddLines is the most lines the text area holds (the bubbles
// textarea's own fixed limit): a paste past it is cut, and lines typed
// past it run into the last.
const maxAddLines = 10_000

// validation is the inline check of every non-empty line, before submit.
func (a *addDialog) validation() (valid []caisson.ID, lines []int, problems []string) {
	if a.input.LineCount() >= maxAddLines {
		problems = append(problems, fmt.Sprintf("the dialog holds at most %d lines, and what came past them was cut or run into the last: paste fewer, or use caisson-review add - for a longer list", maxAddLines))
	}
	for i, raw := range strings.Split(a.input.Value(), "\n") {
		// Blank lines and # comments are skipped, as add - skips them.
		text, ok := caisson.IDLine(raw)
		if !ok {
			continue
		}
		id, err := caisson.ParseID(text)
		if err != nil {
			problems = append(problems, fmt.Sprintf("line %d: %s", i+1, errText(err)))
			continue
		}
		valid = append(valid, id)
		lines = append(lines, i+1)
	}
	return valid, lines, problems
}

func (a *addDialog) dialog(c *programContext, width, height int) dialog {
	st := c.styles
	inner := max(width-4, 10)
	a.input.SetWidth(inner)
	var body []string
	body = append(body, a.input.View())
	valid, _, problems := a.validation()
	summary := fmt.Sprintf("%d valid", len(valid))
	if len(problems) > 0 {
		summary += " · " + st.Bad.Render(fmt.Sprintf("✗ %d invalid (fix or delete them to add)", len(problems)))
	}
	body = append(body, summary)
	// Problems are wrapped, not cut: the end of the message says what
	// was expected.
	for _, p := range problems {
		for _, l := range strings.Split(ansi.Wrap("✗ "+p, inner, " "), "\n") {
			body = append(body, st.Bad.Render(l))
		}
	}
	if a.running {
		body = append(body, st.Muted.Render("adding…"))
	}
	// Each result is wrapped, never cut: its end says what happens next.
	var results []string
	for _, o := range a.outcomes {
		mark, style := "✓ ", st.Good
		switch {
		case o.kept:
			mark, style = "… ", st.Warn
		case !o.ok:
			mark, style = "✗ ", st.Bad
		}
		for i, l := range strings.Split(ansi.Wrap(o.label+": "+o.message, inner-2, " "), "\n") {
			if i == 0 {
				l = style.Render(mark) + l
			} else {
				l = "  " + l
			}
			results = append(results, l)
		}
	}
	// The text area is several lines; the box's border and title take 3.
	room := height - 3 - strings.Count(strings.Join(body, "\n"), "\n") - 1
	body = append(body, a.window(c, results, room)...)
	return newDialog("Add checks · ctrl+s adds · esc closes", strings.Join(body, "\n"), width)
}

// window is the results that fit in room lines, from the scroll position,
// with a line saying how to see the rest when they do not all fit.
func (a *addDialog) window(c *programContext, results []string, room int) []string {
	room = max(room, 2)
	if len(results) <= room {
		a.scroll = 0
		return results
	}
	shown := room - 1
	a.scroll = min(max(a.scroll, 0), len(results)-shown)
	out := append([]string{}, results[a.scroll:a.scroll+shown]...)
	return append(out, c.styles.Muted.Render(fmt.Sprintf("── results %d-%d of %d lines · pgup/pgdn scroll ──",
		a.scroll+1, a.scroll+shown, len(results))))
}

type addedMsg struct {
	task     int
	outcomes []addOutcome
	// added are the check ids that are new in the store.
	added []string
}

func (m addedMsg) writeTask() int { return m.task }

// writeErr is every line that was not added, for the report of a console
// that quit before showing them.
func (m addedMsg) writeErr() error {
	var errs []error
	for _, o := range m.outcomes {
		if !o.ok || o.kept {
			errs = append(errs, fmt.Errorf("adding %s: %s", o.label, o.message))
		}
	}
	return errors.Join(errs...)
}

// addChecks adds each valid line through the service (exchanging tokens,
// after finishing those earlier adds kept), then fetches every check that
// is new. One line's failure never stops the others.
func addChecks(svc Service, task int, ids []caisson.ID, lines []int, now func() time.Time) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		inputs := make([]service.Input, len(ids))
		for i, id := range ids {
			inputs[i] = service.Input{Line: lines[i], Text: id.Value, Source: store.SourceTyped}
		}
		rep, err := svc.Add(ctx, inputs)
		msg := addedMsg{task: task}
		timeText := func(t time.Time) string { return local(t, now).Format(timeLayout) }
		for _, r := range rep.Resumed {
			msg.outcomes = append(msg.outcomes, addOutcome{label: "a kept token", earlier: true, ok: !r.Failed(),
				kept: r.Err != nil && !r.Dropped, message: line(r.Text(timeText))})
		}
		fresh := map[string]int{} // index into msg.outcomes of each new check, for the fetch
		for i, o := range rep.Outcomes {
			out := lineOutcome(o, timeText)
			if o.Verdict == "" {
				// The batch failed before this line's turn.
				out = addOutcome{message: "refused: " + errText(err)}
			}
			out.label = inputs[i].Place()
			if o.Verdict == service.Added {
				msg.added = append(msg.added, o.CheckID)
				fresh[o.CheckID] = len(msg.outcomes)
			}
			msg.outcomes = append(msg.outcomes, out)
		}
		fetchAdded(ctx, svc, msg.added, fresh, msg.outcomes)
		return msg
	}
}

// lineOutcome is one line's outcome in the console's words.
func lineOutcome(o service.AddOutcome, timeText func(time.Time) string) addOutcome {
	var out addOutcome
	detail := line(o.Detail(timeText))
	switch o.Verdict {
	case service.NotExchangedYet:
		// Not a refusal: the store keeps the token to retry.
		out.kept, out.message = true, "not exchanged yet: "+detail
	case service.Refused:
		out.message = "refused: " + detail
	case service.Added:
		out.ok, out.message = true, "added "+line(o.CheckID)
	default:
		out.ok, out.message = true, "already tracked "+line(o.CheckID)
		if o.Repeats != "" {
			out.message += " (" + detail + ")"
		}
	}
	if o.Token {
		out.message = "token → " + out.message
	}
	return out
}

// fetchAdded fetches the new checks, so that they land in their queues at
// once, and says on each line how that went.
func fetchAdded(ctx context.Context, svc Service, added []string, fresh map[string]int, outs []addOutcome) {
	if len(added) == 0 || !svc.Online() {
		return
	}
	results := map[string]service.Result{}
	// One at a time: a refused key then costs one request.
	rep, err := svc.Refresh(ctx, added, service.RefreshOptions{Concurrency: 1, Each: func(r service.Result) { results[r.CheckID] = r }})
	for _, id := range added {
		o := &outs[fresh[id]]
		r, ok := results[id]
		switch {
		case err != nil:
			o.message += "; not fetched: " + errText(err)
		case !ok && rep.KeyRefused != nil:
			// Every other fetch would be refused too: no more requests.
			o.message += "; not fetched: Caisson refused the API key"
		case !ok:
			o.message += "; not fetched"
		case r.NotRecorded != nil:
			o.message += "; fetch not recorded: " + errText(r.NotRecorded)
		case r.Err != nil:
			o.message += "; fetched: " + explainErr(r.Err)
		default:
			o.message += "; fetched"
		}
	}
}

// local is t in the zone of the clock now, as the console shows times.
func local(t time.Time, now func() time.Time) time.Time { return t.In(now().Location()) }
