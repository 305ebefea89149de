package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/progress"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

// The batch refresh runs the service's RefreshQueue in a goroutine of its
// own, so the screen stays responsive. Each result is recorded by the
// service as it arrives and then reported on a channel; the console reads
// that channel one message at a time with a command (waitBatch) that it
// issues again after each message, so progress flows through the ordinary
// Update loop.

// batchConcurrency is how many fetches are in flight at once.
const batchConcurrency = service.DefaultConcurrency

// batchStartedMsg: the batch will fetch total checks, having skipped
// those whose last answer was final or whose personal data was purged.
type batchStartedMsg struct {
	task, total int
	skipped     service.Skipped
}

type batchResultMsg struct {
	task int
	res  service.Result
}

type batchDoneMsg struct {
	task      int
	cancelled bool
	err       error // what stopped the batch (reading the queue, a refused key)
}

// batch is a running or finished refresh of many checks.
type batch struct {
	task     int
	label    string
	cancel   context.CancelFunc
	ch       chan tea.Msg
	total    int
	done     int
	failures []service.Failure
	// waiting counts the checks Caisson has no result for yet, for an
	// ordinary reason (caisson.NotReady): not failures, but the Waiting
	// at Caisson queue. decided counts those a reviewer had already
	// decided, which stay in their decision's queue (as the CLI counts
	// them), so that each number matches a tab. skipped are the checks
	// not asked for, and why.
	waiting, decided int
	skipped          service.Skipped
	// notStored counts the answers fetched whose batch the store refused
	// whole (its server gone, its file locked): no fact about their
	// checks, which keep their last answer and are in no Errors tab, so
	// counted once beside the store's error (err), as the command line
	// says them, not listed as failures.
	notStored int
	running   bool
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

// batchLabel names what a bulk refresh of q fetches as the screen shows
// it: the tab by its name ("Waiting at Caisson", not lower-cased), or the
// customer's checks, and the filter, which the batch keeps to.
func batchLabel(q store.PageQuery) string {
	label := tabNames[q.Queue][0]
	if q.Customer != "" {
		label = "customer " + line(q.Customer) + "'s checks"
	}
	if q.Filter != "" {
		label += " matching " + quoteFilter(q.Filter)
	}
	return label
}

// startBatch begins refreshing every check matching q (but those whose
// last answer was final, as the command line's refresh --queue skips
// them). done is called with the first result that could not be
// recorded, once the batch has stopped.
func startBatch(svc Service, styles Styles, task int, label string, q store.PageQuery, done func(error)) (*batch, tea.Cmd) {
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
	go func() { done(runBatch(ctx, svc, b.task, q, b.ch)) }()
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

// runBatch refreshes every check of q through the service, reporting on
// ch; it returns the first result it could not record.
func runBatch(ctx context.Context, svc Service, task int, q store.PageQuery, ch chan<- tea.Msg) (notRecorded error) {
	defer close(ch)
	rep, err := svc.RefreshQueue(ctx, q, service.RefreshOptions{
		Concurrency: batchConcurrency,
		Started: func(total int, skipped service.Skipped) {
			ch <- batchStartedMsg{task: task, total: total, skipped: skipped}
		},
		Each: func(r service.Result) { ch <- batchResultMsg{task: task, res: r} },
	})
	if err == nil && !rep.Cancelled {
		err = rep.Err()
	}
	ch <- batchDoneMsg{task: task, cancelled: rep.Cancelled || ctx.Err() != nil, err: err}
	return rep.NotRecorded
}

// record takes one result into the batch's tally.
func (b *batch) record(m batchResultMsg) {
	b.done++
	if errors.As(m.res.NotRecorded, new(*store.BatchNotStoredError)) {
		b.notStored++
		return
	}
	if f, failed := m.res.Failure(); failed {
		b.failures = append(b.failures, f)
		return
	}
	switch {
	case m.res.NotReady() && m.res.Decided != "":
		b.decided++
	case m.res.NotReady():
		b.waiting++
	}
}

// summary is what a finished batch counted, in words.
func (b *batch) summary() string {
	text := fmt.Sprintf("refreshed %d of %d, %d failed", b.done-b.notStored, max(b.total, 0), len(b.failures))
	if b.notStored > 0 {
		text += fmt.Sprintf(", %d fetched but not stored", b.notStored)
	}
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
	if b.skipped.Final > 0 {
		text += fmt.Sprintf(", %d skipped: their last answer was final", b.skipped.Final)
	}
	if b.skipped.Purged > 0 {
		text += fmt.Sprintf(", %d skipped: their personal data was purged", b.skipped.Purged)
	}
	return text
}

// failureReason is a short sentence for one failed check.
func failureReason(f service.Failure) string {
	return line(f.Reason())
}

// panelHeight is how many lines the batch panel takes at width: the bar,
// the tally, what stopped it when something did, and the latest failures.
func (b *batch) panelHeight(width, maxFailures int) int {
	if b == nil {
		return 0
	}
	return 2 + len(b.stopLines(width)) + min(len(b.failures), maxFailures)
}

// maxStopLines is the most lines the reason a batch stopped is wrapped
// to, the last one clipped: one line cut it mid-word at 120 columns and
// before the cause at 80 (helper-69).
const maxStopLines = 3

// stopLines is why the batch stopped, wrapped to width, or none.
func (b *batch) stopLines(width int) []string {
	why := b.stopText()
	if why == "" {
		return nil
	}
	lines := strings.Split(ansi.Wrap("✗ "+why, max(width, 10), " "), "\n")
	if len(lines) > maxStopLines {
		lines = append(lines[:maxStopLines-1], strings.Join(lines[maxStopLines-1:], " "))
	}
	return lines
}

// stopText is why the batch stopped early, once it has ("" when it ran
// out, or was cancelled): the panel keeps it until esc closes it.
func (b *batch) stopText() string {
	if b.running || b.err == nil || errors.Is(b.err, context.Canceled) {
		return ""
	}
	return stopReason(b.err)
}

// endText is what the footer says once the batch has ended: the tally in
// words, with what was not fetched when it stopped early. Why it stopped
// is in the panel above it (the same sentence twice, one above the other,
// read as two messages: helper-69).
func (b *batch) endText() string {
	switch why := b.stopText(); {
	case why != "" && b.total < 0:
		// It stopped before it knew what to fetch (the queue could not
		// be read): no counts to give, the reason is the news.
		return why
	case why != "":
		return fmt.Sprintf("stopped, %d not fetched: %s", max(b.total-b.done, 0), b.summary())
	case b.cancelled:
		return "cancelled: " + b.summary()
	}
	return b.summary()
}

// stopReason is why a batch stopped, the cause first. The command line's
// sentence for Caisson's outage leads with the counts, which the panel's
// tally already shows, and ends with the cause, which 80 or 120 columns
// cut off (helper-67: "…0 checks stored before it, 410 not fetche…").
func stopReason(err error) string {
	var stopped *caisson.BatchStoppedError
	if errors.As(err, &stopped) {
		return line(fmt.Sprintf("stopped, no check marked failed: %s", caisson.Explain(stopped.Err)))
	}
	return errText(err)
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
	case b.stopText() != "":
		// Not "failed": no check was marked failed for what stopped it.
		state = "stopped"
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
	} else if !b.running && b.err == nil && b.notStored == 0 {
		tally += " · " + st.Good.Render("✓ no failures")
	}
	if b.notStored > 0 {
		tally += " · " + st.Bad.Render(fmt.Sprintf("✗ %d fetched but not stored", b.notStored))
	}
	if t := b.notReadyText(); t != "" {
		tally += " · " + st.Muted.Render(strings.ReplaceAll(strings.TrimPrefix(t, ", "), ", ", " · "))
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
	// At the tally's end, 80 or 120 columns cut it off (helper-66).
	for _, l := range b.stopLines(width) {
		sb.WriteString("\n" + clip(st.Bad.Render(l), width))
	}
	for _, f := range shown {
		sb.WriteString("\n" + clip(st.Bad.Render("✗ ")+caisson.ShortID(line(f.CheckID), 10)+": "+failureReason(f), width))
	}
	return sb.String()
}
