package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// A version 5 database, its decisions written as version 5 wrote them,
// upgrades in place: its entries keep verifying under hash version 1, and
// new entries chain onto them under version 2.
func TestADatabaseOfVersion5UpgradesWithItsDecisionsVerifying(t *testing.T) {
	sqliteOnly(t, "an SQLite file of schema version 5")
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "review.db")
	db := rawDB(t, path)
	for _, m := range ms[:5] {
		if _, err := db.Exec(m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
	if _, err := db.Exec("PRAGMA user_version = 5"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if _, err := db.Exec(`INSERT INTO tracked (check_id, added_at, added_by, source, bare) VALUES (?, ?, 'old', 'typed', 0)`, checkID(i), i); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO checks (id, check_id, added_at, added_by, source, outcome, cached, document, face, raw_hash, customer_id)
			SELECT id, check_id, added_at, added_by, source, 'ok', 1, 1, 3, 'h' || id, 'cust-' || id FROM tracked WHERE check_id = ?`, checkID(i)); err != nil {
			t.Fatal(err)
		}
	}
	// Version 5's Decide: the version 1 hash over the first nine fields.
	var prev Decision
	for i, a := range []Action{Approve, Reject, Escalate, Reopen} {
		d := Decision{Seq: int64(i + 1), CheckID: checkID(1 + i%3), Action: a, Note: "why " + string(a), Reviewer: "old timer",
			At: testNow.Add(time.Duration(i) * time.Minute), ResponseHash: "h" + itoa(1+i%3), PrevHash: prev.Hash, HashVersion: 1}
		d.Hash = d.computeHash()
		if _, err := db.Exec(`INSERT INTO decisions (seq, check_id, action, note, reviewer, at, response_hash, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			d.Seq, d.CheckID, string(d.Action), d.Note, d.Reviewer, d.At.Format(atLayout), d.ResponseHash, d.PrevHash, d.Hash); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("UPDATE checks SET status = ? WHERE check_id = ?", string(statusAfter(a)), d.CheckID); err != nil {
			t.Fatal(err)
		}
		prev = d
	}
	db.Close()
	oldHead := prev.Head()

	s := openIdentified(t, path, &clock{t: testNow.Add(time.Hour)}, anaID)
	ctx := context.Background()
	if v, err := s.Verify(ctx, oldHead); err != nil || !v.OK || v.Entries != 4 {
		t.Fatalf("Verify after the upgrade, with the head kept before it = %+v, %v", v, err)
	}
	if len(s.Warnings()) != 0 {
		t.Errorf("the upgraded database warns: %v", s.Warnings())
	}
	for _, d := range entries(t, s) {
		if d.HashVersion != 1 || d.Reason != "" || d.Identity != "" {
			t.Errorf("old entry #%d reads as %+v: want version 1, no reason, no identity", d.Seq, d)
		}
	}
	if _, err := s.SetFourEyes(ctx, PolicyChange{FourEyes: FourEyesRisky, Note: "upgraded", Reviewer: "Ana"}); err != nil {
		t.Fatal(err)
	}
	p, err := s.DecideAs(ctx, DecisionRequest{CheckID: checkID(1), Action: Approve, Reviewer: "Ana"})
	if err != nil || p.Action != Propose || p.PrevHash == "" {
		t.Fatalf("a proposal on the upgraded database = %+v, %v", p, err)
	}
	rows, err := s.Page(ctx, PageQuery{Queue: QueueSecondReview})
	if err != nil || len(rows) != 1 {
		t.Errorf("second review after the upgrade: %v, %v", ids(rows), err)
	}
	counts, err := s.Counts(ctx)
	if err != nil || counts[QueueNeedsReview] != 0 || counts[QueueRejected] != 1 || counts[QueueEscalated] != 1 || counts[QueueSecondReview] != 1 {
		t.Errorf("counts after the upgrade %v, %v; want check 1 (reopened, proposed) in second review only", counts, err)
	}
	if v, err := s.Verify(ctx, oldHead, p.Head()); err != nil || !v.OK || v.Entries != 6 {
		t.Errorf("Verify with old and new entries = %+v, %v", v, err)
	}
	// An old entry edited after the upgrade is still caught.
	raw := rawDB(t, path)
	if _, err := raw.Exec("DROP TRIGGER decisions_no_update; UPDATE decisions SET note = 'rewritten' WHERE seq = 2"); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.Verify(ctx); v.OK || v.BrokenAt != 2 {
		t.Errorf("an edited old entry: Verify = %+v", v)
	}
}
