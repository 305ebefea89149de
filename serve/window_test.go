package serve

import (
	"fmt"
	"runtime"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

func TestCapSize(t *testing.T) {
	for _, tc := range []struct {
		w, h, cw, ch int
		capped       bool
	}{
		{80, 24, 80, 24, false},
		{maxWidth, maxHeight, maxWidth, maxHeight, false},
		{10000, 10000, maxWidth, maxHeight, true},
		{600, 50, maxWidth, 50, true},
		{100, 300, 100, maxHeight, true},
		{0, 0, unsizedWidth, unsizedHeight, true},
		{0, 40, unsizedWidth, unsizedHeight, true},
		{120, 0, unsizedWidth, unsizedHeight, true},
	} {
		t.Run(fmt.Sprintf("%dx%d", tc.w, tc.h), func(t *testing.T) {
			cw, ch, capped := capSize(tc.w, tc.h)
			if cw != tc.cw || ch != tc.ch || capped != tc.capped {
				t.Errorf("capSize = %dx%d capped %v, expected %dx%d capped %v", cw, ch, capped, tc.cw, tc.ch, tc.capped)
			}
		})
	}
}

// Three 10000x10000 windows: each console lays out to 300x100 and says
// so on its last row, its first frame stays small and the server's memory
// bounded (a 10000x10000 first frame was 121 MB, three took the server to
// 3.27 GB); a window change to a size wider than the cap is capped too.
func TestAHugeWindowIsCappedAndTheConsoleSaysSo(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	var huge []*terminal
	for i := range 3 {
		sess, err := f.dialKey(fmt.Sprintf("huge%d", i), "alice").NewSession()
		if err != nil {
			t.Fatal(err)
		}
		if err := sess.RequestPty("xterm-256color", 10000, 10000, nil); err != nil {
			t.Fatal(err)
		}
		huge = append(huge, startTerminal(t, sess)) // no screen: 10^8 cells is what we refuse
	}
	for _, term := range huge {
		term.expect(0, wait, "your window is 10000x10000; the console uses at most 300x100")
		term.expect(0, wait, "Needs review")
	}
	ls, err := f.sessionOf("huge0")
	if err != nil {
		t.Fatal(err)
	}
	if w, h := ls.windowSize(); w != maxWidth || h != maxHeight {
		t.Errorf("console size %dx%d, expected %dx%d", w, h, maxWidth, maxHeight)
	}
	first := huge[0].mark()
	if first > 256<<10 {
		t.Errorf("first frame %d bytes, expected a 500x200 frame's (under 256 KiB)", first)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("first frame %d bytes; heap in use grew %.1f MiB for three 10000x10000 consoles", first, float64(grown)/(1<<20))
	if grown > 40<<20 {
		t.Errorf("heap in use grew %.1f MiB for three consoles, expected under 40 MiB", float64(grown)/(1<<20))
	}

	m := huge[0].mark()
	if err := huge[0].sess.WindowChange(50, 600); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, wait, "the 600x50 window to be capped to 300x50", func() bool {
		w, h := ls.windowSize()
		return w == maxWidth && h == 50
	})
	huge[0].expect(m, wait, "your window is 600x50; the console uses at most 300x100")
}

// A pty of no size (ssh -tt with its input from a file, some clients) is
// drawn for the console's smallest, 80x24, and a row saying so, and its keys work: at 0x0 the console drew
// nothing, waited for a size, and not even q left it.
func TestAWindowOfNoSizeIsDrawnAt80x24AndQuits(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	sess, err := f.dialKey("alice", "alice").NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.RequestPty("xterm", 0, 0, gossh.TerminalModes{gossh.ECHO: 0}); err != nil {
		t.Fatal(err)
	}
	term := startTerminal(t, sess)
	term.showOn(unsizedWidth, unsizedHeight)
	term.expect(0, wait, "Needs review")
	term.expect(0, wait, "your terminal gave no size (0x0): drawn for 80x24 and this row")
	term.send("q")
	if err := term.waitClosed(wait); err != nil {
		t.Errorf("q in a window of no size: the session ended with %v, expected exit status 0", err)
	}
}
