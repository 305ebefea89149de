package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// A filter whose every match is a last name starting with it (a surname's
// run of the name index) is read there, sorted by name or counted; one
// match anywhere else (a first name, a customer id, a surname holding it
// further in, a check with no last name, a last name the index's case
// folding does not fold, an id starting so) and it is not. Either way,
// the pages and counts are the plain walk's.
func TestAFilterIsReadFromItsSurnameRunOnlyWhenTheRunHoldsEveryMatch(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	n := 0
	add := func(first, last, customer string) string {
		n++
		id := checkID(n)
		if customer == "" {
			customer = fmt.Sprintf("cust-%d", n%5)
		}
		levels := []string{"low", "medium", "high"}
		addFetched(t, s, result{id: id, customer: customer, first: first, last: last, doc: levels[n%3], face: levels[(n/3)%3]})
		return id
	}
	for i := range 40 {
		add(fmt.Sprintf("F%02d", i), []string{"Abbott", "Bell", "Clark", "Evans", "Ford", "Grant", "Young", "Zimmer"}[i%8], "")
	}
	// Every surname below has its run: checks whose last name starts
	// with it, in any case, some decided.
	for _, surname := range []string{"Okafor", "Nwosu", "Mensah", "Kowal", "Ibeh", "Smith", "Zoël", "Quist"} {
		for i := range 6 {
			last := surname
			switch i {
			case 1:
				last += "-Reid"
			case 2:
				last = "OKAFOR"
				if surname != "Okafor" {
					last = surname + "son"
				}
			}
			id := add(fmt.Sprintf("G%d", i), last, "")
			if i == 4 {
				if _, err := s.Decide(ctx, id, Escalate, "a second look", "rev"); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	// One match each outside its run.
	add("Nwosu", "Bell", "")           // a first name
	add("Ann", "Clark", "cust-mensah") // a customer id
	add("Jo", "Nowakowalski", "")      // a surname holding it further in
	add("", "", "cust-ibeh")           // no last name
	add("Ann", "ZOËLLER", "")          // "zoël" to Go, not to the index's NOCASE
	if _, err := s.Add(ctx, "chk_priv_quistAAAAAAAAAAAAAAAAA", "tester", SourceTyped); err != nil {
		t.Fatal(err) // only added: found by its id
	}
	restore := func(fts, bound, per int) { ftsCap, nameWalkBound, walkPerFetch = fts, bound, per }
	defer restore(ftsCap, nameWalkBound, walkPerFetch)
	// A NUL is read as the store keeps one, U+FFFD (storable): no check
	// holds "smi\x00th" or "a\x00b", and their runs hold that.
	held := map[string]bool{"okafor": true, "smith": true, "nothing": true, "smi\x00th": true, "a\x00b": true}
	for _, filter := range []string{"okafor", "nwosu", "mensah", "kowal", "ibeh", "smith", "zoël", "quist", "nothing", "smi\x00th", "a\x00b"} {
		for _, queue := range []Queue{QueueAll, QueueNeedsReview, QueueEscalated} {
			for _, page := range []struct{ offset, limit int }{{0, 50}, {0, 2}, {3, 2}, {20, 5}} {
				q := PageQuery{Queue: queue, Filter: filter, Sort: SortName, Offset: page.offset, Limit: page.limit}
				name := fmt.Sprintf("%s, %q, rows %d+%d", queue, filter, page.offset, page.limit)
				want, wantN := plainWalk(t, s, q)
				// A fetch worth one entry walked: every candidate is worth
				// fetching, so the run is checked whatever the queue's size.
				restore(2, 30, 1)
				if !onPostgres {
					_, inPage, _, err := s.pageInRun(ctx, q)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					_, inCount, _, err := s.countInRun(ctx, q, 1000, 1000)
					if err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					if inPage != held[filter] || inCount != held[filter] {
						t.Errorf("%s: the page read in the run %v, the count %v; want %v", name, inPage, inCount, held[filter])
					}
					// Counted up to 2 candidates, past which both counts
					// stop, "okafor" cannot be told from a filter with
					// more matches outside its run.
					if _, inRun, _, err := s.countInRun(ctx, q, 1000, 2); err != nil || (inRun && filter == "okafor") {
						t.Errorf("%s: the count read in the run with 2 candidates counted (%v)", name, err)
					}
				}
				asPlainWalk(t, s, q, name, want, wantN)
			}
		}
	}
}

// A failure of the run's check, which every filtered count and every
// filtered page sorted by name now starts with, says which filter it was
// reading for, as the plans after it do, and which queue, once.
func TestAFailedRunCheckNamesItsFilter(t *testing.T) {
	if onPostgres {
		t.Skip("the run is SQLite's")
	}
	s, _ := newStore(t)
	ctx := context.Background()
	addFetched(t, s, result{id: checkID(1), customer: "cust-1", first: "Ana", last: "Smith", doc: "low", face: "high"})
	// The trigram index gone: the check cannot be prepared.
	if _, err := s.db.ExecContext(ctx, "DROP TABLE checks_search"); err != nil {
		t.Fatal(err)
	}
	q := PageQuery{Queue: QueueAll, Filter: "smith", Sort: SortName}
	once := func(err error, want string) bool {
		return err != nil && strings.HasPrefix(err.Error(), want) &&
			strings.Count(err.Error(), " queue: ") == 1 && strings.Count(err.Error(), "filtering by ") == 1
	}
	_, err := s.Page(ctx, q)
	if want := `reading the all queue: filtering by "smith": `; !once(err, want) {
		t.Errorf("Page = %v, want %q first, each part once", err, want)
	}
	_, err = s.Count(ctx, q)
	if want := `counting the all queue: filtering by "smith": `; !once(err, want) {
		t.Errorf("Count = %v, want %q first, each part once", err, want)
	}
}
