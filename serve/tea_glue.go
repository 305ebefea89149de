//go:build !wishbubbletea

package serve

// wish/bubbletea, the middleware this mirrors, imports
// github.com/charmbracelet/x/input, which is not in go.sum yet; until it is,
// this file does the same job for the emulated pty the server uses (see
// tea_wish.go). The one thing it leaves out is asking the terminal for its
// background colour, so adaptive colours assume a dark background.

import (
	"context"
	"errors"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	"github.com/muesli/termenv"
)

// consoleMiddleware runs the program handler makes for each session, sends
// it the window changes, and quits it when the connection closes; failed
// hears how a program that did not end normally ended.
func consoleMiddleware(handler func(ssh.Session) *tea.Program, failed func(ssh.Session, error)) wish.Middleware {
	return func(next ssh.Handler) ssh.Handler {
		return func(sess ssh.Session) {
			p := handler(sess)
			if p == nil {
				next(sess)
				return
			}
			_, windows, ok := sess.Pty()
			if !ok {
				wish.Fatalln(sess, "caisson-review: the console needs a terminal (ssh -t)")
				return
			}
			ctx, cancel := context.WithCancel(sess.Context())
			go func() {
				for {
					select {
					case <-ctx.Done():
						p.Quit()
						return
					case w := <-windows:
						p.Send(tea.WindowSizeMsg{Width: w.Width, Height: w.Height})
					}
				}
			}()
			// A panic in the console (its Update, View or a command) is
			// caught by Bubble Tea and ends only this program.
			if _, err := p.Run(); err != nil && !errors.Is(err, tea.ErrProgramKilled) || errors.Is(err, tea.ErrProgramPanic) {
				failed(sess, err)
			}
			// Kill restores the session's terminal if the program crashed.
			p.Kill()
			cancel()
			next(sess)
		}
	}
}

// makeRenderer is the session's own renderer, built from the TERM and
// environment the client sent, so colours follow that reviewer's terminal.
func makeRenderer(sess ssh.Session) *lipgloss.Renderer {
	pty, _, ok := sess.Pty()
	if !ok || pty.Term == "" || pty.Term == "dumb" {
		return lipgloss.NewRenderer(sess, termenv.WithProfile(termenv.Ascii))
	}
	env := sshEnviron(append(sess.Environ(), "TERM="+pty.Term))
	return lipgloss.NewRenderer(sess, termenv.WithEnvironment(env), termenv.WithUnsafe(), termenv.WithColorCache(true))
}

// programOptions wires the program to the session's input and output.
func programOptions(sess ssh.Session) []tea.ProgramOption {
	return []tea.ProgramOption{tea.WithInput(sess), tea.WithOutput(sess)}
}

type sshEnviron []string

func (e sshEnviron) Environ() []string { return e }

func (e sshEnviron) Getenv(k string) string {
	for _, v := range e {
		if strings.HasPrefix(v, k+"=") {
			return v[len(k)+1:]
		}
	}
	return ""
}
