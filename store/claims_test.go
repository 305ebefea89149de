package store

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

// claimsOf lists the live claims as "check:reviewer" in Claims' order.
func claimsOf(t *testing.T, s *Store) []string {
	t.Helper()
	cs, err := s.Claims(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, c := range cs {
		out = append(out, c.CheckID+":"+c.Reviewer)
	}
	return out
}

func mustClaim(t *testing.T, s *Store, session, checkID, reviewer string) {
	t.Helper()
	if err := s.Claim(context.Background(), session, checkID, reviewer); err != nil {
		t.Fatalf("Claim(%s, %s): %v", session, checkID, err)
	}
}

func wantClaims(t *testing.T, when string, s *Store, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := claimsOf(t, s); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: claims %q, want %q", when, got, want)
	}
}

func TestASessionHoldsOneClaimWhichMovesWithItAndIsReleased(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	mustClaim(t, s, "s1", "chk_a", "alice")
	mustClaim(t, s, "s2", "chk_b", "bob")
	wantClaims(t, "two sessions claimed", s, "chk_a:alice", "chk_b:bob")

	mustClaim(t, s, "s1", "chk_c", "alice")
	wantClaims(t, "alice opened another check", s, "chk_b:bob", "chk_c:alice")

	if err := s.ReleaseClaim(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	wantClaims(t, "alice went back to the list", s, "chk_b:bob")
	if err := s.ReleaseClaim(ctx, "s1"); err != nil {
		t.Errorf("releasing twice: %v, want nothing to do", err)
	}
}

func TestClaimsOfACheckAreListedInTheOrderTheyWereMade(t *testing.T) {
	s, c := newStore(t)
	// The same instant for all: the order is the order of the claims,
	// not of names or sessions.
	mustClaim(t, s, "s3", "chk_a", "carol")
	mustClaim(t, s, "s1", "chk_a", "zoe")
	mustClaim(t, s, "s2", "chk_a", "alice")
	wantClaims(t, "three claims", s, "chk_a:carol", "chk_a:zoe", "chk_a:alice")

	c.Advance(time.Second)
	mustClaim(t, s, "s3", "chk_a", "carol") // the same check again: only a heartbeat
	wantClaims(t, "carol's claim renewed", s, "chk_a:carol", "chk_a:zoe", "chk_a:alice")

	mustClaim(t, s, "s3", "chk_b", "carol")
	mustClaim(t, s, "s3", "chk_a", "carol") // moved away and back: the newest claim
	wantClaims(t, "carol came back", s, "chk_a:zoe", "chk_a:alice", "chk_a:carol")

	cs, err := s.Claims(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !cs[2].Since.Equal(testNow.Add(time.Second)) || cs[2].Session != "s3" {
		t.Errorf("carol's claim = %+v, want session s3 since %v (the store's clock)", cs[2], testNow.Add(time.Second))
	}
}

func TestAClaimExpiresThirtySecondsAfterItsSessionsLastHeartbeat(t *testing.T) {
	s, c := newStore(t)
	ctx := context.Background()
	mustClaim(t, s, "alive", "chk_a", "alice")
	mustClaim(t, s, "dead", "chk_a", "bob")

	c.Advance(20 * time.Second)
	if lost, err := s.Heartbeat(ctx, "alive"); err != nil || len(lost) != 0 {
		t.Fatalf("Heartbeat = %v, %v; want alice's claim held", lost, err)
	}
	c.Advance(ClaimExpiry - 20*time.Second)
	wantClaims(t, "30 s after bob's last heartbeat", s, "chk_a:alice", "chk_a:bob")
	c.Advance(time.Nanosecond)
	wantClaims(t, "just over 30 s after bob's last heartbeat", s, "chk_a:alice")

	if lost, err := s.Heartbeat(ctx, "alive", "dead"); err != nil || !reflect.DeepEqual(lost, []string{"dead"}) {
		t.Errorf("Heartbeat of both = %v, %v; want bob's session reported lost", lost, err)
	}
	wantClaims(t, "a heartbeat does not bring back a lapsed claim", s, "chk_a:alice")
	mustClaim(t, s, "dead", "chk_a", "bob")
	wantClaims(t, "bob's session claimed again", s, "chk_a:alice", "chk_a:bob")

	c.Advance(ClaimExpiry + time.Second)
	wantClaims(t, "nobody heartbeated", s)
	mustClaim(t, s, "new", "chk_b", "carol")
	var rows int
	if err := s.db.QueryRow("SELECT count(*) FROM claims").Scan(&rows); err != nil || rows != 1 {
		t.Errorf("%d rows in claims (%v) after a claim; want the lapsed ones deleted", rows, err)
	}
}

func TestClaimsAreNeitherDecisionsNorAccessRecordsNorCounted(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	addFetched(t, s, result{id: checkID(1), doc: "LOW", face: "HIGH"})
	head, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	counts, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustClaim(t, s, "s1", checkID(1), "alice")
	if _, err := s.Heartbeat(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseClaim(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if after, err := s.Head(ctx); err != nil || after != head {
		t.Errorf("the chain's head moved with claims: %+v -> %+v (%v)", head, after, err)
	}
	if after, err := s.Counts(ctx); err != nil || !reflect.DeepEqual(after, counts) {
		t.Errorf("counts changed with claims: %v -> %v (%v)", counts, after, err)
	}
	n := 0
	if err := s.Accesses(ctx, AccessQuery{}, func(Access) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("%d access records (%v) after claims; want none", n, err)
	}
}

func TestAClaimSaysWhatIsMissing(t *testing.T) {
	s, _ := newStore(t)
	for _, tc := range []struct{ session, check, want string }{
		{"", "chk_a", "empty session"},
		{"s1", "", "empty check id"},
	} {
		err := s.Claim(context.Background(), tc.session, tc.check, "alice")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Claim(%q, %q) = %v, want an error saying %q", tc.session, tc.check, err, tc.want)
		}
	}
}

func TestUpdateClaimsMakesEveryChangeInOrderInOneWrite(t *testing.T) {
	s, _ := newStore(t)
	mustClaim(t, s, "s1", "chk_a", "alice")
	err := s.UpdateClaims(context.Background(),
		ClaimChange{Session: "s2", CheckID: "chk_a", Reviewer: "bob"},
		ClaimChange{Session: "s1"}, // alice went back to the list
		ClaimChange{Session: "s3", CheckID: "chk_b", Reviewer: "carol"},
		ClaimChange{Session: "s1", CheckID: "chk_a", Reviewer: "alice"}, // and opened it again
	)
	if err != nil {
		t.Fatal(err)
	}
	wantClaims(t, "after one write of four changes", s, "chk_a:bob", "chk_a:alice", "chk_b:carol")

	err = s.UpdateClaims(context.Background(), ClaimChange{Session: "s4", CheckID: "chk_c", Reviewer: "dan"}, ClaimChange{CheckID: "chk_d"})
	if err == nil || !strings.Contains(err.Error(), "empty session") {
		t.Errorf("a change without a session = %v, want it refused saying so", err)
	}
	wantClaims(t, "after a refused write", s, "chk_a:bob", "chk_a:alice", "chk_b:carol")
}
