package tui

import (
	"slices"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// claims records what a console tells Presence, in order.
type claims struct {
	mu   sync.Mutex
	told []string
}

func (c *claims) Claim(checkID string) {
	c.mu.Lock()
	c.told = append(c.told, checkID)
	c.mu.Unlock()
}

func (c *claims) ClaimedBy(string) (string, bool) { return "", false }

func (c *claims) since(n int) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.told[n:])
}

func (c *claims) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.told)
}

// The console claims the check whose detail is on screen, full screen or
// beside the list once the reviewer has pressed a key, by the rule the
// access log reads (detailOnScreen): typing a filter or opening the add
// dialog leaves the pane on screen and the claim where it was; a window
// too small to draw in, or help over the list, shows no detail and claims
// nothing (helper-64: the filter released it at every keystroke, and a
// window too small kept it).
func TestTheConsoleClaimsTheCheckWhoseDetailIsOnScreen(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	p := &claims{}
	cfg := f.config()
	cfg.Presence = p
	m := New(cfg)
	m.animate = false
	tm, w := startProgram(t, m, 130, 40)
	w.waitFor(t, "▶ ")
	settle := func() { time.Sleep(150 * time.Millisecond) }
	settle()
	if got := p.since(0); len(got) != 0 {
		t.Fatalf("a console nobody has touched claimed %q", got)
	}
	tm.Send(keyMsg("k"))
	waitUntilTrue(t, "the selected check claimed after a key", func() bool { return p.count() == 1 && p.since(0)[0] != "" })
	id := p.since(0)[0]

	for _, step := range []struct {
		what string
		keys []any
	}{
		{"a filter that finds it (pasted: typed, its first letters find others first)", []any{keyMsg("/"), paste(id[len("chk_priv_") : len("chk_priv_")+8])}},
		{"leaving the filter", []any{keyMsg("esc")}},
		{"the add dialog", []any{keyMsg("+")}},
		{"leaving it", []any{keyMsg("esc")}},
	} {
		n := p.count()
		for _, k := range step.keys {
			tm.Send(k.(tea.Msg))
		}
		settle()
		if got := p.since(n); len(got) != 0 {
			t.Errorf("%s told Presence %q; the pane kept %s on screen", step.what, got, id)
		}
	}

	n := p.count()
	tm.Send(tea.WindowSizeMsg{Width: 200, Height: 10})
	waitUntilTrue(t, "the claim released in a window too small", func() bool {
		got := p.since(n)
		return len(got) > 0 && got[len(got)-1] == ""
	})
	n = p.count()
	tm.Send(tea.WindowSizeMsg{Width: 130, Height: 40})
	waitUntilTrue(t, "the claim back with the pane", func() bool {
		got := p.since(n)
		return len(got) > 0 && got[len(got)-1] == id
	})
	n = p.count()
	tm.Send(keyMsg("?"))
	waitUntilTrue(t, "the claim released under help", func() bool {
		got := p.since(n)
		return len(got) > 0 && got[len(got)-1] == ""
	})
}

func waitUntilTrue(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); {
		if time.Now().After(deadline) {
			t.Fatalf("waited 5s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A read-only console (support looking a customer up) claims nothing,
// not even with the detail full screen: it cannot review the check, and
// shown "being reviewed" by it, reviewers would pass the check by
// (helper-65).
func TestAReadOnlyConsoleClaimsNothing(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 20, track: 20, fetch: true})
	p := &claims{}
	cfg := f.config()
	cfg.Presence, cfg.ReadOnly = p, true
	m := New(cfg)
	m.animate = false
	tm, w := startProgram(t, m, 130, 40)
	w.waitFor(t, "▶ ")
	tm.Send(keyMsg("j"))
	tm.Send(keyMsg("enter"))
	w.waitFor(t, "esc back")
	time.Sleep(150 * time.Millisecond)
	if got := p.since(0); len(got) != 0 {
		t.Fatalf("a read-only console claimed %q", got)
	}
}
