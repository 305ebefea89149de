package tui

import (
	"fmt"
	"slices"
	"strings"

	"github.com/caisson-review/caisson-review/store"
)

// tabQueues are the console's tabs in order under a four-eyes policy:
// store.Queues, then Second review, added last so that every tab before it
// kept its number (and the reviewers' fingers theirs). Without four-eyes
// the tab is left out (Model.tabs): nothing could ever be in it.
var tabQueues = append(slices.Clone(store.Queues), store.QueueSecondReview)

// tabNames are the queue tabs, long, short and shortest: the first that
// fits the width with the counts is used.
var tabNames = map[store.Queue][3]string{
	store.QueueNeedsReview: {"Needs review", "Review", "Rev"},
	store.QueuePending:     {"Waiting at Caisson", "Waiting", "Wait"},
	store.QueueEscalated:   {"Escalated", "Escal.", "Esc"},
	store.QueueApproved:    {"Approved", "Appr.", "Appr"},
	store.QueueRejected:    {"Rejected", "Rej.", "Rej"},
	store.QueueErrors:      {"Errors", "Err.", "Err"},
	store.QueueAll:         {"All", "All", "All"},
}

var sortNames = map[store.Sort]string{
	store.SortRisk:     "risk (lowest confidence first)",
	store.SortAdded:    "added (newest first)",
	store.SortName:     "name",
	store.SortCustomer: "customer",
	store.SortWaiting:  "waiting (longest first)",
}

// headerView is the program's name, the reviewer, the API, and the tabs
// with every queue's count. The active tab is marked with brackets as well
// as a colour.
func headerView(c *programContext, queues []store.Queue, tab int, counts store.Counts, countsErr error) string {
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
	failed := ""
	if countsErr != nil {
		failed = " · " + st.Bad.Render("✗ counts: "+errText(countsErr))
	}
	// Overdue checks, as a glyph and a word, kept like the mode when the
	// title must give something up.
	if n, ok := counts[store.CountOverdue]; ok && c.sla > 0 {
		overdue := st.Muted.Render("0 overdue")
		if n > 0 {
			overdue = st.Bad.Render(fmt.Sprintf("! %d overdue", n))
		}
		failed = " · " + overdue + failed
	}
	if notice := c.pollNotice(); notice != "" {
		failed += " · " + st.Bad.Render(notice)
	}
	// First of the notices: the others (the counts not read, polling
	// paused) follow from it, and a narrow header cuts from the end.
	if notice := c.storeNotice(); notice != "" {
		failed = " · " + st.Bad.Render(notice) + failed
	}
	// Before even that: every decision made here lands in a log that may
	// no longer be append-only. The details are on stderr and in export
	// --verify.
	if len(c.cfg.Tampering) > 0 {
		failed = " · " + st.Bad.Render("✗ log may be tampered with: export --verify") + failed
	}
	draw := func(reviewer, api string) string {
		t := st.Title.Render("caisson-review") + st.Muted.Render(" · reviewer ") + reviewer
		if api != "" {
			t += st.Muted.Render(" · API ") + api
		}
		return t + mode + failed
	}
	// Too wide (a reviewer named by a key's fingerprint over SSH), the
	// title gives up the API first, then most of the fingerprint (the
	// key's comment after it told reviewers apart at 80 columns, and was
	// cut off: helper-65), then the end of the reviewer's name: never the
	// mode, which says what this console may do.
	title := draw(reviewer, api)
	if cells(title) > c.width {
		title = draw(reviewer, "")
	}
	if cells(title) > c.width {
		reviewer = briefReviewer(reviewer)
		title = draw(reviewer, "")
	}
	if over := cells(title) - c.width; over > 0 {
		title = draw(clip(reviewer, max(cells(reviewer)-over, 8)), "")
	}
	// The form is chosen by measuring the plain labels, which is what
	// the styles draw plus their frames: drawing each form to measure it
	// drew two when the counts have six digits.
	form := 0
	for form < 3 && tabsWidth(c, queues, tab, counts, form) > c.width {
		form++
	}
	return clip(title, c.width) + "\n" + clip(tabsView(c, queues, tab, counts, form), c.width)
}

// tabLabels are the tabs' texts in a form, the active one in brackets.
func tabLabels(queues []store.Queue, active int, counts store.Counts, form int) []string {
	labels := make([]string, len(queues))
	for i, q := range queues {
		name := tabNames[q][min(form, 2)]
		n := "…"
		if counts != nil {
			n = fmt.Sprint(counts[q])
			if form == 3 {
				n = shortCount(counts[q])
			}
		}
		label := fmt.Sprintf("%d %s %s", i+1, name, n)
		if form >= 2 {
			// Tight: the colon keeps a count from reading as the next
			// tab's number.
			label = fmt.Sprintf("%d %s:%s", i+1, name, n)
		}
		if i == active {
			label = "[" + label + "]"
		}
		labels[i] = label
	}
	return labels
}

// shortCount is a count in at most four characters, for the tightest
// tabs (eight queues of five- and six-digit counts at 80 columns): 56199
// is 56k, 2000 is 2k. The list's own line gives the exact count.
func shortCount(n int) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

func tabSeparator(form int) string {
	if form >= 2 {
		return " "
	}
	return "  "
}

func tabsView(c *programContext, queues []store.Queue, active int, counts store.Counts, form int) string {
	st := c.styles
	labels := tabLabels(queues, active, counts, form)
	for i, l := range labels {
		if i == active {
			labels[i] = st.TabActive.Render(l)
		} else {
			labels[i] = st.Tab.Render(l)
		}
	}
	return strings.Join(labels, tabSeparator(form))
}

// tabsWidth is lipgloss.Width(tabsView(…)) without drawing it.
func tabsWidth(c *programContext, queues []store.Queue, active int, counts store.Counts, form int) int {
	st := c.styles
	labels := tabLabels(queues, active, counts, form)
	w := len(tabSeparator(form)) * (len(labels) - 1)
	for i, l := range labels {
		frame := st.Tab.GetHorizontalFrameSize()
		if i == active {
			frame = st.TabActive.GetHorizontalFrameSize()
		}
		w += cells(l) + frame
	}
	return w
}

// infoView is the line above the list: where the reviewer is in the queue,
// the sort, and the filter or customer in force.
func infoView(c *programContext, l *listModel, q store.PageQuery, filtering bool, filterInput string) string {
	st := c.styles
	pos := "…"
	if l.total == 0 {
		pos = "0 checks"
	} else if l.total > 0 && l.more {
		pos = fmt.Sprintf("%d of %d+ (G counts)", l.cursor+1, l.total)
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
		s += st.Muted.Render(" · filter: ") + st.Special.Render(quoteFilter(q.Filter)) + st.Muted.Render(" (esc clears)")
	}
	return clip(s, c.width)
}
