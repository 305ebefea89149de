package cli

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// manDate is the date in the page's title line: the day it was made.
var manDate = regexp.MustCompile(`(?m)^(\.TH \S+ \d+) "[0-9-]+"`)

func withoutManDate(page string) string { return manDate.ReplaceAllString(page, `$1 "DATE"`) }

// docs/caisson-review.1 is what `caisson-review man` writes (but for the
// day it was made): a command or flag changed without regenerating it
// fails here.
func TestTheManPageInDocsIsInSync(t *testing.T) {
	r := runCLI(t, nil, "", "man")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("man: want exit 0 and nothing on stderr, got\n%s", r)
	}
	kept, err := os.ReadFile("../docs/caisson-review.1")
	if err != nil {
		t.Fatalf("reading the kept man page: %v; make it with: go run . man > docs/caisson-review.1", err)
	}
	got, want := strings.Split(withoutManDate(r.stdout), "\n"), strings.Split(withoutManDate(string(kept)), "\n")
	for i := range max(len(got), len(want)) {
		g, w := lineAt(got, i), lineAt(want, i)
		if g != w {
			t.Fatalf("docs/caisson-review.1 is out of date: regenerate it with\n\tgo run . man > docs/caisson-review.1\n"+
				"line %d is now\n\t%q\nbut the kept page has\n\t%q", i+1, g, w)
		}
	}
}

func lineAt(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(end of page)"
}

// The page is roff with every command and its own flags, and says what
// the environment and exit statuses mean.
func TestTheManPageHasEveryCommandAndFlag(t *testing.T) {
	page := runCLI(t, nil, "", "man").stdout
	if !strings.HasPrefix(page, `.TH CAISSON-REVIEW 1 "`) {
		t.Fatalf("not a roff man page of section 1:\n%.200s", page)
	}
	for _, c := range commands {
		if c.name == "help" {
			continue // cobra's help command is not in a page
		}
		mustContain(t, "man page", page, `\fB`+c.name+`\fP`)
	}
	mustContain(t, "man page", page, `\fB--concurrency\fP`, `\fB--api-key-file\fP`, `\fB--sort\fP`,
		".SH ENVIRONMENT", "CAISSON_API_KEY", ".SH EXIT STATUS", "2 usage error")
}
