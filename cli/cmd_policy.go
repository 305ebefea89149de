package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

func init() {
	commandHelp["policy"] = `
Shows or changes the database's policy, which every reviewer of the
database follows: no flag of another command skips it.

four-eyes says which decisions a second reviewer, with another identity,
must confirm before they take effect:
  off        one reviewer decides alone (the default of a new database)
  risky      an approval of a check below high on either confidence, with an
             unknown level or an expired document (recommended for teams)
  approvals  every approval
  all        every approval and every rejection

sla is how long a check may wait for a decision, from when it became
reviewable, before it is overdue: whole hours (24h) or days (2d), or off
(the default). An overdue check is marked "! overdue" in the console and
in list, the console's header counts them, and list --overdue lists them.

A change of either is an entry in the hash-chained decision log (who,
when, the old and new value, and the --note saying why), so export and
export --verify cover it. Turning four-eyes off voids every proposal
awaiting a second reviewer, each with a log entry saying so. Only this
command changes policy, run by someone who can write the database: no
console key and no serve session can.

  caisson-review policy show
  caisson-review policy set four-eyes risky --note "audit finding 2026-04"
  caisson-review policy set sla 24h --note "contract with the bank, clause 7"`
}

func wirePolicy(a *app, c *cobra.Command) runFunc {
	var note string
	c.Flags().StringVar(&note, "note", "", "why the policy changes (required by set)")
	c.ValidArgsFunction = completePolicyArgs
	completeFlag(c, "note", cobra.NoFileCompletions)
	return func(ctx context.Context, pos []string) error { return cmdPolicy(ctx, a, note, pos) }
}

func cmdPolicy(ctx context.Context, a *app, note string, pos []string) error {
	switch {
	case len(pos) == 1 && pos[0] == "show":
		if note != "" {
			return usageErrorf("policy", "--note is for policy set")
		}
		return a.policyShow(ctx)
	case len(pos) == 3 && pos[0] == "set" && pos[1] == "four-eyes":
		mode, err := store.ParseFourEyes(pos[2])
		if err != nil {
			return usageErrorf("policy", "%s", err.Error())
		}
		if store.BlankNote(note) {
			// Spaces, or invisible characters, say no more than nothing:
			// a usage error, as for decide (helper-61: exit 1 here).
			return usageErrorf("policy", "a policy change needs a note saying why: --note TEXT")
		}
		return a.policySet(ctx, mode, note)
	case len(pos) == 3 && pos[0] == "set" && pos[1] == "sla":
		sla, err := store.ParseSLA(pos[2])
		if err != nil {
			return usageErrorf("policy", "%s", sanitize.Line(err.Error()))
		}
		if store.BlankNote(note) {
			// Spaces, or invisible characters, say no more than nothing:
			// a usage error, as for decide (helper-61: exit 1 here).
			return usageErrorf("policy", "a policy change needs a note saying why: --note TEXT")
		}
		return a.slaSet(ctx, sla, note)
	case len(pos) >= 2 && pos[0] == "set" && pos[1] != "four-eyes" && pos[1] != "sla":
		return usageErrorf("policy", "unknown setting %q: expected four-eyes or sla", sanitize.Line(pos[1]))
	}
	return usageErrorf("policy", "expected show, set four-eyes off|risky|approvals|all --note TEXT, or set sla HOURSh|DAYSd|off --note TEXT")
}

func (a *app) policyShow(ctx context.Context) error {
	st, err := a.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := st.Policy(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(a.stdout, sanitize.Line(policyText(p)))
	fmt.Fprintln(a.stdout, sanitize.Line(slaText(p)))
	return nil
}

func slaText(p store.Policy) string {
	if p.SLASet.Seq == 0 {
		return "sla: off (the default: never changed)"
	}
	d := p.SLASet
	return fmt.Sprintf("sla: %s (was %s; set by %s [%s] at %s, decision log #%d: %s)",
		store.FormatSLA(p.SLA), d.OldValue, d.Reviewer, d.Identity, timeText(d.At), d.Seq, d.Note)
}

func (a *app) slaSet(ctx context.Context, sla time.Duration, note string) error {
	return a.changePolicy(ctx, "the SLA", note, func(st *store.Store, reviewer string) (store.Decision, error) {
		d, err := st.SetSLA(ctx, store.SLAChange{SLA: sla, Note: note, Reviewer: reviewer})
		if err == nil {
			fmt.Fprintln(a.stdout, sanitize.Line(slaText(store.Policy{SLA: sla, SLASet: d})))
		}
		return d, err
	})
}

// changePolicy runs one policy change as this command's reviewer and
// prints the decision log's new head, as decide does. Setting a policy is
// often the first thing a team does with a new database, before anything
// is tracked: it may create the file.
func (a *app) changePolicy(ctx context.Context, what, note string, change func(st *store.Store, reviewer string) (store.Decision, error)) error {
	reviewer, err := a.reviewer()
	if err != nil {
		return err
	}
	if err := a.refuseKeyIn("the note", note); err != nil {
		return fmt.Errorf("changing %s: %w", what, err)
	}
	if err := a.refuseKeyIn("the reviewer's name", reviewer); err != nil {
		return fmt.Errorf("changing %s: %w", what, err)
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	d, err := change(st, reviewer)
	if err != nil {
		return fmt.Errorf("changing %s: %w", what, err)
	}
	// The policy entry's own head, unless the change appended entries
	// after it (the voids of turning four-eyes off).
	head := d.Head()
	if d.LogHead.Seq != 0 {
		head = d.LogHead
	}
	_ = a.writeHead(head) // the change is recorded whatever stderr takes
	return nil
}

func policyText(p store.Policy) string {
	if p.Set.Seq == 0 {
		return fmt.Sprintf("four-eyes: %s (the default: never changed)", p.FourEyes)
	}
	d := p.Set
	return fmt.Sprintf("four-eyes: %s (was %s; set by %s [%s] at %s, decision log #%d: %s)",
		p.FourEyes, d.OldValue, d.Reviewer, d.Identity, timeText(d.At), d.Seq, d.Note)
}

func (a *app) policySet(ctx context.Context, mode store.FourEyes, note string) error {
	return a.changePolicy(ctx, "the policy", note, func(st *store.Store, reviewer string) (store.Decision, error) {
		d, err := st.SetFourEyes(ctx, store.PolicyChange{FourEyes: mode, Note: note, Reviewer: reviewer})
		if err != nil {
			return d, err
		}
		fmt.Fprintln(a.stdout, sanitize.Line(policyText(store.Policy{FourEyes: mode, Set: d})))
		if mode == store.FourEyesOff {
			fmt.Fprintln(a.stdout, "every proposal that awaited a second reviewer is void (see export)")
		}
		return d, nil
	})
}

// refuseKeyIn refuses text (what names it) that holds the secret API key,
// when one is configured, as the service refuses a decision's note: a
// policy entry is in the append-only log for good. Without a key there
// is nothing to compare with, and a policy change needs none.
func (a *app) refuseKeyIn(what, text string) error {
	key, err := a.apiKey()
	if err != nil || !key.Holds(text) {
		return nil
	}
	return service.KeyRefusal(what)
}
