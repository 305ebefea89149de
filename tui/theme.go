package tui

import (
	"github.com/charmbracelet/bubbles/textarea"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/lipgloss"
)

// The palette uses the 16 ANSI colours only, so it works on every terminal
// and follows the reviewer's own colour scheme; Light is for light
// backgrounds, Dark for dark ones. Colour always repeats what a word or a
// symbol already says: with NO_COLOR nothing is lost.
var (
	colorGood    = lipgloss.AdaptiveColor{Light: "2", Dark: "10"} // green
	colorWarn    = lipgloss.AdaptiveColor{Light: "3", Dark: "11"} // amber
	colorBad     = lipgloss.AdaptiveColor{Light: "1", Dark: "9"}  // red
	colorMuted   = lipgloss.AdaptiveColor{Light: "8", Dark: "7"}  // grey
	colorAccent  = lipgloss.AdaptiveColor{Light: "4", Dark: "12"} // blue
	colorSpecial = lipgloss.AdaptiveColor{Light: "5", Dark: "13"} // magenta
)

// Styles is every style the console draws with, built once for one
// renderer (one terminal).
type Styles struct {
	renderer *lipgloss.Renderer

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

// DefaultStyles builds the styles from the palette for a renderer: an SSH
// session's, so that colours follow the reviewer's terminal, or lipgloss's
// default (the process's terminal) when nil.
func DefaultStyles(r *lipgloss.Renderer) Styles {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	s := r.NewStyle
	return Styles{
		renderer:  r,
		Title:     s().Bold(true).Foreground(colorAccent),
		Muted:     s().Foreground(colorMuted),
		Bold:      s().Bold(true),
		Good:      s().Foreground(colorGood),
		Warn:      s().Foreground(colorWarn),
		Bad:       s().Foreground(colorBad),
		Accent:    s().Foreground(colorAccent),
		Special:   s().Foreground(colorSpecial),
		TabActive: s().Bold(true).Underline(true).Foreground(colorAccent),
		Tab:       s().Foreground(colorMuted),
		Selected:  s().Reverse(true),
		ColHeader: s().Bold(true).Foreground(colorMuted),
		Label:     s().Foreground(colorMuted),
		Border:    s().Foreground(colorMuted),
		Dialog:    s().Border(lipgloss.RoundedBorder()).BorderForeground(colorAccent).Padding(0, 1),
	}
}

// plain is an unstyled style of the same renderer.
func (st Styles) plain() lipgloss.Style {
	if st.renderer == nil {
		return lipgloss.NewStyle()
	}
	return st.renderer.NewStyle()
}

// adaptive picks an adaptive colour's value for the renderer's background,
// for components that take a colour string (the progress bar).
func (st Styles) adaptive(c lipgloss.AdaptiveColor) string {
	if st.renderer != nil && !st.renderer.HasDarkBackground() {
		return c.Light
	}
	return c.Dark
}

// styleInput draws a text input with these styles (its own defaults would
// use lipgloss's default renderer, not this terminal's).
func (st Styles) styleInput(in *textinput.Model) {
	in.PromptStyle = st.Accent
	in.TextStyle = st.plain()
	in.PlaceholderStyle = st.Muted
	in.Cursor.Style = st.plain().Reverse(true)
	in.Cursor.TextStyle = st.plain()
}

// styleArea is styleInput for the add dialog's text area.
func (st Styles) styleArea(ta *textarea.Model) {
	s := textarea.Style{
		Base: st.plain(), CursorLine: st.plain(), CursorLineNumber: st.Accent, EndOfBuffer: st.Muted,
		LineNumber: st.Muted, Placeholder: st.Muted, Prompt: st.Accent, Text: st.plain(),
	}
	ta.FocusedStyle, ta.BlurredStyle = s, s
	ta.Cursor.Style = st.plain().Reverse(true)
	ta.Cursor.TextStyle = st.plain()
}
