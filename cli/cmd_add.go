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

// addInput is one id or token as given, with where it came from.
type addInput struct {
	where string // "argument 2" or "line 5"
	text  string
	src   store.Source
}

// The verdicts of add, one per input.
const (
	verdictAdded   = "added"
	verdictThere   = "already there"
	verdictKept    = "not exchanged yet"
	verdictRefused = "refused"
)

// addOutcome is what happened to one input.
type addOutcome struct {
	verdict string // one of the verdicts above
	checkID string
	detail  string
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
	reviewer, err := a.reviewer()
	if err != nil {
		return err
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()

	outcomes := make([]addOutcome, len(inputs))
	var toAdd []int  // indexes of new check ids
	var tokens []int // indexes of exchange tokens
	firstSeen := map[string]string{}
	for i, in := range inputs {
		id, err := caisson.ParseID(in.text)
		switch {
		case err != nil:
			outcomes[i] = addOutcome{verdict: "refused", detail: err.Error()}
		case firstSeen[id.Value] != "":
			outcomes[i] = addOutcome{verdict: "already there", checkID: id.Value, detail: "repeats " + firstSeen[id.Value]}
		case id.Kind == caisson.KindExchangeToken:
			firstSeen[id.Value] = in.where
			tokens = append(tokens, i)
		default:
			firstSeen[id.Value] = in.where
			toAdd = append(toAdd, i)
		}
	}
	if err := addCheckIDs(ctx, st, reviewer, inputs, toAdd, outcomes); err != nil {
		return err
	}
	if len(tokens) > 0 {
		if err := a.exchangeTokens(ctx, st, reviewer, inputs, tokens, outcomes); err != nil {
			return err
		}
	}
	return a.reportAdd(inputs, outcomes)
}

// gatherAddInputs expands "-" into the lines of standard input.
func (a *app) gatherAddInputs(args []string) ([]addInput, error) {
	var inputs []addInput
	readStdin := false
	for i, arg := range args {
		if arg != "-" {
			inputs = append(inputs, addInput{where: fmt.Sprintf("argument %d", i+1), text: arg, src: store.SourceTyped})
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

func readIDLines(r io.Reader) ([]addInput, error) {
	var inputs []addInput
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		text, err := readLine(br, maxLine)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("reading standard input at line %d: %w", n, err)
		}
		if n == 1 {
			// Windows editors and spreadsheet exports start a UTF-8 file
			// with a byte-order mark: invisible, and not part of the id.
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if line := strings.TrimSpace(text); line != "" && !strings.HasPrefix(line, "#") {
			inputs = append(inputs, addInput{where: fmt.Sprintf("line %d", n), text: line, src: store.SourceImported})
		}
		if err != nil {
			return inputs, nil
		}
	}
}

// readLine reads up to the next newline (or the end), keeping at most
// limit bytes of it: one absurdly long line must not stop the batch.
func readLine(br *bufio.Reader, limit int) (string, error) {
	var line []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if room := limit - len(line); room > 0 {
			line = append(line, chunk[:min(len(chunk), room)]...)
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return string(line), err
		}
	}
}

// addCheckIDs stores the new check ids in one transaction per source.
func addCheckIDs(ctx context.Context, st *store.Store, reviewer string, inputs []addInput, idx []int, outcomes []addOutcome) error {
	bySource := map[store.Source][]int{}
	for _, i := range idx {
		bySource[inputs[i].src] = append(bySource[inputs[i].src], i)
	}
	for src, list := range bySource {
		ids := make([]string, len(list))
		for k, i := range list {
			// As the store will report it: the prefix in lower case.
			id, err := caisson.ParseID(inputs[i].text)
			if err != nil {
				return fmt.Errorf("%s: %w", inputs[i].where, err) // parsed once already: cannot happen
			}
			ids[k] = id.Value
		}
		res, err := st.AddMany(ctx, ids, reviewer, src)
		if err != nil {
			return fmt.Errorf("storing check ids: %w", err)
		}
		verdict := map[string]addOutcome{}
		for _, id := range res.Added {
			verdict[id] = addOutcome{verdict: "added", checkID: id}
		}
		for _, id := range res.Existing {
			verdict[id] = addOutcome{verdict: "already there", checkID: id}
		}
		for _, r := range res.Refused {
			verdict[strings.TrimSpace(r.Input)] = addOutcome{verdict: "refused", detail: r.Err.Error()}
		}
		for k, i := range list {
			o, ok := verdict[ids[k]]
			if !ok {
				// The store must account for every id; never let one
				// vanish silently.
				o = addOutcome{verdict: "refused", detail: "the store did not report on this id"}
			}
			outcomes[i] = o
		}
	}
	return nil
}

func (a *app) exchangeTokens(ctx context.Context, st *store.Store, reviewer string, inputs []addInput, idx []int, outcomes []addOutcome) error {
	client, err := a.client()
	if err != nil {
		for _, i := range idx {
			outcomes[i] = addOutcome{verdict: "refused", detail: "exchange tokens need the API: " + err.Error()}
		}
		return nil
	}
	if err := a.resumeExchanges(ctx, st, client, reviewer); err != nil {
		return err
	}
	for _, i := range idx {
		if ctx.Err() != nil {
			outcomes[i] = addOutcome{verdict: "refused", detail: "interrupted before this token was exchanged"}
			continue
		}
		id, added, err := st.Exchange(ctx, strings.TrimSpace(inputs[i].text), reviewer, client.ExchangeToken)
		var kept *store.ExchangeKeptError
		switch {
		case errors.As(err, &kept):
			outcomes[i] = addOutcome{verdict: verdictKept, detail: keptText(kept)}
		case err != nil:
			outcomes[i] = addOutcome{verdict: "refused", detail: refusedText(err)}
		case added:
			outcomes[i] = addOutcome{verdict: "added", checkID: id, detail: "exchanged from a token"}
		default:
			outcomes[i] = addOutcome{verdict: "already there", checkID: id, detail: "exchanged from a token"}
		}
	}
	return nil
}

// keptText says why a token is not exchanged yet and how that will end:
// the words must match what the store does with it.
func keptText(kept *store.ExchangeKeptError) string {
	return fmt.Sprintf("%s. The token is kept: the next add, exchange or refresh that reaches Caisson tries it again "+
		"and tracks its check id; after %s it can no longer work and is dropped", caisson.Explain(kept.Err), timeText(kept.Until))
}

// refusedText is a token Caisson refused for good, which the store has
// already forgotten.
func refusedText(err error) string {
	if caisson.CodeOf(err) != "" {
		return caisson.Explain(err) + ". The token was not kept"
	}
	return "exchange failed: " + caisson.Explain(err)
}

func (a *app) reportAdd(inputs []addInput, outcomes []addOutcome) error {
	counts := map[string]int{}
	for i, o := range outcomes {
		counts[o.verdict]++
		text := fmt.Sprintf("%s: %s", inputs[i].where, o.verdict)
		if o.checkID != "" {
			text += " " + o.checkID
		}
		if o.detail != "" {
			if o.verdict == verdictRefused || o.verdict == verdictKept {
				text += ": " + o.detail
			} else {
				text += " (" + o.detail + ")"
			}
		}
		fmt.Fprintln(a.stdout, sanitize.Line(text))
	}
	summary := fmt.Sprintf("%d added, %d already there", counts[verdictAdded], counts[verdictThere])
	if n := counts[verdictKept]; n > 0 {
		summary += fmt.Sprintf(", %d not exchanged yet (kept to retry)", n)
	}
	fmt.Fprintf(a.stdout, "%s, %d refused\n", summary, counts[verdictRefused])
	var problems []string
	if n := counts[verdictRefused]; n > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d refused", n, len(inputs)))
	}
	if n := counts[verdictKept]; n > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d not exchanged yet", n, len(inputs)))
	}
	if len(problems) > 0 {
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
	reviewer, err := a.reviewer()
	if err != nil {
		return err
	}
	client, err := a.client()
	if err != nil {
		return err
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := a.resumeExchanges(ctx, st, client, reviewer); err != nil {
		return err
	}
	checkID, added, err := st.Exchange(ctx, id.Value, reviewer, client.ExchangeToken)
	var kept *store.ExchangeKeptError
	switch {
	case errors.As(err, &kept):
		return fmt.Errorf("the token is not exchanged yet: %s", keptText(kept))
	case err != nil:
		return fmt.Errorf("the token is not exchanged: %s", refusedText(err))
	}
	fmt.Fprintln(a.stdout, sanitize.Line(checkID))
	if !added {
		fmt.Fprintf(a.stderr, "%s: %s was already tracked\n", progName, sanitize.Line(checkID))
	}
	return nil
}
