package serve

import (
	"sync"

	"charm.land/ssh"
)

// The largest window the console lays out to. A console costs memory in
// proportion to its cells (the renderer's cell buffers and the drawn
// text, about 280 bytes a cell): a 10000x10000 window once made a 121 MB
// first frame. At 300x100 a console takes about 8 MiB (500x200 would be
// 24 MiB, as much as twenty 100x30 consoles), and 300 columns show every
// column the console has. Beyond this the console draws in the top-left
// corner and says so on its last line.
const (
	maxWidth  = 300
	maxHeight = 100
)

// The size a console lays out to when the client's pty has none (0x0:
// ssh -tt with its input from a file, some clients): the smallest it
// draws, and a last row saying so. At 0x0 it drew nothing, and its first
// frame, which its keys wait for, never came: a blank screen that not
// even q left.
const (
	unsizedWidth  = 80
	unsizedHeight = 25
)

// capSize is the size the console lays out to for a window of w x h, and
// whether it differs from the window (larger than the cap, or no size).
func capSize(w, h int) (cw, ch int, capped bool) {
	if w <= 0 || h <= 0 {
		return unsizedWidth, unsizedHeight, true
	}
	cw, ch = min(w, maxWidth), min(h, maxHeight)
	return cw, ch, cw != w || ch != h
}

// windowSizes receives a session's window changes from the SSH layer and
// keeps only the latest. The SSH library hands them over on a channel of
// one slot from the goroutine that handles all of the session's requests:
// a reader that waits on the console (busy, or never started) would stall
// that goroutine, then the connection's whole packet loop. So they are
// drained at once, from the pty request on, and the console is given the
// latest when it is ready for one: twenty changes in a second are one
// redraw, not twenty queued.
type windowSizes struct {
	// term is the TERM of the pty request. It is kept here, read once
	// in the SSH library's request goroutine, because Session.Pty reads
	// fields that goroutine writes on every window change.
	term string

	mu      sync.Mutex
	latest  ssh.Window
	changed chan struct{} // one pending notice that latest changed
}

func newWindowSizes(term string, first ssh.Window) *windowSizes {
	return &windowSizes{term: term, latest: first, changed: make(chan struct{}, 1)}
}

// drain takes every change until the session's requests end (the SSH
// library closes the channel then).
func (w *windowSizes) drain(winch <-chan ssh.Window) {
	for win := range winch {
		w.set(win)
	}
}

func (w *windowSizes) set(win ssh.Window) {
	w.mu.Lock()
	w.latest = win
	w.mu.Unlock()
	select {
	case w.changed <- struct{}{}:
	default: // a notice is already pending: it will read this size
	}
}

// get is the latest window.
func (w *windowSizes) get() ssh.Window {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.latest
}

// deliver calls send with the latest window after every change, until
// done; a change that comes while send is busy is folded into the next
// call, and a size already sent is not sent again.
func (w *windowSizes) deliver(done <-chan struct{}, sent ssh.Window, send func(ssh.Window)) {
	for {
		select {
		case <-done:
			return
		case <-w.changed:
			win := w.get()
			if win.Width == sent.Width && win.Height == sent.Height {
				continue
			}
			sent = win
			send(win)
		}
	}
}
