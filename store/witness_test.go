package store

import (
	"bytes"
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"
)

// editCachedResponse rewrites check 1's cached response behind the
// program's back, raising its document confidence from low to high, and
// leaves raw_hash as it was: exactly the edit that makes a stored hash
// column lie.
func editCachedResponse() string {
	return dialect(`UPDATE checks SET
	raw = CAST(replace(CAST(raw AS TEXT), '"document":"low"', '"document":"high"') AS BLOB), document = 3
	WHERE check_id = '`+checkID(1)+`'`, `UPDATE checks SET
	raw = convert_to(replace(convert_from(raw, 'UTF8'), '"document":"low"', '"document":"high"'), 'UTF8'), document = 3
	WHERE check_id = '`+checkID(1)+`'`)
}

func TestADecisionIsStaleWhenTheCachedBytesChangeWhateverRawHashSays(t *testing.T) {
	tests := []struct {
		name      string
		edit      string
		wantStale bool
	}{
		{"an untouched response keeps its decision current", "", false},
		{"the response edited with raw_hash left alone marks it stale", editCachedResponse(), true},
		{"the response and raw_hash edited together still mark it stale", editCachedResponse() + `;
			UPDATE checks SET raw_hash = (SELECT response_hash FROM decisions WHERE seq = 1)`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t)
			ctx := context.Background()
			addFetched(t, s, result{id: checkID(1), doc: "low", face: "high"})
			if _, err := s.Decide(ctx, checkID(1), Approve, "", "ana"); err != nil {
				t.Fatal(err)
			}
			if tt.edit != "" {
				editByHand(t, adminLocation(t, s.Path()), tt.edit, tt.edit)
			}
			rec, err := s.Get(ctx, checkID(1))
			if err != nil {
				t.Fatal(err)
			}
			if tt.edit != "" && rec.Result.Confidence.Document.String() != "high" {
				t.Fatalf("the edit did not take: document %s", rec.Result.Confidence.Document)
			}
			if got := rec.Decisions[0].Stale; got != tt.wantStale {
				t.Errorf("Get: decision stale = %v, want %v", got, tt.wantStale)
			}
			var exported []bool
			if err := s.Decisions(ctx, time.Time{}, func(d Decision) error { exported = append(exported, d.Stale); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(exported) != 1 || exported[0] != tt.wantStale {
				t.Errorf("Decisions: stale %v, want [%v]", exported, tt.wantStale)
			}
		})
	}
}

func TestADecisionOnAnEditedResponseRecordsTheHashOfItsBytes(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	addFetched(t, s, result{id: checkID(1), doc: "low", face: "high"})
	editByHand(t, adminLocation(t, s.Path()), editCachedResponse(), editCachedResponse())
	d, err := s.Decide(ctx, checkID(1), Approve, "", "ana")
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := s.Get(ctx, checkID(1))
	var stored string
	if err := s.db.QueryRow("SELECT raw_hash FROM checks WHERE check_id = ?", checkID(1)).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if d.ResponseHash != rec.ResultHash || d.ResponseHash == stored {
		t.Errorf("the decision recorded %s; the bytes hash to %s, the stale column says %s", d.ResponseHash, rec.ResultHash, stored)
	}
}

func TestVerifyFailsForAHeadTheLogNoLongerHolds(t *testing.T) {
	tests := []struct {
		name    string
		tamper  string
		head    int64 // the seq of the kept head
		wantErr string
	}{
		{"the newest head of an untouched log is held", "", 5, ""},
		{"an older head of an untouched log is held", "", 2, ""},
		{"the newest entry deleted and its check's status set back", dropTriggers() +
			`DELETE FROM decisions WHERE seq = 5; UPDATE checks SET status = 'approved' WHERE check_id = '` + checkID(2) + `';`,
			5, "the log ends at entry 4 but head 5:"},
		{"the newest entries rewritten consistently from entry 4", dropTriggers() +
			`UPDATE decisions SET hash = 'rewritten' WHERE seq = 4;`, 4, "entry 4 has hash rewritten"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, path := logWithDecisions(t)
			ctx := context.Background()
			var kept Head
			err := s.Decisions(ctx, time.Time{}, func(d Decision) error {
				if d.Seq == tt.head {
					kept = d.Head()
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if tt.tamper != "" {
				editByHand(t, path, tt.tamper, tt.tamper)
			}
			v, err := s.Verify(ctx, kept)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(v.MissingHeads, "; ")
			if tt.wantErr == "" && (!v.OK || got != "") {
				t.Errorf("Verify(%s) = %+v, want OK", kept, v)
			}
			if tt.wantErr != "" && (v.OK || !strings.Contains(got, tt.wantErr)) {
				t.Errorf("Verify(%s) = %+v, want a missing head saying %q", kept, v, tt.wantErr)
			}
		})
	}
}

// Without a head the cut-off tail goes unnoticed: the reason heads exist.
func TestVerifyWithoutAHeadCannotSeeTheTailCutOff(t *testing.T) {
	s, path := logWithDecisions(t)
	// The guard back as shipped afterwards: on PostgreSQL it is only off
	// for the editing session.
	cut := `DELETE FROM decisions WHERE seq = 5;
		UPDATE checks SET status = 'approved' WHERE check_id = '` + checkID(2) + `';`
	editByHand(t, adminLocation(t, path), dropTriggers()+cut+shippedTriggers, "SET session_replication_role = replica;\n"+cut)
	v, err := s.Verify(context.Background())
	if err != nil || !v.OK || v.Head.Seq != 4 {
		t.Errorf("Verify = %+v, %v; want OK with head 4 (no chain sees its own tail cut off)", v, err)
	}
}

func TestDecideReturnsTheNewHead(t *testing.T) {
	s, _ := logWithDecisions(t)
	ctx := context.Background()
	d, err := s.Decide(ctx, checkID(3), Reopen, "", "ana")
	if err != nil {
		t.Fatal(err)
	}
	h, err := s.Head(ctx)
	if err != nil || h != d.Head() || h.Seq != 6 || len(h.Hash) != 64 {
		t.Errorf("Head = %v, %v; Decide returned %v, want seq 6 and its hash", h, err, d.Head())
	}
	parsed, err := ParseHead(h.String())
	if err != nil || parsed != h {
		t.Errorf("ParseHead(%s) = %v, %v", h, parsed, err)
	}
}

func TestParseHeadRefusesWhatIsNotAHead(t *testing.T) {
	hash := strings.Repeat("ab", 32)
	for _, s := range []string{"", "5", "5:", ":" + hash, "0:" + hash, "-1:" + hash, "5:" + hash[:12], "5:" + hash + "00", "5:" + strings.Repeat("zz", 32), "x:" + hash} {
		if _, err := ParseHead(s); err == nil || !strings.Contains(err.Error(), "expected SEQ:HASH") {
			t.Errorf("ParseHead(%q) = %v, want a refusal saying what a head is", s, err)
		}
	}
	if h, err := ParseHead(" 5:" + strings.ToUpper(hash) + "\n"); err != nil || h != (Head{5, hash}) {
		t.Errorf("ParseHead of a copied line = %v, %v", h, err)
	}
}

// shippedTriggers recreates the append-only triggers exactly as shipped.
const shippedTriggers = `
CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions BEGIN
    SELECT RAISE(ABORT, 'the decision log is append-only: entries cannot be changed');
END;
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions BEGIN
    SELECT RAISE(ABORT, 'the decision log is append-only: entries cannot be deleted');
END;`

func TestVerifyAndOpenSayWhenTheAppendOnlyTriggersAreNotAsShipped(t *testing.T) {
	sqliteOnly(t, "SQLite's triggers; TestPostgresOpenWarnsWhenTheLogsGuardIsNotAsShipped tampers with PostgreSQL's")
	tests := []struct {
		name   string
		tamper string
		want   string
	}{
		{"shipped triggers pass", "", ""},
		{"the delete trigger dropped", "DROP TRIGGER decisions_no_delete", "the trigger decisions_no_delete is missing"},
		{"both dropped", dropTriggers(), "the trigger decisions_no_update is missing"},
		{"the update trigger made toothless", `DROP TRIGGER decisions_no_update;
			CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions WHEN 0 BEGIN SELECT RAISE(ABORT, 'append-only'); END`,
			"decisions_no_update is not the one shipped"},
		{"a trigger added to rewrite entries", `CREATE TRIGGER decisions_launder AFTER INSERT ON decisions BEGIN SELECT 1; END`,
			"did not ship (decisions_launder)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, path := logWithDecisions(t)
			s.Close()
			if tt.tamper != "" {
				if _, err := rawDB(t, path).Exec(tt.tamper); err != nil {
					t.Fatal(err)
				}
			}
			var warned bytes.Buffer
			s, err := Open(context.Background(), path, WithWarnings(&warned))
			if err != nil {
				t.Fatalf("Open of a tampered database must still open it for the investigation: %v", err)
			}
			defer s.Close()
			v, err := s.Verify(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got := strings.Join(v.Unguarded, "; ")
			if tt.want == "" {
				if !v.OK || got != "" || warned.Len() != 0 || len(s.Warnings()) != 0 {
					t.Errorf("Verify = %+v, warned %q; want OK and silent", v, warned.String())
				}
				return
			}
			if v.OK || !strings.Contains(got, tt.want) {
				t.Errorf("Verify = %+v, want not OK saying %q", v, tt.want)
			}
			if !strings.Contains(warned.String(), "WARNING") || !strings.Contains(warned.String(), tt.want) ||
				!strings.Contains(strings.Join(s.Warnings(), "; "), tt.want) {
				t.Errorf("Open warned %q (Warnings %q), want a WARNING saying %q", warned.String(), s.Warnings(), tt.want)
			}
		})
	}
}

// The list of guarded triggers is the list migrations create: a trigger
// changed in a migration must be changed here too.
func TestShippedTriggersAreTheOnesGuarded(t *testing.T) {
	sqliteOnly(t, "sqlite_schema; TestPostgresShippedTriggersAreTheOnesGuarded reads PostgreSQL's catalog")
	s, _ := newStore(t)
	rows, err := s.db.Query("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name IN ('decisions', 'access')")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]string{}
	for rows.Next() {
		var name string
		var text sql.NullString
		if err := rows.Scan(&name, &text); err != nil {
			t.Fatal(err)
		}
		got[name] = text.String
	}
	if len(got) != len(appendOnlyTriggers) {
		t.Errorf("a fresh database has triggers %v on decisions and access, the guard knows %d", got, len(appendOnlyTriggers))
	}
	for name, text := range appendOnlyTriggers {
		if got[name] != text {
			t.Errorf("trigger %s: the migrations make %q, the guard expects %q", name, got[name], text)
		}
	}
}

func TestAnEmptyLogHoldsItsZeroHead(t *testing.T) {
	s, _ := newStore(t)
	h, err := s.Head(context.Background())
	if err != nil || !h.IsZero() {
		t.Fatalf("Head of an empty log = %v, %v", h, err)
	}
	if v, err := s.Verify(context.Background(), h); err != nil || !v.OK {
		t.Errorf("Verify(zero head) of an empty log = %+v, %v; want OK", v, err)
	}
}
