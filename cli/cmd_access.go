package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/store"
)

func init() {
	commandHelp["access"] = `
Writes the access log, oldest first: every time a person was shown a
check's personal data (the console's detail, show, list --json, export),
who (the identity the operating system or the SSH key vouches for, and the
display name), which check, what, from where (console, serve with the
client's address, cli) and when. Columns: time, identity, reviewer,
check_id, what, origin, address. The log is append-only and kept when
personal data is purged; it holds no personal data itself beyond the check
id, so --customer finds the checks that have that customer id now (a
purged check's records are found by --check). --reviewer NAME keeps the
records of that display name or identity (os:uid=…, ssh:SHA256:…); here,
unlike in other commands, CAISSON_REVIEWER does not stand in for it.

  caisson-review access --customer "5728349 - Miller, Ashley"
  caisson-review access --reviewer rita --since 2026-04-01 --format json`
}

// accessJSON is one record of access --format json.
type accessJSON struct {
	Time     string `json:"time"`
	Identity string `json:"identity"`
	Reviewer string `json:"reviewer"`
	CheckID  string `json:"check_id"`
	What     string `json:"what"`
	Origin   string `json:"origin"`
	Address  string `json:"address"`
}

var accessCSVHeader = []string{"time", "identity", "reviewer", "check_id", "what", "origin", "address"}

func newAccessJSON(r store.Access) accessJSON {
	return accessJSON{Time: r.At.UTC().Format(time.RFC3339Nano), Identity: r.Identity, Reviewer: r.Reviewer,
		CheckID: r.CheckID, What: string(r.What), Origin: string(r.Origin), Address: r.Address}
}

// accessFlags are access's own flags; --reviewer is the global one.
type accessFlags struct {
	check, customer, since, format string
}

func wireAccess(a *app, c *cobra.Command) runFunc {
	var f accessFlags
	c.Flags().StringVar(&f.check, "check", "", "only this check ID (with or without chk_priv_)")
	c.Flags().StringVar(&f.customer, "customer", "", "only the checks of customer ID (exactly)")
	c.Flags().StringVar(&f.since, "since", "", "only from DATE on (YYYY-MM-DD, UTC, or an RFC 3339 time)")
	c.Flags().StringVar(&f.format, "format", "csv", "csv or json")
	c.ValidArgsFunction = cobra.NoFileCompletions
	completeFlag(c, "check", a.completeCheckIDs)
	completeFlag(c, "customer", cobra.NoFileCompletions)
	completeFlag(c, "since", cobra.NoFileCompletions)
	completeFlag(c, "format", completeFormats)
	return func(ctx context.Context, pos []string) error {
		err := refuseEmpty(c, map[string]string{
			"check":    "a check id (chk_priv_…); without it every record is listed",
			"customer": "the whole customer id (5728349 - Miller, Ashley); without it every record is listed",
			"since":    sinceExpected + "; without it every record is listed",
		})
		if err != nil {
			return err
		}
		return cmdAccess(ctx, a, f, pos)
	}
}

func cmdAccess(ctx context.Context, a *app, f accessFlags, pos []string) error {
	var err error
	if len(pos) > 0 {
		return usageErrorf("access", "access takes no arguments; did you mean --check %s?", sanitize.Line(pos[0]))
	}
	if f.format != "csv" && f.format != "json" {
		return usageErrorf("access", "--format %q: expected csv or json", sanitize.Line(f.format))
	}
	// What was pasted around a customer id does not make another one
	// (the console's filter trims it too).
	f.customer = strings.TrimSpace(f.customer)
	// --reviewer is the global flag (your name elsewhere); here it
	// filters, and only when given as a flag: CAISSON_REVIEWER, set in a
	// reviewer's profile, must not silently narrow an audit.
	q := store.AccessQuery{Customer: f.customer}
	if a.globals.reviewer.set {
		q.Reviewer = a.globals.reviewer.value
	}
	if f.check != "" {
		if q.CheckID, err = caisson.ParseCheckRef(f.check); err != nil {
			return usageErrorf("access", "%s", err.Error())
		}
	}
	if f.since != "" {
		if q.Since, err = parseSince(f.since); err != nil {
			return usageErrorf("access", "%s", err.Error())
		}
	}
	st, err := a.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if q.Customer != "" {
		// An empty report must not read as "nobody looked" when it is the
		// customer id that matched nothing (list --customer, given only
		// its start, finds it by the start; an audit does not guess).
		if err := a.noteCustomerNotFound(ctx, st, q.Customer); err != nil {
			return err
		}
	}
	if q.Reviewer != "" {
		if err := a.noteReviewerNotFound(ctx, st, q); err != nil {
			return err
		}
	}
	if q.CheckID != "" {
		if err := a.noteCheckNotTracked(ctx, st, q.CheckID); err != nil {
			return err
		}
	}
	if f.format == "json" {
		return accessJSONOut(ctx, a.stdout, st, q)
	}
	return accessCSVOut(ctx, a.stdout, st, q)
}

// errFound stops a walk of the access log at its first record.
var errFound = errors.New("found")

// noteReviewerNotFound says on stderr when no record has the --reviewer
// given, so that an empty report does not read as "this reviewer looked at
// nothing" when it is the name that matched nothing: under serve a
// reviewer's name is the SSH user with the key's fingerprint and comment
// (helper-59: --reviewer alice listed nothing for alice's sessions).
func (a *app) noteReviewerNotFound(ctx context.Context, st *store.Store, q store.AccessQuery) error {
	byName := store.AccessQuery{Reviewer: q.Reviewer}
	err := st.Accesses(ctx, byName, func(store.Access) error { return errFound })
	switch {
	case errors.Is(err, errFound):
		return nil
	case err != nil:
		return fmt.Errorf("reading the access log: %w", err)
	}
	fmt.Fprintf(a.stderr, "%s: no access record has the reviewer %s exactly (a display name or an identity): under serve a reviewer is named \"user (SHA256:…, comment)\"; give that whole, or the identity (ssh:SHA256:…, os:uid=…), which the CSV's identity column shows\n",
		progName, sanitize.Line(q.Reviewer))
	return nil
}

// noteCheckNotTracked says on stderr when the --check given is not
// tracked: a mistyped id listed nothing, which read as "nobody viewed it"
// (helper-60). The exit status stays 0, as for the other filters.
func (a *app) noteCheckNotTracked(ctx context.Context, st *store.Store, id string) error {
	_, err := st.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		fmt.Fprintf(a.stderr, "%s: %s is not tracked here, so no access record can name it (check the id: show and list find tracked checks)\n", progName, id)
	}
	// Another error (a damaged cache) is no reason not to list the
	// records: they are read apart.
	return nil
}

// noteCustomerNotFound says on stderr when no check has exactly the
// customer id given: whether some customer ids start with it, and where a
// purged check's records are.
func (a *app) noteCustomerNotFound(ctx context.Context, st *store.Store, customer string) error {
	byStart, err := customerByStart(ctx, st, customer)
	if err != nil || !byStart {
		return err
	}
	n, _, err := st.CountUpTo(ctx, store.PageQuery{Queue: store.QueueAll, Customer: customer, CustomerStart: true}, 1)
	if err != nil {
		return fmt.Errorf("looking up customer %s: %w", sanitize.Line(customer), err)
	}
	name := sanitize.Line(customer)
	if n > 0 {
		fmt.Fprintf(a.stderr, "%s: no check has the customer id %s exactly, so no access record is listed: some customer ids start with it (list --customer %s shows them); give one whole\n", progName, name, name)
		return nil
	}
	fmt.Fprintf(a.stderr, "%s: no check has the customer id %s, so no access record is listed (the records of a purged check are found by --check)\n", progName, name)
	return nil
}

func accessCSVOut(ctx context.Context, w io.Writer, st *store.Store, q store.AccessQuery) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	if err := cw.Write(accessCSVHeader); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	err := st.Accesses(ctx, q, func(r store.Access) error {
		j := newAccessJSON(r)
		rec := []string{j.Time, j.Identity, j.Reviewer, j.CheckID, j.What, j.Origin, j.Address}
		for i := range rec {
			rec[i] = defuseFormula(sanitize.Line(rec[i]))
		}
		return cw.Write(rec)
	})
	cw.Flush()
	if err != nil {
		return fmt.Errorf("exporting the access log: %w", err)
	}
	return cw.Error()
}

func accessJSONOut(ctx context.Context, w io.Writer, st *store.Store, q store.AccessQuery) error {
	out := &jsonArray{w: w}
	err := st.Accesses(ctx, q, func(r store.Access) error { return out.add(newAccessJSON(r)) })
	if err != nil {
		return fmt.Errorf("exporting the access log: %w", err)
	}
	return out.end()
}

// recordAccess logs that this command is about to show what of the
// checks. A database that cannot be written (a full disk, a read-only
// file) still shows them, as the README promises for reading, but says
// loudly on standard error that the access was not logged. An unfinished
// copy is refused instead (store.ShowsPersonalData): it is not to be used
// yet, and the command shows nothing.
func (a *app) recordAccess(ctx context.Context, st *store.Store, what store.AccessWhat, checkIDs ...string) error {
	if len(checkIDs) == 0 {
		return nil
	}
	if err := st.ShowsPersonalData(ctx); err != nil {
		return err
	}
	// A name that cannot be recorded refuses the command: shown anyway,
	// with the warning a full disk gets, any user could read unlogged by
	// setting a name of 101 bytes.
	reviewer, err := a.reviewer()
	if err != nil {
		return err
	}
	if err := st.RecordAccess(ctx, store.AccessSession{Reviewer: reviewer, Origin: store.OriginCLI}, what, checkIDs...); err != nil {
		fmt.Fprintf(a.stderr, "%s: WARNING: this access to personal data was not logged: %s\n", progName, sanitize.Line(err.Error()))
	}
	return nil
}
