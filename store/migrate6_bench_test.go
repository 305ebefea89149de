package store

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkUpgradeToVersion6At100k times opening a version 5 database of
// 100,000 fetched checks and 10,000 decisions: the rebuild of the decision
// log and of the needs-review and waiting indexes.
//
//	go test ./store -run '^$' -bench UpgradeToVersion6At100k -benchtime 1x
func BenchmarkUpgradeToVersion6At100k(b *testing.B) {
	ms, err := loadMigrations()
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "review.db")
		db := rawDB(b, path)
		for _, m := range ms[:5] {
			if _, err := db.Exec(m.sql); err != nil {
				b.Fatal(err)
			}
		}
		_, err := db.Exec(`PRAGMA user_version = 5;
			INSERT INTO tracked (id, check_id, added_at, added_by, source, bare)
				WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
				SELECT i, printf('chk_priv_%022d', i), i, 'bench', 'typed', 0 FROM n;
			INSERT INTO checks (id, check_id, added_at, added_by, source, outcome, cached, document, face, checked_on, last_name, customer_id, search)
				SELECT id, check_id, added_at, added_by, source, 'ok', 1, id % 4, (id / 4) % 4, id, 'name' || (id % 977), 'cust-' || id, 'cust-' || id FROM tracked;
			INSERT INTO decisions (seq, check_id, action, note, reviewer, at, response_hash, prev_hash, hash)
				SELECT id / 10, check_id, 'escalate', 'n', 'bench', printf('2026-01-01T00:00:00.%09dZ', id), '', '', 'h' || id FROM checks WHERE id % 10 = 0;`)
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
		b.StartTimer()
		s, err := Open(context.Background(), path)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close()
	}
}
