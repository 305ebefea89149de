package cli

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/creack/pty"
)

// onTerminal runs the program with its stdout and stderr on a pseudo
// terminal and returns what the terminal received.
func onTerminal(t *testing.T, env map[string]string, args ...string) (int, string) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo terminal here: %v", err)
	}
	defer ptmx.Close()
	out := make(chan string)
	go func() {
		b, _ := io.ReadAll(ptmx) // ends with EIO once the terminal closes
		out <- string(b)
	}()
	code := run(context.Background(), args, strings.NewReader(""), tty, tty, func(k string) string { return env[k] })
	tty.Close()
	got := <-out
	assertNoKey(t, got)
	return code, got
}

// Errors are styled on a terminal (fang's look), and plain, byte for byte
// what a pipe gets, where the environment given to the program says so:
// NO_COLOR, TERM=dumb.
func TestErrorsAreStyledOnATerminalAndPlainWithNoColor(t *testing.T) {
	for _, c := range []struct {
		name   string
		env    map[string]string
		styled bool
	}{
		{"a colour terminal", map[string]string{"TERM": "xterm-256color"}, true},
		{"NO_COLOR", map[string]string{"TERM": "xterm-256color", "NO_COLOR": "1"}, false},
		{"TERM=dumb", map[string]string{"TERM": "dumb"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, got := onTerminal(t, c.env, "list", "--colour")
			if code != exitUsage {
				t.Fatalf("want exit 2, got %d:\n%s", code, got)
			}
			mustContain(t, "stderr", got, "unknown flag: --colour", "caisson-review list --help")
			if styled := strings.Contains(got, "\x1b["); styled != c.styled {
				t.Errorf("styled: %v, want %v:\n%q", styled, c.styled, got)
			}
			if c.styled {
				mustContain(t, "stderr", got, "ERROR")
			}
		})
	}
}

// Help on a terminal is fang's, styled; with NO_COLOR in the program's
// environment it is plain even where the process's own would colour it.
func TestHelpIsPlainWithNoColorOnATerminal(t *testing.T) {
	t.Setenv("TERM", "xterm-256color") // fang reads the process's own
	t.Setenv("NO_COLOR", "")
	_, styled := onTerminal(t, map[string]string{"TERM": "xterm-256color"}, "refresh", "--help")
	if !strings.Contains(styled, "\x1b[") {
		t.Errorf("help on a colour terminal is not styled:\n%q", styled)
	}
	_, plain := onTerminal(t, map[string]string{"TERM": "xterm-256color", "NO_COLOR": "1"}, "refresh", "--help")
	if strings.Contains(plain, "\x1b") {
		t.Errorf("help with NO_COLOR has escape sequences:\n%q", plain)
	}
	mustContain(t, "plain help", plain, "caisson-review refresh [ID...]", "--concurrency")
}
