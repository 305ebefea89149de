package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/store"
)

func init() {
	commandHelp["decide"] = `
Records a decision in the append-only log, as the console does: reject and
escalate need --note saying why. Approving a check with a low or unknown
confidence, an expired document or no fetched result needs --yes, the
command-line form of the console's confirmation; without it the exit
status is 2, as for a missing note. The id may be given with or without
its chk_priv_ prefix.

  caisson-review decide chk_priv_… reject --note "photo is of a screen"`
}

func cmdDecide(ctx context.Context, a *app, args []string) error {
	fs := a.flagSet("decide")
	note := fs.String("note", "", "why (required for reject and escalate)")
	yes := fs.Bool("yes", false, "confirm approving a risky check (low confidence, expired document, or no result)")
	pos, err := a.parse(fs, "decide", args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usageErrorf("decide", "expected a check id and one of approve, reject, escalate, reopen")
	}
	id, err := caisson.ParseCheckRef(pos[0])
	if err != nil {
		return usageErrorf("decide", "%s", err.Error())
	}
	action, err := store.ParseAction(pos[1])
	if err != nil {
		return usageErrorf("decide", "%s", err.Error())
	}
	if action.NeedsNote() && strings.TrimSpace(*note) == "" {
		return usageErrorf("decide", "%s needs a note saying why: --note TEXT", action)
	}
	reviewer, err := a.reviewer()
	if err != nil {
		return err
	}
	st, err := a.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rec, err := st.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%s is not tracked: add it with %s add", id, progName)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", id, err)
	}
	if action == store.Approve && !*yes {
		if risk := approvalRisk(rec, time.Now()); risk != "" {
			// The console asks; the command line cannot, so approving
			// without the confirmation is a mistake in the command: 2.
			return usageErrorf("decide", "%s %s: pass --yes to approve it anyway", id, risk)
		}
	}
	d, err := st.Decide(ctx, id, action, *note, reviewer)
	if err != nil {
		return fmt.Errorf("recording the decision: %w", err)
	}
	fmt.Fprintln(a.stdout, sanitize.Line(fmt.Sprintf("%s %s: decision #%d by %s at %s",
		d.Action.PastTense(), d.CheckID, d.Seq, d.Reviewer, timeText(d.At))))
	return nil
}

// approvalRisk says why approving needs confirmation, or "" when it does
// not: the rule is the console's, store.ApprovalRisks.
func approvalRisk(rec *store.Record, now time.Time) string {
	return strings.Join(store.ApprovalRisks(rec.Row, rec.Result, now), "; ")
}
