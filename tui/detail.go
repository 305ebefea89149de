package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/store"
)

// detailModel is the selected check in full, read with Get.
type detailModel struct {
	checkID string
	rec     *store.Record
	err     error
	req     int
	// dirty asks for the record to be read again (it was refreshed or
	// decided) while the old one stays on screen.
	dirty bool
	// again is set when the record changed while it was being read: the
	// answer is shown, then the record is read once more.
	again  bool
	scroll int
	// seen is the latest decision (its Seq) known when the check was first
	// read or decided here: a later one was made elsewhere.
	seen int64
	// notice says what happened to the check while it was open ("escalated
	// by bob 3s ago"), shown under its name.
	notice string
}

// key scrolls the detail: J and K wherever it is (beside the list too),
// and the movement keys when it is full screen, page being its height. It
// reports whether the key was its own.
func (d *detailModel) key(msg tea.KeyPressMsg, k KeyMap, page int, full bool) bool {
	switch {
	case matches(msg, k.ScrollDown):
		d.scroll += 3
	case matches(msg, k.ScrollUp):
		d.scroll -= 3
	case !full:
		return false
	default:
		// Every scrolling key, top and bottom included: passed on to the
		// list, g and G opened another check in the full-screen detail,
		// under the same keys and help, where a decision would land on it.
		return scrollKey(msg, k, page-1, &d.scroll)
	}
	return true
}

// timeLayout shows a timestamp with its offset, so a reviewer comparing
// with Caisson's dashboard knows which zone it is in.
const timeLayout = "2006-01-02 15:04:05 -07:00"

// labelWidth is the width of the label column of the detail pane.
const labelWidth = 10

// view draws the pane: at most height lines of at most width cells,
// scrolled. row is the list's row, shown while the record loads. Beside
// (or below) the list, a pane that fits keeps its tail (fetched, result,
// decisions, the dashboard line) at its bottom: see pinTail.
func (d *detailModel) view(c *programContext, row store.Row, haveRow bool, width, height int, masked, beside bool) string {
	lines, tail := d.lines(c, row, haveRow, width, masked)
	if beside {
		lines = pinTail(lines, tail, height)
	}
	return strings.Join(clipAll(scrollWindow(c, lines, height, &d.scroll, c.keys.ScrollDown, c.keys.ScrollUp), width), "\n")
}

// pinTail moves the lines from tail on to the bottom of a pane of
// height lines, when they all fit, with blank lines above them. The pane
// beside the list is redrawn at every cursor move, and the number of
// reasons differs from check to check: in flow, every line below the
// reasons moved with it, and a terminal link carried each moved line
// again (about 200 bytes of a 1,300-byte cursor move at 120x40). Pinned,
// the tail is where it was, and only what differs is sent.
func pinTail(lines []string, tail, height int) []string {
	gap := height - len(lines)
	if gap <= 0 || tail >= len(lines) {
		return lines
	}
	return slices.Concat(lines[:tail], make([]string, gap), lines[tail:])
}

func clipAll(lines []string, width int) []string {
	for i, l := range lines {
		lines[i] = clip(l, width)
	}
	return lines
}

// lines are the pane's lines, and the index of its tail: what follows
// the reasons (pinTail).
func (d *detailModel) lines(c *programContext, row store.Row, haveRow bool, width int, masked bool) ([]string, int) {
	st := c.styles
	if !haveRow {
		return []string{st.Muted.Render("no check selected")}, 1
	}
	if d.err != nil && d.checkID == row.CheckID {
		return []string{st.Bad.Render("✗ " + errText(d.err))}, 1
	}
	rec := d.rec
	if rec == nil || rec.CheckID != row.CheckID {
		rec = &store.Record{Row: row}
	}
	now := c.now()
	b := &detailBuilder{width: width, st: st}

	name := rowName(rec.Row)
	if chk := rec.Result; chk != nil && chk.Info.FullName() != "" {
		name = line(chk.Info.FullName())
	}
	b.wrap(st.Bold.Render, name)
	if d.notice != "" {
		b.wrap(st.Warn.Render, newsGlyph+" "+d.notice)
	}
	if names, ok := c.claimedBy(rec.CheckID); ok {
		b.wrap(st.Warn.Render, "● being reviewed by "+names)
	}
	b.proposal(c, rec)
	b.field("check", line(rec.CheckID), nil)
	b.field("customer", line(rec.CustomerID), nil)
	b.raw("status", st.statusWord(rec.Row)+"  doc "+st.levelWord(rec.Document)+"  face "+st.levelWord(rec.Face))
	b.waited(rec.Row, now, c.sla)

	if chk := rec.Result; chk != nil {
		b.person(c, chk, now, masked)
	} else if rec.Purged {
		b.wrap(st.Muted.Render, purgedText(rec))
	}
	if !rec.ExpiresOn.IsZero() && (rec.Result == nil) {
		b.expiry(rec.ExpiresOn, now)
	}
	b.reasons(rec)
	tail := len(b.out)
	b.fetch(c, rec.Row, now)
	b.decisions(c, rec.Decisions)
	b.blank()
	url := line(caisson.DashboardURL(rec.CheckID))
	if ansi.StringWidth(url) > width {
		// Only the split view is this narrow; it prints the link whole on
		// its bottom line, where it can be copied in one selection.
		b.raw("", st.Label.Render("Caisson dashboard: ")+st.Muted.Render("on the bottom line"))
		return b.out, tail
	}
	b.raw("", st.Label.Render("Caisson dashboard (copy):"))
	b.out = append(b.out, st.Accent.Render(url))
	return b.out, tail
}

// detailBuilder accumulates the pane's lines, wrapping plain (already
// sanitized) text to the width before it is coloured.
type detailBuilder struct {
	out   []string
	width int
	st    Styles
}

func (b *detailBuilder) blank() { b.out = append(b.out, "") }

// wrap adds plain text wrapped to the width, each line styled.
func (b *detailBuilder) wrap(style func(...string) string, text string) {
	b.indented("", text, style)
}

// indented wraps text after a prefix, continuation lines aligned under it.
func (b *detailBuilder) indented(prefix, text string, style func(...string) string) {
	w := max(b.width-ansi.StringWidth(prefix), 8)
	pad := strings.Repeat(" ", ansi.StringWidth(prefix))
	for i, l := range strings.Split(ansi.Wrap(text, w, " ,-/"), "\n") {
		if style != nil {
			l = style(l)
		}
		if i == 0 {
			b.out = append(b.out, prefix+l)
		} else {
			b.out = append(b.out, pad+l)
		}
	}
}

// field adds "label  value", the value plain text wrapped under itself.
func (b *detailBuilder) field(label, value string, style func(...string) string) {
	if value == "" {
		value = "-"
	}
	b.indented(b.st.Label.Render(fit(label, labelWidth)), value, style)
}

// raw adds a label and an already styled value that fits on one line.
func (b *detailBuilder) raw(label, styled string) {
	if label == "" {
		b.out = append(b.out, styled)
		return
	}
	b.out = append(b.out, b.st.Label.Render(fit(label, labelWidth))+styled)
}

func (b *detailBuilder) person(c *programContext, chk *caisson.Check, now time.Time, masked bool) {
	info := chk.Info
	b.field("sex", line(info.Sex), nil)
	switch {
	case info.DOB.IsZero():
		b.field("born", "not given", nil)
	case masked:
		b.field("born", "••• (masked: "+keyName(c.keys.Mask)+" shows)", nil)
	default:
		b.field("born", fmt.Sprintf("%s (age %d)", info.DOB, info.DOB.YearsAt(now)), nil)
	}
	b.expiry(info.ExpiresOn, now)
	switch {
	case info.Address == nil:
		b.field("address", "not given", nil)
	case masked:
		b.field("address", "••• (masked: "+keyName(c.keys.Mask)+" shows)", nil)
	default:
		a := info.Address
		parts := []string{}
		for _, p := range []string{a.Street, a.City, strings.TrimSpace(a.State + " " + a.Zip)} {
			if p = line(p); p != "" {
				parts = append(parts, p)
			}
		}
		b.field("address", strings.Join(parts, ", "), nil)
	}
	if !chk.CheckedOn.IsZero() {
		t := c.local(chk.CheckedOn)
		b.field("checked", t.Format(timeLayout)+" ("+age(chk.CheckedOn, now)+" ago)", nil)
	}
}

// expiry shows the document's expiry, with EXPIRED in words when it is
// past by the clock, whether or not Caisson sent reason 308.
func (b *detailBuilder) expiry(d caisson.Date, now time.Time) {
	switch {
	case d.IsZero():
		b.field("expires", "not given", nil)
	case d.Before(now):
		b.raw("expires", d.String()+" "+b.st.Bad.Bold(true).Render("✗ EXPIRED"))
	default:
		b.raw("expires", d.String()+" "+b.st.Good.Render("✓ valid"))
	}
}

func (b *detailBuilder) reasons(rec *store.Record) {
	var reasons []caisson.Reason
	if rec.Result != nil {
		reasons = rec.Result.Confidence.Reasons
	} else {
		for _, code := range rec.ReasonCodes {
			reasons = append(reasons, caisson.Reason{Code: code})
		}
	}
	b.blank()
	if len(reasons) == 0 {
		b.raw("", b.st.Label.Render("Reasons: none"))
		return
	}
	b.raw("", b.st.Label.Render(fmt.Sprintf("Reasons (%d):", len(reasons))))
	for _, r := range reasons {
		ri := caisson.DescribeReason(r)
		symbol := map[caisson.Severity]string{caisson.SeverityHigh: "✗", caisson.SeverityMedium: "!", caisson.SeverityLow: "·"}[ri.Severity]
		label := line(ri.Label)
		if !ri.Known {
			label = "UNKNOWN CODE"
		}
		head := fmt.Sprintf("%d %s · %s · %s severity", ri.Code, label, ri.Group, ri.Severity)
		// The symbol and the space after it in the head's colour: one
		// colour change for the line, not three.
		b.indented("  "+b.st.severity(ri.Severity, symbol+" "), head, func(s ...string) string { return b.st.severity(ri.Severity, strings.Join(s, "")) })
		switch {
		case !ri.Known && ri.APIDescription != "":
			b.indented("    ", "Caisson says: "+line(ri.APIDescription), nil)
		case !ri.Known:
			b.indented("    ", "not in the reference, and Caisson sent no description", nil)
		case ri.DescriptionDiffers():
			b.indented("    ", "reference: "+line(ri.Description), b.st.Muted.Render)
			b.indented("    ", "Caisson says: "+line(ri.APIDescription), nil)
		case ri.Description != ri.Label:
			b.indented("    ", line(ri.Description), b.st.Muted.Render)
		}
	}
}

// fetch says when the check was last fetched and, in words, what went
// wrong if it did not come back as a result.
func (b *detailBuilder) fetch(c *programContext, r store.Row, now time.Time) {
	b.blank()
	when := "never"
	if !r.FetchedAt.IsZero() {
		when = c.local(r.FetchedAt).Format(timeLayout) + " (" + age(r.FetchedAt, now) + " ago)"
	}
	b.field("fetched", when, nil)
	if c.stale(r, now) {
		b.field("", staleGlyph+" STALE: fetched over "+ageSetting(c.cfg.StaleAfter)+" ago"+c.refetchHint(), b.st.Warn.Render)
	}
	switch {
	case r.Outcome == store.OutcomeOK:
		b.raw("result", b.st.Good.Render("✓ result received"))
	case r.Outcome == store.OutcomeNone:
		b.field("result", explainOutcome(r), b.st.Muted.Render)
	case r.Outcome.NotReady():
		// Not a failure: Caisson has no result yet, and says why.
		why, ok := store.Waiting(r)
		if !ok {
			why = "not ready at Caisson, but already " + string(r.Status) + ": it stays in that queue"
		} else {
			why = "waiting at Caisson: " + why
		}
		b.field("result", why, b.st.Warn.Render)
		b.indented(strings.Repeat(" ", labelWidth), explainOutcome(r), b.st.Muted.Render)
	default:
		b.indented(b.st.Label.Render(fit("result", labelWidth))+b.st.Bad.Render("✗ "), explainOutcome(r), b.st.Bad.Render)
	}
}

func (b *detailBuilder) decisions(c *programContext, ds []store.Decision) {
	b.blank()
	if len(ds) == 0 {
		b.raw("", b.st.Label.Render("Decisions: none yet"))
		return
	}
	b.raw("", b.st.Label.Render(fmt.Sprintf("Decisions (%d, oldest first):", len(ds))))
	for _, d := range ds {
		head := fmt.Sprintf("%s %s by %s", c.local(d.At).Format(timeLayout), entryHead(d), line(d.Reviewer))
		b.indented("  ", head, nil)
		if r := entryReason(d); r != "" {
			b.indented("    ", r, b.st.Muted.Render)
		}
		if d.Stale {
			b.indented("    ", "⚠ STALE: Caisson's result has changed since this decision", b.st.Warn.Render)
		}
		if d.Note != "" {
			for _, nl := range strings.Split(sanitize.Text(d.Note), "\n") {
				b.indented("    │ ", nl, nil)
			}
		}
	}
}

func pastTense(a store.Action) string { return line(a.PastTense()) }

// waited adds how long the check has waited for a decision since it
// became reviewable (or waited, once decided), and where it stands against
// the SLA: "! OVERDUE" past it, a word and a glyph.
func (b *detailBuilder) waited(r store.Row, now time.Time, sla time.Duration) {
	d, ok := r.Waited(now)
	if !ok {
		return
	}
	since := r.ReviewableAt.In(now.Location()).Format(timeLayout)
	if !r.AwaitsDecision() {
		b.field("waited", durationText(d)+", from "+since+" to its decision", nil)
		return
	}
	text := durationText(d) + " since " + since
	switch {
	case r.Overdue(now, sla):
		b.field("waiting", "! OVERDUE: "+text+", past the "+store.FormatSLA(sla)+" SLA by "+durationText(d-sla), b.st.Bad.Render)
	case sla > 0:
		b.field("waiting", text+"; overdue in "+durationText(sla-d)+" (SLA "+store.FormatSLA(sla)+")", nil)
	default:
		b.field("waiting", text, nil)
	}
}

// purgedText says why a check's personal data is gone: Caisson deleted
// the check, or a purge (purge --older-than) dropped it here, when the
// decisions were kept and the check can be fetched again. The retention's
// purge was said to be Caisson's deletion (found with helper-57's report).
func purgedText(rec *store.Record) string {
	if caisson.ErrorCode(rec.Outcome) == caisson.CodeIDCheckDeleted {
		return "Personal data deleted: Caisson reported the check deleted (IDCHECK_DELETED)."
	}
	when := ""
	if !rec.PurgedAt.IsZero() {
		when = " " + rec.PurgedAt.Local().Format("2006-01-02 15:04")
	}
	text := "Personal data purged" + when + " (purge --older-than): its decisions are kept"
	if rec.Outcome == store.OutcomeOK {
		// Not promised of one whose last answer was an error, or final.
		text += "; a refresh of this check alone fetches it again"
	}
	return text + "."
}
