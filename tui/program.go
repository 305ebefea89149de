package tui

import (
	"io"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// frameRate is how many frames a second Bubble Tea may draw. It flushes
// the changed cells on a ticker, so a key's result waits up to one frame
// before it leaves: at 120 (the most Bubble Tea allows) that is 8.3 ms,
// which with the key's own work (under 1 ms) keeps a key within 12 ms of
// its frame at the 95th percentile. Frames come only when something
// changed, and a burst of changes within one frame still goes out as one,
// so the faster ticker sends no more bytes per key than 60 would.
const frameRate = 120

// Options are the program options every console runs with: the frame
// rate, the colour profile (none under ThemeNone), and the filter that makes Bubble Tea's own
// quit (SIGTERM, Program.Quit) wait for the writes in flight. A caller
// with a filter of its own calls QuitFilter from it instead.
func (m *Model) Options(profile colorprofile.Profile) []tea.ProgramOption {
	if m.ctx.cfg.Theme == ThemeNone {
		// As NO_COLOR: plain text, the words and symbols saying it all.
		profile = colorprofile.NoTTY
	}
	m.ctx.ascii = profile <= colorprofile.ASCII
	return []tea.ProgramOption{tea.WithFPS(frameRate), tea.WithColorProfile(profile), tea.WithFilter(m.QuitFilter)}
}

// ColorProfile is the colour profile for a terminal: output and its
// environment (TERM, COLORTERM, NO_COLOR…) as colorprofile reads them,
// except that NO_COLOR takes away bold, underline and reverse video as
// well as colour: the console's words and symbols say everything, and a
// reviewer who asked for no colour gets plain text.
func ColorProfile(output io.Writer, environ []string) colorprofile.Profile {
	p := colorprofile.Detect(output, environ)
	if p == colorprofile.ASCII {
		return colorprofile.NoTTY
	}
	return p
}
