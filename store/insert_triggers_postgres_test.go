package store

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store/pgtest"
)

// A batch of first results is one INSERT (firstOrSamePG), and what an
// insert into checks sets off (the counts, the overdue count, the polls,
// the tracked row no longer bare) runs once for the statement
// (postgres/0006): the one row of queue_counts is updated once, not once
// or twice a result, each update stepping over the versions the ones
// before it left. The counts, polls and bare flags still come out as
// each queue's definition says.
func TestPostgresABatchOfFirstResultsUpdatesTheCountsOnce(t *testing.T) {
	c := &clock{t: testNow}
	s := openPG(t, pgtest.URL(t), WithClock(c.Now))
	ctx := context.Background()
	if _, err := s.SetSLA(ctx, SLAChange{SLA: time.Hour, Reviewer: "ana", Note: "a day is too long"}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	var results []FetchResult
	docs := []string{"high", "medium", "low"}
	for i := 1; i <= 40; i++ {
		id := checkID(i)
		ids = append(ids, id)
		r := FetchResult{CheckID: id, At: testNow.Add(-2 * time.Hour)}
		if i%5 == 0 {
			r.Err = &caisson.APIError{Code: caisson.CodePendingReview}
		} else {
			r.Check = makeCheck(t, result{id: id, customer: fmt.Sprintf("cust-%d", i), doc: docs[i%3], face: "high"})
		}
		results = append(results, r)
	}
	if _, err := s.AddMany(ctx, ids, "ana", SourceTyped); err != nil {
		t.Fatal(err)
	}
	updates := func(tx *sqlTx) (n int64) {
		if err := tx.QueryRow("SELECT n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = 'queue_counts'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	settings := func(q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) (jit, workMem string) {
		if err := q.QueryRowContext(ctx, "SELECT current_setting('jit'), current_setting('work_mem')").Scan(&jit, &workMem); err != nil {
			t.Fatal(err)
		}
		return jit, workMem
	}
	var before, after int64
	stored := make([]bool, len(results))
	err := s.write(ctx, "storing a batch", func(tx *sqlTx) error {
		before = updates(tx)
		err := recordBatchPG(ctx, tx, ids, results, func(int) bool { return false }, make([]bool, len(results)), stored)
		after = updates(tx)
		// A batch is priced high enough for JIT, whose compiling cost
		// more than it saved, and sorted more than the default work_mem
		// holds (batchSettingsPG).
		if jit, workMem := settings(tx.Tx); jit != "off" || workMem != "64MB" {
			t.Errorf("the batch's transaction ran with jit %s and work_mem %s, want off and 64MB", jit, workMem)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Only for that transaction: every pooled connection, the batch's
	// among them, has the server's settings again.
	for n := s.db.Stats().OpenConnections; n > 0; n-- {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if jit, workMem := settings(conn); jit == "off" || workMem == "64MB" {
			t.Errorf("after the batch, a pooled connection has jit %s and work_mem %s: the batch's settings outlived it", jit, workMem)
		}
	}
	for i, ok := range stored {
		if !ok && results[i].Err == nil {
			t.Errorf("%s: not stored", results[i].CheckID)
		}
	}
	// The 32 results are inserted with the 8 pending checks' rows, which
	// the errors' update then moves (row triggers, as before): one update
	// of the counts for the insert, one each for those.
	if got, want := after-before, int64(1+8); got != want {
		t.Errorf("storing 32 first results and 8 pending answers updated queue_counts %d times, want %d", got, want)
	}
	assertCountsByDefinition(t, s)
	var bare, polls, overdue int
	if err := s.db.QueryRow(`SELECT (SELECT count(*) FROM tracked WHERE bare = 1), (SELECT count(*) FROM polls),
		(SELECT overdue FROM queue_counts)`).Scan(&bare, &polls, &overdue); err != nil {
		t.Fatal(err)
	}
	if bare != 0 || polls != 8 {
		t.Errorf("after the batch: %d checks still bare, %d polls; want 0 and the 8 pending", bare, polls)
	}
	counts, err := s.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := counts[QueueNeedsReview]; overdue != want || want == 0 {
		t.Errorf("overdue = %d, want every check needing review (%d), all waiting two hours past a one-hour SLA", overdue, want)
	}
}

// A batch raises work_mem to 64 MB for its transaction (batchSettingsPG),
// but never lowers it: a server whose DBA set more keeps that.
func TestPostgresABatchKeepsAHigherWorkMem(t *testing.T) {
	url := pgtest.URL(t)
	if _, err := rawDB(t, url).Exec(`DO $$ BEGIN
		EXECUTE format('ALTER DATABASE %I SET work_mem = %L', current_database(), '256MB');
	END $$`); err != nil {
		t.Fatal(err)
	}
	s := openPG(t, url, WithClock((&clock{t: testNow}).Now))
	ctx := context.Background()
	id := checkID(1)
	if _, err := s.AddMany(ctx, []string{id}, "ana", SourceTyped); err != nil {
		t.Fatal(err)
	}
	results := []FetchResult{{CheckID: id, At: testNow, Check: makeCheck(t, result{id: id, doc: "low", face: "high"})}}
	stored := make([]bool, 1)
	var workMem string
	err := s.write(ctx, "storing a batch", func(tx *sqlTx) error {
		if err := recordBatchPG(ctx, tx, []string{id}, results, func(int) bool { return false }, make([]bool, 1), stored); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, "SELECT current_setting('work_mem')").Scan(&workMem)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !stored[0] || workMem != "256MB" {
		t.Errorf("stored %v, with work_mem %s in the batch's transaction; want stored, with the database's 256MB", stored[0], workMem)
	}
}
