package cli

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/store"
	"github.com/caisson-review/caisson-review/tui"
)

func init() {
	commandHelp["stats"] = `
The team's figures, as the console's stats view (t) shows them:
  - queue sizes now, and how many checks are overdue against the SLA;
  - how many checks waited for a decision at the end of each of the last
    30 days (a chart and each day's number);
  - decisions per reviewer per day over the last 14 days, by action;
  - the median and 90th-percentile time from reviewable to decided, per
    week (whole weeks, Monday to Sunday, UTC);
  - Caisson's most frequent reason codes among the checks that needed
    review, and the reasons given for rejections and escalations;
  - how checks were decided by their confidences (document × face):
    where Caisson's confidence and the team's judgement disagree.
--since DATE (YYYY-MM-DD, UTC, or an RFC 3339 time) starts the period of
the last four (default: 30 days ago); the backlog and the decisions per
reviewer keep their 30 and 14 days. Bars are block characters on a
terminal, ASCII otherwise or with NO_COLOR; every figure is also a number.
--json writes the figures alone (see the README for the fields).

  caisson-review stats
  caisson-review stats --since 2026-01-01 --json`
}

func wireStats(a *app, c *cobra.Command) runFunc {
	var since string
	var asJSON bool
	c.Flags().StringVar(&since, "since", "", "the period from DATE on (YYYY-MM-DD, UTC, or an RFC 3339 time; default 30 days ago)")
	c.Flags().BoolVar(&asJSON, "json", false, "write JSON instead of text")
	c.ValidArgsFunction = cobra.NoFileCompletions
	completeFlag(c, "since", cobra.NoFileCompletions)
	return func(ctx context.Context, pos []string) error {
		// An unset variable must not silently mean the default period.
		if err := refuseEmpty(c, map[string]string{"since": sinceExpected}); err != nil {
			return err
		}
		return cmdStats(ctx, a, since, asJSON, pos)
	}
}

func cmdStats(ctx context.Context, a *app, since string, asJSON bool, pos []string) error {
	if len(pos) > 0 {
		return usageErrorf("stats", "stats takes no arguments: expected only flags (--since DATE, --json)")
	}
	var q store.StatsQuery
	if since != "" {
		t, err := parseSince(since)
		if err != nil {
			return usageErrorf("stats", "%s", err.Error())
		}
		q.Since = t
	}
	st, err := a.openExistingStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	stats, err := st.Stats(ctx, q)
	if errors.Is(err, store.ErrSinceAfterNow) {
		// Bad input, as a malformed --since is (helper-56: it exited 1).
		return usageErrorf("stats", "--since %s: %v", sanitize.Line(since), store.ErrSinceAfterNow)
	}
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(a.stdout, newStatsJSON(stats))
	}
	ascii := !isTerminal(a.stdout) || a.getenv("NO_COLOR") != "" || a.getenv("TERM") == "dumb"
	_, err = a.stdout.Write([]byte(tui.StatsReport(stats, max(terminalWidth(a.stdout), 80), ascii)))
	return err
}

// statsJSON is stats --json: every figure of the view, durations in whole
// seconds, days and weeks as YYYY-MM-DD (UTC; a week by its Monday).
type statsJSON struct {
	Now             string            `json:"now"`
	Since           string            `json:"since"`
	SLAHours        int64             `json:"sla_hours"` // 0: no SLA
	Queues          map[string]int    `json:"queues"`
	Overdue         int               `json:"overdue"`
	Backlog         []backlogJSON     `json:"backlog"`
	Decisions       []reviewerDayJSON `json:"decisions"`
	Waits           []weekWaitsJSON   `json:"waits"`
	ReasonCodes     []codeCountJSON   `json:"reason_codes"`
	DecisionReasons []reasonCountJSON `json:"decision_reasons"`
	Outcomes        []outcomeJSON     `json:"outcomes"`
}

type backlogJSON struct {
	Day     string `json:"day"`
	Waiting int    `json:"waiting"`
}

type reviewerDayJSON struct {
	Day      string `json:"day"`
	Reviewer string `json:"reviewer"`
	Action   string `json:"action"`
	Count    int    `json:"count"`
}

type weekWaitsJSON struct {
	Week          string `json:"week"`
	Decided       int    `json:"decided"`
	MedianSeconds int64  `json:"median_seconds"`
	P90Seconds    int64  `json:"p90_seconds"`
}

type codeCountJSON struct {
	Code  int    `json:"code"`
	Label string `json:"label"`
	Count int    `json:"count"`
}

type reasonCountJSON struct {
	Action string `json:"action"`
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

type outcomeJSON struct {
	Document  string `json:"document"`
	Face      string `json:"face"`
	Approved  int    `json:"approved"`
	Rejected  int    `json:"rejected"`
	Escalated int    `json:"escalated"`
}

func newStatsJSON(st *store.Stats) statsJSON {
	out := statsJSON{
		Now: timeJSON(st.Now), Since: timeJSON(st.Since), SLAHours: int64(st.SLA / time.Hour),
		Queues: map[string]int{}, Overdue: st.Counts[store.CountOverdue],
		Backlog: []backlogJSON{}, Decisions: []reviewerDayJSON{}, Waits: []weekWaitsJSON{},
		ReasonCodes: []codeCountJSON{}, DecisionReasons: []reasonCountJSON{}, Outcomes: []outcomeJSON{},
	}
	for q, n := range st.Counts {
		if q != store.CountOverdue {
			out.Queues[string(q)] = n
		}
	}
	for _, d := range st.Backlog {
		out.Backlog = append(out.Backlog, backlogJSON{d.Day, d.N})
	}
	for _, d := range st.Decisions {
		out.Decisions = append(out.Decisions, reviewerDayJSON{d.Day, d.Reviewer, string(d.Action), d.N})
	}
	for _, w := range st.Waits {
		out.Waits = append(out.Waits, weekWaitsJSON{w.Week, w.Decided, int64(w.Median / time.Second), int64(w.P90 / time.Second)})
	}
	for _, c := range st.ReasonCodes {
		out.ReasonCodes = append(out.ReasonCodes, codeCountJSON{c.Code, caisson.DescribeReason(caisson.Reason{Code: c.Code}).Label, c.N})
	}
	for _, r := range st.DecisionReasons {
		out.DecisionReasons = append(out.DecisionReasons, reasonCountJSON{string(r.Action), string(r.Reason), r.N})
	}
	for _, o := range st.Outcomes {
		out.Outcomes = append(out.Outcomes, outcomeJSON{o.Document.String(), o.Face.String(), o.Approved, o.Rejected, o.Escalated})
	}
	return out
}
