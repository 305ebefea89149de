package cli

import (
	"context"
	"fmt"

	"github.com/muesli/mango"
	mcobra "github.com/muesli/mango-cobra"
	"github.com/muesli/roff"
	"github.com/spf13/cobra"

	"github.com/caisson-review/caisson-review/caisson"
)

func init() {
	commandHelp["man"] = `
Writes caisson-review's manual page, in roff, to standard output: every
command with its flags. docs/caisson-review.1 is a copy kept in sync by the
tests. Install it where man looks:

  caisson-review man > ~/.local/share/man/man1/caisson-review.1
  caisson-review man | man -l -`
}

func wireMan(a *app, c *cobra.Command) runFunc {
	c.ValidArgsFunction = cobra.NoFileCompletions
	return func(_ context.Context, pos []string) error {
		if len(pos) > 0 {
			return usageErrorf("man", "man takes no arguments")
		}
		page, err := manPage(c.Root())
		if err != nil {
			return err
		}
		_, err = fmt.Fprint(a.stdout, page)
		return err
	}
}

// manPage is the roff of the program's manual page, built from the same
// commands, summaries and flags as the help. Its date is the day it was
// made (mango's), which TestTheManPageInDocsIsInSync leaves out.
func manPage(root *cobra.Command) (string, error) {
	// mango makes every line of a description a paragraph: the help's
	// text, wrapped for 80 columns, is said here in whole paragraphs.
	page := mango.NewManPage(1, root.Name(), root.Short).WithLongDescription(manDescription)
	if err := mcobra.AddCommand(page, root); err != nil {
		return "", fmt.Errorf("building the manual page: %w", err)
	}
	page = page.WithSection("Environment", envAPIURL+": the API base URL (default "+caisson.DefaultBaseURL+"). "+
		envAPIKey+": the secret API key itself; no flag takes it, as it would show in ps and in shell history. "+
		envDB+": the review database, a file or a postgres:// URL (default $XDG_DATA_HOME/caisson-review/review.db). "+
		envReviewer+": your name in the decision log (default the login user). "+
		"NO_COLOR: no colour in help, errors or the console. A flag beats the environment, which beats the default.")
	page = page.WithSection("Exit status", "0 success; 1 failure, the reasons listed on standard error; "+
		"2 usage error: a missing or malformed argument, an unknown flag, a missing note, approving a risky check without --yes.")
	page = page.WithSection("See also", "caisson-review COMMAND --help for each command's rules and examples; "+
		"caisson-review completion bash|zsh|fish for tab completion.")
	return page.Build(roff.NewDocument()), nil
}

const manDescription = "A terminal review console for Caisson ID Checks: keep a list of check ids, " +
	"fetch each result, see both confidences and every reason code decoded, and record decisions " +
	"(approve, reject, escalate, reopen, with notes) in a tamper-evident audit log. " +
	"Without a command, caisson-review opens the review console; the commands below load, refresh, " +
	"list, decide and export from a shell. Global flags go before or after the command."
