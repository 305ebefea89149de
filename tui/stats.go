package tui

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// The stats view: what a compliance lead reads of the team's work, every
// figure the store's Stats computes, drawn as bars with the number beside
// each. It is read in a command when the view opens (and on its refresh
// key), so a key never waits for it.

// statsModel is the stats view's state.
type statsModel struct {
	req    int // the latest read; 0 when none is in flight
	stats  *store.Stats
	err    error
	scroll int
	// from is where esc goes back to: the list or the detail.
	from mode
}

type statsMsg struct {
	req   int
	stats *store.Stats
	err   error
}

func loadStats(st Store, req int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		s, err := st.Stats(ctx, store.StatsQuery{})
		if err != nil {
			err = fmt.Errorf("reading the stats: %w", err)
		}
		return statsMsg{req: req, stats: s, err: err}
	}
}

// glyphs are the characters bars are drawn with: block characters, or
// plain ASCII where colour is off (NO_COLOR, theme none), since a terminal
// without colour is often one without those characters too.
type glyphs struct {
	spark                  []string // from nothing to the most, nine steps
	full, tail             string   // a bar, and its extension (the 90th percentile beyond the median)
	approved, rejected, up string   // the outcome bar's three parts
}

var (
	blockGlyphs = glyphs{spark: strings.Split("▁ ▂ ▃ ▄ ▅ ▆ ▇ █ █", " "), full: "█", tail: "░",
		approved: "█", rejected: "▓", up: "░"}
	asciiGlyphs = glyphs{spark: strings.Split("_ . , : ; = + * #", " "), full: "#", tail: "-",
		approved: "A", rejected: "R", up: "E"}
)

// StatsReport is the stats view as plain text, width cells wide, for the
// command line: the same figures and words as the console, without
// colour, with ASCII bars when ascii is set.
func StatsReport(st *store.Stats, width int, ascii bool) string {
	g := blockGlyphs
	if ascii {
		g = asciiGlyphs
	}
	return strings.Join(statsLines(st, width, g, Styles{}), "\n") + "\n"
}

// statsLines draws every figure, width cells wide. Everything that came
// from the database (reviewer names) goes through the sanitizer.
func statsLines(st *store.Stats, width int, g glyphs, sty Styles) []string {
	var out []string
	add := func(lines ...string) { out = append(out, lines...) }
	head := func(title string) {
		if len(out) > 0 {
			add("")
		}
		add(sty.Bold.Render(clip(title, width)))
	}
	since := st.Since.Format("2006-01-02")
	head(fmt.Sprintf("Queues now (%s UTC)", st.Now.Format("2006-01-02 15:04")))
	add(queueLines(st, width, sty)...)
	head(fmt.Sprintf("Waiting for a decision at the end of each day, last %d days", store.BacklogDays))
	add(backlogLines(st, width, g)...)
	head(fmt.Sprintf("Decisions per reviewer per day, last %d days", store.DecisionDays))
	add(reviewerLines(st, width, sty)...)
	head("Time from reviewable to decided, per week since " + since)
	add(waitLines(st, width, g)...)
	head("Caisson's reason codes of checks that needed review since " + since)
	add(codeLines(st, width, g)...)
	head("Reasons given for rejections and escalations since " + since)
	add(reasonLines(st, width, g)...)
	head("Outcome by confidence, document × face, decided since " + since)
	add(outcomeLines(st, width, g)...)
	for i, l := range out {
		out[i] = clip(l, width)
	}
	return out
}

func queueLines(st *store.Stats, width int, sty Styles) []string {
	var items []string
	queues := []store.Queue{store.QueueNeedsReview, store.QueuePending, store.QueueSecondReview, store.QueueEscalated,
		store.QueueApproved, store.QueueRejected, store.QueueErrors, store.QueueAll}
	for _, q := range queues {
		items = append(items, fmt.Sprintf("%s %d", queueTitle(q), st.Counts[q]))
	}
	if st.SLA > 0 {
		items = append(items, sty.Bad.Render(fmt.Sprintf("! overdue %d", st.Counts[store.CountOverdue]))+fmt.Sprintf(" (SLA %s)", store.FormatSLA(st.SLA)))
	} else {
		items = append(items, "no SLA set")
	}
	return wrapItems(items, " · ", width)
}

// queueTitle is a queue's name as its tab says it.
func queueTitle(q store.Queue) string {
	if q == store.QueueSecondReview {
		return "Second review"
	}
	return tabNames[q][0]
}

// wrapItems joins items with sep into lines of at most width cells,
// indented by two.
func wrapItems(items []string, sep string, width int) []string {
	var lines []string
	cur := ""
	for _, it := range items {
		switch {
		case cur == "":
			cur = "  " + it
		case cells(cur)+cells(sep)+cells(it) > width:
			lines, cur = append(lines, cur), "  "+it
		default:
			cur += sep + it
		}
	}
	return append(lines, cur)
}

// spark is a one-line chart of ns: the lowest step for nothing, the
// highest for the most.
func spark(ns []int, g glyphs) string {
	most := 0
	for _, n := range ns {
		most = max(most, n)
	}
	var sb strings.Builder
	for _, n := range ns {
		i := 0
		if most > 0 && n > 0 {
			i = 1 + (n*(len(g.spark)-2)+most-1)/most
			i = min(i, len(g.spark)-1)
		}
		sb.WriteString(g.spark[i])
	}
	return sb.String()
}

func backlogLines(st *store.Stats, width int, g glyphs) []string {
	ns := make([]int, len(st.Backlog))
	most := 0
	for i, d := range st.Backlog {
		ns[i], most = d.N, max(most, d.N)
	}
	lines := []string{fmt.Sprintf("  %s  most %d, now %d", spark(ns, g), most, last(ns))}
	digits := len(strconv.Itoa(most))
	var items []string
	for _, d := range st.Backlog {
		items = append(items, fmt.Sprintf("%s %*d", d.Day[5:], digits, d.N))
	}
	return append(lines, wrapItems(items, "  ", width)...)
}

func last(ns []int) int {
	if len(ns) == 0 {
		return 0
	}
	return ns[len(ns)-1]
}

// reviewerLines is a table: a row per reviewer and action, a column per
// day (the most recent that fit the width), and the total of the 14 days.
func reviewerLines(st *store.Stats, width int, sty Styles) []string {
	if len(st.Decisions) == 0 {
		return []string{"  no decisions"}
	}
	type rowKey struct {
		reviewer string
		action   store.Action
	}
	var keys []rowKey
	counts := map[rowKey]map[string]int{}
	most, nameW := 0, 8
	for _, d := range st.Decisions {
		k := rowKey{line(d.Reviewer), d.Action}
		if counts[k] == nil {
			counts[k] = map[string]int{}
			keys = append(keys, k)
		}
		counts[k][d.Day] += d.N
		most = max(most, counts[k][d.Day])
		nameW = max(nameW, cells(k.reviewer))
	}
	slices.SortFunc(keys, func(a, b rowKey) int {
		if c := strings.Compare(a.reviewer, b.reviewer); c != 0 {
			return c
		}
		return strings.Compare(string(a.action), string(b.action))
	})
	nameW = min(nameW, 16)
	cellW := len(strconv.Itoa(most)) + 1
	fixed := 2 + nameW + 1 + 8 + 7
	days := min(store.DecisionDays, max((width-fixed)/max(cellW, 3), 1))
	cellW = max(cellW, 3)
	today := startOfDayUTC(st.Now)
	var dayList []string
	for i := days - 1; i >= 0; i-- {
		dayList = append(dayList, today.AddDate(0, 0, -i).Format("2006-01-02"))
	}
	head := "  " + fit("reviewer", nameW) + " " + fit("action", 8)
	for _, d := range dayList {
		head += fmt.Sprintf("%*s", cellW, d[8:])
	}
	head += fmt.Sprintf("%7s", "total")
	lines := []string{sty.Muted.Render(head)}
	if days < store.DecisionDays {
		lines = append(lines, sty.Muted.Render(fmt.Sprintf("  (the last %d days shown; total over %d)", days, store.DecisionDays)))
	}
	for _, k := range keys {
		row := "  " + fit(k.reviewer, nameW) + " " + fit(string(k.action), 8)
		total := 0
		for _, n := range counts[k] {
			total += n
		}
		for _, d := range dayList {
			if n := counts[k][d]; n > 0 {
				row += fmt.Sprintf("%*d", cellW, n)
			} else {
				row += fmt.Sprintf("%*s", cellW, ".")
			}
		}
		lines = append(lines, row+fmt.Sprintf("%7d", total))
	}
	return lines
}

func startOfDayUTC(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// bar is n of most as a bar of at most w cells: at least one cell for
// anything above nothing.
func bar(n, most, w int, glyph string) string {
	if n <= 0 || most <= 0 || w <= 0 {
		return ""
	}
	return strings.Repeat(glyph, max(1, n*w/most))
}

func waitLines(st *store.Stats, width int, g glyphs) []string {
	if len(st.Waits) == 0 {
		return []string{"  no check decided after waiting"}
	}
	var most time.Duration
	for _, w := range st.Waits {
		most = max(most, w.P90)
	}
	lines := []string{fmt.Sprintf("  %s median, %s up to the 90th percentile", g.full, g.tail)}
	for _, w := range st.Waits {
		text := fmt.Sprintf("  week of %s %5d decided  median %7s  90%% %7s ", w.Week[5:], w.Decided, durationText(w.Median), durationText(w.P90))
		room := width - cells(text)
		med := bar(int(w.Median/time.Minute), int(most/time.Minute), room, g.full)
		tail := bar(int(w.P90/time.Minute), int(most/time.Minute), room, g.tail)
		if cells(tail) > cells(med) {
			med += tail[len(g.tail)*cells(med):]
		}
		lines = append(lines, text+med)
	}
	return lines
}

// durationText is a duration to the minute in its two largest units, as
// the list's WAIT column and the detail show waits.
func durationText(d time.Duration) string {
	d = max(d, 0).Truncate(time.Minute)
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

func codeLines(st *store.Stats, width int, g glyphs) []string {
	if len(st.ReasonCodes) == 0 {
		return []string{"  none"}
	}
	most := st.ReasonCodes[0].N
	digits := len(strconv.Itoa(most))
	var lines []string
	for _, c := range st.ReasonCodes {
		label := caisson.DescribeReason(caisson.Reason{Code: c.Code}).Label
		text := fmt.Sprintf("  %3d %s %*d ", c.Code, fit(line(label), 30), digits, c.N)
		lines = append(lines, text+bar(c.N, most, width-cells(text), g.full))
	}
	return lines
}

func reasonLines(st *store.Stats, width int, g glyphs) []string {
	if len(st.DecisionReasons) == 0 {
		return []string{"  none"}
	}
	most := st.DecisionReasons[0].N
	digits := len(strconv.Itoa(most))
	var lines []string
	for _, r := range st.DecisionReasons {
		text := fmt.Sprintf("  %-8s %s %*d ", r.Action, fit(line(string(r.Reason)), 24), digits, r.N)
		lines = append(lines, text+bar(r.N, most, width-cells(text), g.full))
	}
	return lines
}

func outcomeLines(st *store.Stats, width int, g glyphs) []string {
	if len(st.Outcomes) == 0 {
		return []string{"  no decisions"}
	}
	most := 0
	for _, o := range st.Outcomes {
		most = max(most, o.Approved+o.Rejected+o.Escalated)
	}
	lines := []string{
		fmt.Sprintf("  %s approved, %s rejected, %s escalated", g.approved, g.rejected, g.up),
		fmt.Sprintf("  %-17s %8s %8s %9s", "document × face", "approved", "rejected", "escalated"),
	}
	for _, o := range st.Outcomes {
		text := fmt.Sprintf("  %-17s %8d %8d %9d  ", o.Document.String()+" × "+o.Face.String(), o.Approved, o.Rejected, o.Escalated)
		room := width - cells(text)
		total := o.Approved + o.Rejected + o.Escalated
		w := 0
		if most > 0 {
			w = max(1, total*room/most)
		}
		lines = append(lines, text+stacked(w, total, []int{o.Approved, o.Rejected, o.Escalated}, []string{g.approved, g.rejected, g.up}))
	}
	return lines
}

// stacked is a bar of w cells split among parts in proportion, each part
// above nothing at least one cell.
func stacked(w, total int, parts []int, glyph []string) string {
	if total <= 0 {
		return ""
	}
	var sb strings.Builder
	used := 0
	for i, p := range parts {
		if p == 0 {
			continue
		}
		n := max(1, p*w/total)
		if i == len(parts)-1 || used+n > w {
			n = max(1, w-used)
		}
		sb.WriteString(strings.Repeat(glyph[i], n))
		used += n
	}
	return sb.String()
}

// view draws the stats view in w x h: a title line, then the figures from
// the scroll position on.
func (s *statsModel) view(c *programContext, w, h int) string {
	st := c.styles
	title := st.Title.Render("Team stats")
	switch {
	case s.stats == nil && s.err == nil:
		return title + "\n\n" + st.Muted.Render("  reading the figures…")
	case s.stats == nil:
		return title + "\n\n" + st.Bad.Render(clip("  ✗ "+errText(s.err), w))
	}
	g := blockGlyphs
	if c.ascii {
		g = asciiGlyphs
	}
	lines := statsLines(s.stats, w, g, st)
	rows := max(h-1, 1)
	s.scroll = min(s.scroll, max(len(lines)-rows, 0))
	end := min(s.scroll+rows, len(lines))
	where := fmt.Sprintf(" · lines %d-%d of %d", s.scroll+1, end, len(lines))
	if s.req != 0 {
		where += " · reading again…"
	}
	if s.err != nil {
		where += " · " + st.Bad.Render("✗ "+errText(s.err))
	}
	return title + st.Muted.Render(where) + "\n" + strings.Join(lines[s.scroll:end], "\n")
}
