package cli

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/store"
)

func init() {
	commandHelp["export"] = `
Writes the decision log, oldest first, one record per decision: seq,
check_id, customer_id, action, note, reviewer, time (UTC), response_hash,
prev_hash and hash. CSV follows RFC 4180 (CRLF, quoted fields), with every
field passed through the terminal sanitizer; JSON keeps every string exact.

After the log, the head of the chain (SEQ:HASH, its newest entry) goes to
standard error, so the output stays plain CSV or JSON: keep it outside the
database (a journal, next to the export, a ticket). --head prints only the
head, to standard output. The chain is verified first: a broken one is
still written, where it breaks said on standard error, and the export
exits 1.

--verify writes nothing but checks the hash chain instead: it says how many
entries hold, or where the chain breaks, or which append-only trigger is
missing or changed (exit status 1). With --head SEQ:HASH (repeatable) it
also fails when the log no longer holds that head: entries cut off its end
or rewritten up to it. Then the access log's chain, the same way, on a
line of its own ending with its head (ID:HASH), which --access-head
checks as --head checks the decision log's. A database file emptied is
refused, not verified.

  caisson-review export --format csv --since 2026-01-01 > decisions.csv 2>> heads.txt
  caisson-review export --head >> heads.txt
  caisson-review export --verify --head 42:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`
}

// headsFlag collects --head SEQ:HASH values; an empty value (a bare
// --head) asks for the head to be printed.
type headsFlag struct {
	heads []store.Head
	print bool
}

func (h *headsFlag) String() string { return "" }
func (h *headsFlag) Type() string   { return "SEQ:HASH" }

func (h *headsFlag) Set(s string) error {
	if s == "" {
		h.print = true
		return nil
	}
	head, err := store.ParseHead(s)
	if err != nil {
		return err
	}
	h.heads = append(h.heads, head)
	return nil
}

// bareHead rewrites a --head given without a value (last, or before
// another flag) as --head=, so that --head alone prints the head while
// --head SEQ:HASH still takes its value.
func bareHead(args []string) []string {
	out := make([]string, len(args))
	copy(out, args)
	for i, a := range out {
		if a == "--" {
			break
		}
		if (a == "--head" || a == "-head") && (i+1 == len(out) || strings.HasPrefix(out[i+1], "-")) {
			out[i] = "--head="
		}
	}
	return out
}

// decisionJSON is one decision record, in export --format json and show --json.
type decisionJSON struct {
	Seq          int64  `json:"seq"`
	CheckID      string `json:"check_id"`
	CustomerID   string `json:"customer_id"`
	Action       string `json:"action"`
	Note         string `json:"note"`
	Reviewer     string `json:"reviewer"`
	Time         string `json:"time"`
	ResponseHash string `json:"response_hash"`
	PrevHash     string `json:"prev_hash"`
	Hash         string `json:"hash"`
	Stale        bool   `json:"stale,omitempty"`
	// Added with four-eyes and reasons, after the fields scripts already
	// read. Entries made before are version 1, with these empty.
	Identity    string `json:"identity"`
	Reason      string `json:"reason"`
	Finality    string `json:"finality"`
	Proposes    string `json:"proposes"`
	Ref         int64  `json:"ref"`
	OldValue    string `json:"old_value"`
	NewValue    string `json:"new_value"`
	HashVersion int    `json:"hash_version"`
}

func newDecisionJSON(d store.Decision, customerID string) decisionJSON {
	return decisionJSON{
		Seq: d.Seq, CheckID: d.CheckID, CustomerID: customerID, Action: string(d.Action), Note: d.Note,
		Reviewer: d.Reviewer, Time: d.At.UTC().Format(time.RFC3339Nano), ResponseHash: d.ResponseHash,
		PrevHash: d.PrevHash, Hash: d.Hash, Stale: d.Stale,
		Identity: d.Identity, Reason: string(d.Reason), Finality: string(d.Finality), Proposes: string(d.Proposes),
		Ref: d.Ref, OldValue: d.OldValue, NewValue: d.NewValue, HashVersion: d.HashVersion,
	}
}

// csvHeader: the first ten columns are the log as it was before four-eyes
// and reasons; the rest were added at the end, so that scripts reading
// columns by position keep working.
var csvHeader = []string{"seq", "check_id", "customer_id", "action", "note", "reviewer", "time", "response_hash", "prev_hash", "hash",
	"identity", "reason", "finality", "proposes", "ref", "old_value", "new_value", "hash_version", "stale"}

func (d decisionJSON) csvRecord() []string {
	ref := ""
	if d.Ref != 0 {
		ref = strconv.FormatInt(d.Ref, 10)
	}
	// As JSON leaves it out when false: the column is "true" or empty.
	stale := ""
	if d.Stale {
		stale = "true"
	}
	rec := []string{strconv.FormatInt(d.Seq, 10), d.CheckID, d.CustomerID, d.Action, d.Note, d.Reviewer,
		d.Time, d.ResponseHash, d.PrevHash, d.Hash,
		d.Identity, d.Reason, d.Finality, d.Proposes, ref, d.OldValue, d.NewValue, strconv.Itoa(d.HashVersion), stale}
	for i := range rec {
		rec[i] = defuseFormula(sanitize.Line(rec[i]))
	}
	return rec
}

// defuseFormula keeps a spreadsheet from running a field as a formula: an
// auditor opening the export must not execute =HYPERLINK(…) that a
// customer id from the API or a reviewer's note carried. A leading quote
// is how spreadsheets themselves mark text (OWASP's advice for CSV
// injection); JSON stays exact.
func defuseFormula(field string) string {
	if field != "" && strings.ContainsRune("=+-@\t\r", rune(field[0])) {
		return "'" + field
	}
	return field
}

// exportFlags are export's own flags. --head is rewritten before parsing
// (bareHead, from run) so that it may come without a value.
type exportFlags struct {
	format, since string
	verify        bool
	heads         headsFlag
	// accessHeads are --access-head ID:HASH, the access log's heads kept
	// from an earlier --verify.
	accessHeads []string
	// shaping are the flags given that shape an export (--format,
	// --since), which --verify and --head do not write.
	shaping []string
}

func wireExport(a *app, c *cobra.Command) runFunc {
	var f exportFlags
	c.Flags().StringVar(&f.format, "format", "csv", "csv or json")
	c.Flags().StringVar(&f.since, "since", "", "only decisions from DATE on (YYYY-MM-DD, UTC, or an RFC 3339 time)")
	c.Flags().BoolVar(&f.verify, "verify", false, "check the log's hash chain instead of exporting")
	c.Flags().Var(&f.heads, "head", "alone: print the log's head (SEQ:HASH); with --verify: fail unless the log still holds this head (repeatable)")
	c.Flags().StringArrayVar(&f.accessHeads, "access-head", nil, "with --verify: fail unless the access log still holds this head (ID:HASH, as --verify printed it; repeatable)")
	c.ValidArgsFunction = cobra.NoFileCompletions
	completeFlag(c, "format", completeFormats)
	completeFlag(c, "since", cobra.NoFileCompletions)
	completeFlag(c, "head", cobra.NoFileCompletions)
	completeFlag(c, "access-head", cobra.NoFileCompletions)
	return func(ctx context.Context, pos []string) error {
		for _, name := range []string{"format", "since"} {
			if c.Flags().Changed(name) {
				f.shaping = append(f.shaping, name)
			}
		}
		if err := refuseEmpty(c, map[string]string{"since": sinceExpected}); err != nil {
			return err
		}
		return cmdExport(ctx, a, f, pos)
	}
}

func cmdExport(ctx context.Context, a *app, f exportFlags, pos []string) error {
	var err error
	if len(pos) > 0 {
		return usageErrorf("export", "export takes no arguments")
	}
	if len(f.heads.heads) > 0 && !f.verify {
		return usageErrorf("export", "--head SEQ:HASH is checked by --verify: add --verify, or give --head alone to print the head")
	}
	var accessHeads []store.Head
	for _, v := range f.accessHeads {
		h, err := store.ParseHead(v)
		if err != nil {
			return usageErrorf("export", "--access-head: %s (ID:HASH, as export --verify printed the access log's head)", err.Error())
		}
		accessHeads = append(accessHeads, h)
	}
	if len(accessHeads) > 0 && !f.verify {
		return usageErrorf("export", "--access-head ID:HASH is checked by --verify: add --verify")
	}
	if f.heads.print && f.verify {
		return usageErrorf("export", "--verify --head needs the head to check: --head SEQ:HASH as export printed it")
	}
	if f.verify || f.heads.print {
		// They write no export: silently ignoring --format json would
		// hand a script text where it expects JSON.
		if len(f.shaping) > 0 {
			return usageErrorf("export", "--%s shapes an export, and --verify or --head writes none: give one or the other", f.shaping[0])
		}
	}
	if f.format != "csv" && f.format != "json" {
		return usageErrorf("export", "--format %q: expected csv or json", sanitize.Line(f.format))
	}
	var from time.Time
	if f.since != "" {
		if from, err = parseSince(f.since); err != nil {
			return usageErrorf("export", "%s", err.Error())
		}
	}
	// Every export, not only --verify's: an export of an emptied file
	// wrote a new schema into it and a header, exit 0 (helper-75).
	if err := a.refuseNonStore(ctx); err != nil {
		return err
	}
	st, err := a.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	switch {
	case f.verify:
		return a.verify(ctx, st, f.heads.heads, accessHeads)
	case f.heads.print:
		return a.printHead(ctx, st)
	}
	if err := a.recordExportAccess(ctx, st, from); err != nil {
		return err
	}
	// An export is what compliance files, with the head it ends with: a
	// log edited behind the program's back was exported, exit 0, beside
	// its real head (helper-72). Its chain is verified before it is
	// written; a broken one is still exported (those investigating it
	// need it), said to be broken, and the export fails. A trigger
	// missing is the warning every open gives, as before: the chain it
	// guards may be whole. After the access checks, which refuse an
	// unfinished copy (that does not verify either) or a reviewer's name
	// that cannot be recorded for what they are (helper-75).
	res, err := st.Verify(ctx)
	if err != nil {
		return err
	}
	// The access log's chain is said too (helper-76: a broken one was
	// passed over): its records are exported nowhere, but an export is
	// where a cron job looks.
	broken := brokenChains(res)
	a.sayLines(broken)
	customers := customerLookup(ctx, st)
	if f.format == "json" {
		err = exportJSON(ctx, a.stdout, st, from, customers)
	} else {
		err = exportCSV(ctx, a.stdout, st, from, customers)
	}
	if err != nil {
		return err
	}
	if err := a.reportHead(ctx, st); err != nil {
		return err
	}
	switch {
	case res.Problem != "":
		return errors.New("the decision log exported does not verify (said above): keep this export apart from those of an intact log, and find out what was changed")
	case len(broken) > 0:
		return errors.New("the access log does not verify (said above): the decision log exported holds, but a record of who viewed whose data was changed behind the program's back; find out what was changed")
	}
	return nil
}

// refuseNonStore refuses a database file of no bytes, or one that is no
// caisson-review database, before Open makes a new, empty store in it:
// --verify then vouched for its log, "intact: 0 entries", on a file
// someone had emptied (helper-72), the evidence overwritten with a fresh
// schema; a -wal file beside the emptied one let it through, and so did
// another program's database (helper-76).
func (a *app) refuseNonStore(ctx context.Context) error {
	path, err := a.dbPath()
	if err != nil || store.IsPostgres(path) {
		return err
	}
	info, err := os.Stat(path)
	if err != nil || !info.Mode().IsRegular() {
		return nil // Open says what is wrong with a file that is not one
	}
	// Empty whatever a -wal file beside it holds: SQLite writes a
	// database's first page to the file itself before it takes a WAL.
	if info.Size() == 0 {
		return fmt.Errorf("%s is empty: it holds no review database, so no decision log to export or verify (a database emptied loses its log: restore it from a backup, and verify that against the heads you kept)", sanitize.Line(path))
	}
	if err := store.CheckReviewDatabase(ctx, path); err != nil {
		return fmt.Errorf("%s: %w, so no decision log to export or verify; it was left as it is", sanitize.Line(path), err)
	}
	return nil
}

// reportHead ends an export with the head of the chain, on standard
// error: a trailer in the CSV or JSON itself would break the parsers of
// those who already read them (an array consumer, a CSV reader), and
// standard error is where a journal or `2>> heads.txt` keeps it.
func (a *app) reportHead(ctx context.Context, st *store.Store) error {
	head, err := st.Head(ctx)
	if err != nil {
		return err
	}
	if head.IsZero() {
		return nil
	}
	// `2>> heads.txt` on a full disk: the witness was not kept, and exit
	// status 0 would say it was.
	return a.writeHead(head)
}

// writeHead is the one line every command that wrote to the decision log
// (or exported it) ends with on standard error, the witness of the
// chain's tail, `caisson-review: decision log head SEQ:HASH`; the error
// names the head, so it can still be copied from the screen.
func (a *app) writeHead(head store.Head) error {
	if _, err := fmt.Fprintf(a.stderr, "%s: decision log head %s\n", progName, head); err != nil {
		return fmt.Errorf("writing the head %s: %w", head, err)
	}
	return nil
}

// noteHeadMoved writes the decision log's head, as decide and policy do,
// when the command appended to the log since before: the voids of
// proposals a purge or a refresh ended are entries a witness of the head
// must take in (helper-61: a cron job keeping each head saw none).
func (a *app) noteHeadMoved(ctx context.Context, st *store.Store, before store.Head) error {
	head, err := st.Head(ctx)
	if err != nil {
		return fmt.Errorf("reading the decision log's head: %w", err)
	}
	if head != before {
		_ = a.writeHead(head) // as decide's: the entries are written whatever stderr takes
	}
	return nil
}

// printHead is export --head: the head alone on standard output, for a
// script to keep.
func (a *app) printHead(ctx context.Context, st *store.Store) error {
	head, err := st.Head(ctx)
	if err != nil {
		return err
	}
	if head.IsZero() {
		fmt.Fprintf(a.stderr, "%s: the decision log is empty: no head yet\n", progName)
		return nil
	}
	if _, err := fmt.Fprintln(a.stdout, head); err != nil {
		// Named in the error, so it can still be copied from the screen.
		return fmt.Errorf("writing the head %s: %w", head, err)
	}
	return nil
}

// sinceExpected is what --since takes.
const sinceExpected = "a date (2026-01-31) or an RFC 3339 time (2026-01-31T09:00:00Z)"

func parseSince(s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--since %q: expected %s", sanitize.Line(s), sinceExpected)
}

// customerLookup finds a decision's customer id, one store read per check.
func customerLookup(ctx context.Context, st *store.Store) func(string) (string, error) {
	cache := map[string]string{}
	return func(checkID string) (string, error) {
		if checkID == "" {
			return "", nil // a policy entry: about no check
		}
		if c, ok := cache[checkID]; ok {
			return c, nil
		}
		c, err := st.CustomerID(ctx, checkID)
		if err != nil {
			return "", err
		}
		cache[checkID] = c
		return c, nil
	}
}

func exportCSV(ctx context.Context, w io.Writer, st *store.Store, from time.Time, customer func(string) (string, error)) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("writing CSV: %w", err)
	}
	err := st.Decisions(ctx, from, func(d store.Decision) error {
		cust, err := customer(d.CheckID)
		if err != nil {
			return err
		}
		return cw.Write(newDecisionJSON(d, cust).csvRecord())
	})
	cw.Flush()
	if err != nil {
		return fmt.Errorf("exporting decisions: %w", err)
	}
	return cw.Error()
}

// exportJSON streams a JSON array, one decision at a time, so a long log
// is never held whole in memory.
func exportJSON(ctx context.Context, w io.Writer, st *store.Store, from time.Time, customer func(string) (string, error)) error {
	out := &jsonArray{w: w}
	err := st.Decisions(ctx, from, func(d store.Decision) error {
		cust, err := customer(d.CheckID)
		if err != nil {
			return err
		}
		return out.add(newDecisionJSON(d, cust))
	})
	if err != nil {
		return fmt.Errorf("exporting decisions: %w", err)
	}
	return out.end()
}

func (a *app) verify(ctx context.Context, st *store.Store, heads, accessHeads []store.Head) error {
	res, err := st.VerifyKept(ctx, heads, accessHeads)
	if err != nil {
		return err // Verify's errors say what they were verifying
	}
	if !res.OK {
		a.reportBroken(res)
		return errReported
	}
	fmt.Fprintf(a.stdout, "decision log intact: %d entries, hash chain holds", res.Entries)
	if len(heads) > 0 {
		fmt.Fprintf(a.stdout, ", every head given is in it")
	}
	if !res.Head.IsZero() {
		fmt.Fprintf(a.stdout, "; head %s", res.Head)
	}
	fmt.Fprintln(a.stdout)
	// A line of its own, after the decision log's, which scripts read.
	fmt.Fprintln(a.stdout, accessIntactText(res.Access, len(accessHeads) > 0))
	return nil
}

// accessIntactText is verify's line on an access log whose chain holds,
// ending with its head to keep, as the decision log's line does.
func accessIntactText(v store.AccessVerified, kept bool) string {
	text := fmt.Sprintf("access log intact: %s, hash chain holds", plural(int(v.Records), "record"))
	if v.Unchained > 0 {
		text += fmt.Sprintf(" (the first %d, made before the chain, have no hash)", v.Unchained)
	}
	if kept {
		text += ", every head given is in it"
	}
	if !v.Head.IsZero() {
		text += "; head " + v.Head.String()
	}
	return text
}

// reportBroken lists every reason the log does not verify, one a line.
func (a *app) reportBroken(res store.VerifyResult) {
	lines := brokenChains(res)
	for _, m := range res.Access.MissingHeads {
		lines = append(lines, "access log MISSING A KEPT HEAD: "+m)
	}
	for _, m := range res.MissingHeads {
		lines = append(lines, "decision log MISSING A KEPT HEAD: "+m)
	}
	for _, u := range res.Schema {
		// Not of either log, but able to write into both (helper-77:
		// a count's trigger dropped was said of the decision log).
		lines = append(lines, "database UNPROTECTED: "+u)
	}
	for _, u := range res.Unguarded {
		// Each problem names its log; the line's head says which too.
		head := "decision log UNPROTECTED: "
		if strings.Contains(u, "access log") {
			head = "access log UNPROTECTED: "
		}
		lines = append(lines, head+u)
	}
	a.sayLines(lines)
}

// sayLines writes lines to standard error, sanitized.
func (a *app) sayLines(lines []string) {
	for _, l := range lines {
		fmt.Fprintln(a.stderr, sanitize.Line(l))
	}
}

// brokenChains says where each log's chain breaks, a line each: what a
// plain export reports, where --verify reports its heads and triggers too.
func brokenChains(res store.VerifyResult) []string {
	var lines []string
	if res.Problem != "" && res.BrokenAt > 0 {
		lines = append(lines, fmt.Sprintf("decision log BROKEN at entry %d of %d: %s", res.BrokenAt, res.Entries, res.Problem))
	} else if res.Problem != "" {
		lines = append(lines, "decision log BROKEN: "+res.Problem)
	}
	if v := res.Access; v.Problem != "" {
		// Its id, not its place: ids are what the log holds, and records
		// may be gone before it (helper-76: "record 2 of 51").
		lines = append(lines, fmt.Sprintf("access log BROKEN at record id %d (%s in all): %s", v.BrokenAt, plural(int(v.Records), "record"), v.Problem))
	}
	return lines
}

// recordExportAccess logs an export access for every check the export
// will show a customer id of, before writing it.
func (a *app) recordExportAccess(ctx context.Context, st *store.Store, from time.Time) error {
	seen := map[string]bool{}
	var ids []string
	err := st.Decisions(ctx, from, func(d store.Decision) error {
		if d.CheckID != "" && !seen[d.CheckID] {
			seen[d.CheckID] = true
			ids = append(ids, d.CheckID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("exporting decisions: %w", err)
	}
	return a.recordAccess(ctx, st, store.AccessExport, ids...)
}
