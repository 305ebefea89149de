// Second review (four-eyes): the tab of proposals awaiting a second
// reviewer, who proposed what, when and why; confirm and return, shown
// disabled, with the reason, to the reviewer who proposed. The rule itself
// is the store's: it refuses the proposer too, whatever the console shows.

package tui

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/store"
)

// The optional parts of a Store the console uses for four-eyes, as the two
// stores it runs on have them: serve's session store answers for its SSH
// key, the local *store.Store for the operating-system account.
type (
	sessionIdentity interface{ Identity() store.Identity }
	storeIdentity   interface {
		Identity() (store.Identity, error)
	}
	countsOwn interface {
		CountConfirmable(ctx context.Context) (int, error)
	}
	countsFor interface {
		CountConfirmable(ctx context.Context, id store.Identity) (int, error)
	}
	proposalReader interface {
		Proposals(ctx context.Context, seqs []int64) (map[int64]store.Decision, error)
	}
)

func init() {
	tabNames[store.QueueSecondReview] = [3]string{"Second review", "2nd review", "2nd"}
}

// identityMsg is who this console decides as, once known.
type identityMsg struct{ id store.Identity }

// readIdentity asks the store who this console's decisions are made as.
// An identity that cannot be read leaves the keys enabled: the store still
// refuses what it must, and says why.
func readIdentity(st Store) tea.Cmd {
	return func() tea.Msg {
		switch s := st.(type) {
		case sessionIdentity:
			return identityMsg{s.Identity()}
		case storeIdentity:
			if id, err := s.Identity(); err == nil {
				return identityMsg{id}
			}
		}
		return nil
	}
}

// confirmableMsg is how many proposals this console's reviewer may
// confirm: what the Second review tab counts.
type confirmableMsg struct {
	n  int
	ok bool
}

// loadConfirmable counts the proposals the reviewer may confirm (every
// one but their own), when the store can tell.
func loadConfirmable(st Store, id store.Identity) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		var n int
		var err error
		switch s := st.(type) {
		case countsOwn:
			n, err = s.CountConfirmable(ctx)
		case countsFor:
			if id.IsZero() {
				return nil
			}
			n, err = s.CountConfirmable(ctx, id)
		default:
			return nil
		}
		return confirmableMsg{n: n, ok: err == nil}
	}
}

// tabCounts are the counts the tabs show: Second review counts what this
// reviewer may confirm, once known. The list's own total stays the
// queue's: every proposal is listed, the reviewer's own with its keys
// disabled.
func (m *Model) tabCounts() store.Counts {
	if m.counts == nil || m.confirmable < 0 {
		return m.counts
	}
	c := maps.Clone(m.counts)
	c[store.QueueSecondReview] = m.confirmable
	return c
}

// proposalsMsg carries the proposals of the rows a page brought.
type proposalsMsg struct {
	got map[int64]store.Decision
}

// readProposals reads the proposals of loaded rows not read yet.
func (m *Model) readProposals() tea.Cmd {
	pr, ok := m.ctx.cfg.Store.(proposalReader)
	if !ok {
		return nil
	}
	var want []int64
	for _, r := range m.list.rows {
		if _, have := m.proposals[r.Proposal]; r.Proposal > 0 && !have {
			want = append(want, r.Proposal)
		}
	}
	if len(want) == 0 {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		got, err := pr.Proposals(ctx, want)
		if err != nil {
			return nil // the rows say "…" where the proposal would be
		}
		return proposalsMsg{got: got}
	}
}

// maxProposalsKept bounds the proposals remembered between pages.
const maxProposalsKept = 1024

func (m *Model) keepProposals(got map[int64]store.Decision) {
	if m.proposals == nil || len(m.proposals)+len(got) > maxProposalsKept {
		m.proposals = map[int64]store.Decision{}
	}
	maps.Copy(m.proposals, got)
	m.list.drawn.reset()
}

// syncSecondReview tells the list whether it shows Second review, with
// the proposals read so far and who is looking.
func (m *Model) syncSecondReview() {
	m.list.proposals, m.list.me = nil, m.ctx.identity.String()
	if m.query().Queue == store.QueueSecondReview {
		if m.proposals == nil {
			m.proposals = map[int64]store.Decision{}
		}
		m.list.proposals = m.proposals
	}
}

// proposalColumns are Second review's flexible columns for a list width:
// the name, who proposed, and why.
type proposalColumns struct{ name, by, why int }

// proposalFixed is marker 2, id 9, what 7, age 4 and the spaces.
const proposalFixed = 2 + 9 + 1 + 1 + 1 + 7 + 1 + 4 + 1

func layoutProposalColumns(width int) proposalColumns {
	rest := max(width-proposalFixed, 12)
	name, by := rest*3/10, rest*3/10
	return proposalColumns{name: name, by: by, why: rest - name - by}
}

func proposalHead(width int) string {
	cols := layoutProposalColumns(width)
	return "  " + fit("CHECK", 9) + " " + fit("NAME", cols.name) + " " + fit("PROPOSED BY", cols.by) + " " +
		fit("TO", 7) + " " + fit("AGE", 4) + " " + fit("WHY", cols.why)
}

// proposalRow draws a row of Second review: who proposed what, how long
// ago, and why (the reason and the note). The reviewer's own proposals say
// "you": they are listed, but not theirs to confirm.
func (l *listModel) proposalRow(c *programContext, r store.Row, k rowLook) string {
	cols := layoutProposalColumns(l.width)
	by, what, why := "…", "…", "…"
	if d, ok := l.proposals[r.Proposal]; ok {
		by = line(shortReviewer(d.Reviewer))
		if l.me != "" && d.Identity == l.me {
			by = "you: " + by
		}
		what = line(string(d.Proposes))
		why = proposalWhy(d)
	}
	marker := "  "
	if k.selected {
		marker = "▶ "
	}
	if k.claimed {
		marker = marker[:len(marker)-1] + "●"
	}
	row := marker + fit(caisson.ShortID(line(r.CheckID), 8), 9) + " " + fit(rowName(r), cols.name) + " " +
		fit(by, cols.by) + " " + fit(what, 7) + " " + fit(k.age, 4) + " " + fit(why, cols.why)
	row = fit(row, l.width)
	if k.selected {
		return c.styles.Selected.Render(row)
	}
	return row
}

// proposalWhy is a proposal's reason and note on one line.
func proposalWhy(d store.Decision) string {
	var parts []string
	if d.Reason != "" {
		parts = append(parts, line(string(d.Reason)))
	}
	if note := strings.Join(strings.Fields(sanitize.Text(d.Note)), " "); note != "" {
		parts = append(parts, "\""+note+"\"")
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ": ")
}

// proposalText names a proposal in a sentence: "alice's approval (#12)".
func proposalText(d *store.Decision) string {
	return fmt.Sprintf("%s's proposal to %s (#%d)", line(shortReviewer(d.Reviewer)), line(string(d.Proposes)), d.Seq)
}

// proposal adds the block that says a decision awaits a second reviewer:
// who proposed what, when and why, and whether this reviewer may answer.
func (b *detailBuilder) proposal(c *programContext, rec *store.Record) {
	d := rec.Proposal
	if d == nil {
		return
	}
	st := b.st
	now := c.now()
	// By name: the identity has a line of its own below ("as").
	b.wrap(st.Warn.Render, fmt.Sprintf("⚠ AWAITS A SECOND REVIEWER: %s proposed to %s, %s ago",
		line(shortReviewer(d.Reviewer)), line(string(d.Proposes)), age(d.At, now)))
	b.field("proposed", c.local(d.At).Format(timeLayout)+" (#"+fmt.Sprint(d.Seq)+")", nil)
	if d.Identity != "" {
		b.field("as", line(d.Identity), nil)
	}
	if d.Reason != "" {
		r := line(string(d.Reason))
		if d.Finality != "" {
			r += ", " + line(string(d.Finality))
		}
		b.field("reason", r, nil)
	}
	if d.Note != "" {
		for _, nl := range strings.Split(sanitize.Text(d.Note), "\n") {
			b.indented("  │ ", nl, nil)
		}
	}
	if c.cfg.ReadOnly {
		return
	}
	if ok, why := d.ConfirmableBy(c.identity); !ok && !c.identity.IsZero() {
		b.wrap(st.Muted.Render, "v confirm · b return: disabled, "+why)
		return
	}
	b.wrap(nil, "v confirms it (it takes effect) · b returns it with a note (back to where it was)")
}

// entryHead is a log entry as the detail lists it: what was done, and to
// which proposal.
func entryHead(d store.Decision) string {
	switch d.Action {
	case store.Propose:
		return "proposed to " + line(string(d.Proposes))
	case store.Confirm:
		return fmt.Sprintf("confirmed (%s) proposal #%d", line(string(d.Proposes)), d.Ref)
	case store.Return:
		return fmt.Sprintf("returned proposal #%d", d.Ref)
	case store.Void:
		return fmt.Sprintf("voided proposal #%d (%s)", d.Ref, line(string(d.Reason)))
	}
	return pastTense(d.Action)
}

// entryReason is a rejection's or escalation's reason as the detail lists
// it under the entry ("reason face-mismatch, final"), "" for none.
func entryReason(d store.Decision) string {
	if d.Reason == "" || d.Action == store.Void || d.Action == store.PolicyEntry {
		return ""
	}
	r := "reason " + line(string(d.Reason))
	if d.Finality != "" {
		r += ", " + line(string(d.Finality))
	}
	return r
}

// beginSecondReview starts a confirm or return of the proposal on the
// selected check, as shown. The proposer is told why not, and nothing is
// asked of the store.
func (m *Model) beginSecondReview(a store.Action) tea.Cmd {
	row, ok := m.current()
	verb := strings.ToLower(actionVerb(a))
	if !ok {
		m.refuse(fmt.Sprintf("nothing to %s: no check selected", verb))
		return nil
	}
	short := caisson.ShortID(line(row.CheckID), 10)
	rec := m.detail.rec
	if rec == nil || rec.CheckID != row.CheckID {
		m.refuse(fmt.Sprintf("nothing to %s yet: %s is still being read", verb, short))
		return nil
	}
	if rec.Proposal == nil {
		m.refuse(fmt.Sprintf("nothing to %s: no proposal awaits a second reviewer on %s", verb, short))
		return nil
	}
	if ok, why := rec.Proposal.ConfirmableBy(m.ctx.identity); !ok && !m.ctx.identity.IsZero() {
		m.refuse(fmt.Sprintf("cannot %s %s: %s", verb, short, why))
		return nil
	}
	shown := *rec.Proposal
	m.pending = &pendingDecision{checkID: row.CheckID, action: a, proposal: &shown}
	m.prevMode = m.mode
	m.mode = modeNote
	m.note = newNoteDialog(a, m.animate, m.ctx.styles)
	return m.blink()
}

// secondReviewHelp is the footer's keys while the selected check awaits a
// second reviewer: confirm and return, or, for the proposer, both shown
// disabled with the reason.
type secondReviewHelp struct {
	help.KeyMap
	keys     KeyMap
	disabled bool
}

func (s secondReviewHelp) ShortHelp() []key.Binding {
	k := s.keys
	answer := []key.Binding{k.Confirm, k.Return}
	if s.disabled {
		answer = []key.Binding{key.NewBinding(key.WithKeys("v", "b"), key.WithHelp("v/b", "disabled: you proposed it"))}
	}
	rest := s.KeyMap.ShortHelp()
	// After help: ? first, then the keys that answer the proposal.
	return append(append(rest[:1:1], answer...), rest[1:]...)
}

// footerSecondReview wraps the footer's keys when the selected check has
// a proposal awaiting.
func (m *Model) footerSecondReview(base help.KeyMap) help.KeyMap {
	if m.ctx.cfg.ReadOnly {
		return base
	}
	row, ok := m.current()
	rec := m.detail.rec
	if !ok || rec == nil || rec.CheckID != row.CheckID || rec.Proposal == nil {
		return base
	}
	may, _ := rec.Proposal.ConfirmableBy(m.ctx.identity)
	return secondReviewHelp{KeyMap: base, keys: m.ctx.keys, disabled: !may && !m.ctx.identity.IsZero()}
}

// policyReader is the store's four-eyes policy, read for the tab bar.
type policyReader interface {
	Policy(ctx context.Context) (store.Policy, error)
}

// policyMsg is the database's four-eyes mode.
type policyMsg struct{ mode store.FourEyes }

func loadPolicy(st Store) tea.Cmd {
	pr, ok := st.(policyReader)
	if !ok {
		return nil
	}
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		defer cancel()
		p, err := pr.Policy(ctx)
		if err != nil {
			return nil
		}
		return policyMsg{p.FourEyes}
	}
}

// tabs are the tabs on screen: Second review only while the policy can
// put a check there, or one is there, or the reviewer is on it (a tab
// does not vanish under the cursor).
func (m *Model) tabs() []store.Queue {
	on := m.fourEyes != "" && m.fourEyes != store.FourEyesOff
	if on || m.counts[store.QueueSecondReview] > 0 || m.tab >= len(store.Queues) {
		return tabQueues
	}
	return store.Queues
}
