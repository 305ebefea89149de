package tui

import "sync"

// The console redraws the whole frame on every change and lets Bubble Tea
// v2 send only the cells that differ, so what costs is drawing, not
// sending. Five things are remembered, all through memo, each by a key
// that is all it is drawn from (the styles empty every memo that depends
// on them when they change):
//
//   - widths (format.go): a line's width, measured grapheme by grapheme
//     when it has colours or symbols; a frame measures its lines several
//     times over (clipped, padded, joined beside the detail, clamped).
//   - the list's rows (listModel.drawn, by row, width and look): a cursor
//     move changes two rows of the 38 on screen.
//   - the header (programContext.header, by tab, width and counts): with
//     six-digit counts the tabs are measured in two forms before one fits.
//   - the list's badges and status words (programContext.words): a page
//     read draws every row afresh, three styled words each.
//   - the footer's keys (programContext.helpLine, by the keys' help and
//     the width): drawn key by key until the line fits, it was the
//     costliest part of a frame in serve's load test (6.4 s of a frame's
//     23 s of CPU, 20 consoles).
//
// Measured under v2 with go test ./tui -run '^$' -bench . at 100 checks,
// each disabled in turn (loop-ms/key, best of 5 on a shared machine, and a
// CPU profile for the small ones): widths saves 0.6-0.8 ms a key (half of
// it), rows about 0.15 ms a cursor move, the header about 0.1 ms every key,
// badges and status words about 0.14 ms a filter keystroke or tab switch;
// a key costs 0.6-0.9 ms with all four. Each is 10% or more of a key, so
// all four stay.

// memo remembers what draw made for a key, up to limit entries, after
// which it starts afresh rather than keep them in order. It is safe for
// concurrent use: widths is shared by every console in the process
// (serve).
type memo[K comparable, V any] struct {
	mu    sync.Mutex
	limit int
	m     map[K]V
}

func newMemo[K comparable, V any](limit int) *memo[K, V] { return &memo[K, V]{limit: limit} }

// get returns the value for k, drawing and keeping it the first time.
func (c *memo[K, V]) get(k K, draw func() V) V {
	c.mu.Lock()
	v, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return v
	}
	v = draw()
	c.mu.Lock()
	if c.m == nil || len(c.m) >= c.limit {
		c.m = make(map[K]V, min(c.limit, 256))
	}
	c.m[k] = v
	c.mu.Unlock()
	return v
}

// reset forgets everything (the styles changed).
func (c *memo[K, V]) reset() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}
