package serve

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// Under serve, four-eyes compares SSH keys, not the account the server
// runs as: alice's approval through her console is a proposal made as her
// key; her own session cannot confirm it, under any name; bob's key can.
func TestUnderServeFourEyesComparesTheSessionsSSHKeys(t *testing.T) {
	f := newFixture(t, fixtureOpts{fourEyes: store.FourEyesApprovals,
		keys: map[string]string{"alice": "alice@laptop", "bob": "bob@desk"}})
	ctx := context.Background()
	aliceKey, bobKey := "ssh:"+f.keys["alice"].Fingerprint(), "ssh:"+f.keys["bob"].Fingerprint()
	alice := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 100, 30)
	bob := f.openTerminal(f.dialKey("bob", "bob"), "xterm", 100, 30)
	alice.expect(0, wait, "▶")
	bob.expect(0, wait, "Needs review")
	aliceLs, err := f.sessionOf("alice")
	if err != nil {
		t.Fatal(err)
	}
	bobLs, err := f.sessionOf("bob")
	if err != nil {
		t.Fatal(err)
	}

	alice.approveSelected(aliceLs, wait)
	var proposal store.Decision
	for _, d := range f.decisions() {
		if d.Action == store.Propose {
			proposal = d
		}
	}
	if proposal.Seq == 0 || proposal.Identity != aliceKey || !strings.HasPrefix(proposal.Reviewer, "alice (") {
		t.Fatalf("after alice's approval the log has %+v, expected a proposal by alice as %s", f.decisions(), aliceKey)
	}
	id := proposal.CheckID

	t.Run("alice's own session cannot confirm her proposal, under any name", func(t *testing.T) {
		for _, name := range []string{aliceLs.id.Reviewer(), "bob (SHA256:not-really)"} {
			_, err := aliceLs.store.DecideAs(ctx, store.DecisionRequest{CheckID: id, Action: store.Confirm, Reviewer: name})
			if !errors.Is(err, store.ErrSameReviewer) {
				t.Errorf("alice confirming as %q = %v, expected ErrSameReviewer", name, err)
			}
			_, err = aliceLs.store.Decide(ctx, id, store.Confirm, "", name)
			if !errors.Is(err, store.ErrSameReviewer) {
				t.Errorf("alice confirming through Decide as %q = %v, expected ErrSameReviewer", name, err)
			}
		}
		// Naming bob's key in the request does not make the session bob.
		_, err := aliceLs.store.DecideAs(ctx, store.DecisionRequest{CheckID: id, Action: store.Confirm,
			Reviewer: aliceLs.id.Reviewer(), Identity: store.SSHIdentity(f.keys["bob"].Fingerprint())})
		if !errors.Is(err, store.ErrSameReviewer) {
			t.Errorf("alice confirming with bob's identity in the request = %v, expected ErrSameReviewer", err)
		}
		f.waitLog(wait, `msg="decision refused: the proposer's own key"`, "user=alice", "check="+id, "action=confirm")
	})

	t.Run("each console's Second review tab counts what its key may confirm", func(t *testing.T) {
		tab := regexp.MustCompile(`8 2nd(?: review |:)(\d+)`)
		for _, c := range []struct {
			term *terminal
			want string
		}{{alice, "0"}, {bob, "1"}} {
			waitUntil(t, wait, "the tab's count "+c.want, func() bool {
				m := tab.FindStringSubmatch(c.term.shown())
				return m != nil && m[1] == c.want
			})
		}
		// bob's console shows alice's proposal, his keys enabled.
		bob.send("8")
		waitUntil(t, wait, "bob's Second review", func() bool {
			s := bob.shown()
			return strings.Contains(s, "v confirm proposal") && strings.Contains(s, "alice")
		})
	})

	t.Run("each key counts only the proposals it may confirm", func(t *testing.T) {
		if n, err := aliceLs.store.CountConfirmable(ctx); err != nil || n != 0 {
			t.Errorf("alice may confirm %d (%v), expected 0: the only proposal is hers", n, err)
		}
		if n, err := bobLs.store.CountConfirmable(ctx); err != nil || n != 1 {
			t.Errorf("bob may confirm %d (%v), expected 1", n, err)
		}
	})

	t.Run("bob's key confirms it", func(t *testing.T) {
		d, err := bobLs.store.DecideAs(ctx, store.DecisionRequest{CheckID: id, Action: store.Confirm,
			Reviewer: bobLs.id.Reviewer(), Proposal: proposal.Seq})
		if err != nil {
			t.Fatalf("bob confirming: %v", err)
		}
		if d.Action != store.Confirm || d.Identity != bobKey || d.Ref != proposal.Seq {
			t.Errorf("bob's confirmation = %+v, expected a confirm of #%d as %s", d, proposal.Seq, bobKey)
		}
		rec, err := f.st.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Row.Status != store.StatusApproved {
			t.Errorf("after bob's confirmation %s is %s, expected approved", id, rec.Row.Status)
		}
	})

	// Only the proposal and the confirmation were written: every refusal
	// wrote nothing.
	var actions []string
	for _, d := range f.decisions() {
		actions = append(actions, string(d.Action)+" by "+d.Identity)
	}
	if want := []string{"policy by " + f.decisions()[0].Identity, "propose by " + aliceKey, "confirm by " + bobKey}; strings.Join(actions, "\n") != strings.Join(want, "\n") {
		t.Errorf("the log holds\n%s\nexpected\n%s", strings.Join(actions, "\n"), strings.Join(want, "\n"))
	}
}

// A server started on a database whose policy is off says so in its log,
// once, with the mode to set; one started under a policy does not.
func TestServeWarnsAtStartWhileFourEyesIsOff(t *testing.T) {
	const warning = `msg="four-eyes policy is off: one reviewer's approval takes effect without a second reviewer; for a team, run: caisson-review policy set four-eyes risky`
	for _, tc := range []struct {
		name  string
		mode  store.FourEyes
		warns bool
	}{
		{"a new database, off", "", true},
		{"risky", store.FourEyesRisky, false},
		{"approvals", store.FourEyesApprovals, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, fixtureOpts{checks: 1, fourEyes: tc.mode})
			// The server serves its first connection only after the
			// checks it makes at start.
			if err := f.dialKey("alice", "alice").Close(); err != nil {
				t.Fatal(err)
			}
			got := strings.Count(f.log.String(), warning)
			if tc.warns && got != 1 {
				t.Errorf("%d warnings that four-eyes is off, expected 1; log:\n%s", got, f.log.String())
			}
			if !tc.warns && strings.Contains(f.log.String(), "four-eyes policy is off") {
				t.Errorf("a warning that four-eyes is off under %s; log:\n%s", tc.mode, f.log.String())
			}
		})
	}
}

// What a session is shown of personal data is logged as its key, from
// serve, with the client's address; what is pending when the session ends
// is written then, before the session counts as ended.
func TestASessionsAccessRecordsCarryItsKeyAndAddressAndAreWrittenWhenItEnds(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 3})
	c := f.dialKey("alice", "alice")
	term := f.openTerminal(c, "xterm", 100, 30)
	term.expect(0, wait, "▶")
	ls, err := f.sessionOf("alice")
	if err != nil {
		t.Fatal(err)
	}
	// The first is written at once; the others wait out the recorder's
	// second, and the session ends within it.
	ls.store.Viewed(f.ids[0], store.AccessDetail)
	deadline := time.Now().Add(wait)
	for len(f.accesses()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	for _, id := range f.ids[1:] {
		ls.store.Viewed(id, store.AccessDetail)
	}
	c.Close()
	f.waitLog(wait, `msg="session end"`, "user=alice")

	got := f.accesses()
	if len(got) != len(f.ids) {
		t.Fatalf("%d access records once the session ended, expected %d: %+v", len(got), len(f.ids), got)
	}
	client := c.LocalAddr().(*net.TCPAddr)
	for i, a := range got {
		if a.CheckID != f.ids[i] || a.What != store.AccessDetail || a.Origin != store.OriginServe ||
			a.Identity != "ssh:"+f.keys["alice"].Fingerprint() || a.Reviewer != ls.id.Reviewer() {
			t.Errorf("record %d = %+v, expected %s's detail seen by alice's key from serve", i, a, f.ids[i])
		}
		if a.Address != client.String() {
			t.Errorf("record %d comes from %q, expected the client's address %s", i, a.Address, client)
		}
	}
	if d := time.Since(got[0].At); d > time.Minute {
		t.Errorf("the first record is %s old", d)
	}
}

// accesses returns the access log.
func (f *fixture) accesses() []store.Access {
	f.t.Helper()
	var out []store.Access
	err := f.st.Accesses(context.Background(), store.AccessQuery{}, func(a store.Access) error {
		out = append(out, a)
		return nil
	})
	if err != nil {
		f.t.Fatalf("reading the access log: %v", err)
	}
	return out
}

// A refresh a session runs that brings another response voids the
// proposal awaiting on the check, and the void is logged as that session's
// key: the key that asked for the refresh, not the account the server runs
// as.
func TestARefreshUnderServeVoidsAsTheSessionsKey(t *testing.T) {
	f := newFixture(t, fixtureOpts{checks: 2, fourEyes: store.FourEyesApprovals,
		keys: map[string]string{"alice": "alice@laptop", "bob": "bob@desk"}})
	ctx := context.Background()
	alice := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 100, 30)
	bob := f.openTerminal(f.dialKey("bob", "bob"), "xterm", 100, 30)
	alice.expect(0, wait, "▶")
	bob.expect(0, wait, "▶")
	aliceLs, err := f.sessionOf("alice")
	if err != nil {
		t.Fatal(err)
	}
	bobLs, err := f.sessionOf("bob")
	if err != nil {
		t.Fatal(err)
	}
	// One check refreshed alone (RecordFetch, the console's r), the other
	// in a batch (RecordFetches: a bulk refresh's group commit, R).
	refreshes := map[string]func(id string, chk *caisson.Check) error{
		f.ids[0]: func(id string, chk *caisson.Check) error {
			return bobLs.store.RecordFetch(ctx, id, chk, nil, time.Now())
		},
		f.ids[1]: func(id string, chk *caisson.Check) error {
			errs, err := bobLs.store.RecordFetches(ctx, []store.FetchResult{{CheckID: id, Check: chk, At: time.Now()}})
			return errors.Join(append(errs, err)...)
		},
	}
	for _, id := range f.ids[:2] {
		rec, err := f.st.Get(ctx, id)
		if err != nil || rec.Result == nil {
			t.Fatalf("reading %s: %v", id, err)
		}
		// Caisson's answer as it was when alice proposed: one byte more than
		// what a refresh brings now.
		then := *rec.Result
		then.Raw = append(append([]byte(nil), rec.Result.Raw...), '\n')
		if err := f.st.RecordFetch(ctx, id, &then, nil, time.Now()); err != nil {
			t.Fatal(err)
		}
		p, err := aliceLs.store.DecideAs(ctx, store.DecisionRequest{CheckID: id, Action: store.Approve, Reviewer: aliceLs.id.Reviewer()})
		if err != nil || p.Action != store.Propose {
			t.Fatalf("alice's approval = %+v, %v; expected a proposal", p, err)
		}
		if err := refreshes[id](id, rec.Result); err != nil {
			t.Fatalf("bob's refresh: %v", err)
		}
		var void store.Decision
		for _, d := range f.decisions() {
			if d.Action == store.Void && d.Ref == p.Seq {
				void = d
			}
		}
		bobKey := "ssh:" + f.keys["bob"].Fingerprint()
		if void.Ref != p.Seq || void.Reason != store.VoidResponseChanged || void.Identity != bobKey {
			t.Errorf("void = %+v, expected #%d voided (response-changed) as bob's key %s", void, p.Seq, bobKey)
		}
	}
	if v, err := f.st.Verify(ctx); err != nil || !v.OK {
		t.Errorf("Verify = %+v, %v", v, err)
	}
}

// The console's detail, held a second, is recorded through the session's
// recorder: as the session's key, from serve, with the client's address.
// The same console code records a local console (tui's tests).
func TestASessionsConsoleRecordsTheDetailItShowsForASecond(t *testing.T) {
	if testing.Short() {
		t.Skip("waits out the console's one-second dwell")
	}
	f := newFixture(t, fixtureOpts{checks: 3})
	c := f.dialKey("alice", "alice")
	term := f.openTerminal(c, "xterm", 120, 40) // wide: the detail is beside the list
	term.expect(0, wait, "Caisson dashboard")
	ls, err := f.sessionOf("alice")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(wait)
	for len(f.accesses()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	got := f.accesses()
	if len(got) != 1 || got[0].What != store.AccessDetail || got[0].Origin != store.OriginServe ||
		got[0].Identity != "ssh:"+f.keys["alice"].Fingerprint() || got[0].Reviewer != ls.id.Reviewer() ||
		got[0].Address != c.LocalAddr().String() {
		t.Fatalf("access log %+v, want alice's key seeing one check's detail from serve at %s", got, c.LocalAddr())
	}
}

// A decision the store refuses or fails is counted and logged: the
// goodbye no longer says "all saved" after one, and the log has a line
// for it even when no one saw it (a decision sent just before the
// connection dropped, whose write failed after).
func TestUnderServeADecisionNotSavedIsLoggedAndNotCalledSaved(t *testing.T) {
	f := newFixture(t, fixtureOpts{fourEyes: store.FourEyesApprovals,
		keys: map[string]string{"alice": "alice@laptop"}})
	ctx := context.Background()
	alice := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 100, 30)
	alice.expect(0, wait, "▶")
	aliceLs, err := f.sessionOf("alice")
	if err != nil {
		t.Fatal(err)
	}
	alice.approveSelected(aliceLs, wait) // a proposal: saved
	var proposal store.Decision
	for _, d := range f.decisions() {
		if d.Action == store.Propose {
			proposal = d
		}
	}
	// Her own confirmation: refused by four-eyes.
	if _, err := aliceLs.store.DecideAs(ctx, store.DecisionRequest{CheckID: proposal.CheckID, Action: store.Confirm, Reviewer: aliceLs.id.Reviewer()}); !errors.Is(err, store.ErrSameReviewer) {
		t.Fatalf("alice confirming her own proposal = %v, expected ErrSameReviewer", err)
	}
	// A check that is not tracked: the store's own refusal.
	missing := "chk_priv_" + strings.Repeat("Z", 22)
	if _, err := aliceLs.store.DecideAs(ctx, store.DecisionRequest{CheckID: missing, Action: store.Escalate, Note: "who is this", Reviewer: aliceLs.id.Reviewer()}); err == nil {
		t.Fatal("a decision on a check not tracked was saved")
	}
	f.waitLog(wait, `msg="decision not saved"`, "user=alice", "check="+missing, "action=escalate", "error=")
	if err := f.stop(); err != nil {
		t.Fatalf("Serve returned %v, expected a clean shutdown", err)
	}
	alice.expect(0, wait, "Decisions made in this session: 1 saved, 2 NOT saved (each said why when it was made).")
	if strings.Contains(alice.since(0), "all saved") {
		t.Errorf("the goodbye says all saved after two decisions were not:\n%s", alice.since(0))
	}
	f.waitLog(wait, `msg="session end"`, "user=alice", "decisions=1", "not_saved=2", "still_saving=false")
	if strings.Contains(f.log.String(), "who is this") {
		t.Error("the log holds a decision's note")
	}
}

// The same after a quit: the goodbye says what was not saved however the
// session ended, where a quit said nothing (helper-59).
func TestUnderServeAQuitAfterADecisionNotSavedSaysSo(t *testing.T) {
	f := newFixture(t, fixtureOpts{keys: map[string]string{"alice": "alice@laptop"}})
	ctx := context.Background()
	alice := f.openTerminal(f.dialKey("alice", "alice"), "xterm", 100, 30)
	alice.expect(0, wait, "▶")
	ls, err := f.sessionOf("alice")
	if err != nil {
		t.Fatal(err)
	}
	missing := "chk_priv_" + strings.Repeat("Z", 22)
	if _, err := ls.store.DecideAs(ctx, store.DecisionRequest{CheckID: missing, Action: store.Escalate, Note: "who is this", Reviewer: ls.id.Reviewer()}); err == nil {
		t.Fatal("a decision on a check not tracked was saved")
	}
	m := alice.mark()
	alice.send("q")
	alice.expect(m, wait, "caisson-review: Decisions made in this session: 0 saved, 1 NOT saved (each said why when it was made).")
}
