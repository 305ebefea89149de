package store

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/caisson-review/caisson-review/store/pgtest"
)

// dropTriggers drops the log's append-only triggers, as someone with write
// access to the file or the database could before editing the log.
func dropTriggers() string {
	return dialect(`DROP TRIGGER decisions_no_update; DROP TRIGGER decisions_no_delete;`,
		`DROP TRIGGER decisions_no_update ON decisions; DROP TRIGGER decisions_no_delete ON decisions;`)
}

// adminLocation is location as its administrator reaches it: the file
// itself, or the database as the postgres superuser, who may also switch
// off its foreign keys.
func adminLocation(t *testing.T, location string) string {
	if IsPostgres(location) {
		return pgtest.Superuser(t, location)
	}
	return location
}

// fiveDecisions adds three fetched checks to s and makes five decisions
// on them: escalate, approve, reject, approve, reopen.
func fiveDecisions(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		addFetched(t, s, result{id: checkID(i), doc: "low", face: "high"})
	}
	for _, st := range []struct {
		id   int
		a    Action
		note string
	}{{1, Escalate, "unsure"}, {2, Approve, ""}, {1, Reject, "forged"}, {3, Approve, ""}, {2, Reopen, "wrong check"}} {
		if _, err := s.Decide(ctx, checkID(st.id), st.a, st.note, "ana"); err != nil {
			t.Fatal(err)
		}
	}
}

// logWithDecisions makes a store with five decisions on three checks.
func logWithDecisions(t *testing.T) (*Store, string) {
	path := testLocation(t)
	s := openAt(t, path, &clock{t: testNow})
	fiveDecisions(t, s)
	return s, path
}

func TestVerifyFindsTheFirstBrokenLink(t *testing.T) {
	tests := []struct {
		name       string
		tamper     string
		wantAt     int64
		wantReason string
	}{
		{"an intact log verifies", "", 0, ""},
		{"a note edited in place", dropTriggers() + `UPDATE decisions SET note = 'looks fine' WHERE seq = 3;`, 3, "edited"},
		{"a reviewer changed", dropTriggers() + `UPDATE decisions SET reviewer = 'bob' WHERE seq = 2;`, 2, "edited"},
		{"an entry deleted", dropTriggers() + `DELETE FROM decisions WHERE seq = 2;`, 3, "missing"},
		{"an entry deleted and the rest renumbered", dropTriggers() + `DELETE FROM decisions WHERE seq = 2;
			UPDATE decisions SET seq = seq - 1 WHERE seq > 2;`, 2, "does not link"},
		{"two entries swapped", dropTriggers() + `UPDATE decisions SET seq = -2 WHERE seq = 2;
			UPDATE decisions SET seq = 2 WHERE seq = 3; UPDATE decisions SET seq = 3 WHERE seq = -2;`, 2, "does not link"},
		{"a time rewritten as the same instant in another form", dropTriggers() + `UPDATE decisions SET at = replace(at, 'Z', '+00:00') WHERE seq = 2;`, 2, "time is not written"},
		{"an entry inserted numbered below 1", `CREATE TEMP TABLE forged AS SELECT * FROM decisions WHERE seq = 2; UPDATE forged SET seq = -1, hash = 'ff';
			INSERT INTO decisions SELECT * FROM forged;`, -1, "an entry is numbered -1, but the log's entries are numbered from 1"},
		{"a hash overwritten", dropTriggers() + `UPDATE decisions SET hash = 'ff' WHERE seq = 4;`, 4, "edited"},
		{"a status changed behind the log's back", `UPDATE checks SET status = 'approved' WHERE check_id = '` + checkID(1) + `';`, 3, "latest decision says rejected"},
		{"the last entry deleted leaves a status the log no longer explains", dropTriggers() + `DELETE FROM decisions WHERE seq = 5;`, 2, "latest decision says approved"},
		{"a decided check deleted, taking it out of every queue", dialect(`PRAGMA foreign_keys = OFF;`, `SET session_replication_role = replica;`) +
			`DELETE FROM checks WHERE check_id = '` + checkID(3) + `'; DELETE FROM tracked WHERE check_id = '` + checkID(3) + `';`,
			4, "check " + checkID(3) + ", decided here, is no longer in the database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, path := logWithDecisions(t)
			if tt.tamper != "" {
				editByHand(t, adminLocation(t, path), tt.tamper, tt.tamper)
			}
			v, err := s.Verify(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if v.OK != (tt.wantAt == 0) || v.BrokenAt != tt.wantAt || !strings.Contains(v.Problem, tt.wantReason) {
				t.Errorf("Verify = %+v, want broken at %d with %q", v, tt.wantAt, tt.wantReason)
			}
		})
	}
}

func TestVerifyCatchesAnEditMadeWithTheSqlite3CLI(t *testing.T) {
	sqliteOnly(t, "the sqlite3 CLI edits a file; TestPostgresVerifyNamesADecisionEditedWithPsql edits with psql")
	cli, err := exec.LookPath("sqlite3")
	if err != nil {
		t.Skip("no sqlite3 CLI on this machine")
	}
	s, path := logWithDecisions(t)
	s.Close()
	// What an admin would type: drop the guard, edit, put the guard back.
	script := `DROP TRIGGER decisions_no_update;
UPDATE decisions SET action = 'approve', note = '' WHERE seq = 3;
UPDATE checks SET status = 'approved' WHERE check_id = '` + checkID(1) + `';
CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions BEGIN SELECT RAISE(ABORT, 'append-only'); END;`
	cmd := exec.Command(cli, path)
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sqlite3: %v\n%s", err, out)
	}
	s = openAt(t, path, &clock{t: testNow})
	v, err := s.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if v.OK || v.BrokenAt != 3 || !strings.Contains(v.Problem, "edited") {
		t.Errorf("Verify after a CLI edit = %+v, want broken at 3 (edited)", v)
	}
}

// SQLite's INSERT OR REPLACE deletes the row whose key it takes without
// firing a DELETE trigger: with every append-only trigger in place, one
// statement rewrote who viewed a check, and export --verify saw nothing
// (helper-72). Migration 0018 refuses it on both logs; on PostgreSQL an
// upsert is an UPDATE, which the update triggers refuse.
func TestNeitherLogTakesAReplace(t *testing.T) {
	s, path := logWithDecisions(t)
	ctx := context.Background()
	if err := s.RecordAccess(ctx, AccessSession{Reviewer: "Ana", Origin: OriginCLI}, AccessShow, checkID(1)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db := rawDB(t, path)
	for _, stmt := range []string{
		dialect(`INSERT OR REPLACE INTO access (id, at, identity, reviewer, check_id, what, origin, address, prev_hash, hash)
			SELECT id, at, 'os:uid=1001', 'Rita', check_id, what, origin, address, prev_hash, hash FROM access`,
			`INSERT INTO access SELECT * FROM access ON CONFLICT (id) DO UPDATE SET reviewer = 'Rita'`),
		dialect(`INSERT OR REPLACE INTO decisions SELECT * FROM decisions WHERE seq = 2`,
			`INSERT INTO decisions SELECT * FROM decisions WHERE seq = 2 ON CONFLICT (seq) DO UPDATE SET note = 'looks fine'`),
		// Another key, the hash of entry 2: REPLACE would delete entry 2
		// for the hash's uniqueness.
		dialect(`CREATE TEMP TABLE forged AS SELECT * FROM decisions WHERE seq = 2; UPDATE forged SET seq = 102;
			INSERT OR REPLACE INTO decisions SELECT * FROM forged`, ""),
	} {
		if stmt == "" {
			continue
		}
		if _, err := db.Exec(stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", stmt, err)
		}
	}
	s = openAt(t, path, &clock{t: testNow})
	if v, err := s.Verify(ctx); err != nil || !v.OK || v.Entries != 5 {
		t.Errorf("Verify after the refused replaces = %+v, %v; want the five entries intact", v, err)
	}
	if got := accessLog(t, s, AccessQuery{}); len(got) != 1 || got[0].Reviewer != "Ana" {
		t.Errorf("the access log after the refused replace: %+v", got)
	}
}

// Verify reads the log and the checks' statuses in one snapshot: read
// apart, a decision made between the two reads showed as a status the log
// did not explain, and an export beside a serve deciding failed on an
// intact log (helper-75: 6 verifies in 300).
func TestVerifyBesideDecisionsBeingMadeSeesOneState(t *testing.T) {
	s, path := logWithDecisions(t)
	other := openAt(t, path, &clock{t: testNow})
	ctx := context.Background()
	done := make(chan struct{})
	decided := make(chan error, 1)
	go func() {
		defer close(decided)
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			a, note := Escalate, "again"
			if i%2 == 1 {
				a, note = Reopen, "back"
			}
			if _, err := other.Decide(ctx, checkID(3), a, note, "bob"); err != nil {
				decided <- err
				return
			}
		}
	}()
	for i := 0; i < 150; i++ {
		v, err := s.Verify(ctx)
		if err != nil || !v.OK {
			close(done)
			t.Fatalf("Verify %d beside decisions = %+v, %v; want OK", i, v, err)
		}
	}
	close(done)
	if err := <-decided; err != nil {
		t.Fatal(err)
	}
	if v, err := s.Verify(ctx); err != nil || !v.OK || v.Entries < 6 {
		t.Fatalf("after: %+v, %v; want OK with the decisions made meanwhile", v, err)
	}
}

// A trigger on another table than the logs can write into them as that
// table changes: one on checks made decide and refresh record views
// nobody had, and Verify looked at the logs' own triggers only
// (helper-76). Every trigger is held to those a new store has.
func TestVerifySaysATriggerOnAnyTableThatWasNotShipped(t *testing.T) {
	sqliteOnly(t, "sqlite_schema's triggers; PostgreSQL's guard reads its catalog")
	for _, tc := range []struct{ name, tamper, want string }{
		{"an implant on checks", `CREATE TRIGGER checks_audit AFTER UPDATE ON checks BEGIN
			INSERT INTO access (id, at, identity, reviewer, check_id, what, origin, address) VALUES (-9, 1, 'x', 'carol', NEW.check_id, 'show', 'cli', ''); END`,
			"a trigger caisson-review did not ship (checks_audit)"},
		{"a count's trigger dropped", "", "is missing (dropped?)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, path := logWithDecisions(t)
			tamper := tc.tamper
			if tamper == "" {
				var name string
				if err := s.db.QueryRow("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'checks' ORDER BY name LIMIT 1").Scan(&name); err != nil {
					t.Fatal(err)
				}
				tamper = "DROP TRIGGER " + name
			}
			editByHand(t, path, tamper, tamper)
			v, err := s.Verify(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if v.OK || !strings.Contains(strings.Join(v.Schema, "; "), tc.want) {
				t.Errorf("Verify = %+v, want not OK saying %q", v, tc.want)
			}

		})
	}
	s, _ := logWithDecisions(t)
	if v, err := s.Verify(context.Background()); err != nil || !v.OK || len(v.Unguarded)+len(v.Schema) != 0 {
		t.Errorf("Verify of a store as made = %+v, %v; want OK", v, err)
	}
}
