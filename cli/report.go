package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"charm.land/fang/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/service"
)

// colour reports whether w gets styled output: a terminal, and neither
// NO_COLOR nor TERM=dumb in the environment the program was given.
func (a *app) colour(w io.Writer) bool {
	return isTerminal(w) && a.getenv("NO_COLOR") == "" && a.getenv("TERM") != "dumb"
}

// plainWriter hides the terminal behind a writer, so that fang, which
// decides on colour from the writer and the process's own environment,
// writes plain text where our environment says so. It drops the spaces
// that end a line: fang pads its help to 120 columns, which on a pipe or
// in a file is that many spaces on every line (helper-56).
type plainWriter struct{ io.Writer }

func (w plainWriter) Write(p []byte) (int, error) {
	lines := bytes.Split(p, []byte("\n"))
	for i := range len(lines) - 1 { // the last may go on in the next write
		lines[i] = bytes.TrimRight(lines[i], " ")
	}
	if _, err := w.Writer.Write(bytes.Join(lines, []byte("\n"))); err != nil {
		return 0, err
	}
	return len(p), nil
}

// styledOrPlain is w as cobra and fang get it: itself where colour is
// wanted, behind plainWriter where it is not.
func (a *app) styledOrPlain(w io.Writer) io.Writer {
	if a.colour(w) {
		return w
	}
	return plainWriter{w}
}

// colourEnv is the part of the environment that decides colour, read
// through getenv, for colorprofile.
func (a *app) colourEnv() []string {
	var env []string
	for _, k := range []string{"TERM", "COLORTERM", "NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TMUX"} {
		if v := a.getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

// reportError says on stderr what went wrong, styled on a terminal and
// plain otherwise. It is fang's error handler too; fang's writer and
// styles are ignored: the writer reads the process's environment, not
// ours, and the styles are built after asking the terminal.
func (a *app) reportError(_ io.Writer, _ fang.Styles, err error) {
	lines := errorLines(err)
	if len(lines) == 0 {
		return
	}
	if !a.colour(a.stderr) {
		for _, l := range lines {
			fmt.Fprintln(a.stderr, l.text)
		}
		return
	}
	w := colorprofile.NewWriter(a.stderr, a.colourEnv())
	fmt.Fprintln(w, errorHeader.String())
	for _, l := range lines {
		style := lipgloss.NewStyle().MarginLeft(2)
		switch l.kind {
		case lineUsage:
			style = style.Foreground(lipgloss.Cyan)
		case lineHint:
			style = style.Faint(true)
		}
		fmt.Fprintln(w, style.Render(l.text))
	}
	fmt.Fprintln(w)
}

// errorHeader is fang's, in the console's 16 ANSI colours (fang's
// AnsiColorScheme), which read the same on light and dark backgrounds.
var errorHeader = lipgloss.NewStyle().Foreground(lipgloss.Black).Background(lipgloss.Red).
	Bold(true).Padding(0, 1).Margin(1).MarginLeft(2).SetString("ERROR")

type lineKind int

const (
	lineMessage lineKind = iota
	lineUsage
	lineHint
)

type errorLine struct {
	kind lineKind
	text string
}

// interruptedError is an interruption with more to say than that: what
// was kept, and what to do next (an interrupted migrate-store).
type interruptedError struct {
	say string
	err error
}

func (e *interruptedError) Error() string { return e.say + ": " + e.err.Error() }
func (e *interruptedError) Unwrap() error { return e.err }

// errorLines is what an error says, sanitized: whatever it repeats of the
// command line or a file must not drive the terminal.
func errorLines(err error) []errorLine {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errReported):
		return nil
	case errors.As(err, &ue):
		name := progName
		if ue.cmd != "" {
			name += " " + ue.cmd
		}
		lines := []errorLine{{lineMessage, fmt.Sprintf("%s: %s", name, sanitize.Text(ue.msg))}}
		if c, ok := findCommand(ue.cmd); ok {
			lines = append(lines, errorLine{lineUsage, fmt.Sprintf("usage: %s %s", progName, c.usage)})
		}
		return append(lines, errorLine{lineHint, fmt.Sprintf("Run '%s --help' for more.", name)})
	case errors.Is(err, context.Canceled):
		// What was kept is the news, not the cancellation's wrapping.
		var partly *service.PartlyStoredError
		var said *interruptedError
		if errors.As(err, &said) {
			return []errorLine{{lineMessage, progName + ": interrupted: " + said.say}}
		}
		if errors.As(err, &partly) {
			return []errorLine{{lineMessage, fmt.Sprintf("%s: interrupted: %d of %d check ids stored, the others not: run the same add again to store them",
				progName, partly.Stored, partly.Total)}}
		}
		return []errorLine{{lineMessage, progName + ": interrupted"}}
	}
	return []errorLine{{lineMessage, fmt.Sprintf("%s: %s", progName, strings.TrimRight(sanitize.Text(err.Error()), "\n"))}}
}
