//go:build wishbubbletea

package serve

// This file serves the console with wish's own Bubble Tea middleware. It
// needs github.com/charmbracelet/x/input v0.3.4 and x/windows v0.2.0 in
// go.mod/go.sum (wish/bubbletea imports them); build with
// -tags wishbubbletea once they are there, then delete tea_glue.go and
// these build tags.

import (
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/charmbracelet/wish/bubbletea"
	"github.com/muesli/termenv"
)

// consoleMiddleware runs the program handler makes for each session, sends
// it the window changes, and quits it when the connection closes.
// termenv.Ascii as the minimum profile: never force colours on a terminal
// that did not ask for them. wish logs a failed program itself, so failed
// is not called.
func consoleMiddleware(handler func(ssh.Session) *tea.Program, failed func(ssh.Session, error)) wish.Middleware {
	return bubbletea.MiddlewareWithProgramHandler(handler, termenv.Ascii)
}

// makeRenderer is the session's own renderer, built from its TERM,
// environment and (queried) background colour.
func makeRenderer(sess ssh.Session) *lipgloss.Renderer { return bubbletea.MakeRenderer(sess) }

// programOptions wires the program to the session's input and output.
func programOptions(sess ssh.Session) []tea.ProgramOption { return bubbletea.MakeOptions(sess) }
