package cli

import (
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson/sandbox"
)

// v1Hash is the decision log's hash as version 5 and before computed it,
// written out here so that a change to the store's formula cannot pass
// unnoticed: every field as its length, a colon, its bytes and ";".
func v1Hash(fields ...string) string {
	h := sha256.New()
	for _, f := range fields {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// A database written by version 5 (the migrations as they were, then two
// decisions as its Decide wrote them) is upgraded by the next command; its
// decisions still verify and export with an empty reason.
func TestADatabaseOfVersion5ExportsItsOldDecisionsWithAnEmptyReason(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	f.db = filepath.Join(t.TempDir(), "v5.db")
	f.env[envDB] = f.db
	db, err := sql.Open("sqlite", f.db)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		names, _ := filepath.Glob(fmt.Sprintf("../store/migrations/%04d_*.sql", i))
		body, err := os.ReadFile(names[0])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", names[0], err)
		}
	}
	id := f.sb.CheckID(0)
	at := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC).Format("2006-01-02T15:04:05.000000000Z")
	h1 := v1Hash("1", id, "reject", "forged", "old timer", at, "", "")
	h2 := v1Hash("2", id, "reopen", "", "old timer", at, "", h1)
	for _, stmt := range []struct {
		sql  string
		args []any
	}{
		{"PRAGMA user_version = 5", nil},
		{"INSERT INTO tracked (id, check_id, added_at, added_by, source, bare) VALUES (1, ?, 1, 'old', 'typed', 0)", []any{id}},
		{"INSERT INTO checks (id, check_id, added_at, added_by, source) VALUES (1, ?, 1, 'old', 'typed')", []any{id}},
		{"INSERT INTO decisions (seq, check_id, action, note, reviewer, at, response_hash, prev_hash, hash) VALUES (1, ?, 'reject', 'forged', 'old timer', ?, '', '', ?)", []any{id, at, h1}},
		{"INSERT INTO decisions (seq, check_id, action, note, reviewer, at, response_hash, prev_hash, hash) VALUES (2, ?, 'reopen', '', 'old timer', ?, '', ?, ?)", []any{id, at, h1, h2}},
	} {
		if _, err := db.Exec(stmt.sql, stmt.args...); err != nil {
			t.Fatalf("%s: %v", stmt.sql, err)
		}
	}
	db.Close()
	r := f.must(0, "export", "--verify", "--head", "2:"+h2)
	mustContain(t, "verify after the upgrade", r.stdout, "intact: 2 entries")
	r = f.must(0, "export", "--format", "csv")
	records, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(records) != 3 {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	for _, rec := range records[1:] {
		identity, reason, finality, version := rec[10], rec[11], rec[12], rec[17]
		if identity != "" || reason != "" || finality != "" || version != "1" {
			t.Errorf("old decision exported as %v: want empty identity, reason and finality, hash version 1", rec)
		}
	}
	f.must(0, "decide", id, "reject", "--note", "forged after all")
	r = f.must(0, "export", "--verify", "--head", "2:"+h2)
	mustContain(t, "verify with a new entry", r.stdout, "intact: 3 entries")
}
