package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

func init() {
	commandHelp["decide"] = `
Records a decision in the append-only log, as the console does: reject and
escalate need --note saying why, and take a reason from a fixed list
(--reason; other when not given, which needs the note). A reject is --final
(the person may not retry; the default) or --retry (ask them to verify
again). Approving a check with a low or unknown confidence, an expired
document or no fetched result needs --yes, the command-line form of the
console's confirmation; without it the exit status is 2, as for a missing
note or an unknown reason. The id may be given with or without its
chk_priv_ prefix.

Under a four-eyes policy (caisson-review policy show) an approval, or also a
rejection, is proposed instead: it awaits a second reviewer, logged in as
another operating-system account, who runs confirm (the decision takes
effect) or return --note (the check goes back to where it was: needs
review, or waiting at Caisson, or the queue of a decision still in effect;
one Caisson passed waits in all). The proposer cannot confirm their own
proposal.

Reject reasons:
` + reasonNames(store.RejectReasons) + `
Escalate reasons:
` + reasonNames(store.EscalateReasons) + `

  caisson-review decide chk_priv_… reject --reason face-mismatch --final --note "photo is of a screen"
  caisson-review decide chk_priv_… confirm
  caisson-review decide chk_priv_… return --note "the selfie is someone else"`
}

// reasonNames lists reasons indented, wrapped to fit 80 columns as the
// rest of the help does.
func reasonNames(rs []store.Reason) string {
	var b strings.Builder
	line := "  "
	for i, r := range rs {
		word := string(r)
		if i < len(rs)-1 {
			word += ","
		}
		if len(line) > 2 && len(line)+1+len(word) > 78 {
			b.WriteString(line + "\n")
			line = "  "
		}
		if len(line) > 2 {
			line += " "
		}
		line += word
	}
	b.WriteString(line)
	return b.String()
}

// decideFlags are decide's own flags, read into a store.DecisionRequest.
type decideFlags struct {
	note, reason string
	yes          bool
	final, retry bool
}

func wireDecide(a *app, c *cobra.Command) runFunc {
	var f decideFlags
	c.Flags().StringVar(&f.note, "note", "", "why (required for reject, escalate and return)")
	c.Flags().StringVar(&f.reason, "reason", "", "reject or escalate REASON from the list below (default other, which needs --note)")
	c.Flags().BoolVar(&f.final, "final", false, "reject: the person may not retry (the default)")
	c.Flags().BoolVar(&f.retry, "retry", false, "reject: ask the customer to verify again")
	c.Flags().BoolVar(&f.yes, "yes", false, "confirm approving a risky check (low confidence, expired document, or no result)")
	c.ValidArgsFunction = a.completeDecideArgs
	completeFlag(c, "reason", completeReasons)
	completeFlag(c, "note", cobra.NoFileCompletions)
	return func(ctx context.Context, pos []string) error { return cmdDecide(ctx, a, f, pos) }
}

func cmdDecide(ctx context.Context, a *app, f decideFlags, pos []string) error {
	req, err := f.request(pos)
	if err != nil {
		return err
	}
	if err := store.CheckNote(req.Action, req.Note); err != nil {
		// A note the log cannot take is a mistake in the command, as a
		// missing one is: 2, before anything is opened.
		return usageErrorf("decide", "--note: %s", err)
	}
	st, err := a.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	svc, err := a.serviceWith(st, nil, nil)
	if err != nil {
		return err
	}
	d, err := svc.Decide(ctx, service.DecideRequest{DecisionRequest: req, RiskAccepted: f.yes})
	var risky *service.RiskError
	switch {
	case errors.As(err, &risky):
		// The console asks; the command line cannot, so approving
		// without the confirmation is a mistake in the command: 2.
		return usageErrorf("decide", "%s %s: pass --yes to approve it anyway", req.CheckID, strings.Join(risky.Risks, "; "))
	case errors.Is(err, service.ErrNotTracked):
		return fmt.Errorf("%s is not tracked: add it with %s add", req.CheckID, progName)
	case err != nil:
		// Said as the store and the service word it, which name the
		// decision and the check ("recording confirm on chk_…: …") or
		// say nothing was recorded: a prefix of ours repeated both.
		return err
	}
	fmt.Fprintln(a.stdout, sanitize.Line(decidedText(d)))
	// The witness of the chain's tail, always one line on standard error
	// (the journal, cron's mail): export --verify --head proves later that
	// this entry is still in the log.
	_ = a.writeHead(d.Head()) // the decision is recorded whatever stderr takes
	return nil
}

// request checks the arguments: mistakes in them are usage errors (2).
func (f decideFlags) request(pos []string) (store.DecisionRequest, error) {
	if len(pos) != 2 {
		return store.DecisionRequest{}, usageErrorf("decide", "expected a check id and one of approve, reject, escalate, reopen, confirm, return")
	}
	id, err := caisson.ParseCheckRef(pos[0])
	if err != nil {
		return store.DecisionRequest{}, usageErrorf("decide", "%s", err.Error())
	}
	action, err := store.ParseAction(pos[1])
	if err != nil {
		return store.DecisionRequest{}, usageErrorf("decide", "%s", err.Error())
	}
	req := store.DecisionRequest{CheckID: id, Action: action, Note: f.note}
	if action.NeedsNote() && store.BlankNote(f.note) {
		return req, usageErrorf("decide", "%s needs a note saying why: --note TEXT", action)
	}
	if f.reason != "" {
		r, err := store.ParseReason(action, f.reason)
		if err != nil {
			return req, usageErrorf("decide", "%s", err.Error())
		}
		req.Reason = r
	}
	switch {
	case f.final && f.retry:
		return req, usageErrorf("decide", "--final and --retry contradict each other: a reject is one or the other")
	case (f.final || f.retry) && action != store.Reject:
		return req, usageErrorf("decide", "--final and --retry are for reject only")
	case f.retry:
		req.Finality = store.Retry
	case action == store.Reject:
		req.Finality = store.Final
	}
	return req, nil
}

// decidedText is the line decide prints for the entry it wrote.
func decidedText(dd service.Decided) string {
	d, proposal := dd.Decision, dd.Proposal
	by := fmt.Sprintf("decision #%d by %s at %s", d.Seq, d.Reviewer, timeText(d.At))
	switch d.Action {
	case store.Propose:
		return fmt.Sprintf("proposed %s %s: %s; it awaits a second reviewer (%s decide %s confirm, by another account)",
			ingForm(d.Proposes), d.CheckID, by, progName, d.CheckID)
	case store.Confirm:
		return fmt.Sprintf("confirmed: %s %s as %s (#%d): %s", d.Proposes.PastTense(), d.CheckID, proposer(proposal), d.Ref, by)
	case store.Return:
		return fmt.Sprintf("returned %s %s, not %s as %s (#%d): %s", d.CheckID, returnedTo(dd), d.Proposes.PastTense(), proposer(proposal), d.Ref, by)
	}
	return fmt.Sprintf("%s %s: %s", d.Action.PastTense(), d.CheckID, by)
}

// returnedTo says where a returned check went: back to needs review only
// when that is where it is (helper-61: a check still escalated, waiting at
// Caisson or with no result was said to be back in needs review).
func returnedTo(dd service.Decided) string {
	switch q := dd.To; {
	case !dd.ToKnown:
		return "(where it is now could not be read: see show)"
	case q == store.QueueNeedsReview:
		return "to needs review"
	case q == store.QueuePending:
		return "to pending (waiting at Caisson: nothing to review until Caisson gives a result)"
	case q != "":
		return fmt.Sprintf("(it stays %s: that decision stands)", q)
	case dd.Passed:
		// Open and waiting again, but Caisson passed it: needs review
		// would not show it.
		return "(Caisson passed it: it waits in all, not needs review)"
	}
	return "(it has no result to review: it is in all, and in errors if its last fetch failed)"
}

// proposer is "NAME proposed", or "proposed" when the proposal could not
// be read (it said "proposed proposed").
func proposer(p *store.Decision) string {
	if p == nil {
		return "proposed"
	}
	return p.Reviewer + " proposed"
}

func ingForm(a store.Action) string {
	switch a {
	case store.Approve:
		return "approving"
	case store.Reject:
		return "rejecting"
	}
	return string(a)
}
