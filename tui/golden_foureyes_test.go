package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/caisson-review/caisson-review/store"
)

// aliceID is the console's identity in the four-eyes goldens: fixed, so
// that the files do not depend on the account running the tests.
var aliceID = store.Identity{Kind: store.IdentityOS, ID: "uid=1001,login=alice"}

// The Second review tab, the proposer's disabled keys and the reason
// picker, at 80x24 and 120x40, drawn without colour as NO_COLOR asks.
// Update with: go test ./tui -run TestGoldenFourEyes -update
func TestGoldenFourEyes(t *testing.T) {
	f, bob := fourEyesFixture(t, 12)
	ctx := context.Background()
	if _, err := f.st.SetFourEyes(ctx, store.PolicyChange{FourEyes: store.FourEyesAll, Note: "every decision", Reviewer: "lead"}); err != nil {
		t.Fatal(err)
	}
	alice, err := store.Open(ctx, f.path, store.WithClock(fixedClock), store.WithIdentity(aliceID))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { alice.Close() })
	ids := f.sb.CheckIDs(12)
	if _, err := bob.DecideAs(ctx, store.DecisionRequest{CheckID: ids[3], Action: store.Reject, Reason: store.ReasonFaceMismatch,
		Note: "the selfie is \x1b[31msomeone else\x1b[0m", Reviewer: "bob"}); err != nil {
		t.Fatal(err)
	}
	propose(t, alice, ids[5], "documents fine, selfie fine", "alice")
	noColor := ColorProfile(&strings.Builder{}, []string{"NO_COLOR=1", "TERM=xterm-256color"})
	for _, tc := range []struct {
		name    string
		w, h    int
		keys    []string
		waitFor string
	}{
		{"second_review_80x24", 80, 24, []string{"8"}, "PROPOSED BY"},
		{"second_review_120x40", 120, 40, []string{"8"}, "AWAITS A SECOND REVIEWER"},
		{"proposer_disabled_80x24", 80, 24, []string{"8", "enter"}, "disabled, you proposed"},
		{"second_reviewer_120x40", 120, 40, []string{"8", "G"}, "v confirms it"},
		{"reason_picker_80x24", 80, 24, []string{"x"}, "pick the reason"},
		{"reason_picker_120x40", 120, 40, []string{"x", "r"}, "final instead"},
		{"reason_note_80x24", 80, 24, []string{"x", "2"}, "note>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := f.config()
			cfg.Store = alice
			m := New(cfg)
			m.animate = false
			tm, w := startProgram(t, m, tc.w, tc.h)
			w.waitFor(t, "▶ ")
			waitQuiet(t, tm)
			for _, k := range tc.keys {
				tm.Send(keyMsg(k))
				waitQuiet(t, tm)
			}
			w.waitFor(t, tc.waitFor)
			waitQuiet(t, tm)
			frame := w.frame()
			if out := rendered(t, m, noColor); strings.Contains(out, "\x1b") {
				t.Errorf("NO_COLOR still gets escape sequences: %q", out)
			}
			if err := tm.Quit(); err != nil {
				t.Fatal(err)
			}
			tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
			teatest.RequireEqualOutput(t, []byte(frame))
		})
	}
}
