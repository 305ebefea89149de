package store

import (
	"context"
	"strings"
	"testing"
	"time"
)

func accessLog(t *testing.T, s *Store, q AccessQuery) []Access {
	t.Helper()
	var out []Access
	if err := s.Accesses(context.Background(), q, func(a Access) error { out = append(out, a); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTheAccessLogIsAppendOnlyKeptByThePurgeAndFreeOfPersonalData(t *testing.T) {
	path, ana, _ := sharedFile(t, FourEyesOff)
	ctx := context.Background()
	if err := ana.RecordAccess(ctx, AccessSession{Reviewer: "Ana", Origin: OriginCLI}, AccessShow, checkID(1)); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	for _, stmt := range []string{"UPDATE access SET reviewer = 'nobody'", "DELETE FROM access"} {
		if _, err := db.Exec(stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", stmt, err)
		}
	}
	if n, err := ana.Purge(ctx, 0, testNow.Add(time.Hour)); err != nil || n != 2 {
		t.Fatalf("Purge = %d, %v", n, err)
	}
	got := accessLog(t, ana, AccessQuery{})
	if len(got) != 1 || got[0].CheckID != checkID(1) || got[0].Identity != anaID.String() || got[0].What != AccessShow || got[0].Origin != OriginCLI {
		t.Errorf("after the purge: %+v", got)
	}
	// The columns: nothing about the person but the check id.
	rows, err := db.Query(dialect("SELECT name FROM pragma_table_info('access')",
		"SELECT column_name FROM information_schema.columns WHERE table_name = 'access' ORDER BY ordinal_position"))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		rows.Scan(&c)
		cols = append(cols, c)
	}
	// prev_hash and hash (migration 19) are SHA-256 digests of records.
	if strings.Join(cols, ",") != "id,at,identity,reviewer,check_id,what,origin,address,prev_hash,hash" {
		t.Errorf("access columns %v: a new one must hold no personal data (the purge would not find it)", cols)
	}
}

func TestDroppingAnAccessLogTriggerIsReported(t *testing.T) {
	path, ana, _ := sharedFile(t, FourEyesOff)
	editByHand(t, path, "DROP TRIGGER access_no_delete", "DROP TRIGGER access_no_delete ON access")
	v, err := ana.Verify(context.Background())
	if err != nil || v.OK || len(v.Unguarded) != 1 || !strings.Contains(v.Unguarded[0], "access log") {
		t.Errorf("Verify = %+v, %v; want the access log's trigger named", v, err)
	}
}

func TestAccessesAreFoundByCheckCustomerReviewerAndTime(t *testing.T) {
	_, ana, bob := sharedFile(t, FourEyesOff)
	ctx := context.Background()
	ana.RecordAccess(ctx, AccessSession{Reviewer: "Ana", Origin: OriginCLI}, AccessList, checkID(1), checkID(2))
	bob.now = func() time.Time { return testNow.Add(48 * time.Hour) }
	bob.RecordAccess(ctx, AccessSession{Reviewer: "Bob", Identity: SSHIdentity("SHA256:bob"), Origin: OriginServe, Address: "10.0.0.7:5122"}, AccessDetail, checkID(1))
	tests := []struct {
		name string
		q    AccessQuery
		want int
	}{
		{"everything", AccessQuery{}, 3},
		{"one check", AccessQuery{CheckID: checkID(1)}, 2},
		{"one customer", AccessQuery{Customer: "cust-2"}, 1},
		{"by display name", AccessQuery{Reviewer: "Bob"}, 1},
		{"by identity", AccessQuery{Reviewer: anaID.String()}, 2},
		{"since", AccessQuery{Since: testNow.Add(24 * time.Hour)}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := accessLog(t, ana, tt.q); len(got) != tt.want {
				t.Errorf("%d records, want %d: %+v", len(got), tt.want, got)
			}
		})
	}
	last := accessLog(t, ana, AccessQuery{Reviewer: "Bob"})[0]
	if last.Origin != OriginServe || last.Address != "10.0.0.7:5122" || last.Identity != "ssh:SHA256:bob" {
		t.Errorf("serve record = %+v", last)
	}
}

// fakeTimer stands in for time.After: the recorder asks it for the
// interval after each write, and waits until the test fires it.
type fakeTimer struct {
	asked chan struct{}
	fire  chan time.Time
}

func newFakeTimer() *fakeTimer {
	return &fakeTimer{asked: make(chan struct{}, 16), fire: make(chan time.Time)}
}

func (f *fakeTimer) after(d time.Duration) <-chan time.Time {
	if d != time.Second {
		panic("the recorder waits a second between writes")
	}
	f.asked <- struct{}{}
	return f.fire
}

func (f *fakeTimer) waitWrite(t *testing.T) {
	t.Helper()
	select {
	case <-f.asked:
	case <-time.After(5 * time.Second):
		t.Fatal("the recorder did not write")
	}
}

func TestTheAccessRecorderWritesAtMostOnceASecond(t *testing.T) {
	s, c := newStore(t)
	addFetched(t, s, result{id: checkID(1), doc: "high", face: "high"})
	addFetched(t, s, result{id: checkID(2), doc: "high", face: "high"})
	timer := newFakeTimer()
	r, err := s.newAccessRecorder(AccessSession{Reviewer: "Ana", Identity: anaID, Origin: OriginConsole}, timer.after)
	if err != nil {
		t.Fatal(err)
	}
	r.Viewed(checkID(1), AccessDetail)
	timer.waitWrite(t) // the first record goes at once
	if got := len(accessLog(t, s, AccessQuery{})); got != 1 || r.writes.Load() != 1 {
		t.Fatalf("%d records in %d writes after the first view", got, r.writes.Load())
	}
	// Within the second: held, and Viewed does not wait for them.
	for i := 0; i < 50; i++ {
		c.Advance(10 * time.Millisecond)
		r.Viewed(checkID(2), AccessShow)
	}
	if got := len(accessLog(t, s, AccessQuery{})); got != 1 {
		t.Fatalf("%d records written within the second", got)
	}
	timer.fire <- testNow
	timer.waitWrite(t)
	if got := len(accessLog(t, s, AccessQuery{})); got != 51 || r.writes.Load() != 2 {
		t.Errorf("%d records in %d writes; want 51 in 2", got, r.writes.Load())
	}
	r.Viewed(checkID(1), AccessShow)
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := len(accessLog(t, s, AccessQuery{})); got != 52 {
		t.Errorf("Close left %d records, want the pending one written (52)", got)
	}
}

func TestHoldingTheDetailCountsOncePerCheckPerTenMinutesPerSession(t *testing.T) {
	s, c := newStore(t)
	addFetched(t, s, result{id: checkID(1), doc: "high", face: "high"})
	addFetched(t, s, result{id: checkID(2), doc: "high", face: "high"})
	session := AccessSession{Reviewer: "Ana", Identity: anaID, Origin: OriginConsole}
	r, err := s.newAccessRecorder(session, func(time.Duration) <-chan time.Time { return nil }) // never again: Close writes
	if err != nil {
		t.Fatal(err)
	}
	other, _ := s.newAccessRecorder(session, func(time.Duration) <-chan time.Time { return nil })
	steps := []struct {
		advance time.Duration
		rec     *AccessRecorder
		check   int
	}{
		{0, r, 1},
		{time.Minute, r, 1},                    // held: not again
		{0, r, 2},                              // another check counts
		{8*time.Minute + 59*time.Second, r, 1}, // 9:59 after the first: not again
		{time.Second, r, 1},                    // 10:00: again
		{0, other, 1},                          // another session counts on its own
	}
	for _, st := range steps {
		c.Advance(st.advance)
		st.rec.Viewed(checkID(st.check), AccessDetail)
	}
	r.Close(context.Background())
	other.Close(context.Background())
	got := accessLog(t, s, AccessQuery{CheckID: checkID(1)})
	if len(got) != 3 || got[1].At.Sub(got[0].At) != 10*time.Minute {
		t.Errorf("detail records of check 1: %+v; want at 0, 10 min, and the other session's", got)
	}
	if n := len(accessLog(t, s, AccessQuery{CheckID: checkID(2)})); n != 1 {
		t.Errorf("%d records of check 2, want 1", n)
	}
}

func TestTheAccessRecorderKeepsRecordsItCouldNotWrite(t *testing.T) {
	path := testLocation(t)
	s := openAt(t, path, &clock{t: testNow})
	addFetched(t, s, result{id: checkID(1), doc: "high", face: "high"})
	r, err := s.newAccessRecorder(AccessSession{Reviewer: "Ana", Identity: anaID, Origin: OriginConsole}, func(time.Duration) <-chan time.Time { return nil })
	if err != nil {
		t.Fatal(err)
	}
	s.frozen = true // every write refused, as on a full disk
	r.Viewed(checkID(1), AccessDetail)
	if err := r.Close(context.Background()); err == nil {
		t.Fatal("Close on a refused write reported no error")
	}
	s.frozen = false
	if err := r.flush(context.Background()); err != nil || len(accessLog(t, s, AccessQuery{})) != 1 {
		t.Errorf("the kept record was not written once writes worked again: %v", err)
	}
}

// The access log is hash-chained (migration 19): who was shown whose data
// changed, a record deleted, moved or slipped in, by someone who dropped
// the append-only triggers and put them back, is found by Verify, which
// names the first record that does not hold (helper-72: all of these
// passed).
func TestVerifyWalksTheAccessLogsChain(t *testing.T) {
	drop := dialect("DROP TRIGGER access_no_update; DROP TRIGGER access_no_delete;",
		"DROP TRIGGER access_no_update ON access; DROP TRIGGER access_no_delete ON access;")
	// A record without a hash is refused by a trigger (0020) a forger
	// drops first; PostgreSQL has none, only no default.
	unchain := dialect("DROP TRIGGER access_chained; ", "")
	tests := []struct {
		name   string
		tamper string
		at     int64 // the record named, 0 for none
		want   string
	}{
		{"an intact log verifies", "", 0, ""},
		{"whose view it was changed", drop + "UPDATE access SET identity = 'os:uid=1001', reviewer = 'Rita' WHERE id = 2;", 2, "edited"},
		{"a record's time changed", drop + "UPDATE access SET at = at - 86400000000000 WHERE id = 3;", 3, "edited"},
		{"a record deleted", drop + "DELETE FROM access WHERE id = 2;", 3, "does not link"},
		{"the last record deleted and its hash moved on", drop + "DELETE FROM access WHERE id = 4;", 0, ""},
		{"a record slipped in without a hash", unchain + "INSERT INTO access (id, at, identity, reviewer, check_id, what, origin, address, prev_hash, hash) SELECT 5, at, identity, 'Rita', check_id, what, origin, address, '', '' FROM access WHERE id = 1;", 5, "no hash"},
		{"a record slipped in below the first, as one made before the chain", unchain + "INSERT INTO access (id, at, identity, reviewer, check_id, what, origin, address, prev_hash, hash) SELECT -5, at, identity, 'Rita', check_id, what, origin, address, '', '' FROM access WHERE id = 1;", -5, "numbered -5"},
		{"a copy of a record slipped in", "INSERT INTO access (id, at, identity, reviewer, check_id, what, origin, address, prev_hash, hash) SELECT 5, at, identity, reviewer, check_id, what, origin, address, prev_hash, hash FROM access WHERE id = 2;", 5, "does not link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, ana, bob := sharedFile(t, FourEyesOff)
			ctx := context.Background()
			for i, s := range []*Store{ana, bob, ana} {
				ids := []string{checkID(i + 1)}
				if i == 2 {
					ids = append(ids, checkID(1))
				}
				if err := s.RecordAccess(ctx, AccessSession{Reviewer: "x", Origin: OriginCLI}, AccessShow, ids...); err != nil {
					t.Fatal(err)
				}
			}
			if tt.tamper != "" {
				editByHand(t, adminLocation(t, path), tt.tamper, tt.tamper)
			}
			v, err := ana.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := v.Access
			if tt.want == "" {
				// Cut off its end, the chain cannot tell: no head of it
				// is kept (README).
				if got.Problem != "" || got.Unchained != 0 || got.Head.IsZero() {
					t.Errorf("Verify's access = %+v, want it whole and chained", got)
				}
				return
			}
			if v.OK || got.BrokenAt != tt.at || !strings.Contains(got.Problem, tt.want) {
				t.Errorf("Verify's access = %+v (OK %v), want broken at record %d: %q", got, v.OK, tt.at, tt.want)
			}
		})
	}
}

// A record inserted by hand at id -1, which SQLite shows a BEFORE INSERT
// trigger for a record whose id it is to choose, made access_no_replace
// refuse every record after it: nothing more was logged, and the reads
// went on with a warning (helper-76). The store gives each record its id.
func TestAForgedRecordAtMinusOneDoesNotStopTheAccessLog(t *testing.T) {
	path, ana, _ := sharedFile(t, FourEyesOff)
	ctx := context.Background()
	if err := ana.RecordAccess(ctx, AccessSession{Reviewer: "Ana", Origin: OriginCLI}, AccessShow, checkID(1)); err != nil {
		t.Fatal(err)
	}
	forged := "INSERT INTO access (id, at, identity, reviewer, check_id, what, origin, address, prev_hash, hash) VALUES (-1, 1, 'x', 'x', '" + checkID(1) + "', 'show', 'cli', '', 'ab', 'cd')"
	editByHand(t, adminLocation(t, path), forged, forged)
	for i := 0; i < 2; i++ {
		if err := ana.RecordAccess(ctx, AccessSession{Reviewer: "Ana", Origin: OriginCLI}, AccessShow, checkID(2)); err != nil {
			t.Fatalf("recording an access after the forged record: %v", err)
		}
	}
	if n := len(accessLog(t, ana, AccessQuery{CheckID: checkID(2)})); n != 2 {
		t.Errorf("%d records of the reads after the forged one, want 2", n)
	}
	v, err := ana.Verify(ctx)
	if err != nil || v.OK || v.Access.BrokenAt != -1 {
		t.Errorf("Verify = %+v, %v; want the forged record named", v.Access, err)
	}
}

// A record inserted by hand at a high id: the next records are numbered
// after it and linked to it, not given the identity's next number and
// linked to it all alike (helper-77, on PostgreSQL), and Verify names the
// forged one. At the highest id there is, nothing more can be numbered:
// the write says so, naming the cause, rather than taking a negative id.
func TestARecordForgedAtAHighIDIsNamedAndDoesNotSplitTheChain(t *testing.T) {
	path, ana, _ := sharedFile(t, FourEyesOff)
	ctx := context.Background()
	rec := func() error {
		return ana.RecordAccess(ctx, AccessSession{Reviewer: "Ana", Origin: OriginCLI}, AccessShow, checkID(1))
	}
	if err := rec(); err != nil {
		t.Fatal(err)
	}
	forge := func(id string) {
		q := "INSERT INTO access (id, at, identity, reviewer, check_id, what, origin, address, prev_hash, hash) VALUES (" + id + ", 1, 'x', 'x', '" + checkID(1) + "', 'show', 'cli', '', 'ab', 'cd')"
		editByHand(t, adminLocation(t, path), q, q)
	}
	forge("1000")
	for i := 0; i < 3; i++ {
		if err := rec(); err != nil {
			t.Fatalf("recording after the forged record: %v", err)
		}
	}
	v, err := ana.Verify(ctx)
	if err != nil || v.Access.BrokenAt != 1000 || v.Access.Head.Seq != 1003 {
		t.Errorf("Verify = %+v, %v; want the forged record 1000 named, the chain going on to 1003", v.Access, err)
	}
	forge("9223372036854775807")
	if err := rec(); err == nil || !strings.Contains(err.Error(), "inserted behind the program's back") {
		t.Errorf("recording after a record at the highest id = %v, want it refused naming why", err)
	}
}

// An older caisson-review still running after a newer one upgraded the
// store wrote records without a hash, which broke the chain for good
// (helper-77): once the chain has begun such a write is refused, in words
// that say what to do, on SQLite by a trigger (0020), on PostgreSQL by the
// columns' having no default (postgres/0010).
func TestAnOlderBuildsRecordWithoutAHashIsRefusedOnceTheChainBegan(t *testing.T) {
	path, ana, _ := sharedFile(t, FourEyesOff)
	ctx := context.Background()
	// The statement of builds before version 19.
	old := "INSERT INTO access (at, identity, reviewer, check_id, what, origin, address) VALUES (1, 'os:uid=1', 'ana', '" + checkID(1) + "', 'show', 'cli', '')"
	if err := ana.RecordAccess(ctx, AccessSession{Reviewer: "Ana", Origin: OriginCLI}, AccessShow, checkID(1)); err != nil {
		t.Fatal(err)
	}
	_, err := rawDB(t, path).Exec(old)
	want := dialect("is an older caisson-review still running? restart it", "violates not-null constraint")
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("an older build's insert after the chain began: %v, want refused saying %q", err, want)
	}
	if v, err := ana.Verify(ctx); err != nil || !v.OK {
		t.Errorf("Verify = %+v, %v; want the chain whole", v, err)
	}
}
