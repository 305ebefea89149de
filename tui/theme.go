package tui

import "github.com/charmbracelet/lipgloss"

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

// Styles is every style the console draws with, built once.
type Styles struct {
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

// DefaultStyles builds the styles from the palette.
func DefaultStyles() Styles {
	s := lipgloss.NewStyle
	return Styles{
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
