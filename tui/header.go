package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/caisson-review/caisson-review/store"
)

// tabNames are the queue tabs, long and short: the short ones are used
// when the long ones with their counts do not fit the width.
var tabNames = map[store.Queue][2]string{
	store.QueueNeedsReview: {"Needs review", "Review"},
	store.QueuePending:     {"Pending at Caisson", "Pending"},
	store.QueueEscalated:   {"Escalated", "Escal."},
	store.QueueApproved:    {"Approved", "Appr."},
	store.QueueRejected:    {"Rejected", "Rej."},
	store.QueueErrors:      {"Errors", "Err."},
	store.QueueAll:         {"All", "All"},
}

var sortNames = map[store.Sort]string{
	store.SortRisk:     "risk (lowest confidence first)",
	store.SortAdded:    "added (newest first)",
	store.SortName:     "name",
	store.SortCustomer: "customer",
}

// headerView is the program's name, the reviewer, the API, and the tabs
// with every queue's count. The active tab is marked with brackets as well
// as a colour.
func headerView(c *programContext, tab int, counts store.Counts, countsErr error) string {
	st := c.styles
	mode := ""
	if c.cfg.ReadOnly {
		mode = " · " + st.Warn.Render("READ-ONLY")
	}
	reviewer := line(c.cfg.Reviewer)
	if reviewer == "" {
		reviewer = "(no name)"
	}
	api := line(c.cfg.APILabel)
	if api == "" {
		api = "none"
	}
	title := st.Title.Render("caisson-review") + st.Muted.Render(" · reviewer ") + reviewer +
		st.Muted.Render(" · API ") + api + mode
	if countsErr != nil {
		title += " · " + st.Bad.Render("✗ counts: "+errText(countsErr))
	}
	for _, short := range []bool{false, true} {
		tabs := tabsView(c, tab, counts, short)
		if short || lipgloss.Width(tabs) <= c.width {
			return clip(title, c.width) + "\n" + clip(tabs, c.width)
		}
	}
	return ""
}

func tabsView(c *programContext, active int, counts store.Counts, short bool) string {
	st := c.styles
	parts := make([]string, 0, len(store.Queues))
	for i, q := range store.Queues {
		name := tabNames[q][0]
		if short {
			name = tabNames[q][1]
		}
		n := "…"
		if counts != nil {
			n = fmt.Sprint(counts[q])
		}
		label := fmt.Sprintf("%d %s %s", i+1, name, n)
		if i == active {
			parts = append(parts, st.TabActive.Render("["+label+"]"))
		} else {
			parts = append(parts, st.Tab.Render(" "+label+" "))
		}
	}
	return strings.Join(parts, "")
}

// infoView is the line above the list: where the reviewer is in the queue,
// the sort, and the filter or customer in force.
func infoView(c *programContext, l *listModel, q store.PageQuery, filtering bool, filterInput string) string {
	st := c.styles
	pos := "…"
	if l.total == 0 {
		pos = "0 checks"
	} else if l.total > 0 {
		pos = fmt.Sprintf("%d of %d", l.cursor+1, l.total)
	}
	s := st.Bold.Render(tabNames[q.Queue][0]) + " " + pos + st.Muted.Render(" · sort: ") + sortNames[q.Sort]
	if q.Customer != "" {
		s += st.Muted.Render(" · customer: ") + st.Special.Render(line(q.Customer)) + st.Muted.Render(" (esc leaves)")
	}
	switch {
	case filtering:
		s += st.Muted.Render(" · ") + filterInput
	case q.Filter != "":
		s += st.Muted.Render(" · filter: ") + st.Special.Render("\""+line(q.Filter)+"\"") + st.Muted.Render(" (esc clears)")
	}
	return clip(s, c.width)
}
