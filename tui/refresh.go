package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/progress"
	tea "charm.land/bubbletea/v2"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// The batch refresh runs FetchMany in a goroutine of its own, so the screen
// stays responsive. Each result is recorded in the store as it arrives and
// then reported on a channel; the console reads that channel one message
// at a time with a command (waitBatch) that it issues again after each
// message, so progress flows through the ordinary Update loop.

// batchConcurrency is how many fetches are in flight at once.
const batchConcurrency = 8

// idPage is how many ids are read from the store at a time to build the
// batch: the queue is never read in one query.
const idPage = 1000

type batchStartedMsg struct{ task, total int }

type batchResultMsg struct {
	task    int
	checkID string
	err     error // fetch or record failure; nil when recorded fine
	// decided is set when Caisson has no result for the check yet but a
	// reviewer has decided it: the decision wins, and the check stays in
	// its decision's queue instead of waiting.
	decided bool
}

type batchDoneMsg struct {
	task      int
	cancelled bool
	err       error // the batch itself failed (reading the queue)
}

// batch is a running or finished refresh of many checks.
type batch struct {
	task     int
	label    string
	cancel   context.CancelFunc
	ch       chan tea.Msg
	total    int
	done     int
	failures []batchFailure
	// waiting counts the checks Caisson has no result for yet, for an
	// ordinary reason (caisson.NotReady): not failures, but the Waiting
	// at Caisson queue. decided counts those a reviewer had already
	// decided, which stay in their decision's queue (as the CLI counts
	// them), so that each number matches a tab.
	waiting, decided int
	running          bool
	// cancelled is set when the reviewer asked to stop; the batch is
	// still running until the goroutine reports it has stopped.
	cancelled bool
	err       error
	bar       progress.Model
	// shown is the panel as last drawn, at shownAt for shownWidth: while
	// the batch runs it is drawn again at most every panelRedraw.
	shown      string
	shownAt    time.Time
	shownWidth int
}

// panelRedraw is how often a running batch's panel is drawn again. Results
// come hundreds a second; Bubble Tea sends a frame for each change, up to
// frameRate a second, and on a slow link every frame of a moving bar
// costs bytes a reviewer waits behind. Ten a second looks continuous, as
// the command line's bar does (progress.go).
const panelRedraw = 100 * time.Millisecond

type batchFailure struct {
	checkID string
	reason  string
}

// startBatch begins refreshing every check matching q.
// done is called with the first result that could not be recorded, once
// the batch has stopped.
func startBatch(st Store, api API, styles Styles, task int, label string, q store.PageQuery, now func() time.Time, done func(error)) (*batch, tea.Cmd) {
	ctx, cancel := context.WithCancel(context.Background())
	b := &batch{
		task:    task,
		label:   label,
		cancel:  cancel,
		ch:      make(chan tea.Msg, 64),
		total:   -1,
		running: true,
		bar: progress.New(progress.WithColors(styles.color(colorGood)),
			progress.WithFillCharacters('█', '░'), progress.WithoutPercentage()),
	}
	go func() { done(runBatch(ctx, st, api, b.task, q, now, b.ch)) }()
	return b, waitBatch(b.ch)
}

func waitBatch(ch chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return nil
		}
		return msg
	}
}

// runBatch fetches and records every check of q; it returns the first
// result it could not record.
func runBatch(ctx context.Context, st Store, api API, task int, q store.PageQuery, now func() time.Time, ch chan<- tea.Msg) (notRecorded error) {
	defer close(ch)
	ids, err := queueIDs(ctx, st, q)
	if err != nil {
		ch <- batchDoneMsg{task: task, cancelled: ctx.Err() != nil, err: err}
		return nil
	}
	ch <- batchStartedMsg{task: task, total: len(ids)}
	err = api.FetchMany(ctx, ids, batchConcurrency, func(r caisson.Result) {
		// Recording is not cancelled with the batch: a result that has
		// arrived is kept.
		rctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		msg := batchResultMsg{task: task, checkID: r.CheckID, err: r.Err}
		if err := st.RecordFetch(rctx, r.CheckID, r.Check, r.Err, now()); err != nil {
			msg.err = fmt.Errorf("not recorded: %w", err)
			if notRecorded == nil {
				notRecorded = fmt.Errorf("recording the refresh of %s: %w", r.CheckID, err)
			}
		} else if caisson.NotReady(r.Err) {
			msg.decided = decided(rctx, st, r.CheckID)
		}
		ch <- msg
	})
	cancelled := errors.Is(err, context.Canceled)
	if cancelled {
		err = nil
	}
	ch <- batchDoneMsg{task: task, cancelled: cancelled, err: err}
	return notRecorded
}

// decided reports whether a check has a decision (a status other than
// open); a check that cannot be read counts as waiting, as the CLI does.
func decided(ctx context.Context, st Store, checkID string) bool {
	rec, err := st.Get(ctx, checkID)
	return err == nil && rec.Status != store.StatusOpen
}

// queueIDs reads the ids of every check matching q, a page at a time.
func queueIDs(ctx context.Context, st Store, q store.PageQuery) ([]string, error) {
	var ids []string
	q.Limit = idPage
	for q.Offset = 0; ; q.Offset += idPage {
		rows, err := st.Page(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("reading the checks to refresh: %w", err)
		}
		for _, r := range rows {
			ids = append(ids, r.CheckID)
		}
		if len(rows) < idPage {
			return ids, nil
		}
	}
}

// record takes one result into the batch's tally.
func (b *batch) record(m batchResultMsg) {
	b.done++
	switch {
	case caisson.NotReady(m.err) && m.decided:
		b.decided++
	case caisson.NotReady(m.err):
		b.waiting++
	case m.err != nil:
		b.failures = append(b.failures, batchFailure{checkID: m.checkID, reason: failureReason(m.err)})
	}
}

// summary is what a finished batch counted, in words.
func (b *batch) summary() string {
	text := fmt.Sprintf("refreshed %d of %d, %d failed", b.done, max(b.total, 0), len(b.failures))
	return text + b.notReadyText()
}

// notReadyText counts the checks Caisson has no result for yet as their
// queues do: waiting, or already decided.
func (b *batch) notReadyText() string {
	text := ""
	if b.waiting > 0 {
		text += fmt.Sprintf(", %d waiting at Caisson", b.waiting)
	}
	if b.decided > 0 {
		text += fmt.Sprintf(", %d not ready at Caisson but already decided", b.decided)
	}
	return text
}

// failureReason is a short sentence for one failed check.
func failureReason(err error) string {
	return line(caisson.Explain(err))
}

// panelHeight is how many lines the batch panel takes.
func (b *batch) panelHeight(maxFailures int) int {
	if b == nil {
		return 0
	}
	return 2 + min(len(b.failures), maxFailures)
}

// view is the panel, drawn again at most every panelRedraw while the batch
// runs, and as soon as it ends.
func (b *batch) view(c *programContext, width, maxFailures int) string {
	if b.running && !b.cancelled && width == b.shownWidth && time.Since(b.shownAt) < panelRedraw {
		return b.shown
	}
	b.shown, b.shownAt, b.shownWidth = b.draw(c, width, maxFailures), time.Now(), width
	return b.shown
}

// draw draws the progress bar, the tally and the latest failures.
func (b *batch) draw(c *programContext, width, maxFailures int) string {
	st := c.styles
	var sb strings.Builder
	pct := 0.0
	if b.total > 0 {
		pct = float64(b.done) / float64(b.total)
	}
	state := "refreshing"
	switch {
	case b.running && b.cancelled:
		state = "cancelling"
	case !b.running && b.cancelled:
		state = "cancelled"
	case !b.running && b.err != nil:
		state = "failed"
	case !b.running:
		state = "refreshed"
	}
	total := "?"
	if b.total >= 0 {
		total = fmt.Sprint(b.total)
	}
	tally := fmt.Sprintf("%s %s: %d/%s", state, b.label, b.done, total)
	if n := len(b.failures); n > 0 {
		tally += " · " + st.Bad.Render(fmt.Sprintf("✗ %d failed", n))
	} else if !b.running && b.err == nil {
		tally += " · " + st.Good.Render("✓ no failures")
	}
	if t := b.notReadyText(); t != "" {
		tally += " · " + st.Muted.Render(strings.ReplaceAll(strings.TrimPrefix(t, ", "), ", ", " · "))
	}
	if b.err != nil {
		tally += " · " + st.Bad.Render("✗ "+errText(b.err))
	}
	if b.running {
		tally += st.Muted.Render(" · esc cancels")
	} else {
		tally += st.Muted.Render(" · esc closes")
	}
	// The latest failures are the ones still on the reviewer's mind; the
	// count above says how many there were in all.
	shown := b.failures
	if len(shown) > maxFailures {
		shown = shown[len(shown)-maxFailures:]
		// The rest are not lost: each failed check is in the Errors tab
		// with its reason.
		tally += st.Muted.Render(fmt.Sprintf(" · latest %d below, all in tab 6 Errors", maxFailures))
	}
	b.bar.SetWidth(max(10, width-8))
	sb.WriteString(b.bar.ViewAs(pct) + fmt.Sprintf(" %3.0f%%", pct*100))
	sb.WriteString("\n" + clip(tally, width))
	for _, f := range shown {
		sb.WriteString("\n" + clip(st.Bad.Render("✗ ")+caisson.ShortID(line(f.checkID), 10)+": "+f.reason, width))
	}
	return sb.String()
}
