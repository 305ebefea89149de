package store

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/caisson-review/caisson-review/store/pgtest"
)

// A team moving from its SQLite file to PostgreSQL, and back: each copy
// carries every row, its counts equal a count of every queue, and both
// chains end at the file's head.
func TestACopyFromSQLiteToPostgreSQLAndBackEndsAsItBegan(t *testing.T) {
	file := filepath.Join(t.TempDir(), "source.db")
	c := fillCopySource(t, file)
	src := openIdentified(t, file, c, anaID)
	want := everyRow(t, src)
	head, err := src.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	pg := openIdentified(t, pgtest.URL(t), c, bobID)
	back := openIdentified(t, filepath.Join(t.TempDir(), "back.db"), c, bobID)
	for _, hop := range []struct {
		name     string
		from, to *Store
	}{
		{"SQLite to PostgreSQL", src, pg},
		{"PostgreSQL to SQLite", pg, back},
	} {
		rep, err := hop.to.CopyFrom(context.Background(), hop.from, CopyOptions{BatchSize: 5})
		if err != nil {
			t.Fatalf("%s: %v", hop.name, err)
		}
		if rep.SourceHead != head || rep.TargetHead != head {
			t.Errorf("%s: heads %s and %s, want %s", hop.name, rep.SourceHead, rep.TargetHead, head)
		}
		sameRows(t, everyRow(t, hop.to), want)
		mustVerify(t, hop.to)
		got, err := hop.to.Counts(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if byDef := countsByDefinition(t, hop.to); !reflect.DeepEqual(got, byDef) {
			t.Errorf("%s: counts %v, by definition %v", hop.name, got, byDef)
		}
	}
	// The PostgreSQL copy goes on: a new check gets a new key, a new
	// decision follows the copied head.
	ctx := context.Background()
	if _, err := pg.Add(ctx, checkID(500), "bob", SourceTyped); err != nil {
		t.Fatalf("adding a check to the PostgreSQL copy: %v", err)
	}
	if d, err := pg.Decide(ctx, checkID(500), Escalate, "new here", "Bob"); err != nil || d.Seq != head.Seq+1 {
		t.Fatalf("deciding on the PostgreSQL copy: #%d, %v; want #%d", d.Seq, err, head.Seq+1)
	}
	mustVerify(t, pg)
}
