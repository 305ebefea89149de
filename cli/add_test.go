package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/creack/pty"

	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

func TestAddReadsAFileOfIDsAndAccountsForEveryLine(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id0, id1, id2, id3 := f.sb.CheckID(0), f.sb.CheckID(1), f.sb.CheckID(2), f.sb.CheckID(3)
	f.must(0, "add", id3) // already tracked before the file
	token := f.sb.NewToken(4)
	file := strings.Join([]string{
		"# today's checks",          // line 1: comment
		id0,                         // line 2
		"",                          // line 3: blank
		"   " + id1 + "  ",          // line 4: spaces around
		id0,                         // line 5: duplicate of line 2
		"not-an-id",                 // line 6: garbage
		"chk_priv_bad!chars",        // line 7: garbage
		"   # indented comment",     // line 8
		id3,                         // line 9: already in the database
		token,                       // line 10: exchanged
		"chk_priv_\x1b]0;pwned\x07", // line 11: hostile garbage
		id2,                         // line 12
	}, "\n")
	r := f.runStdin(file, "add", "-")
	if r.code != 1 {
		t.Fatalf("want exit 1 (lines refused), got\n%s", r)
	}
	wantLines := []string{
		"line 2: added " + id0,
		"line 4: added " + id1,
		"line 5: already there " + id0 + " (repeats line 2)",
		"line 6: refused: ",
		"line 7: refused: ",
		"line 9: already there " + id3,
		"line 10: added " + f.sb.CheckID(4) + " (exchanged from a token)",
		"line 11: refused: ",
		"line 12: added " + id2,
		"4 added, 2 already there, 3 refused",
	}
	mustContain(t, "stdout", r.stdout, wantLines...)
	for _, skipped := range []string{"line 1:", "line 3:", "line 8:"} {
		if strings.Contains(r.stdout, skipped) {
			t.Errorf("blank or comment %s was reported:\n%s", skipped, r.stdout)
		}
	}
	if got := strings.Count(r.stdout, "\n"); got != len(wantLines) {
		t.Errorf("want one line per input plus a summary (%d), got %d:\n%s", len(wantLines), got, r.stdout)
	}
	if strings.ContainsAny(r.stdout, "\x1b\x07") {
		t.Errorf("a raw control from the input reached the output:\n%q", r.stdout)
	}
	mustContain(t, "stderr", r.stderr, "3 of 9 refused")

	st := f.openStore()
	n, err := st.Count(t.Context(), store.PageQuery{Queue: store.QueueAll})
	if err != nil || n != 5 {
		t.Fatalf("want 5 tracked checks, got %d (%v)", n, err)
	}
	rec, err := st.Get(t.Context(), f.sb.CheckID(4))
	if err != nil || rec.Source != store.SourceExchanged || rec.AddedBy != "alice" {
		t.Fatalf("the exchanged check: got %+v, %v", rec, err)
	}
}

func TestAddOfCleanInputSucceeds(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	r := f.runStdin(f.sb.CheckID(0)+"\n\n"+f.sb.CheckID(1)+"\n", "add", "-")
	if r.code != 0 {
		t.Fatalf("want exit 0, got\n%s", r)
	}
	mustContain(t, "stdout", r.stdout, "2 added, 0 already there, 0 refused")
	r = f.run("add", f.sb.CheckID(1), f.sb.CheckID(2))
	if r.code != 0 {
		t.Fatalf("an id already there is not a failure: got\n%s", r)
	}
	mustContain(t, "stdout", r.stdout, "argument 1: already there", "argument 2: added")
}

func TestAddTokenWithoutKeyIsRefusedWithHowToProvideOne(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	env := withEnv(f.env, envAPIKey, "")
	r := runCLI(t, env, "", "add", f.sb.CheckID(0), f.sb.NewToken(1))
	if r.code != 1 {
		t.Fatalf("want exit 1, got\n%s", r)
	}
	mustContain(t, "stdout", r.stdout, "argument 1: added", "argument 2: refused: exchange tokens need the API", "--api-key-file", envAPIKey)
}

func TestAddUsageErrors(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	for _, args := range [][]string{{"add"}, {"add", "-", "-"}, {"add", "--bogus", "x"}} {
		if r := f.run(args...); r.code != 2 {
			t.Errorf("%v: want exit 2, got\n%s", args, r)
		}
	}
}

func TestExchangePrintsAndStoresTheCheckID(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	r := f.must(0, "exchange", f.sb.NewToken(7))
	if got, want := strings.TrimSpace(r.stdout), f.sb.CheckID(7); got != want {
		t.Fatalf("stdout: want %s, got %q", want, got)
	}
	if rec := f.get(f.sb.CheckID(7)); rec.Source != store.SourceExchanged {
		t.Fatalf("source: want exchanged, got %s", rec.Source)
	}
	r = f.must(2, "exchange", f.sb.CheckID(1))
	mustContain(t, "stderr", r.stderr, "not an exchange token")
	r = f.must(1, "exchange", "chk_xchg_"+strings.Repeat("A", 22))
	mustContain(t, "stderr", r.stderr, "refused the exchange token")
}

// A token given twice is exchanged once, and the repeat names the check
// it gave: a token is never printed back (add once printed it as the
// repeat's "check id").
func TestAddOfARepeatedTokenNamesItsCheckNotTheToken(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	token := f.sb.NewToken(3)
	r := f.must(0, "add", token, token)
	mustContain(t, "stdout", r.stdout, "argument 1: added "+f.sb.CheckID(3)+" (exchanged from a token)",
		"argument 2: already there "+f.sb.CheckID(3)+" (repeats argument 1)", "1 added, 1 already there, 0 refused")
	if strings.Contains(r.stdout+r.stderr, token) {
		t.Errorf("the token was printed:\n%s", r)
	}
}

func TestReadIDLinesNumbersLinesAndSkipsBlanksAndComments(t *testing.T) {
	in, err := readIDLines(strings.NewReader("# header\n\nchk_priv_A\r\n  chk_priv_B  \n\t# tabbed comment\nx"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range in {
		got = append(got, fmt.Sprintf("%s=%s", i.Place(), i.Text))
	}
	if want := "line 3=chk_priv_A,line 4=chk_priv_B,line 6=x"; strings.Join(got, ",") != want {
		t.Fatalf("want %s, got %s", want, strings.Join(got, ","))
	}
}

// A line far too long to be an id is refused as one line; the ids before
// and after it are added (it used to stop the batch with "token too long").
func TestAnOverlongLineIsRefusedAndTheRestOfTheBatchAdded(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := f.sb.CheckIDs(2)
	in := ids[0] + "\n# a comment\n" + strings.Repeat("a", 3*maxLine) + "\n" + ids[1] + "\n"
	r := f.runStdin(in, "add", "-")
	if r.code != 1 {
		t.Fatalf("want exit 1 (one line refused), got\n%s", r)
	}
	mustContain(t, "stdout", r.stdout, "line 1: added "+ids[0], "line 3: refused: not a Caisson id", "line 4: added "+ids[1],
		"2 added, 0 already there, 1 refused")
}

func TestAFileStartingWithAByteOrderMarkReadsItsFirstID(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := f.sb.CheckIDs(2)
	r := f.runStdin("\ufeff"+ids[0]+"\r\n"+ids[1]+"\r\n", "add", "-")
	if r.code != 0 {
		t.Fatalf("want exit 0, got\n%s", r)
	}
	mustContain(t, "stdout", r.stdout, "line 1: added "+ids[0], "2 added, 0 already there, 0 refused")
}

func TestAnInterruptedExchangeIsFinishedByTheNextCommandThatHasTheAPI(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	st := f.openStore()
	// The connection drops after Caisson exchanged the token: the store
	// keeps the token to finish the exchange later.
	_, _, err := st.Exchange(t.Context(), f.sb.NewToken(9), "alice", func(context.Context, string) (string, error) {
		return "", errors.New("connection reset by peer")
	})
	if err == nil {
		t.Fatal("the failing exchange should have failed")
	}
	r := f.must(0, "exchange", f.sb.NewToken(10))
	mustContain(t, "stderr", r.stderr, "finished the exchange of a token kept since ", ": added "+f.sb.CheckID(9))
	if rec := f.get(f.sb.CheckID(9)); rec.Source != store.SourceExchanged {
		t.Fatalf("the resumed check: source %s", rec.Source)
	}
	r = f.must(0, "exchange", f.sb.NewToken(11))
	if strings.Contains(r.stderr, "finished") {
		t.Errorf("the exchange was finished twice:\n%s", r.stderr)
	}
}

// A token whose exchange failed for a reason that may pass is kept, and
// the words say so and how it ends; one refused for good is forgotten,
// and nothing later brings it back.
func TestATokenIsKeptOnlyWhileItsExchangeMayStillWorkAndTheWordsSaySo(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	wrongKey := withEnv(f.env, envAPIKey, "sk_test_NotTheSandboxKey_0000")
	token := f.sb.NewToken(6)
	never := "chk_xchg_" + strings.Repeat("Q", 22) // never issued: Caisson answers INVALID_INPUT

	r := f.run("add", never)
	if r.code != 1 {
		t.Fatalf("a token refused for good: want exit 1, got\n%s", r)
	}
	mustContain(t, "stdout", r.stdout, "argument 1: refused: Caisson refused the exchange token", "The token was not kept",
		"0 added, 0 already there, 1 refused")

	r = runCLI(t, wrongKey, "", "add", token)
	if r.code != 1 {
		t.Fatalf("want exit 1 (nothing added), got\n%s", r)
	}
	mustContain(t, "stdout", r.stdout,
		"argument 1: not exchanged yet: Caisson refused the API key",
		"The token is kept: the next add, exchange or refresh that reaches Caisson tries it again and tracks its check id; after ",
		"0 added, 0 already there, 1 not exchanged yet (kept to retry), 0 refused")
	if strings.Contains(r.stdout, "refused:") {
		t.Errorf("a kept token was called refused:\n%s", r.stdout)
	}
	mustContain(t, "stderr", r.stderr, "1 of 1 not exchanged yet")

	r = runCLI(t, wrongKey, "", "exchange", token)
	if r.code != 1 {
		t.Fatalf("exchange with the wrong key: want exit 1, got\n%s", r)
	}
	mustContain(t, "stderr", r.stderr, "the token is not exchanged yet: Caisson refused the API key", "The token is kept")

	// With the right key, the next refresh finishes the kept token, and
	// only that one: the refused one was forgotten.
	r = f.must(0, "refresh", "--all")
	mustContain(t, "stderr", r.stderr, "finished the exchange of a token kept since ", ": added "+f.sb.CheckID(6))
	if n := strings.Count(r.stderr, "token"); n != 1 {
		t.Errorf("want one line about exchanges (the kept token), got %d:\n%s", n, r.stderr)
	}
	if rec := f.get(f.sb.CheckID(6)); rec.Source != store.SourceExchanged {
		t.Errorf("the kept token's check: source %s", rec.Source)
	}
	r = f.must(0, "refresh", "--all")
	if strings.Contains(r.stderr, "exchange") {
		t.Errorf("a token came back after it was finished or forgotten:\n%s", r.stderr)
	}
}

// Issue 16: on a terminal, more ids than a screen shows get a bar and a
// summary instead of a line each; what needs the reviewer (refused) is
// still listed. A file or a pipe gets every line (the test above).
func TestAddOnATerminalShowsASummaryNotALineEach(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	var lines []string
	for i := range 120 {
		lines = append(lines, f.sb.CheckID(i))
	}
	lines = append(lines, "not-an-id")
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
	code := run(context.Background(), []string{"add", "-"}, strings.NewReader(strings.Join(lines, "\n")), tty, tty,
		func(k string) string { return f.env[k] })
	tty.Close()
	got := <-out
	if code != 1 {
		t.Fatalf("want exit 1 (a line refused), got %d:\n%s", code, got)
	}
	mustContain(t, "the terminal", got, "storing", "line 121: refused", "120 added, 0 already there, 1 refused")
	if strings.Contains(got, "line 1: added") || strings.Count(got, ": added chk_priv_") > 0 {
		t.Errorf("a line per added id on a terminal:\n%s", got)
	}
	if r := f.runStdin(strings.Join(lines, "\n"), "add", "-"); strings.Count(r.stdout, ": already there chk_priv_") != 120 {
		t.Errorf("a pipe must still get every line:\n%s", r.stdout)
	}
}

// An interrupted add says how many check ids its transactions kept,
// rather than only that it was interrupted.
func TestAnInterruptedAddSaysWhatWasStored(t *testing.T) {
	err := fmt.Errorf("adding: %w", &service.PartlyStoredError{Stored: 200000, Total: 1000000, Err: context.Canceled})
	lines := errorLines(err)
	want := progName + ": interrupted: 200000 of 1000000 check ids stored, the others not: run the same add again to store them"
	if len(lines) != 1 || lines[0].text != want {
		t.Errorf("error lines %+v, want the one line %q", lines, want)
	}
}

// Lines are read through a buffer far smaller than the input: each keeps
// its number and its text across the buffer's ends, and a long line in
// between costs no line after it.
func TestReadIDLinesKeepsEveryLineAcrossTheReadBuffer(t *testing.T) {
	var in strings.Builder
	var want []string
	for n := 1; n <= 20_000; n++ {
		switch {
		case n == 7_777:
			in.WriteString(strings.Repeat("z", 2*maxLine+3) + "\n")
			want = append(want, fmt.Sprintf("line %d=%s", n, strings.Repeat("z", maxLine)))
		case n%1000 == 0:
			in.WriteString("# comment\n")
		default:
			id := fmt.Sprintf("chk_priv_%022d", n)
			in.WriteString(id + "\r\n")
			want = append(want, fmt.Sprintf("line %d=%s", n, id))
		}
	}
	got, err := readIDLines(strings.NewReader(in.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d lines, want %d", len(got), len(want))
	}
	for i, g := range got {
		if s := g.Place() + "=" + g.Text; s != want[i] {
			t.Fatalf("line %d: got %.60s, want %.60s", i, s, want[i])
		}
	}
}
