package cli

import (
	"context"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/store"
)

func init() {
	commandHelp["completion"] = `
Writes the completion script for bash, zsh or fish to standard output.
Besides commands and flags, it completes queue names, sort names, decision
actions and reasons, and the check ids tracked in the database the command
line points at (--db or CAISSON_REVIEW_DB): read-only, at most 50 a tab,
and none when another process keeps the database locked for more than
200 ms. Install it once:

  caisson-review completion bash > ~/.local/share/bash-completion/completions/caisson-review
  caisson-review completion zsh > "${fpath[1]}/_caisson-review"
  caisson-review completion fish > ~/.config/fish/completions/caisson-review.fish`
}

// maxCompletedIDs is how many check ids one tab press offers: more would
// scroll a reviewer's 80x24 terminal away.
const maxCompletedIDs = 50

// checkIDPrefix is how a check id starts; show, decide and refresh also
// take one without it, as the list shows it.
const checkIDPrefix = "chk_priv_"

var shells = []string{"bash", "zsh", "fish"}

func wireCompletion(a *app, c *cobra.Command) runFunc {
	c.ValidArgsFunction = cobra.FixedCompletions(shells, cobra.ShellCompDirectiveNoFileComp)
	return func(_ context.Context, pos []string) error {
		if len(pos) != 1 {
			return usageErrorf("completion", "expected one shell: bash, zsh or fish")
		}
		root := c.Root()
		switch pos[0] {
		case "bash":
			return root.GenBashCompletionV2(a.stdout, true)
		case "zsh":
			return root.GenZshCompletion(a.stdout)
		case "fish":
			return root.GenFishCompletion(a.stdout, true)
		}
		return usageErrorf("completion", "unknown shell %q: expected bash, zsh or fish", sanitize.Line(pos[0]))
	}
}

// completeFlag registers how the shell completes a flag's value. It fails
// only for a flag not declared, a mistake in this package.
func completeFlag(c *cobra.Command, name string, fn cobra.CompletionFunc) {
	if err := c.RegisterFlagCompletionFunc(name, fn); err != nil {
		panic("completing --" + name + ": " + err.Error())
	}
}

// completeGlobals: --db and --api-key-file complete file names, the
// shell's default; the others take no file.
func (a *app) completeGlobals(root *cobra.Command) {
	completeFlag(root, "api-url", cobra.NoFileCompletions)
	completeFlag(root, "reviewer", cobra.NoFileCompletions)
}

func completeQueues(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	names := make([]string, 0, len(store.Queues)+1)
	for _, q := range append(slices.Clone(store.Queues), store.QueueSecondReview) {
		names = append(names, string(q))
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}

func completeSorts(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return sortNames(), cobra.ShellCompDirectiveNoFileComp
}

func completeFormats(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return []string{"csv", "json"}, cobra.ShellCompDirectiveNoFileComp
}

// decideActions are decide's second argument, in the order of its usage.
var decideActions = []store.Action{store.Approve, store.Reject, store.Escalate, store.Reopen, store.Confirm, store.Return}

// completeDecideArgs: a tracked check id, then the action.
func (a *app) completeDecideArgs(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	switch len(args) {
	case 0:
		return a.completeCheckIDs(c, args, toComplete)
	case 1:
		out := make([]string, len(decideActions))
		for i, act := range decideActions {
			out[i] = string(act)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
	return nil, cobra.ShellCompDirectiveNoFileComp
}

// completeReasons offers the reasons of the action already given, or
// both catalogues before it is.
func completeReasons(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var reasons []store.Reason
	action := ""
	if len(args) > 1 {
		action = args[1]
	}
	if action != string(store.Escalate) {
		reasons = append(reasons, store.RejectReasons...)
	}
	if action != string(store.Reject) {
		for _, r := range store.EscalateReasons {
			if !slices.Contains(reasons, r) {
				reasons = append(reasons, r)
			}
		}
	}
	out := make([]string, len(reasons))
	for i, r := range reasons {
		out[i] = string(r)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func completePolicyArgs(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []string
	switch {
	case len(args) == 0:
		out = []string{"show", "set"}
	case len(args) == 1 && args[0] == "set":
		out = []string{"four-eyes", "sla"}
	case len(args) == 2 && args[0] == "set" && args[1] == "sla":
		out = []string{"24h", "48h", "off"}
	case len(args) == 2 && args[0] == "set":
		for _, m := range store.FourEyesModes {
			out = append(out, string(m))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeCommandNames is help's argument: the commands help shows.
func completeCommandNames(c *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, sub := range c.Root().Commands() {
		if sub.IsAvailableCommand() {
			out = append(out, cobra.CompletionWithDesc(sub.Name(), sub.Short))
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeOneCheckID is for a command that takes one id (show).
func (a *app) completeOneCheckID(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return a.completeCheckIDs(c, args, toComplete)
}

// completeCheckIDs offers the tracked check ids starting with what was
// typed (with its prefix, in any case, or without it), with each one's
// review status beside it and never a name: the database is opened
// read-only, the offer is cut at maxCompletedIDs, and a database locked
// for longer than store.CompletionWait offers nothing rather than freeze
// the shell. Ids already on the command line are not offered again.
func (a *app) completeCheckIDs(c *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	path, err := a.dbPath()
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	ctx := c.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	typed, bare := splitCheckIDPrefix(toComplete)
	found, err := store.CompleteCheckIDs(ctx, path, checkIDPrefix+typed, maxCompletedIDs+len(args))
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, f := range found {
		rest := strings.TrimPrefix(f.CheckID, checkIDPrefix)
		if slices.Contains(args, f.CheckID) || slices.Contains(args, rest) || len(out) == maxCompletedIDs {
			continue
		}
		shown := f.CheckID
		switch {
		case bare:
			shown = rest
		case len(toComplete) >= len(checkIDPrefix):
			// As typed: the prefix may be in any case, and the shell
			// keeps only what starts with the word it has.
			shown = toComplete[:len(checkIDPrefix)] + rest
		}
		out = append(out, cobra.CompletionWithDesc(sanitize.Line(shown), string(f.Status)))
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// splitCheckIDPrefix reads what was typed of a check id: the part after
// chk_priv_ (the prefix in any case, or a start of it), and whether it
// was typed without the prefix, as the list shows ids.
func splitCheckIDPrefix(typed string) (rest string, bare bool) {
	lower := strings.ToLower(typed)
	switch {
	case strings.HasPrefix(checkIDPrefix, lower):
		return "", false
	case strings.HasPrefix(lower, checkIDPrefix):
		return typed[len(checkIDPrefix):], false
	}
	return typed, true
}
