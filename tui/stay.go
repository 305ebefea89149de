// Staying on a check that changes under the reviewer: another session or
// the CLI decides the check on screen, which then leaves the queue. The
// reviewer keeps it (its detail, full screen or beside the list), is told
// who decided what and when, and the keys that no longer apply say why.

package tui

import (
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"

	"github.com/caisson-review/caisson-review/store"
)

// pinnedCheck is the check the reviewer was on when a change made
// elsewhere took it out of the list: it stays on screen until the reviewer
// moves on (j/k), changes the list, or backs out (esc).
type pinnedCheck struct {
	row store.Row
	// from is the queue it left.
	from store.Queue
	// sure is set once its record shows a decision made elsewhere: until
	// then it may only have moved down the queue, out of the rows read
	// (a refresh brought riskier checks above it), and it is let go if
	// the record shows no such decision.
	sure bool
	// after and before are the checks that followed and preceded it in
	// the rows read when it left, nearest first: its place in the queue,
	// which moving on starts from even when other reviewers decide the
	// checks around it too (a busy queue).
	after, before []string
}

// current is the check the reviewer is on: the pinned one, or the row
// under the cursor.
func (m *Model) current() (store.Row, bool) {
	if m.pinned != nil {
		return m.pinned.row, true
	}
	return m.list.selected()
}

// followOpen pins the check that was under the cursor (open, had) when a
// page that no longer lists it has just been taken in: it left the queue
// by a change made elsewhere. A decision made here moves on to the next
// check instead, as it always has. old are the rows read before that page,
// which hold the check's neighbours.
func (m *Model) followOpen(open store.Row, had bool, old []store.Row) {
	if m.pinned != nil {
		if row, ok := m.list.selected(); ok && row.CheckID == m.pinned.row.CheckID {
			// It came back (reopened): the list has it again.
			m.pinned = nil
		}
		return
	}
	if !had || m.deciding[open.CheckID] || m.list.has(open.CheckID) {
		return
	}
	if open.CheckID == m.decidedHere {
		m.decidedHere = ""
		return
	}
	m.pin(open, old)
}

// followVanished pins the check under the cursor when the queue's count,
// not a page, took it off the list: its rows are still held, and the page
// that follows has nothing selected to follow. A decision made here is
// left to that page (followOpen), which moves on as it always has.
func (m *Model) followVanished(open store.Row, old []store.Row) {
	if m.pinned != nil || m.deciding[open.CheckID] || open.CheckID == m.decidedHere {
		return
	}
	m.pin(open, old)
}

// pin keeps open on screen after it left the list (pinnedCheck), its
// record read again: it says who decided.
func (m *Model) pin(open store.Row, old []store.Row) {
	m.pinned = &pinnedCheck{row: open, from: m.query().Queue}
	m.pinned.after, m.pinned.before = neighbours(old, open.CheckID)
	if m.detail.checkID == open.CheckID {
		// Read again, whatever was read before the page came: the
		// record says who decided.
		m.detail.dirty = true
	}
}

// recordPinned takes the pinned check's record in: it is kept if someone
// else decided it, and let go otherwise.
func (m *Model) recordPinned(msg recordMsg) {
	p := m.pinned
	if p == nil || p.sure {
		if p != nil && msg.rec != nil && msg.rec.CheckID == p.row.CheckID {
			p.row = msg.rec.Row
		}
		return
	}
	if msg.rec == nil || msg.rec.CheckID != p.row.CheckID {
		m.unpin()
		return
	}
	p.row = msg.rec.Row
	if _, ok := m.news(); ok {
		p.sure = true
	} else {
		m.unpin()
	}
}

// unpin lets the pinned check go: the cursor is then on the check that
// took its place in the list.
func (m *Model) unpin() { m.pinned = nil }

// moveOn lets the pinned check go at the reviewer's request (j/k, a page,
// esc): the cursor is put on its place in the queue, the nearest check
// that followed it and is still listed, so that j goes there and k to the
// one before it. Counting rows instead would skip checks whenever others
// decided checks above it meanwhile.
func (m *Model) moveOn() {
	p := m.pinned
	m.unpin()
	if p == nil {
		return
	}
	l := &m.list
	for _, id := range p.after {
		if i, ok := l.index(id); ok {
			l.setCursor(i)
			return
		}
	}
	for _, id := range p.before {
		if i, ok := l.index(id); ok {
			l.setCursor(i + 1)
			return
		}
	}
}

// maxNeighbours is how many checks on each side of a pinned check are kept
// to find its place again: a screen's worth of others' decisions.
const maxNeighbours = 64

// neighbours are the ids that follow and precede checkID in rows, nearest
// first.
func neighbours(rows []store.Row, checkID string) (after, before []string) {
	at := slices.IndexFunc(rows, func(r store.Row) bool { return r.CheckID == checkID })
	if at < 0 {
		return nil, nil
	}
	for _, r := range rows[at+1 : min(len(rows), at+1+maxNeighbours)] {
		after = append(after, r.CheckID)
	}
	for i := at - 1; i >= max(0, at-maxNeighbours); i-- {
		before = append(before, rows[i].CheckID)
	}
	return after, before
}

// index is the position in the queue of a loaded check.
func (l *listModel) index(checkID string) (int, bool) {
	i := slices.IndexFunc(l.rows, func(r store.Row) bool { return r.CheckID == checkID })
	return l.rowsFrom + i, i >= 0
}

// has reports whether the loaded rows hold the check.
func (l *listModel) has(checkID string) bool {
	return slices.ContainsFunc(l.rows, func(r store.Row) bool { return r.CheckID == checkID })
}

// news is the latest decision on the open check made elsewhere since it
// was first read here (by another session or the CLI); ok is false when
// there is none, or while this console's own decision on it is saved.
func (m *Model) news() (store.Decision, bool) {
	d := &m.detail
	if d.rec == nil || d.rec.CheckID != d.checkID || m.deciding[d.checkID] || len(d.rec.Decisions) == 0 {
		return store.Decision{}, false
	}
	last := d.rec.Decisions[len(d.rec.Decisions)-1]
	return last, last.Seq > d.seen
}

// lastSeq is the position in the log of a record's latest decision.
func lastSeq(rec *store.Record) int64 {
	if rec == nil || len(rec.Decisions) == 0 {
		return 0
	}
	return rec.Decisions[len(rec.Decisions)-1].Seq
}

// changedText says what happened to the open check while it was open:
// "escalated by bob 3s ago", and, when it is pinned, that it left the
// queue. "" when nothing did.
func (m *Model) changedText() string {
	text := ""
	if d, ok := m.news(); ok {
		// The name alone, as the refusals below say it: with the key's
		// fingerprint, even cut short, the notice did not fit 80 columns
		// and its end, where the check is now, was cut (helper-69); the
		// check's history names the key.
		text = fmt.Sprintf("%s by %s %s ago", pastTense(d.Action), line(shortReviewer(d.Reviewer)), age(d.At, m.ctx.now()))
	}
	if m.pinned == nil || !m.pinned.sure {
		return text
	}
	left := "no longer in " + tabNames[m.pinned.from][0]
	if text == "" {
		return left
	}
	return text + ": " + left
}

// refuseOnPinned says why a decision key does nothing on the pinned
// check, and reports whether it refused: approving, rejecting or
// escalating it here would act on a queue it has left; reopening applies
// to a decided check.
func (m *Model) refuseOnPinned(a store.Action) bool {
	p := m.pinned
	if p == nil || !p.sure {
		return false
	}
	// Short enough for 80 columns: the check is on screen, and the
	// notice under its name says the rest.
	why := "it left " + tabNames[p.from][0]
	if d, ok := m.news(); ok {
		why = fmt.Sprintf("%s by %s %s ago", pastTense(d.Action), line(shortReviewer(d.Reviewer)), age(d.At, m.ctx.now()))
	}
	switch {
	case a == store.Reopen && p.row.Status != store.StatusOpen:
		return false
	case a == store.Reopen:
		m.refuse(fmt.Sprintf("nothing to reopen: %s, not decided", why))
	default:
		k := m.ctx.keys
		where := keyName(k.Down) + "/" + keyName(k.Up) + " moves on"
		if tab := decisionTab(k, p.row.Status); tab != "" {
			where = "now in " + tab + " (" + keyName(k.Reopen) + " reopens)"
		}
		m.refuse(fmt.Sprintf("not %s: %s, %s", pastTense(a), why, where))
	}
	return true
}

// newsGlyph marks the notice that the check on screen was decided or
// left its queue meanwhile: not ●, which says another reviewer has it
// open, and which helper-65 read as the same news.
const newsGlyph = "◆"

// shortReviewer is the name alone of a reviewer stored by serve as
// "bob (SHA256:…, bob@laptop)": a key's fingerprint is 50 characters,
// which would push where the check is now off an 80-column footer and
// out of the notice under the check's name. The check's history names
// the key.
func shortReviewer(r string) string {
	if i := strings.Index(r, keyMark); i > 0 {
		return r[:i]
	}
	return r
}

// briefReviewer is a reviewer stored by serve with the key's fingerprint
// cut to its first 8 characters ("bob (SHA256:C3chUDJu…, bob@laptop)"):
// enough to tell two keys of one name apart in the header, which cut the
// key's comment off at 80 columns (helper-65).
func briefReviewer(r string) string {
	i := strings.Index(r, keyMark)
	if i < 0 {
		return r
	}
	fp := r[i+len(keyMark):]
	end := strings.IndexAny(fp, ",)")
	if end < 0 {
		return r
	}
	// Cut by characters: a name the command line wrote may hold this
	// mark and text of several bytes a character.
	if chars := []rune(fp[:end]); len(chars) > 8 {
		return r[:i+len(keyMark)] + string(chars[:8]) + "…" + fp[end:]
	}
	return r
}

// keyMark begins the key's part of a reviewer serve stored: "bob
// (SHA256:…, bob@laptop)".
const keyMark = " (SHA256:"

// decisionTab names the tab of a decided check by the key that shows it
// ("3 Escalated"), "" for an open one.
func decisionTab(k KeyMap, s store.Status) string {
	for i, q := range store.Queues {
		if queueStatus(q) == s && s != store.StatusOpen {
			if tabs := k.Tab.Keys(); i < len(tabs) {
				return tabs[i] + " " + tabNames[q][0]
			}
			return tabNames[q][0]
		}
	}
	return ""
}

// queueStatus is the status a decision queue holds, "" for the others.
func queueStatus(q store.Queue) store.Status {
	switch q {
	case store.QueueEscalated:
		return store.StatusEscalated
	case store.QueueApproved:
		return store.StatusApproved
	case store.QueueRejected:
		return store.StatusRejected
	}
	return ""
}

// pinnedHelp is the footer's help while the pinned check is on screen:
// only the keys that apply to it.
type pinnedHelp struct {
	KeyMap
	detail, reopen bool
}

func (p pinnedHelp) ShortHelp() []key.Binding {
	var ks []key.Binding
	if p.detail {
		ks = append(ks, p.pair(p.Down, p.Up, "scroll"), p.Back)
	} else {
		ks = append(ks, p.pair(p.Down, p.Up, "next check"), p.Open)
	}
	if p.reopen {
		ks = append(ks, p.Reopen)
	}
	return append(ks, p.Help, p.Quit)
}
