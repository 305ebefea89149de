package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/store"
)

func init() {
	commandHelp["migrate-store"] = `
Copies everything one store holds into another: the tracked checks, their
cached responses byte for byte, the decision log entry by entry (with its
hashes, so the policy and the SLA it holds), the access log and the
exchange tokens kept to retry. Either side is an SQLite file or a
PostgreSQL URL (postgres://…), which is only ever shown with its password
as xxxxx.

The source's hash chain must verify, and the copy's must verify after and
end at the same head; both heads are printed. The source must exist; a
target file that does not exist is created. A target that holds anything
is refused, unless it is a copy of this source that stopped before its
end (Ctrl-C, a lost connection, a full disk): run the same command again
and it goes on from where it stopped, nothing copied twice. Stop every
console, serve and cron job writing to the source first: the copy is of
the source as it was when the command started.

  caisson-review migrate-store --from ~/.local/share/caisson-review/review.db --to 'postgres://review@db.internal/review?sslmode=verify-full'
  caisson-review migrate-store --from "$CAISSON_REVIEW_DB" --to /srv/caisson-review/copy.db`
}

func wireMigrateStore(a *app, c *cobra.Command) runFunc {
	var from, to string
	c.Flags().StringVar(&from, "from", "", "the store to copy: an SQLite file or a postgres:// URL")
	c.Flags().StringVar(&to, "to", "", "the empty store to copy into: an SQLite file (created if absent) or a postgres:// URL")
	c.ValidArgsFunction = cobra.NoFileCompletions
	// Files complete as the shell does by default; a URL is typed.
	c.MarkFlagFilename("from")
	c.MarkFlagFilename("to")
	return func(ctx context.Context, pos []string) error { return cmdMigrateStore(ctx, a, from, to, pos) }
}

func cmdMigrateStore(ctx context.Context, a *app, from, to string, pos []string) error {
	if len(pos) > 0 {
		return usageErrorf("migrate-store", "migrate-store takes no arguments: expected --from PATH_OR_URL --to PATH_OR_URL")
	}
	if from == "" || to == "" {
		return usageErrorf("migrate-store", "--from and --to are both required: the store to copy and the empty one to copy it into")
	}
	for _, loc := range []struct{ flag, value string }{{"--from", from}, {"--to", to}} {
		if store.LooksLikeConninfo(loc.value) {
			return usageErrorf("migrate-store", "%s: %v", loc.flag, store.ErrConninfo)
		}
	}
	// As --db's: a password on the command line is in ps and the
	// shell's history.
	for _, loc := range []struct{ flag, value string }{{"--from", from}, {"--to", to}} {
		if store.IsPostgres(loc.value) && dbURLHasPassword(loc.value) {
			a.warnDBPasswordOnCommandLine(loc.flag)
		}
	}
	if sameStore(from, to) {
		return usageErrorf("migrate-store", "--from and --to name the same store (%s): expected two stores", shownLocation(from))
	}
	if !store.IsPostgres(from) {
		if _, err := os.Stat(from); errors.Is(err, iofs.ErrNotExist) {
			return fmt.Errorf("no review database at %s: expected the store to copy (--from)", shownLocation(from))
		}
	}
	opts := []store.Option{store.WithWarnings(a.stderr)}
	src, err := store.Open(ctx, from, opts...)
	if err != nil {
		return fmt.Errorf("opening the source: %w", err)
	}
	defer src.Close()
	// Before the target is made: a refused copy leaves no empty file.
	if err := src.CopyableSource(); err != nil {
		return err
	}
	dst, err := store.Open(ctx, to, append(opts, store.AsCopyTarget())...)
	if err != nil {
		return fmt.Errorf("opening the target: %w", err)
	}
	defer dst.Close()
	fmt.Fprintf(a.stderr, "%s: copying %s to %s\n", progName, shownLocation(from), shownLocation(to))
	bar := newCopyProgress(a.stderr, isTerminal(a.stderr))
	rep, err := dst.CopyFrom(ctx, src, store.CopyOptions{Progress: bar.update})
	bar.finish()
	if err != nil {
		if ctx.Err() != nil {
			return &interruptedError{say: "the copy is not finished, so the target is not to be used yet; what was copied is kept: run the same migrate-store again to finish it", err: err}
		}
		return fmt.Errorf("copying %s to %s: %w", shownLocation(from), shownLocation(to), err)
	}
	printCopyReport(a.stdout, from, to, rep)
	return nil
}

// shownLocation is a location fit for the screen: a URL without its
// password, anything through the sanitizer.
func shownLocation(loc string) string { return sanitize.Line(store.Redact(loc)) }

// sameStore reports whether two locations name one store: the same text,
// or two paths to one file.
func sameStore(a, b string) bool {
	if a == b {
		return true
	}
	if store.IsPostgres(a) || store.IsPostgres(b) {
		return false
	}
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	ia, errA := os.Stat(a)
	ib, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(ia, ib)
}

func printCopyReport(w io.Writer, from, to string, rep store.CopyReport) {
	how := "copied"
	if rep.Resumed {
		how = "finished copying"
		if rep.Copied == 0 {
			how = "found already copied"
		}
	}
	fmt.Fprintf(w, "%s %s to %s\n", how, shownLocation(from), shownLocation(to))
	fmt.Fprintf(w, "  tracked checks  %d (%d with a result or a decision)\n", rep.Tracked, rep.Checks)
	fmt.Fprintf(w, "  decisions       %d\n", rep.Decisions)
	fmt.Fprintf(w, "  access records  %d\n", rep.Access)
	fmt.Fprintf(w, "  kept exchanges  %d\n", rep.Exchanges)
	fmt.Fprintf(w, "  source head     %s\n", headText(rep.SourceHead))
	fmt.Fprintf(w, "  target head     %s (the chain verifies)\n", headText(rep.TargetHead))
}

func headText(h store.Head) string {
	if h.IsZero() {
		return "none (the log is empty)"
	}
	return h.String()
}

// copyProgress shows a copy's progress on standard error: the bar on a
// terminal; elsewhere a line as each table starts and at every tenth of
// the rows, so a log shows it moving without a line a batch.
type copyProgress struct {
	w     io.Writer
	tty   bool
	bar   *progress
	table string
	tenth int64
	said  bool // the first line is out
}

func newCopyProgress(w io.Writer, tty bool) *copyProgress {
	return &copyProgress{w: w, tty: tty}
}

func (p *copyProgress) update(c store.CopyProgress) {
	if p.tty {
		if p.bar == nil {
			p.bar = newProgress(p.w, true, int(c.Total))
			p.bar.verb = "copying"
		}
		p.bar.at(int(c.Done))
		return
	}
	tenth := int64(0)
	if c.Total > 0 {
		tenth = c.Done * 10 / c.Total
	}
	if !p.said || c.Table != p.table || tenth > p.tenth {
		what := c.Table
		if what == "" {
			what = "starting"
		}
		fmt.Fprintf(p.w, "%s: copied %d of %d rows (%s)\n", progName, c.Done, c.Total, what)
		p.table, p.tenth, p.said = c.Table, tenth, true
	}
}

func (p *copyProgress) finish() {
	if p.bar != nil {
		p.bar.finish()
	}
}
