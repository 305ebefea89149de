package tui

import (
	"context"

	tea "charm.land/bubbletea/v2"

	"github.com/caisson-review/caisson-review/store"
)

// readAhead holds the records of the checks the cursor is likely to land
// on next: those beside the selected one, and the one a new page puts
// the cursor on. A key that lands on one draws its check at once, with
// no read and no frame kept for it: on a shared two-core machine the
// round trip of a read through a command (a goroutine, the store, the
// event loop) is a millisecond or more of a key's time to the screen.
//
// Every change to the store empties it and starts a new generation
// (invalidate), and a read started in an older generation is dropped
// when it answers: a record read ahead is never older than one the
// console would read now.
type readAhead struct {
	gen     int
	recs    map[string]*store.Record
	reading bool // a read of the neighbours is in flight
}

// maxReadAhead bounds the records kept: the cursor's neighbours and a
// few it has passed.
const maxReadAhead = 8

func (r *readAhead) reset() {
	r.gen++
	r.recs = nil
	r.reading = false
}

// take is the record of a check read ahead; tried reports whether it was
// read ahead at all (a check that could not be read is not tried again
// until the cursor lands on it).
func (r *readAhead) take(id string) (rec *store.Record, tried bool) {
	rec, tried = r.recs[id]
	return rec, tried
}

func (r *readAhead) keep(gen int, recs map[string]*store.Record) {
	if gen != r.gen {
		return
	}
	if len(r.recs)+len(recs) > maxReadAhead {
		r.recs = nil
	}
	if r.recs == nil {
		r.recs = map[string]*store.Record{}
	}
	for id, rec := range recs {
		r.recs[id] = rec
	}
}

// readAheadMsg answers a read ahead.
type readAheadMsg struct {
	gen  int
	recs map[string]*store.Record
}

// loadAhead reads the records of ids. A check that cannot be read is
// left out: it is read again, with its error shown, if the cursor lands
// on it.
func loadAhead(st Store, gen int, ids []string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		recs := map[string]*store.Record{}
		for _, id := range ids {
			rec, err := st.Get(ctx, id)
			if err != nil {
				rec = nil
			}
			recs[id] = rec
		}
		return readAheadMsg{gen: gen, recs: recs}
	}
}

// aheadOfCursor reads the records beside the selected check that are not
// held yet, once the selected one is on screen: the read never delays
// the key that moved the cursor.
func (m *Model) aheadOfCursor() tea.Cmd {
	if m.near.reading || m.detail.req != 0 || m.list.req != 0 {
		return nil
	}
	var ids []string
	for _, i := range []int{m.list.cursor + 1, m.list.cursor - 1} {
		j := i - m.list.rowsFrom
		if j < 0 || j >= len(m.list.rows) || i >= m.list.total && !m.list.more {
			continue
		}
		if id := m.list.rows[j].CheckID; id != m.detail.checkID {
			if _, ok := m.near.take(id); !ok {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	m.near.reading = true
	return loadAhead(m.ctx.cfg.Store, m.near.gen, ids)
}

// recordsAtHand are the checks whose records the console holds and would
// draw without a read: the one on screen, unless it is to be read again,
// and those read ahead. A page that lands on one of them does not read it
// (loadPage); the ids are copied, for the command runs off the loop.
func (m *Model) recordsAtHand() []string {
	var ids []string
	if d := m.detail; d.rec != nil && !d.dirty && d.req == 0 && d.err == nil {
		ids = append(ids, d.checkID)
	}
	for id, rec := range m.near.recs {
		if rec != nil {
			ids = append(ids, id)
		}
	}
	return ids
}
