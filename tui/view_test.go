package tui

import (
	"testing"
	"time"
)

// A key that reads (a cursor move reads the next check's record) is drawn
// once, with what it read, rather than first without it and then again:
// each frame costs bytes on a slow link. A read slower than readWait shows
// what there is.
func TestTheScreenKeepsItsFrameWhileAKeysReadsAreAnswered(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	m := newTestModel(t, f.config(), 120, 40)
	before := m.View().Content
	d := &driver{tb: t, m: m}
	d.send(keyMsg("j"))
	d.step() // the key, not yet its read's answer
	if !m.reading() {
		t.Fatal("j started no read")
	}
	if got := m.View().Content; got != before {
		t.Fatal("the frame changed before the key's read was answered")
	}
	d.settle()
	after := m.View().Content
	if after == before {
		t.Fatal("the frame did not change once the read was answered")
	}
	// A slow read: after readWait the frame shows what there is.
	d.send(keyMsg("j"))
	d.step()
	m.held.since = time.Now().Add(-readWait)
	if got := m.View().Content; got == after {
		t.Fatal("a read slower than readWait kept the old frame")
	}
}
