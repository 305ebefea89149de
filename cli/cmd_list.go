package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/store"
)

func init() {
	commandHelp["list"] = `
Lists tracked checks, riskiest first (lowest confidence, then oldest), as
the console's queue does, or in the order --sort names: risk, added (most
recent first), name, customer or waiting (longest waiting first). Without
--queue it lists needs-review, or every queue when --customer or
--overdue is given. --overdue lists only the checks waiting past the SLA
(policy set sla), as the console's header counts them; none without an
SLA. The WAITING column is how long a check has waited for a decision
since it became reviewable (or waited, once decided), marked "! overdue"
past the SLA. --customer matches a customer id
exactly or, when no check has exactly that customer id, every customer id
that starts with it (byte for byte: 5728349 finds "5728349 - Miller,
Ashley"); a line on standard error says which. Queue pending is also
called waiting: checks Caisson has no result for yet, with the reason.`
}

// rowJSON is one check in list --json: the list columns, never the
// cached personal data beyond the name.
type rowJSON struct {
	CheckID      string `json:"check_id"`
	CustomerID   string `json:"customer_id"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	Document     string `json:"document"`
	Face         string `json:"face"`
	ReasonCodes  []int  `json:"reason_codes"`
	ExpiresOn    string `json:"expires_on,omitempty"`
	CheckedOn    string `json:"checked_on,omitempty"`
	AddedAt      string `json:"added_at"`
	Status       string `json:"status"`
	FetchOutcome string `json:"fetch_outcome"`
	FetchError   string `json:"fetch_error,omitempty"`
	FetchedAt    string `json:"fetched_at,omitempty"`
	Purged       bool   `json:"purged"`
	// Added with four-eyes, after the fields scripts already read: the
	// seq of the proposal awaiting a second reviewer, 0 when none.
	Proposal int64 `json:"proposal"`
	// Added with the SLA: when the check became reviewable and was
	// decided ("" for never), how long it waited in whole seconds (null
	// when it never was reviewable), and whether it is past the SLA.
	ReviewableAt  string `json:"reviewable_at,omitempty"`
	DecidedAt     string `json:"decided_at,omitempty"`
	WaitedSeconds *int64 `json:"waited_seconds"`
	Overdue       bool   `json:"overdue"`
}

func newRowJSON(r store.Row, now time.Time, sla time.Duration) rowJSON {
	codes := r.ReasonCodes
	if codes == nil {
		codes = []int{}
	}
	return rowJSON{
		CheckID: r.CheckID, CustomerID: r.CustomerID, FirstName: r.FirstName, LastName: r.LastName,
		Document: r.Document.String(), Face: r.Face.String(), ReasonCodes: codes,
		ExpiresOn: r.ExpiresOn.String(), CheckedOn: timeJSON(r.CheckedOn), AddedAt: timeJSON(r.AddedAt),
		Status: string(r.Status), FetchOutcome: string(r.Outcome), FetchError: r.FetchError,
		FetchedAt: timeJSON(r.FetchedAt), Purged: r.Purged, Proposal: r.Proposal,
		ReviewableAt: timeJSON(r.ReviewableAt), DecidedAt: timeJSON(r.DecidedAt),
		WaitedSeconds: waitedSeconds(r, now), Overdue: r.Overdue(now, sla),
	}
}

func waitedSeconds(r store.Row, now time.Time) *int64 {
	d, ok := r.Waited(now)
	if !ok {
		return nil
	}
	s := int64(d / time.Second)
	return &s
}

// waitText is a wait in the list's words: "45m", "3h12m", "2d4h", "-"
// for a check that never waited, with "! overdue" past the SLA: a word
// and a mark, as the console shows it.
func waitText(r store.Row, now time.Time, sla time.Duration) string {
	d, ok := r.Waited(now)
	if !ok {
		return "-"
	}
	s := durationText(d)
	if r.Overdue(now, sla) {
		s += " ! overdue"
	}
	return s
}

// durationText is a duration to the minute, in its two largest units.
func durationText(d time.Duration) string {
	d = d.Truncate(time.Minute)
	days, hours, mins := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	switch {
	case days > 0:
		return fmt.Sprintf("%dd%dh", days, hours)
	case hours > 0:
		return fmt.Sprintf("%dh%02dm", hours, mins)
	case mins > 0:
		return fmt.Sprintf("%dm", mins)
	}
	return "<1m"
}

// listFlags are list's own flags.
type listFlags struct {
	queue, sort, customer string
	json, overdue         bool
}

func wireList(a *app, c *cobra.Command) runFunc {
	var f listFlags
	c.Flags().StringVar(&f.queue, "queue", "", "list queue Q: needs-review, pending (or waiting), second-review, escalated, approved, rejected, errors or all (default needs-review; all with --customer)")
	c.Flags().StringVar(&f.sort, "sort", "risk", "order S: risk (lowest confidence first), added (most recent first), name, customer or waiting (longest waiting first)")
	c.Flags().BoolVar(&f.overdue, "overdue", false, "only the checks waiting past the SLA (every queue unless --queue is given)")
	c.Flags().StringVar(&f.customer, "customer", "", "only the checks of customer ID: exactly, or else every customer id starting with it")
	c.Flags().BoolVar(&f.json, "json", false, "write JSON instead of a table")
	c.ValidArgsFunction = cobra.NoFileCompletions
	completeFlag(c, "queue", completeQueues)
	completeFlag(c, "sort", completeSorts)
	completeFlag(c, "customer", cobra.NoFileCompletions)
	return func(ctx context.Context, pos []string) error {
		// An empty value would silently list needs-review instead: a
		// shell variable that was not set, not a wish to see the queue.
		if err := refuseEmpty(c, map[string]string{"customer": "a customer id or its start (5728349)"}); err != nil {
			return err
		}
		return cmdList(ctx, a, f, pos)
	}
}

func cmdList(ctx context.Context, a *app, f listFlags, pos []string) error {
	if len(pos) > 0 {
		if id, err := caisson.ParseCheckRef(pos[0]); err == nil {
			return usageErrorf("list", "list takes no arguments; did you mean show %s?", id)
		}
		// Not an id: not repeated, as it may be a secret pasted by mistake.
		return usageErrorf("list", "list takes no arguments: expected only flags (--queue Q, --customer ID, --json)")
	}
	// What was pasted around a customer id does not make another one (the
	// console's filter trims it too; helper-60).
	f.customer = strings.TrimSpace(f.customer)
	by, err := parseSort(f.sort)
	if err != nil {
		return usageErrorf("list", "%s", err.Error())
	}
	queue := store.QueueNeedsReview
	if f.customer != "" || f.overdue {
		queue = store.QueueAll
	}
	if f.queue != "" {
		if queue, err = store.ParseQueue(f.queue); err != nil {
			return usageErrorf("list", "%s", err.Error())
		}
	}
	st, err := a.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	policy, err := st.Policy(ctx)
	if err != nil {
		return err
	}
	if f.overdue && policy.SLA == 0 {
		fmt.Fprintln(a.stderr, "no SLA is set, so no check is overdue: caisson-review policy set sla 24h --note TEXT")
	}
	now := time.Now()
	q := store.PageQuery{Queue: queue, Sort: by, Customer: f.customer, Overdue: f.overdue}
	if f.customer != "" {
		if q.CustomerStart, err = customerByStart(ctx, st, f.customer); err != nil {
			return err
		}
	}
	rows, err := queueRows(ctx, st, q)
	if err != nil {
		return err
	}
	if f.customer != "" {
		elsewhere := false
		if len(rows) == 0 && q.CustomerStart && queue != store.QueueAll {
			// Whether a customer id starts so at all, in another queue,
			// decides what the note may truthfully say.
			all := store.PageQuery{Queue: store.QueueAll, Customer: q.Customer, CustomerStart: true}
			n, _, err := st.CountUpTo(ctx, all, 1)
			if err != nil {
				return fmt.Errorf("looking up customer %s: %w", sanitize.Line(f.customer), err)
			}
			elsewhere = n > 0
		}
		fmt.Fprintln(a.stderr, customerNote(q, rows, elsewhere))
	}
	if f.json {
		out := make([]rowJSON, len(rows))
		shown := make([]string, 0, len(rows))
		for i, r := range rows {
			out[i] = newRowJSON(r, now, policy.SLA)
			if r.ShowsPersonalData() {
				shown = append(shown, r.CheckID)
			}
		}
		// The JSON carries the customer id and names: an access, unlike
		// the table, which a reviewer scans as the console's list.
		if err := a.recordAccess(ctx, st, store.AccessList, shown...); err != nil {
			return err
		}
		return writeJSON(a.stdout, out)
	}
	if len(rows) == 0 {
		switch {
		case f.overdue && policy.SLA > 0:
			fmt.Fprintf(a.stderr, "no checks in queue %s are waiting past the SLA (%s)\n", queue, store.FormatSLA(policy.SLA))
		case f.customer == "" && !f.overdue:
			fmt.Fprintf(a.stderr, "no checks in queue %s\n", queue)
		}
		return nil
	}
	var tw table
	tw.add("CHECK ID", "CUSTOMER", "NAME", "DOCUMENT", "FACE", "REASONS", "STATUS", "CHECKED", "WAITING")
	for _, r := range rows {
		fields := []string{
			r.CheckID, orDash(r.CustomerID), orDash(strings.TrimSpace(r.FirstName + " " + r.LastName)),
			r.Document.String(), r.Face.String(), orDash(joinCodes(r.ReasonCodes)), statusText(r, now), dayText(r.CheckedOn),
			waitText(r, now, policy.SLA),
		}
		for i := range fields {
			fields[i] = sanitize.Line(fields[i])
		}
		tw.add(fields...)
	}
	return tw.write(a.stdout)
}

// customerByStart reports whether --customer ID is to match customer ids
// by their start: when no check at all has exactly that customer id.
func customerByStart(ctx context.Context, st *store.Store, customer string) (bool, error) {
	n, _, err := st.CountUpTo(ctx, store.PageQuery{Queue: store.QueueAll, Customer: customer}, 1)
	if err != nil {
		return false, fmt.Errorf("looking up customer %s: %w", sanitize.Line(customer), err)
	}
	return n == 0, nil
}

// customerNote says how --customer matched, and what it found. elsewhere
// is whether, when nothing in the queue matched by the start, a customer
// id in another queue starts so.
func customerNote(q store.PageQuery, rows []store.Row, elsewhere bool) string {
	name := sanitize.Line(q.Customer)
	in := ""
	if q.Queue != store.QueueAll {
		in = " in queue " + string(q.Queue)
	}
	if !q.CustomerStart {
		if len(rows) == 0 {
			return fmt.Sprintf("no checks of customer %s%s (the customer id matched exactly; its checks are in other queues)", name, in)
		}
		return fmt.Sprintf("%s of customer %s%s (the customer id matched exactly)", plural(len(rows), "check"), name, in)
	}
	if len(rows) == 0 && elsewhere {
		return fmt.Sprintf("no checks%s of the customers whose id starts with %s (no customer id is exactly that; their checks are in other queues)", in, name)
	}
	if len(rows) == 0 {
		return fmt.Sprintf("no checks of customer %s%s: no customer id is %s or starts with it", name, in, name)
	}
	customers := map[string]bool{}
	for _, r := range rows {
		customers[r.CustomerID] = true
	}
	return fmt.Sprintf("no customer id is exactly %s: %s%s of the %s whose id starts with it", name, plural(len(rows), "check"), in, plural(len(customers), "customer"))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func joinCodes(codes []int) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = strconv.Itoa(c)
	}
	return strings.Join(s, ",")
}

// statusText is the review status, plus the fetch problem when there is
// one, or why the check is waiting at Caisson.
func statusText(r store.Row, now time.Time) string {
	if r.Proposal > 0 {
		return fmt.Sprintf("proposed (#%d), awaiting a second reviewer", r.Proposal)
	}
	if why, ok := store.Waiting(r); ok {
		return "waiting at Caisson: " + why
	}
	if store.ExpiredOpen(r, now) {
		return string(r.Status) + ", document expired"
	}
	switch r.Outcome {
	case store.OutcomeOK:
		return string(r.Status)
	case store.OutcomeNone:
		return string(r.Status) + ", never fetched"
	}
	return string(r.Status) + ", " + strings.ToLower(string(r.Outcome))
}

func dayText(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// listPage is how many rows are read from the store per query when
// reading a whole queue.
const listPage = 1000

func queueRows(ctx context.Context, st *store.Store, q store.PageQuery) ([]store.Row, error) {
	var all []store.Row
	q.Limit = listPage
	for q.Offset = 0; ; q.Offset += listPage {
		rows, err := st.Page(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("reading queue %s: %w", q.Queue, err)
		}
		all = append(all, rows...)
		if len(rows) < listPage {
			return all, nil
		}
	}
}

func parseSort(s string) (store.Sort, error) {
	by, err := store.ParseSort(s)
	if err != nil {
		return 0, fmt.Errorf("--sort %q: expected one of %s", sanitize.Line(s), strings.Join(store.SortNames, ", "))
	}
	return by, nil
}
