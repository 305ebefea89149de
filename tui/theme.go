package tui

import (
	"image/color"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/textarea"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// palette is one colour of the console for a light and a dark background.
// The palette uses the 16 ANSI colours only, so it works on every terminal
// and follows the reviewer's own colour scheme. Colour always repeats what
// a word or a symbol already says: with NO_COLOR nothing is lost.
type palette struct{ light, dark color.Color }

var (
	colorGood    = palette{lipgloss.Green, lipgloss.BrightGreen}     // 2, 10
	colorWarn    = palette{lipgloss.Yellow, lipgloss.BrightYellow}   // 3, 11: amber
	colorBad     = palette{lipgloss.Red, lipgloss.BrightRed}         // 1, 9
	colorMuted   = palette{lipgloss.BrightBlack, lipgloss.White}     // 8, 7: grey
	colorAccent  = palette{lipgloss.Blue, lipgloss.BrightBlue}       // 4, 12
	colorSpecial = palette{lipgloss.Magenta, lipgloss.BrightMagenta} // 5, 13
)

// Styles is every style the console draws with, built once for one
// terminal's background. Which colours the terminal gets (none under
// NO_COLOR, 16, 256) is the program's colour profile, applied by Bubble
// Tea as it writes the frame.
type Styles struct {
	dark bool

	Title     lipgloss.Style
	Muted     lipgloss.Style
	Bold      lipgloss.Style
	Good      lipgloss.Style
	Warn      lipgloss.Style
	Bad       lipgloss.Style
	Accent    lipgloss.Style
	Special   lipgloss.Style
	TabActive lipgloss.Style
	Tab       lipgloss.Style
	Selected  lipgloss.Style
	ColHeader lipgloss.Style
	Label     lipgloss.Style
	Border    lipgloss.Style
	Dialog    lipgloss.Style
}

// DefaultStyles builds the styles from the palette for a dark or a light
// background.
func DefaultStyles(hasDarkBackground bool) Styles {
	pick := lipgloss.LightDark(hasDarkBackground)
	c := func(p palette) color.Color { return pick(p.light, p.dark) }
	s := lipgloss.NewStyle
	return Styles{
		dark:      hasDarkBackground,
		Title:     s().Bold(true).Foreground(c(colorAccent)),
		Muted:     s().Foreground(c(colorMuted)),
		Bold:      s().Bold(true),
		Good:      s().Foreground(c(colorGood)),
		Warn:      s().Foreground(c(colorWarn)),
		Bad:       s().Foreground(c(colorBad)),
		Accent:    s().Foreground(c(colorAccent)),
		Special:   s().Foreground(c(colorSpecial)),
		TabActive: s().Bold(true).Underline(true).Foreground(c(colorAccent)),
		Tab:       s().Foreground(c(colorMuted)),
		Selected:  s().Reverse(true),
		ColHeader: s().Bold(true).Foreground(c(colorMuted)),
		Label:     s().Foreground(c(colorMuted)),
		Border:    s().Foreground(c(colorMuted)),
		Dialog:    s().Border(lipgloss.RoundedBorder()).BorderForeground(c(colorAccent)).Padding(0, 1),
	}
}

// plain is an unstyled style.
func (st Styles) plain() lipgloss.Style { return lipgloss.NewStyle() }

// color picks a palette colour for the background, for components that
// take a colour (the progress bar).
func (st Styles) color(p palette) color.Color { return lipgloss.LightDark(st.dark)(p.light, p.dark) }

// helpStyles draws bubbles/help with the palette.
func (st Styles) helpStyles() help.Styles {
	return help.Styles{
		ShortKey: st.Accent, FullKey: st.Accent,
		ShortDesc: st.Muted, FullDesc: st.Muted,
		ShortSeparator: st.Muted, FullSeparator: st.Muted, Ellipsis: st.Muted,
	}
}

// styleInput draws a text input with these styles rather than its own
// defaults; blink is whether its cursor blinks (not in tests and
// benchmarks, where a tick would never end).
func (st Styles) styleInput(in *textinput.Model, blink bool) {
	state := textinput.StyleState{Prompt: st.Accent, Text: st.plain(), Placeholder: st.Muted, Suggestion: st.Muted}
	s := textinput.Styles{Focused: state, Blurred: state}
	s.Cursor.Blink = blink
	in.SetStyles(s)
}

// styleArea is styleInput for the add dialog's text area.
func (st Styles) styleArea(ta *textarea.Model, blink bool) {
	state := textarea.StyleState{
		Base: st.plain(), CursorLine: st.plain(), CursorLineNumber: st.Accent, EndOfBuffer: st.Muted,
		LineNumber: st.Muted, Placeholder: st.Muted, Prompt: st.Accent, Text: st.plain(),
	}
	s := textarea.Styles{Focused: state, Blurred: state}
	s.Cursor.Blink = blink
	ta.SetStyles(s)
}

// backgroundWait is how long the console waits for the terminal to say
// what its background is before drawing for a dark one: a terminal that
// never answers (some multiplexers, a serial console) must still get a
// screen, and sooner than a person notices the wait.
const backgroundWait = 200 * time.Millisecond

// backgroundTimeoutMsg is the end of backgroundWait.
type backgroundTimeoutMsg struct{}

// askBackground asks the terminal for its background colour, unless the
// caller said what it is; the answer is a tea.BackgroundColorMsg.
func (m *Model) askBackground() tea.Cmd {
	if m.styled {
		return nil
	}
	return tea.Batch(tea.RequestBackgroundColor,
		tea.Tick(backgroundWait, func(time.Time) tea.Msg { return backgroundTimeoutMsg{} }))
}

// background takes the terminal's background in: the styles are built for
// it and drawing starts. An answer after the wait still counts: the screen
// is then drawn again in the right colours.
func (m *Model) background(dark bool) {
	if !m.styled || dark != m.ctx.styles.dark {
		m.ctx.restyle(dark)
		m.footer.restyle(m.ctx.styles)
		m.list.drawn.reset()
		if m.batch != nil {
			m.batch.bar.FullColor = m.ctx.styles.color(colorGood)
			m.batch.shownAt = time.Time{} // drawn again in the new colours
		}
	}
	m.styled = true
}

// background is the background a theme says the terminal has, when it says
// one: the console then does not ask the terminal. ThemeNone's colours are
// never drawn (Options), so any background does.
func (t Theme) background() (dark, known bool) {
	switch t {
	case ThemeDark, ThemeNone:
		return true, true
	case ThemeLight:
		return false, true
	}
	return false, false
}
