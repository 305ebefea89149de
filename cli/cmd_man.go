package cli

import (
	"context"
	"fmt"

	mcobra "github.com/muesli/mango-cobra"
	"github.com/muesli/roff"
	"github.com/spf13/cobra"
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
// commands, summaries and flags as the help.
func manPage(root *cobra.Command) (string, error) {
	page, err := mcobra.NewManPage(1, root)
	if err != nil {
		return "", fmt.Errorf("building the manual page: %w", err)
	}
	page = page.WithSection("Exit status", "0 success, 1 failure (the reasons are listed on standard error), "+
		"2 usage error (a missing or malformed argument, a missing note, approving a risky check without --yes).")
	page = page.WithSection("Environment", envAPIURL+": the API base URL. "+envAPIKey+": the secret API key itself "+
		"(no flag takes it: it would show in ps and shell history). "+envDB+": the review database. "+
		envReviewer+": the reviewer's name in the decision log. NO_COLOR: no colour in help, errors or the console.")
	return page.Build(roff.NewDocument()), nil
}
