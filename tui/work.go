// Work that reaches Caisson: refreshing one check or a whole queue, and
// adding checks, each started here and finished by its message.

package tui

import (
	"fmt"

	tea "charm.land/bubbletea/v2"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

func (m *Model) refreshSelected() tea.Cmd {
	row, ok := m.current()
	if !ok {
		return nil
	}
	if !m.ctx.cfg.Service.Online() {
		m.refuse("cannot refresh: " + errNoAPI.Error())
		return nil
	}
	if m.refreshing[row.CheckID] {
		// One refresh of a check at a time: a second r would only
		// repeat the API call and the write.
		return nil
	}
	if m.refreshing == nil {
		m.refreshing = map[string]bool{}
	}
	m.refreshing[row.CheckID] = true
	task := m.ctx.nextID()
	spin := m.footer.start(task, "refreshing "+caisson.ShortID(line(row.CheckID), 10), m.animate)
	write := m.ctx.writes.track(task, "the refresh of "+caisson.ShortID(line(row.CheckID), 10),
		refreshOne(m.ctx.cfg.Service, task, row.CheckID))
	return tea.Batch(spin, write)
}

func (m *Model) refreshed(msg refreshedMsg) tea.Cmd {
	delete(m.refreshing, msg.checkID)
	short := caisson.ShortID(line(msg.checkID), 10)
	switch {
	case msg.storeErr != nil:
		m.footer.finish(msg.task, false, "refresh of "+short+" not recorded: "+errText(msg.storeErr))
	case caisson.NotReady(msg.fetchErr):
		// Not a failure: the check waits at Caisson, as the refresh of a
		// queue counts it.
		m.footer.finish(msg.task, true, "refreshed "+short+": not ready at Caisson: "+explainErr(msg.fetchErr))
	case msg.fetchErr != nil:
		m.footer.finish(msg.task, false, short+": "+explainErr(msg.fetchErr))
	default:
		m.footer.finish(msg.task, true, "refreshed "+short)
	}
	return m.invalidate()
}

// explainErr is Caisson's answer (or the failure to get one) in a
// sentence, safe for the screen.
func explainErr(err error) string { return line(caisson.Explain(err)) }

func (m *Model) addKey(msg tea.KeyPressMsg) tea.Cmd {
	switch {
	case matches(msg, addKeys.Cancel):
		if !m.add.running {
			m.mode = modeList
		}
		return nil
	case matches(msg, addScrollUp) && len(m.add.outcomes) > 0:
		m.add.scroll -= 3
		return nil
	case matches(msg, addScrollDown) && len(m.add.outcomes) > 0:
		m.add.scroll += 3
		return nil
	case matches(msg, addKeys.Submit):
		valid, lines, problems := m.add.validation()
		if m.add.running || len(valid) == 0 || len(problems) > 0 {
			return nil
		}
		m.add.running, m.add.outcomes = true, nil
		m.add.task = m.ctx.nextID()
		spin := m.footer.start(m.add.task, fmt.Sprintf("adding %d", len(valid)), m.animate)
		write := m.ctx.writes.track(m.add.task, fmt.Sprintf("the %d checks being added", len(valid)),
			addChecks(m.ctx.cfg.Service, m.add.task, valid, lines, m.ctx.now))
		return tea.Batch(spin, write)
	}
	if m.add.running {
		return nil
	}
	return m.add.update(msg)
}

func (m *Model) added(msg addedMsg) tea.Cmd {
	lines, failed, kept := 0, 0, 0
	for _, o := range msg.outcomes {
		switch {
		case o.earlier:
			// A token an earlier add kept: shown, not one of these lines.
		case o.kept:
			lines++
			kept++
		case !o.ok:
			lines++
			failed++
		default:
			lines++
		}
	}
	text := fmt.Sprintf("added %d of %d lines", len(msg.added), lines)
	if kept > 0 {
		text += fmt.Sprintf(", %d not exchanged yet (kept to retry)", kept)
	}
	if failed > 0 {
		text += fmt.Sprintf(", %d refused", failed)
	}
	m.footer.finish(msg.task, failed == 0 && kept == 0, text)
	if msg.task == m.add.task {
		m.add.running = false
		m.add.outcomes = msg.outcomes
		m.add.scroll = 0
	}
	return m.invalidate()
}

// startBatch starts a refresh of every check of q with the progress bar.
func (m *Model) startBatch(q store.PageQuery, label string) tea.Cmd {
	if !m.ctx.cfg.Service.Online() {
		m.refuse("cannot refresh: " + errNoAPI.Error())
		return nil
	}
	task := m.ctx.nextID()
	done := m.ctx.writes.start(task, "the results of the refresh of "+label)
	b, cmd := startBatch(m.ctx.cfg.Service, m.ctx.styles, task, label, q, done)
	m.batch = b
	spin := m.footer.start(task, "refreshing "+label, m.animate)
	return tea.Batch(spin, cmd)
}

// batchEvery is how many results pass between two re-reads of the screen
// during a batch, so that the list shows progress without re-reading it
// on every result.
const batchEvery = 100

func (m *Model) batchProgress(msg tea.Msg) tea.Cmd {
	b := m.batch
	if b == nil {
		return nil
	}
	switch msg := msg.(type) {
	case batchStartedMsg:
		if msg.task != b.task {
			return nil
		}
		b.total, b.skipped = msg.total, msg.skipped
	case batchResultMsg:
		if msg.task != b.task {
			return nil
		}
		b.record(msg)
		if b.done%batchEvery == 0 {
			return tea.Batch(waitBatch(b.ch), m.invalidate())
		}
	case batchDoneMsg:
		if msg.task != b.task {
			return nil
		}
		b.running = false
		b.cancelled = b.cancelled || msg.cancelled
		b.err = msg.err
		m.footer.finish(b.task, b.err == nil && len(b.failures) == 0 && !b.cancelled, b.endText())
		return m.invalidate()
	}
	return waitBatch(b.ch)
}
