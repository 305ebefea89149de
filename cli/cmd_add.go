package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

func init() {
	commandHelp["add"] = `
Each argument is a check id (chk_priv_…) or an exchange token (chk_xchg_…).
The argument - reads standard input instead, one per line; blank lines and
lines starting with # are skipped. Tokens are exchanged through the API
(which needs the key), then the check id is stored.

Every input gets one line of output: added, already there, not exchanged
yet, or refused, with the reason. A token whose exchange failed for a
reason that may pass (the API key refused, the network, a server error) is
kept, and the next add, exchange or refresh that reaches Caisson finishes
it; one Caisson refused for good (invalid, or too old) is forgotten. The
exit status is 1 when anything was refused or not exchanged yet.

  caisson-review add chk_priv_SMgso2KGzXLxT2I-g7oD2w
  caisson-review add - < todays-checks.txt`
	commandHelp["exchange"] = `
Exchanges the token for its permanent check id (within 2 hours of the
check's creation), prints the check id on standard output and tracks it.
When the exchange fails for a reason that may pass, the token is kept and
the next add, exchange or refresh that reaches Caisson finishes it.`
}

// wireAdd has no flags of its own; the ids come from outside, so the shell
// offers neither tracked ids nor files.
func wireAdd(a *app, c *cobra.Command) runFunc {
	c.ValidArgsFunction = cobra.NoFileCompletions
	return func(ctx context.Context, pos []string) error { return cmdAdd(ctx, a, pos) }
}

func cmdAdd(ctx context.Context, a *app, pos []string) error {
	if len(pos) == 0 {
		return usageErrorf("add", "expected check ids, exchange tokens, or - to read them from standard input")
	}
	inputs, err := a.gatherAddInputs(pos)
	if err != nil {
		return err
	}
	// Who adds is settled before the database is created for them.
	if _, err := a.reviewer(); err != nil {
		return err
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	// Only tokens need Caisson: adding check ids must not depend on the
	// key (nor warn about its file).
	svc, err := a.serviceWith(st, nil, nil)
	if hasToken(inputs) {
		svc, err = a.service(st)
	}
	if err != nil {
		return err
	}
	// A terminal gets a bar and a summary instead of a line per input
	// when there are more than a screen could show; a file or a pipe
	// always gets every line, for the scripts that read them.
	listAll := !isTerminal(a.stdout) || len(inputs) <= maxListedOnTerminal
	var stored func(n, total int)
	bar := &progress{w: a.stderr, tty: isTerminal(a.stderr), verb: "storing"}
	if !listAll {
		stored = func(n, total int) {
			if bar.total == 0 {
				bar.total = total
				bar.barWidth = max(5, min(maxBarWidth, terminalWidth(a.stderr)-textWidth))
			}
			bar.at(n)
		}
	}
	rep, err := svc.AddWithProgress(ctx, inputs, stored)
	bar.finish() // the summary takes its place
	a.reportResumed(rep.Resumed)
	if err != nil {
		return err
	}
	return a.reportAdd(rep, listAll)
}

// maxListedOnTerminal is how many inputs a terminal is shown one a line,
// and, past that, how many of those that need the reviewer (refused, not
// exchanged yet) are still listed.
const maxListedOnTerminal = 50

func hasToken(inputs []service.Input) bool {
	for _, in := range inputs {
		if caisson.IsExchangeToken(in.Text) {
			return true
		}
	}
	return false
}

// gatherAddInputs expands "-" into the lines of standard input.
func (a *app) gatherAddInputs(args []string) ([]service.Input, error) {
	var inputs []service.Input
	readStdin := false
	for i, arg := range args {
		if arg != "-" {
			inputs = append(inputs, service.Input{Where: fmt.Sprintf("argument %d", i+1), Text: arg, Source: store.SourceTyped})
			continue
		}
		if readStdin {
			return nil, usageErrorf("add", "- given twice: standard input can be read only once")
		}
		readStdin = true
		if isTerminal(a.stdin) {
			fmt.Fprintln(a.stderr, "reading ids from the terminal, one a line; end with Ctrl-D")
		}
		lines, err := readIDLines(a.stdin)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, lines...)
	}
	return inputs, nil
}

// maxLine bounds one input line; an id is under 140 bytes, so anything
// near this is not an id: it is refused as such (its first maxLine bytes
// stand for it), and the lines after it are read as usual.
const maxLine = 64 * 1024

// readBuffer is how much of standard input one read takes: a million
// ids (32 MB) in 500 reads. Lines longer than it are read in pieces
// (appendLine); it has nothing to do with maxLine.
const readBuffer = 64 * 1024

func readIDLines(r io.Reader) ([]service.Input, error) {
	// The lines are gathered into one buffer and made one string, each
	// line a part of it: a string and a name made per line were two
	// million allocations for a million ids, a sixth of adding them.
	br := bufio.NewReaderSize(r, readBuffer)
	var text []byte
	var ends []int
	for n := 1; ; n++ {
		var err error
		text, err = appendLine(text, br, maxLine)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("reading standard input at line %d: %w", n, err)
		}
		ends = append(ends, len(text))
		if err != nil {
			break
		}
	}
	all := string(text)
	inputs := make([]service.Input, 0, len(ends))
	start := 0
	for i, end := range ends {
		raw := all[start:end]
		start = end
		if i == 0 {
			// Windows editors and spreadsheet exports start a UTF-8 file
			// with a byte-order mark: invisible, and not part of the id.
			raw = strings.TrimPrefix(raw, "\ufeff")
		}
		if line, ok := caisson.IDLine(raw); ok {
			inputs = append(inputs, service.Input{Line: i + 1, Text: line, Source: store.SourceImported})
		}
	}
	return inputs, nil
}

// appendLine appends to text the next line of br (up to its newline or
// the end), keeping at most limit bytes of it: one absurdly long line
// must not stop the batch.
func appendLine(text []byte, br *bufio.Reader, limit int) ([]byte, error) {
	room := limit
	for {
		chunk, err := br.ReadSlice('\n')
		text = append(text, chunk[:min(len(chunk), room)]...)
		room -= min(len(chunk), room)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return text, err
		}
	}
}

func (a *app) reportAdd(rep service.AddReport, listAll bool) error {
	// One write per line made a million ids' output most of the time of
	// adding them.
	out := bufio.NewWriterSize(a.stdout, 64*1024)
	listed, unlisted := 0, 0
	for _, o := range rep.Outcomes {
		if !listAll && o.Verdict != service.Refused && o.Verdict != service.NotExchangedYet {
			continue
		}
		if !listAll && listed == maxListedOnTerminal {
			unlisted++
			continue
		}
		listed++
		out.WriteString(sanitize.Line(addLine(o)))
		out.WriteByte('\n')
	}
	if unlisted > 0 {
		fmt.Fprintf(out, "… and %d more refused or not exchanged yet: redirect standard output to a file to list every line\n", unlisted)
	}
	err := a.addSummary(out, rep)
	if ferr := out.Flush(); ferr != nil {
		return fmt.Errorf("writing the report: %w", ferr)
	}
	return err
}

// addLine is one input's line: "line 5: added chk_priv_…".
func addLine(o service.AddOutcome) string {
	text := o.Input.Place() + ": " + string(o.Verdict)
	if o.CheckID != "" {
		text += " " + o.CheckID
	}
	if d := o.Detail(timeText); d != "" {
		if o.Verdict == service.Refused || o.Verdict == service.NotExchangedYet {
			text += ": " + d
		} else {
			text += " (" + d + ")"
		}
	}
	return text
}

// addSummary writes the summary line to out, and what needs the reviewer
// to standard error (after out is flushed: in order on a terminal).
func (a *app) addSummary(out *bufio.Writer, rep service.AddReport) error {
	total := len(rep.Outcomes)
	refused, kept := rep.Count(service.Refused), rep.Count(service.NotExchangedYet)
	summary := fmt.Sprintf("%d added, %d already there", rep.Count(service.Added), rep.Count(service.AlreadyThere))
	if kept > 0 {
		summary += fmt.Sprintf(", %d not exchanged yet (kept to retry)", kept)
	}
	fmt.Fprintf(out, "%s, %d refused\n", summary, refused)
	var problems []string
	if refused > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d refused", refused, total))
	}
	if kept > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d not exchanged yet", kept, total))
	}
	if len(problems) > 0 {
		if err := out.Flush(); err != nil {
			return fmt.Errorf("writing the report: %w", err)
		}
		fmt.Fprintf(a.stderr, "%s add: %s (listed above)\n", progName, strings.Join(problems, ", "))
		return errReported
	}
	return nil
}

func wireExchange(a *app, c *cobra.Command) runFunc {
	c.ValidArgsFunction = cobra.NoFileCompletions
	return func(ctx context.Context, pos []string) error { return cmdExchange(ctx, a, pos) }
}

func cmdExchange(ctx context.Context, a *app, pos []string) error {
	if len(pos) != 1 {
		return usageErrorf("exchange", "expected exactly one exchange token")
	}
	id, err := caisson.ParseID(pos[0])
	if err != nil {
		return usageErrorf("exchange", "%s", err.Error())
	}
	if id.Kind != caisson.KindExchangeToken {
		return usageErrorf("exchange", "that is a check id, not an exchange token (chk_xchg_…): use add to track it")
	}
	svc, st, err := a.onlineService(ctx, false)
	if err != nil {
		return err
	}
	defer st.Close()
	checkID, added, err := svc.Exchange(ctx, id.Value)
	var kept *store.ExchangeKeptError
	switch {
	case errors.As(err, &kept):
		o := service.AddOutcome{Verdict: service.NotExchangedYet, Token: true, Err: kept.Err, KeptUntil: kept.Until}
		return fmt.Errorf("the token is not exchanged yet: %s", o.Detail(timeText))
	case err != nil:
		o := service.AddOutcome{Verdict: service.Refused, Token: true, Err: err}
		return fmt.Errorf("the token is not exchanged: %s", o.Detail(timeText))
	}
	fmt.Fprintln(a.stdout, sanitize.Line(checkID))
	if !added {
		fmt.Fprintf(a.stderr, "%s: %s was already tracked\n", progName, sanitize.Line(checkID))
	}
	return nil
}
