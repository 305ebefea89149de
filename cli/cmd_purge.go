package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/store"
)

func init() {
	commandHelp["purge"] = `
Drops the cached personal data (customer id, name, date of birth,
address, the raw response) of checks whose response was first stored
longer ago than DURATION: the same response fetched again since does not
make it newer. Decisions and their hashes are kept, so the log still
verifies. A refresh of --all or a --queue leaves purged checks purged;
naming one fetches its data again. DURATION is a number of days (30d) or
a Go duration (12h, 90m).`
}

func wirePurge(a *app, c *cobra.Command) runFunc {
	var older string
	c.Flags().StringVar(&older, "older-than", "", "purge data first stored longer ago than DURATION (30d, 12h)")
	c.ValidArgsFunction = cobra.NoFileCompletions
	completeFlag(c, "older-than", cobra.FixedCompletions([]string{"30d", "90d", "365d"}, cobra.ShellCompDirectiveNoFileComp))
	return func(ctx context.Context, pos []string) error { return cmdPurge(ctx, a, older, pos) }
}

func cmdPurge(ctx context.Context, a *app, older string, pos []string) error {
	if len(pos) > 0 {
		return usageErrorf("purge", "purge takes no arguments")
	}
	if older == "" {
		return usageErrorf("purge", "--older-than is required, for example --older-than 30d")
	}
	d, err := parseAge(older)
	if err != nil {
		return usageErrorf("purge", "%s", err.Error())
	}
	st, err := a.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	before, err := st.Head(ctx)
	if err != nil {
		return fmt.Errorf("reading the decision log's head: %w", err)
	}
	n, err := st.Purge(ctx, d, time.Now())
	lingers := errors.Is(err, store.ErrPurgedDataLingers)
	if err != nil && !lingers {
		return fmt.Errorf("purging: %w", err)
	}
	fmt.Fprintf(a.stdout, "purged the personal data of %s older than %s; decisions kept\n", plural(n, "check"), sanitize.Line(older))
	if err := a.noteHeadMoved(ctx, st, before); err != nil {
		return err
	}
	if lingers {
		// After what was done: the purge itself holds, and exit status 1
		// has cron say that the files still hold a copy.
		return err
	}
	return nil
}

// maxAgeDays bounds --older-than in days: beyond it nothing was ever
// cached, and a time.Duration overflows not far above.
const maxAgeDays = 100 * 365

// parseAge reads "30d" as 30 days, or any Go duration ("12h", "1h30m").
// Go's own parser has no days, and retention is always said in days.
func parseAge(s string) (time.Duration, error) {
	bad := fmt.Errorf("--older-than %q: expected days (30d) or a Go duration (12h, 90m) greater than zero", sanitize.Line(s))
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, bad
		}
		if n > maxAgeDays {
			return 0, fmt.Errorf("--older-than %q: expected at most %dd (100 years)", sanitize.Line(s), maxAgeDays)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, bad
		}
	}
	if d <= 0 {
		return 0, bad
	}
	return d, nil
}
