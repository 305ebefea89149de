package cli

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson/sandbox"
)

func TestCompletionScriptsForEachShell(t *testing.T) {
	for _, c := range []struct {
		shell string
		want  []string
	}{
		{"bash", []string{"# bash completion V2 for caisson-review", "__complete", "complete -o default -F __start_caisson-review caisson-review"}},
		{"zsh", []string{"#compdef caisson-review", "__complete", "compdef _caisson-review caisson-review"}},
		{"fish", []string{"# fish completion for caisson-review", "__complete", "complete -c caisson-review"}},
	} {
		t.Run(c.shell, func(t *testing.T) {
			r := runCLI(t, nil, "", "completion", c.shell)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("want exit 0 and nothing on stderr, got\n%s", r)
			}
			mustContain(t, c.shell+" script", r.stdout, c.want...)
		})
	}
}

// offered runs the shells' completion request in-process: the candidates
// for the last word, without cobra's trailing directive line.
func offered(t *testing.T, env map[string]string, words ...string) []string {
	t.Helper()
	r := runCLI(t, env, "", append([]string{"__complete"}, words...)...)
	if r.code != 0 {
		t.Fatalf("__complete %q: want exit 0, got\n%s", words, r)
	}
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if line == "" || strings.HasPrefix(line, ":") {
			continue
		}
		word, _, _ := strings.Cut(line, "\t")
		out = append(out, word)
	}
	return out
}

func TestCompletionOffersTheProgramsWords(t *testing.T) {
	for _, c := range []struct {
		name  string
		words []string
		want  []string
	}{
		{"queue names for list --queue", []string{"list", "--queue", ""},
			[]string{"needs-review", "pending", "escalated", "approved", "rejected", "errors", "all", "second-review"}},
		{"queue names for refresh --queue", []string{"refresh", "--queue", ""},
			[]string{"needs-review", "pending", "escalated", "approved", "rejected", "errors", "all", "second-review"}},
		{"sort names for list --sort", []string{"list", "--sort", ""}, []string{"risk", "added", "name", "customer", "waiting"}},
		{"decision actions after the id", []string{"decide", "chk_priv_SMgso2KGzXLxT2I-g7oD2w", ""},
			[]string{"approve", "reject", "escalate", "reopen", "confirm", "return"}},
		{"escalate reasons once the action is escalate", []string{"decide", "x", "escalate", "--reason", ""},
			[]string{"needs-senior-review", "needs-customer-contact", "needs-more-documents", "other"}},
		{"policy words", []string{"policy", "set", "four-eyes", ""}, []string{"off", "risky", "approvals", "all"}},
		{"the shells", []string{"completion", ""}, []string{"bash", "zsh", "fish"}},
		{"export formats", []string{"export", "--format", ""}, []string{"csv", "json"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := offered(t, nil, c.words...); !slices.Equal(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	if got := offered(t, nil, "decide", "x", "reject", "--reason", ""); !slices.Contains(got, "face-mismatch") || slices.Contains(got, "needs-senior-review") {
		t.Errorf("reject reasons: got %q", got)
	}
	if got := offered(t, nil, ""); !slices.Contains(got, "completion") || !slices.Contains(got, "man") || !slices.Contains(got, "refresh") {
		t.Errorf("commands: got %q", got)
	}
}

func TestCompletionOffersTrackedCheckIDs(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	var ids []string
	for i := range 60 {
		ids = append(ids, f.sb.CheckID(i))
	}
	f.must(0, append([]string{"add"}, ids...)...)
	slices.Sort(ids)
	bare := func(id string) string { return strings.TrimPrefix(id, "chk_priv_") }

	got := offered(t, f.env, "show", "")
	if len(got) != maxCompletedIDs || !slices.Equal(got, ids[:maxCompletedIDs]) {
		t.Errorf("show: want the first %d ids of %d, got %d: %q", maxCompletedIDs, len(ids), len(got), got)
	}
	one := ids[17]
	for _, c := range []struct {
		name  string
		words []string
		want  []string
	}{
		{"a check id by its start", []string{"show", one[:len(one)-2]}, []string{one}},
		{"without chk_priv_, as the list shows it", []string{"show", bare(one)[:6]}, matching(ids, one[:15], bare)},
		{"the prefix in any case, kept as typed", []string{"decide", "CHK_PRIV_" + bare(one)[:6]}, matching(ids, one[:15], func(id string) string { return "CHK_PRIV_" + bare(id) })},
		{"show takes one id", []string{"show", one, ""}, nil},
		{"refresh does not offer an id already given", []string{"refresh", one, one[:len(one)-2]}, nil},
		{"access --check", []string{"access", "--check", one[:len(one)-1]}, []string{one}},
		{"--db on the line is the database read", []string{"--db", filepath.Join(t.TempDir(), "other.db"), "show", ""}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := offered(t, f.env, c.words...); !slices.Equal(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

func matching(ids []string, prefix string, shown func(string) string) []string {
	var out []string
	for _, id := range ids {
		if strings.HasPrefix(id, prefix) {
			out = append(out, shown(id))
		}
	}
	return out
}

// A tab press never makes a database where --db points by mistake.
func TestCompletionNeverCreatesTheDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "typo.db")
	if got := offered(t, map[string]string{envDB: path}, "show", ""); len(got) != 0 {
		t.Errorf("offered %q from no database", got)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("completion created the database: %v", err)
	}
}

// Another process holding the database locked makes completion offer
// nothing at once instead of freezing the shell for the store's 5 s.
func TestCompletionOffersNothingFromALockedDatabase(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	f.must(0, "add", f.sb.CheckID(0))
	ctx := context.Background()
	locker, err := sql.Open("sqlite", "file:"+f.db+"?_pragma=locking_mode(EXCLUSIVE)")
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	conn, err := locker.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"BEGIN EXCLUSIVE", "UPDATE tracked SET added_by = 'bob'"} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	defer conn.ExecContext(ctx, "ROLLBACK")
	start := time.Now()
	if got := offered(t, f.env, "show", ""); len(got) != 0 {
		t.Errorf("offered %q from a locked database", got)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("completion waited %s on a locked database", took)
	}
}
