package cli

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Help at 80 columns, a bastion's terminal: fang put each flag's
// description on one line however long (142 columns for --config), which
// the terminal broke mid-word and went on under the flags' names. Every
// row now fits, its further lines under its description, each
// description whole and in order.
func TestHelpRowsAreWrappedToTheTerminalsWidth(t *testing.T) {
	for _, width := range []int{80, 60} {
		env := map[string]string{"COLUMNS": strconv.Itoa(width)}
		pages := [][]string{{"--help"}}
		for _, c := range commands {
			pages = append(pages, []string{c.name, "--help"})
		}
		flagsSeen := 0
		for _, args := range pages {
			r := runCLI(t, env, "", args...)
			if r.code != 0 {
				t.Fatalf("%v: exit %d\n%s", args, r.code, r)
			}
			lines := strings.Split(r.stdout, "\n")
			for i, line := range lines {
				if n := utf8.RuneCountInString(line); n > width && flagRow.MatchString(line) {
					t.Errorf("COLUMNS=%d %v: a row of %d columns: %q", width, args, n, line)
				}
				// A row's further lines start under its description.
				if col := descColumn(line); col > 0 && i+1 < len(lines) {
					next := lines[i+1]
					if rest := strings.TrimLeft(next, " "); rest != "" && len(next)-len(rest) != col && len(next)-len(rest) != 4 {
						t.Errorf("COLUMNS=%d %v: %q goes on at column %d, its description starts at %d: %q", width, args, line, len(next)-len(rest), col, next)
					}
				}
			}
			// Compared in lower case: fang capitalises a description's
			// first letter.
			flat := strings.ToLower(strings.Join(strings.Fields(r.stdout), " "))
			cmd := findCobra(t, args)
			visit := func(f *pflag.Flag) {
				if f.Hidden {
					return
				}
				if !strings.Contains(r.stdout, "--"+f.Name+" ") {
					return // not on this page (help's own)
				}
				flagsSeen++
				if want := strings.ToLower(strings.Join(strings.Fields(f.Usage), " ")); !strings.Contains(flat, want) {
					t.Errorf("COLUMNS=%d %v: --%s's description is not whole: want %q in\n%s", width, args, f.Name, want, r.stdout)
				}
			}
			cmd.LocalFlags().VisitAll(visit)
			cmd.InheritedFlags().VisitAll(visit)
		}
		if flagsSeen == 0 {
			t.Fatal("no flag read: this test no longer finds the commands' flags")
		}
	}
	// The description's own tables, above, are fang's layout (for 120
	// columns on a pipe): COLUMNS did not break them up (helper-75).
	r0 := runCLI(t, map[string]string{"COLUMNS": "60"}, "", "--help")
	if !regexp.MustCompile(`(?m)^ +reviewer +--reviewer NAME +CAISSON_REVIEWER +reviewer +the login user$`).MatchString(r0.stdout) {
		t.Errorf("COLUMNS=60 --help: the configuration table's reviewer row was broken up:\n%s", r0.stdout)
	}
	// A line longer than 80 columns before this change, to be sure the
	// test reads one.
	r := runCLI(t, map[string]string{"COLUMNS": "80"}, "", "refresh", "--help")
	mustContain(t, "refresh --help", r.stdout, "    --config        Read settings from the TOML file at PATH (env\n                    CAISSON_REVIEW_CONFIG; default\n                    $XDG_CONFIG_HOME/caisson-review/config.toml)\n")
}

// flagRow is the start of a row of the flags' table.
var flagRow = regexp.MustCompile(`^    (-\w )?--\w`)

// descColumn is where the description of a flag row starts, or 0.
func descColumn(line string) int {
	m := helpRow.FindStringSubmatchIndex(line)
	if m == nil || !flagRow.MatchString(line) {
		return 0
	}
	return m[3]
}

// findCobra is the command whose help args ask for.
func findCobra(t *testing.T, args []string) *cobra.Command {
	t.Helper()
	var failed error
	root := (&app{getenv: func(string) string { return "" }}).rootCommand(&failed)
	if args[0] == "--help" {
		return root
	}
	c, _, err := root.Find(args[:1])
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return c
}
