package store

import (
	"context"
	"reflect"
	"testing"
)

// Ids are base64url, where a and A are different bits: the filter reads
// chk_priv_ in any case and the rest of an id exactly, by the same rule
// as every other place that reads an id (caisson.CheckIDStart).
func TestFilterReadsAnIDsPrefixInAnyCaseAndTheRestExactly(t *testing.T) {
	s, _ := newStore(t)
	j4KA := "chk_priv_j4KAbcdefghijklmnopqrs"
	j4ka := "chk_priv_j4kabcdefghijklmnopqrs" // another check: differs only in case
	addFetched(t, s, result{id: j4KA, customer: "5728349 - Miller, Ashley", first: "Ashley", last: "Miller", doc: "low", face: "high"})
	addFetched(t, s, result{id: j4ka, customer: "5728350 - Jones, Kim", first: "Kim", last: "Jones", doc: "low", face: "high"})
	tests := []struct {
		name, filter string
		want         []string
	}{
		{"the start of an id without its prefix", "j4K", []string{j4KA}},
		{"with its prefix", "chk_priv_j4K", []string{j4KA}},
		{"with its prefix in capitals", "CHK_PRIV_j4K", []string{j4KA}},
		{"with its prefix in mixed case", "Chk_Priv_j4ka", []string{j4ka}},
		{"the case of the rest tells two checks apart", "j4ka", []string{j4ka}},
		{"an id's start in other capitals is another id", "J4KA", nil},
		{"a whole id without its prefix", j4KA[9:], []string{j4KA}},
		{"names in any case", "MILLER", []string{j4KA}},
		{"customer ids in any case, anywhere", "miller, ash", []string{j4KA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := s.Page(context.Background(), PageQuery{Queue: QueueAll, Filter: tt.filter})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(rows); !reflect.DeepEqual(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("filter %q: got %v, want %v", tt.filter, got, tt.want)
			}
		})
	}
}

func TestCustomerMatchesExactlyOrByItsStart(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	addFetched(t, s, result{id: checkID(1), customer: "5728349 - Miller, Ashley", first: "Ashley", last: "Miller", doc: "low", face: "high"})
	addFetched(t, s, result{id: checkID(2), customer: "5728349", first: "Ashley", last: "Miller", doc: "high", face: "high"})
	addFetched(t, s, result{id: checkID(3), customer: "57283", first: "Bo", last: "Young", doc: "low", face: "low"})
	tests := []struct {
		name string
		q    PageQuery
		want []string
	}{
		{"exactly", PageQuery{Queue: QueueAll, Customer: "5728349"}, []string{checkID(2)}},
		{"by its start", PageQuery{Queue: QueueAll, Customer: "5728349", CustomerStart: true}, []string{checkID(1), checkID(2)}},
		{"by its start, in a queue", PageQuery{Queue: QueueNeedsReview, Customer: "5728349", CustomerStart: true}, []string{checkID(1)}},
		{"the start is compared byte for byte", PageQuery{Queue: QueueAll, Customer: "5728349 - miller", CustomerStart: true}, nil},
		{"nothing starts so", PageQuery{Queue: QueueAll, Customer: "99", CustomerStart: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := s.Page(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(rows); !reflect.DeepEqual(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if n, err := s.Count(ctx, tt.q); err != nil || n != len(tt.want) {
				t.Errorf("Count = %d, %v; want %d", n, err, len(tt.want))
			}
		})
	}
}

// A filter keystroke reads a page several times a second: its statements
// are prepared once and kept, whatever the filter's text, so a reviewer
// typing a name pays for parsing SQL on the first keystroke only.
func TestPagesOfOneShapeShareTheirPreparedStatements(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	addFetched(t, s, result{id: checkID(1), customer: "5728349 - Miller, Ashley", first: "Ashley", last: "Miller", doc: "low", face: "high"})
	kept := func() int {
		n := 0
		s.stmts.Range(func(any, any) bool { n++; return true })
		return n
	}
	read := func(filter string) {
		t.Helper()
		rows, err := s.Page(ctx, PageQuery{Queue: QueueNeedsReview, Filter: filter})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) > 0 {
			if _, err := s.Get(ctx, rows[0].CheckID); err != nil {
				t.Fatal(err)
			}
		}
	}
	before := kept() // recording the fetch keeps its own
	read("mil")
	first := kept()
	if first == before {
		t.Fatal("reading a filtered page and its first check kept no prepared statement")
	}
	for _, f := range []string{"mill", "mille", "miller", "zzz", "ash"} {
		read(f)
	}
	if got := kept(); got != first {
		t.Errorf("after five more filters of the same kind %d statements are kept, want the %d of the first", got, first)
	}
}

// With ftsCap 0 every filter walks its queue's sort index on both
// backends (on PostgreSQL an index-only walk with strpos, on SQLite instr
// on the index): the walks match exactly what the candidates did, the
// same checks in the same order on both.
func TestTextFiltersWalkingTheSortIndexMatchTheSameChecksOnBothBackends(t *testing.T) {
	lite, pg := bothBackends(t)
	old := ftsCap
	ftsCap = 0
	defer func() { ftsCap = old }()
	sameFiltersOnBoth(t, lite, pg)
}
