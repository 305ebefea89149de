// Polling while the console is open: the checks waiting at Caisson are
// asked again in the background, and an answer is on screen at once.

package tui

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

// pollRun is the console's running poll: the command running it ends
// when cancel is called (quitting), and changed holds one notice that an
// answer was recorded.
type pollRun struct {
	cancel  context.CancelFunc
	changed chan struct{}
}

// polledMsg: the poll recorded an answer; what is on screen is read again.
type polledMsg struct{}

// pollEndedMsg: the poll stopped, for good or because the console quits.
type pollEndedMsg struct{ err error }

// startPolling runs Config.Poll in a command of its own for as long as
// the console is open. The command counts as a write in flight, so
// quitting (and Wait) stops it and waits for the answer it is recording.
func (m *Model) startPolling() tea.Cmd {
	p, svc := m.ctx.cfg.Poll, m.ctx.cfg.Service
	if p == nil || m.ctx.cfg.ReadOnly || svc == nil || !svc.Online() || m.poll != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	run := &pollRun{cancel: cancel, changed: make(chan struct{}, 1)}
	m.poll = run
	notify := func(service.Result) {
		select {
		case run.changed <- struct{}{}:
		default: // one notice pending is enough: the read sees every answer
		}
	}
	poll := m.ctx.writes.track(m.ctx.nextID(), "the poll of the checks waiting at Caisson", func() tea.Msg {
		return pollEndedMsg{err: p.Run(ctx, notify)}
	})
	return tea.Batch(poll, run.next())
}

// next waits for the poll's next answer.
func (r *pollRun) next() tea.Cmd {
	return func() tea.Msg {
		<-r.changed
		return polledMsg{}
	}
}

// stopPolling ends the poll; the answer it is recording is still stored.
func (m *Model) stopPolling() {
	if m.poll != nil {
		m.poll.cancel()
	}
}

func (m *Model) polled() tea.Cmd {
	if m.poll == nil {
		return nil
	}
	return tea.Batch(m.invalidate(), m.poll.next())
}

// pollStatus is the poller the header reports on.
func (c *programContext) pollStatus() PollStatus {
	if c.cfg.Poll != nil {
		return c.cfg.Poll
	}
	return c.cfg.PollStatus
}

// pollNotice is the header's word on polling: "" while it runs (or there
// is none), once it stopped for good why, once.
func (c *programContext) pollNotice() string {
	s := c.pollStatus()
	if s == nil {
		return ""
	}
	err := s.Stopped()
	switch {
	case err == nil:
		if pa := s.Paused(); pa != nil {
			// Short, for a header of 80 columns.
			return "◷ polling paused until " + pa.Until.Local().Format("15:04") + ": Caisson unavailable"
		}
		return ""
	case errors.Is(err, caisson.ErrKeyRefused):
		return "✗ polling stopped: API key refused"
	}
	return "✗ polling stopped: " + errText(err)
}

// storeNotice is the header's word on the store: "" while it answers;
// since when it does not, short for a header of 80 columns.
func (c *programContext) storeNotice() string {
	if c.storeGone.IsZero() {
		return ""
	}
	return "✗ database unreachable since " + c.storeGone.Local().Format("15:04") + ": screen may be out of date"
}

// stale reports whether a check was last fetched longer ago than the
// StaleAfter setting; never for one not fetched, or whose last answer was
// final (asking again gets the same answer).
func (c *programContext) stale(r store.Row, now time.Time) bool {
	after := c.cfg.StaleAfter
	if after <= 0 || r.FetchedAt.IsZero() || r.Purged || service.FinalOutcome(r.Outcome) {
		return false
	}
	return now.Sub(r.FetchedAt) > after
}

// staleGlyph marks a stale check in the list and the detail.
const staleGlyph = "◷"

// ageSetting writes the StaleAfter setting as it is given: "7d", "36h".
func ageSetting(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	return d.String()
}

// refetchHint says which key fetches a stale check again; nothing in a
// read-only console, which has no such key.
func (c *programContext) refetchHint() string {
	if c.cfg.ReadOnly {
		return ""
	}
	return " · " + keyName(c.keys.Refresh) + " fetches it again"
}
