package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

func init() {
	commandHelp["show"] = `
Shows one check: the cached result with every reason decoded, the last
fetch, the Caisson dashboard link, and the decision history. The id may be
given with or without its chk_priv_ prefix, as the list shows it.`
}

type showJSON struct {
	rowJSON
	AddedBy      string         `json:"added_by"`
	Source       string         `json:"source"`
	PurgedAt     string         `json:"purged_at,omitempty"`
	FetchExplain string         `json:"fetch_explained,omitempty"`
	ResultHash   string         `json:"result_hash,omitempty"`
	Dashboard    string         `json:"dashboard_url"`
	Result       *resultJSON    `json:"result"`
	Decisions    []decisionJSON `json:"decisions"`
}

type resultJSON struct {
	CheckedOn string       `json:"checked_on,omitempty"`
	Document  string       `json:"document"`
	Face      string       `json:"face"`
	Reasons   []reasonJSON `json:"reasons"`
	FirstName string       `json:"first_name"`
	LastName  string       `json:"last_name"`
	Sex       string       `json:"sex,omitempty"`
	DOB       string       `json:"dob,omitempty"`
	ExpiresOn string       `json:"expires_on,omitempty"`
	Expired   bool         `json:"expired"`
	Address   *addressJSON `json:"address,omitempty"`
}

type reasonJSON struct {
	Code           int    `json:"code"`
	Label          string `json:"label"`
	Description    string `json:"description"`
	APIDescription string `json:"api_description,omitempty"`
	Group          string `json:"group"`
	Severity       string `json:"severity"`
	Known          bool   `json:"known"`
}

type addressJSON struct {
	Street string `json:"street"`
	City   string `json:"city"`
	State  string `json:"state"`
	Zip    string `json:"zip"`
}

func wireShow(a *app, c *cobra.Command) runFunc {
	var asJSON bool
	c.Flags().BoolVar(&asJSON, "json", false, "write JSON instead of text")
	c.ValidArgsFunction = a.completeOneCheckID
	return func(ctx context.Context, pos []string) error { return cmdShow(ctx, a, asJSON, pos) }
}

func cmdShow(ctx context.Context, a *app, asJSON bool, pos []string) error {
	if len(pos) != 1 {
		return usageErrorf("show", "expected exactly one check id")
	}
	id, err := caisson.ParseCheckRef(pos[0])
	if err != nil {
		// Support is asked about a customer, by the customer's id: said
		// without repeating what was typed, which may be a secret. Not of
		// a cut-off id, a token or a key (helper-75).
		if lower := strings.ToLower(strings.TrimSpace(pos[0])); !strings.HasPrefix(lower, "chk_") && !strings.HasPrefix(lower, "sk_") {
			return usageErrorf("show", "%s (a customer's id? %s list --customer ID lists that customer's checks)", err.Error(), progName)
		}
		return usageErrorf("show", "%s", err.Error())
	}
	st, err := a.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	rec, err := st.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return notTracked(ctx, st, id)
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", id, err)
	}
	policy, err := st.Policy(ctx)
	if err != nil {
		return err
	}
	if rec.ShowsPersonalData() {
		if err := a.recordAccess(ctx, st, store.AccessShow, rec.CheckID); err != nil {
			return err
		}
	}
	now := time.Now()
	if asJSON {
		return writeJSON(a.stdout, newShowJSON(rec, now, policy.SLA))
	}
	w := &stickyWriter{w: a.stdout}
	writeShowText(w, rec, now, policy.SLA, a.readOnly)
	if w.err != nil {
		return fmt.Errorf("writing %s: %w", id, w.err)
	}
	return nil
}

// stickyWriter keeps the first write error, so text written line by line
// can be checked once at the end: output cut short must not exit 0.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	s.err = err
	return n, err
}

func newShowJSON(rec *store.Record, now time.Time, sla time.Duration) showJSON {
	out := showJSON{
		rowJSON: newRowJSON(rec.Row, now, sla), AddedBy: rec.AddedBy, Source: string(rec.Source),
		PurgedAt: timeJSON(rec.PurgedAt), FetchExplain: service.ExplainOutcome(rec.Row), ResultHash: rec.ResultHash,
		Dashboard: caisson.DashboardURL(rec.CheckID), Decisions: []decisionJSON{},
	}
	if c := rec.Result; c != nil {
		r := &resultJSON{
			CheckedOn: timeJSON(c.CheckedOn), Document: c.Confidence.Document.String(), Face: c.Confidence.Face.String(),
			Reasons: []reasonJSON{}, FirstName: c.Info.FirstName, LastName: c.Info.LastName, Sex: c.Info.Sex,
			DOB: c.Info.DOB.String(), ExpiresOn: c.Info.ExpiresOn.String(),
			Expired: !c.Info.ExpiresOn.IsZero() && c.Info.ExpiresOn.Before(now),
		}
		for _, reason := range c.Confidence.Reasons {
			ri := caisson.DescribeReason(reason)
			r.Reasons = append(r.Reasons, reasonJSON{ri.Code, ri.Label, ri.Description, ri.APIDescription,
				ri.Group.String(), ri.Severity.String(), ri.Known})
		}
		if ad := c.Info.Address; ad != nil {
			r.Address = &addressJSON{ad.Street, ad.City, ad.State, ad.Zip}
		}
		out.Result = r
	}
	for _, d := range rec.Decisions {
		out.Decisions = append(out.Decisions, newDecisionJSON(d, rec.CustomerID))
	}
	return out
}

// showWriter writes "label  value" lines with every value sanitized.
type showWriter struct{ w io.Writer }

func (s showWriter) field(label, value string) {
	fmt.Fprintf(s.w, "%-12s %s\n", label, sanitize.Line(orDash(value)))
}

func (s showWriter) line(indent, text string) {
	fmt.Fprintf(s.w, "%s%s\n", indent, sanitize.Line(text))
}

// showStatus is the review status and, for an open check, why it is where
// it is, as list's STATUS says it (helper-60: show said "open" of a check
// waiting at Caisson, and nothing of one Caisson passed).
func showStatus(rec *store.Record, now time.Time) string {
	st := string(rec.Status)
	if rec.Status != store.StatusOpen || rec.Proposal != nil {
		return st
	}
	if why, ok := store.Waiting(rec.Row); ok {
		return st + " (waiting at Caisson: " + why + ")"
	}
	if store.ExpiredOpen(rec.Row, now) {
		return st + ", document expired (needs review)"
	}
	if store.Passed(rec.Row, rec.Result, now) {
		return st + " (Caisson passed it: in all only, nothing to review)"
	}
	return st
}

func writeShowText(w io.Writer, rec *store.Record, now time.Time, sla time.Duration, readOnly bool) {
	s := showWriter{w}
	s.field("check", rec.CheckID)
	s.field("customer", rec.CustomerID)
	s.field("status", showStatus(rec, now))
	if text := waitDetail(rec.Row, now, sla); text != "" {
		s.field("waiting", text)
	}
	if p := rec.Proposal; p != nil {
		s.field("proposal", fmt.Sprintf("#%d: %s proposed %s at %s; awaits a second reviewer", p.Seq, p.Reviewer, ingForm(p.Proposes), timeText(p.At)))
	}
	s.field("added", fmt.Sprintf("%s by %s (%s)", timeText(rec.AddedAt), rec.AddedBy, rec.Source))
	fetch := "never"
	if !rec.FetchedAt.IsZero() {
		fetch = timeText(rec.FetchedAt)
		why := service.ExplainOutcome(rec.Row)
		switch _, waiting := store.Waiting(rec.Row); {
		case waiting:
			fetch += ", waiting at Caisson: " + why
		case rec.Outcome.NotReady():
			// Decided, so in its decision's queue, but say what Caisson said.
			fetch += ", not ready at Caisson: " + why
		case why != "":
			fetch += ", failed: " + why
		}
	}
	s.field("last fetch", fetch)
	if !rec.PurgedAt.IsZero() {
		// Who dropped it: support asked "did you delete my data?" read
		// "purged" of a check Caisson deleted (helper-73).
		why := "by purge --older-than"
		if caisson.ErrorCode(rec.Outcome) == caisson.CodeIDCheckDeleted {
			why = "as Caisson reported the check deleted (IDCHECK_DELETED)"
		}
		s.field("purged", timeText(rec.PurgedAt)+": personal data dropped "+why+", decisions kept")
	}
	switch {
	case rec.Result != nil:
		writeResultText(s, rec.Result, now)
	case !rec.PurgedAt.IsZero():
	case service.FinalOutcome(rec.Outcome):
		// A refresh would get the same answer: do not send the reviewer
		// to run one.
		s.field("result", "none cached, and Caisson will not send it: its answer "+string(rec.Outcome)+" is final")
	case readOnly:
		// A read-only account cannot refresh: do not send it to
		// (helper-60).
		s.field("result", "none cached: a refresh by someone who can write to the database fetches it")
	default:
		s.field("result", "none cached: run "+progName+" refresh "+rec.CheckID)
	}
	s.field("dashboard", caisson.DashboardURL(rec.CheckID))
	if len(rec.Decisions) == 0 {
		s.field("decisions", "none")
		return
	}
	fmt.Fprintln(w, "decisions")
	for _, d := range rec.Decisions {
		head, detail := entryText(d)
		text := fmt.Sprintf("#%d %s %s by %s", d.Seq, timeText(d.At), head, d.Reviewer)
		if d.Identity != "" {
			text += " [" + d.Identity + "]"
		}
		text += detail
		if d.Stale {
			text += " (the result has changed since)"
		}
		s.line("  ", text)
		if d.Note != "" {
			for _, l := range strings.Split(d.Note, "\n") {
				s.line("      ", l)
			}
		}
	}
}

func writeResultText(s showWriter, c *caisson.Check, now time.Time) {
	s.field("name", c.Info.FullName())
	s.field("sex", c.Info.Sex)
	dob := c.Info.DOB.String()
	if !c.Info.DOB.IsZero() {
		dob += fmt.Sprintf(" (age %d)", c.Info.DOB.YearsAt(now))
	}
	s.field("born", dob)
	exp := c.Info.ExpiresOn.String()
	if !c.Info.ExpiresOn.IsZero() && c.Info.ExpiresOn.Before(now) {
		// Shown whether or not a reason code says so.
		exp += "  EXPIRED"
	}
	s.field("expires", exp)
	if ad := c.Info.Address; ad != nil {
		s.field("address", strings.Join(nonEmpty(ad.Street, ad.City, ad.State+" "+ad.Zip), ", "))
	} else {
		s.field("address", "")
	}
	checked := "-"
	if !c.CheckedOn.IsZero() {
		checked = c.CheckedOn.Local().Format("2006-01-02 15:04:05 -07:00")
	}
	s.field("checked on", checked)
	s.field("document", c.Confidence.Document.String()+" confidence")
	s.field("face", c.Confidence.Face.String()+" confidence")
	if len(c.Confidence.Reasons) == 0 {
		s.field("reasons", "none")
		return
	}
	fmt.Fprintln(s.w, "reasons")
	for _, r := range c.Confidence.Reasons {
		ri := caisson.DescribeReason(r)
		head := fmt.Sprintf("%d %s [%s, %s severity]", ri.Code, ri.Label, ri.Group, ri.Severity)
		if !ri.Known {
			// As the console says it, severity included (helper-73: show
			// left it out); --json's label is "Unknown reason".
			head = fmt.Sprintf("%d UNKNOWN CODE [%s, %s severity]", ri.Code, ri.Group, ri.Severity)
		}
		s.line("  ", head)
		if ri.Known {
			s.line("      ", ri.Description)
		}
		if ri.APIDescription != "" && (!ri.Known || ri.DescriptionDiffers()) {
			s.line("      ", "API says: "+ri.APIDescription)
		}
	}
}

func nonEmpty(parts ...string) []string {
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// entryText is an entry's action with the proposal it is about (head),
// and what else makes it specific: the reason and finality, a void's cause
// (detail, "" or starting with ", ").
func entryText(d store.Decision) (head, detail string) {
	head = string(d.Action)
	switch d.Action {
	case store.Propose:
		head += " " + string(d.Proposes)
	case store.Confirm, store.Return:
		head += fmt.Sprintf(" %s of #%d", d.Proposes, d.Ref)
	case store.Void:
		return fmt.Sprintf("void of #%d", d.Ref), ", cause " + string(d.Reason)
	}
	if d.Reason != "" {
		detail += ", reason " + string(d.Reason)
	}
	if d.Finality != "" {
		detail += ", " + string(d.Finality)
	}
	return head, detail
}

// waitDetail says how long a check has waited for a decision, or waited
// once decided, from when, and against the SLA: "" for a check that never
// became reviewable.
func waitDetail(r store.Row, now time.Time, sla time.Duration) string {
	d, ok := r.Waited(now)
	if !ok {
		return ""
	}
	text := durationText(d) + " since it became reviewable at " + timeText(r.ReviewableAt)
	if !r.AwaitsDecision() {
		text = "waited " + durationText(d) + ", from " + timeText(r.ReviewableAt) + " to its decision at " + timeText(r.DecidedAt)
	}
	switch {
	case r.Overdue(now, sla):
		text += fmt.Sprintf("; ! OVERDUE: past the %s SLA by %s", store.FormatSLA(sla), durationText(d-sla))
	case r.AwaitsDecision() && sla > 0:
		text += fmt.Sprintf("; overdue in %s (SLA %s)", durationText(sla-d), store.FormatSLA(sla))
	}
	return text
}

// notTracked says that id is not in the store, and what to do: add it,
// or, on an unfinished copy, which refuses add, finish the copy (the
// check may not have been copied yet).
//
// An id tracked in another case is named: ids are case-sensitive, and one
// lower-cased by a ticketing system is another id.
func notTracked(ctx context.Context, st *store.Store, id string) error {
	if errors.Is(st.CopyableSource(), store.ErrUnfinishedCopy) {
		return fmt.Errorf("%s is not in this store, an unfinished copy that may not hold it yet: run the same migrate-store again to finish it", id)
	}
	if near, err := st.TrackedFold(ctx, id); err == nil && len(near) > 0 {
		return fmt.Errorf("%s is not tracked, but %s is: check ids are case-sensitive, so copy it exactly", id, strings.Join(near, " and "))
	}
	return fmt.Errorf("%s is not tracked: add it with %s add", id, progName)
}
