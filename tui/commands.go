package tui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

// Every call to the store or the API happens in one of these commands, off
// the Update loop; its result comes back as a message carrying the id of
// the request it answers, so a late answer to a superseded request (the
// cursor moved on, the filter changed) is recognised and dropped.

// storeTimeout bounds one store call; a local SQLite query that takes this
// long is stuck, and the reviewer should be told rather than wait.
const storeTimeout = 30 * time.Second

// apiTimeout bounds one API call made for a single check.
const apiTimeout = 60 * time.Second

type countsMsg struct {
	counts store.Counts
	// sla is the SLA the overdue count was made against, read with it:
	// the list marks the same checks overdue.
	sla time.Duration
	err error
}

func loadCounts(st Store) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		c, err := st.Counts(ctx)
		if err != nil {
			return countsMsg{err: fmt.Errorf("counting the queues: %w", err)}
		}
		p, err := st.Policy(ctx)
		if err != nil {
			err = fmt.Errorf("reading the SLA: %w", err)
		}
		return countsMsg{counts: c, sla: p.SLA, err: err}
	}
}

// pageRetry is how long the list waits to read a page again after a read
// failed, unless the queue or the query changes first.
const pageRetry = 2 * time.Second

// pageRetryMsg is the retry tick of the n-th failed read (listModel.restings).
type pageRetryMsg struct{ n int }

type pageMsg struct {
	req       int
	offset    int
	limit     int
	rows      []store.Row
	total     int
	withTotal bool
	// uncounted is a page of a list that is not counted (a filter): its
	// length is all that is known of the total.
	uncounted bool
	err       error
	// gen and ahead are the read-ahead generation the page was read in
	// and the record of the check the cursor lands on (readahead.go).
	gen   int
	ahead map[string]*store.Record
}

// loadPage reads one window of a queue, and its total when withTotal (the
// query changed, or the queue's content did). The count and the page are
// read at the same time: on a large store each can take a while, and the
// screen waits for both. The record of the check at index want (the
// cursor's), when the page holds it, is read next in the same command:
// the screen waits for it too, and a second command would add a round
// trip through the event loop. A check in have (the one on screen, those
// read ahead) is not read again: typing a filter often keeps the same
// check on top, and its read was a tenth of the keystroke's time.
func loadPage(st Store, req int, q store.PageQuery, withTotal bool, gen, want int, have []string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		msg := pageMsg{req: req, offset: q.Offset, limit: q.Limit, withTotal: withTotal, gen: gen}
		var countErr error
		counted := make(chan struct{})
		if withTotal {
			go func() {
				defer close(counted)
				msg.total, countErr = st.Count(ctx, q)
			}()
		} else {
			close(counted)
		}
		rows, err := st.Page(ctx, q)
		<-counted
		// The store's errors say which queue they were reading or
		// counting (Page, Count).
		switch {
		case countErr != nil:
			msg.err = countErr
		case err != nil:
			msg.err = err
		default:
			msg.rows = rows
		}
		if i := want - q.Offset; msg.err == nil && i >= 0 && i < len(msg.rows) && !slices.Contains(have, msg.rows[i].CheckID) {
			if rec, err := st.Get(ctx, msg.rows[i].CheckID); err == nil {
				msg.ahead = map[string]*store.Record{rec.CheckID: rec}
			}
		}
		return msg
	}
}

type totalMsg struct {
	req   int
	total int
	err   error
}

// loadTotal counts a list that was shown uncounted.
func loadTotal(st Store, req int, q store.PageQuery) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		n, err := st.Count(ctx, q)
		return totalMsg{req: req, total: n, err: err}
	}
}

type recordMsg struct {
	req int
	rec *store.Record
	err error
}

func loadRecord(st Store, req int, checkID string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		rec, err := st.Get(ctx, checkID)
		if err != nil {
			err = fmt.Errorf("reading the check: %w", err)
		}
		return recordMsg{req: req, rec: rec, err: err}
	}
}

type decidedMsg struct {
	task     int
	checkID  string
	action   store.Action
	decision store.Decision
	// passed: a returned check Caisson passed, in no queue to review;
	// to: the decision queue a returned check went back to.
	passed  bool
	to      store.Queue
	toKnown bool
	// nextID is the check after this one in the queue, looked up before
	// the decision moved it out of the queue.
	nextID string
	err    error
}

func (m decidedMsg) writeTask() int  { return m.task }
func (m decidedMsg) writeErr() error { return m.err }

// decide records the decision through the service; the reviewer has
// already confirmed a risky approval in the console's own dialog.
func decide(st Store, svc Service, task int, q store.PageQuery, req store.DecisionRequest) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		msg := decidedMsg{task: task, checkID: req.CheckID, action: req.Action}
		q.Offset, q.Limit = 0, 0
		// A failure to find the next check only costs the cursor's
		// placement, never the decision.
		if next, ok, err := st.Next(ctx, q, req.CheckID); err == nil && ok {
			msg.nextID = next
		}
		d, err := svc.Decide(ctx, service.DecideRequest{DecisionRequest: req, RiskAccepted: true})
		if err != nil {
			msg.err = fmt.Errorf("storing the decision: %w", err)
			return msg
		}
		msg.decision, msg.passed, msg.to, msg.toKnown = d.Decision, d.Passed, d.To, d.ToKnown
		return msg
	}
}

type refreshedMsg struct {
	task    int
	checkID string
	// fetchErr is Caisson's answer when it was not a result; storeErr a
	// failure to record what was fetched.
	fetchErr error
	storeErr error
}

func (m refreshedMsg) writeTask() int  { return m.task }
func (m refreshedMsg) writeErr() error { return m.storeErr }

// refreshOne fetches one check and records the outcome, result or error.
func refreshOne(svc Service, task int, checkID string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), apiTimeout)
		defer cancel()
		res, err := svc.RefreshOne(ctx, checkID)
		msg := refreshedMsg{task: task, checkID: checkID, fetchErr: res.Err}
		switch {
		case err != nil:
			msg.fetchErr = err
		case res.NotRecorded != nil:
			msg.storeErr = fmt.Errorf("recording the fetch: %w", res.NotRecorded)
		}
		return msg
	}
}

// errNoAPI is what the console says when asked to reach Caisson without a
// client (a store-only session).
var errNoAPI = errors.New("no Caisson API configured for this session")

// noService stands in for a console given no service: it reads, and says
// so when asked for anything else.
type noService struct{}

var errNoService = errors.New("this console was started without a service: it can only read")

func (noService) Online() bool { return false }
func (noService) Add(context.Context, []service.Input) (service.AddReport, error) {
	return service.AddReport{}, errNoService
}
func (noService) Refresh(context.Context, []string, service.RefreshOptions) (service.Report, error) {
	return service.Report{}, errNoService
}
func (noService) RefreshQueue(context.Context, store.PageQuery, service.RefreshOptions) (service.Report, error) {
	return service.Report{}, errNoService
}
func (noService) RefreshOne(context.Context, string) (service.Result, error) {
	return service.Result{}, errNoService
}
func (noService) Decide(context.Context, service.DecideRequest) (service.Decided, error) {
	return service.Decided{}, errNoService
}
