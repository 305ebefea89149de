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

// addOutcome is what became of one pasted line.
type addOutcome struct {
	line int
	ok   bool
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
	ta.SetHeight(5)
	ta.Focus()
	return addDialog{input: ta}
}

func (a *addDialog) update(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	a.input, cmd = a.input.Update(msg)
	return cmd
}

// validation is the inline check of every non-empty line, before submit.
func (a *addDialog) validation() (valid []caisson.ID, lines []int, problems []string) {
	for i, raw := range strings.Split(a.input.Value(), "\n") {
		// Blank lines and # comments are skipped, as add - skips them.
		if t := strings.TrimSpace(raw); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		id, err := caisson.ParseID(raw)
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
		for i, l := range strings.Split(ansi.Wrap(fmt.Sprintf("line %d: %s", o.line, o.message), inner-2, " "), "\n") {
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
			errs = append(errs, fmt.Errorf("adding line %d: %s", o.line, o.message))
		}
	}
	return errors.Join(errs...)
}

// addChecks adds each valid line, exchanging tokens first, then fetches
// every check that is new. One line's failure never stops the others.
func addChecks(st Store, api API, task int, ids []caisson.ID, lines []int, reviewer string, now func() time.Time) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		msg := addedMsg{task: task}
		var fresh []int // index into msg.outcomes of each new check, for the fetch
		for i, id := range ids {
			out := addOutcome{line: lines[i]}
			checkID, added, err := addOne(ctx, st, api, id, reviewer)
			var kept *store.ExchangeKeptError
			switch {
			case errors.As(err, &kept):
				// Not a refusal: the store keeps the token to retry.
				out.kept = true
				out.message = fmt.Sprintf("not exchanged yet, kept until %s: %s. Adding the token again, or the next add, exchange or "+
					"refresh from the command line, tries it again; after that time it can no longer work and is dropped",
					local(kept.Until, now).Format(timeLayout), line(caisson.Explain(kept.Err)))
			case err != nil:
				out.message = "refused: " + errText(err)
			case added:
				out.ok, out.message = true, "added "+line(checkID)
				msg.added = append(msg.added, checkID)
				fresh = append(fresh, len(msg.outcomes))
			default:
				out.ok, out.message = true, "already tracked "+line(checkID)
			}
			if id.Kind == caisson.KindExchangeToken {
				out.message = "token → " + out.message
			}
			msg.outcomes = append(msg.outcomes, out)
		}
		if api == nil {
			return msg
		}
		keyRefused := false
		for n, checkID := range msg.added {
			o := &msg.outcomes[fresh[n]]
			if keyRefused {
				// Every other fetch would be refused too: no more requests.
				o.message += "; not fetched: Caisson refused the API key"
				continue
			}
			chk, err := api.GetCheck(ctx, checkID)
			keyRefused = errors.Is(err, caisson.ErrKeyRefused)
			if rerr := st.RecordFetch(ctx, checkID, chk, err, now()); rerr != nil {
				o.message += "; fetch not recorded: " + errText(rerr)
				continue
			}
			if err != nil {
				o.message += "; fetched: " + line(caisson.Explain(err))
			} else {
				o.message += "; fetched"
			}
		}
		return msg
	}
}

func addOne(ctx context.Context, st Store, api API, id caisson.ID, reviewer string) (checkID string, added bool, err error) {
	if id.Kind == caisson.KindExchangeToken {
		if api == nil {
			return "", false, errors.New("cannot exchange a token: " + errNoAPI.Error())
		}
		checkID, added, err = st.Exchange(ctx, id.Value, reviewer, api.ExchangeToken)
		var kept *store.ExchangeKeptError
		if errors.As(err, &kept) {
			return "", false, kept
		}
		if err != nil {
			// Caisson's refusal, in the client's plain words (they
			// explain the token's timing rules), not the wrapped chain.
			return "", false, errors.New(caisson.Explain(err))
		}
		return checkID, added, nil
	}
	added, err = st.Add(ctx, id.Value, reviewer, store.SourceTyped)
	if err != nil {
		return "", false, fmt.Errorf("adding the check: %w", err)
	}
	return id.Value, added, nil
}

// local is t in the zone of the clock now, as the console shows times.
func local(t time.Time, now func() time.Time) time.Time { return t.In(now().Location()) }
