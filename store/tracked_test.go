package store

import (
	"cmp"
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// The all queue holds checks that were only added (tracked, no row in
// checks) with every other: first, or merged by time added. This holds
// its pages, counts and Next to an order computed here from the rows
// themselves, on a mix of every kind of check, added out of id order,
// some in one batch (equal times added) and one after the clock stepped
// back.
func TestTheAllQueueHoldsOnlyAddedChecksInEverySortOrder(t *testing.T) {
	s, clk := newStore(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 8))
	order := r.Perm(40) // insertion order differs from check id order
	seq := map[string]int{}
	levels := []string{"", "low", "medium", "high"}
	names := []string{"", "Ames", "ames", "Brook", "Zola"}
	for n, i := range order[:30] {
		id := checkID(i + 1)
		seq[id] = n
		clk.Advance(time.Minute)
		if n == 20 {
			clk.Advance(-time.Hour) // the clock stepped back
		}
		switch i % 5 {
		case 0, 1: // fetched
			addFetched(t, s, result{id: id, customer: []string{"c-1", "c-2", "", "c-3"}[i%4],
				first: names[(i/2)%5], last: names[i%5], doc: levels[i%4], face: levels[(i/4)%4],
				checkedOn: testNow.Add(-time.Duration(i%3) * time.Hour)})
		case 2: // the fetch failed
			if _, err := s.Add(ctx, id, "t", SourceTyped); err != nil {
				t.Fatal(err)
			}
			if err := s.RecordFetch(ctx, id, nil, errors.New("connection reset"), clk.Now()); err != nil {
				t.Fatal(err)
			}
		case 3: // decided before any fetch
			if _, err := s.Add(ctx, id, "t", SourceTyped); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Decide(ctx, id, Escalate, "no result yet", "rev"); err != nil {
				t.Fatal(err)
			}
		default: // only added
			if _, err := s.Add(ctx, id, "t", SourceTyped); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The rest only added, in one batch: the same time added.
	clk.Advance(time.Minute)
	var batch []string
	for _, i := range order[30:] {
		batch = append(batch, checkID(i+1))
	}
	res, err := s.AddMany(ctx, batch, "t", SourceImported)
	if err != nil || len(res.Added) != len(batch) {
		t.Fatalf("AddMany: %+v, %v", res, err)
	}
	// Within a batch ids go in sorted (AddMany), so that is their order.
	slices.Sort(batch)
	for n, id := range batch {
		seq[id] = 30 + n
	}

	all, err := s.Page(ctx, PageQuery{Queue: QueueAll, Limit: 1000})
	if err != nil || len(all) != 40 {
		t.Fatalf("the all queue has %d checks (%v), expected 40", len(all), err)
	}
	nocase := func(s string) string { return strings.ToLower(s) } // ASCII names
	// Only added: in every sort but by time added, such checks come
	// first, in the order added.
	bare := func(r Row) int {
		if r.Outcome == OutcomeNone && r.Status == StatusOpen {
			return 0
		}
		return 1
	}
	compare := map[Sort]func(a, b Row) int{
		SortRisk: func(a, b Row) int {
			return cmp.Or(cmp.Compare(bare(a), bare(b)), cmp.Compare(min(a.Document, a.Face), min(b.Document, b.Face)),
				cmp.Compare(nanos(a.CheckedOn), nanos(b.CheckedOn)), cmp.Compare(seq[a.CheckID], seq[b.CheckID]))
		},
		SortAdded: func(a, b Row) int {
			return -cmp.Or(a.AddedAt.Compare(b.AddedAt), cmp.Compare(seq[a.CheckID], seq[b.CheckID]))
		},
		SortName: func(a, b Row) int {
			return cmp.Or(cmp.Compare(bare(a), bare(b)), cmp.Compare(nocase(a.LastName), nocase(b.LastName)), cmp.Compare(nocase(a.FirstName), nocase(b.FirstName)),
				cmp.Compare(seq[a.CheckID], seq[b.CheckID]))
		},
		SortCustomer: func(a, b Row) int {
			return cmp.Or(cmp.Compare(bare(a), bare(b)), cmp.Compare(a.CustomerID, b.CustomerID), cmp.Compare(seq[a.CheckID], seq[b.CheckID]))
		},
	}
	for by, cmpRows := range compare {
		for _, filter := range []string{"", "chk_priv_00000000000000000000", "chk_priv_000000000000000000001", "ame", "c-", "0000000000000000000000"} {
			var want []string
			for _, row := range slices.SortedFunc(slices.Values(all), cmpRows) {
				if filter == "" || strings.HasPrefix(row.CheckID, filter) || strings.HasPrefix(row.CheckID, "chk_priv_"+filter) ||
					strings.Contains(strings.ToLower(row.CustomerID+"\x1f"+row.FirstName+"\x1f"+row.LastName), filter) {
					want = append(want, row.CheckID)
				}
			}
			q := PageQuery{Queue: QueueAll, Sort: by, Filter: filter}
			name := indexSort[by] + "/" + filter

			var paged []string
			for off := 0; off < 60; off += 7 {
				q.Offset, q.Limit = off, 7
				rows, err := s.Page(ctx, q)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				paged = append(paged, ids(rows)...)
			}
			if !reflect.DeepEqual(paged, want) && len(paged)+len(want) > 0 {
				t.Errorf("%s: pages of 7 give\n%v\nexpected\n%v", name, paged, want)
			}
			var walked []string
			for after := ""; ; {
				id, ok, err := s.Next(ctx, q, after)
				if err != nil {
					t.Fatalf("%s: Next after %s: %v", name, after, err)
				}
				if !ok {
					break
				}
				walked, after = append(walked, id), id
			}
			if !reflect.DeepEqual(walked, want) && len(walked)+len(want) > 0 {
				t.Errorf("%s: Next walks\n%v\nexpected\n%v", name, walked, want)
			}
			if n, more, err := s.CountUpTo(ctx, q, 1000); err != nil || more || n != len(want) {
				t.Errorf("%s: CountUpTo = %d, %v, %v; expected %d", name, n, more, err, len(want))
			}
		}
	}
	counts, err := s.Counts(ctx)
	if err != nil || counts[QueueAll] != 40 {
		t.Errorf("Counts[all] = %d (%v), expected 40", counts[QueueAll], err)
	}
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// A check that was only added reads back whole, and gets its row in
// checks, with the same time and way added, from its first fetch or
// decision; it then leaves the bare index and appears in the all queue
// once.
func TestAnOnlyAddedCheckReadsBackAndMovesToChecksWhenFetched(t *testing.T) {
	s, clk := newStore(t)
	ctx := context.Background()
	if _, err := s.Add(ctx, checkID(1), "ann", SourceExchanged); err != nil {
		t.Fatal(err)
	}
	added := clk.Now()
	rec, err := s.Get(ctx, checkID(1))
	if err != nil || rec.AddedBy != "ann" || rec.Source != SourceExchanged || !rec.AddedAt.Equal(added) ||
		rec.Status != StatusOpen || rec.Outcome != OutcomeNone || rec.Result != nil {
		t.Fatalf("Get of an only-added check = %+v, %v", rec, err)
	}
	bare := func() int {
		var n int
		if err := s.db.QueryRow("SELECT count(*) FROM tracked WHERE bare = 1").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if bare() != 1 {
		t.Fatalf("%d bare checks after Add, expected 1", bare())
	}
	clk.Advance(time.Hour)
	if err := s.RecordFetch(ctx, checkID(1), makeCheck(t, result{id: checkID(1), customer: "c-9", doc: "low", face: "high"}), nil, clk.Now()); err != nil {
		t.Fatal(err)
	}
	rec, err = s.Get(ctx, checkID(1))
	if err != nil || rec.AddedBy != "ann" || rec.Source != SourceExchanged || !rec.AddedAt.Equal(added) || rec.CustomerID != "c-9" {
		t.Fatalf("Get after the first fetch = %+v, %v", rec, err)
	}
	if bare() != 0 {
		t.Errorf("%d bare checks after the fetch, expected 0", bare())
	}
	rows, err := s.Page(ctx, PageQuery{Queue: QueueAll})
	if err != nil || len(rows) != 1 {
		t.Errorf("the all queue lists %d rows (%v), expected the check once", len(rows), err)
	}
	if err := s.RecordFetch(ctx, checkID(2), nil, errors.New("x"), clk.Now()); !errors.Is(err, ErrNotFound) {
		t.Errorf("RecordFetch of an untracked check: %v, expected ErrNotFound", err)
	}
	if _, err := s.Decide(ctx, checkID(2), Approve, "", "rev"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Decide on an untracked check: %v, expected ErrNotFound", err)
	}
}

func TestTrackedFoldFindsAnIDTypedInAnotherCase(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	id := "chk_priv_AbCdEfGhIjKlMnOpQrStUv"
	if _, err := s.AddMany(ctx, []string{id, "chk_priv_zzzzzzzzzzzzzzzzzzzzzz"}, "ana", SourceTyped); err != nil {
		t.Fatal(err)
	}
	for typed, want := range map[string]string{
		"chk_priv_abcdefghijklmnopqrstuv": id,
		"chk_priv_ABCDEFGHIJKLMNOPQRSTUV": id,
		id:                                "", // itself is no other case
		"chk_priv_abcdefghijklmnopqrstux": "",
	} {
		got, err := s.TrackedFold(ctx, typed)
		if err != nil || strings.Join(got, ",") != want {
			t.Errorf("TrackedFold(%s) = %v, %v; want %q", typed, got, err, want)
		}
	}
}
