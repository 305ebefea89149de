package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/caisson-review/caisson-review/caisson"
)

func TestRecordFetchCachesTheResponseExactly(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	id := checkID(1)
	if _, err := s.Add(ctx, id, "tester", SourceTyped); err != nil {
		t.Fatal(err)
	}
	// The reference's own sample, trailing commas and all.
	raw := []byte(`{ "check_id": "` + id + `", "customer_id": "1234321 - Doe, Jamie", "checked_on": "2019-07-19T15:00:42.274684-04:00", "confidence": { "document": "high", "face": "medium", "reasons": [{"code": 201, "description": "x"},], }, "info": { "last_name": "DOE", "first_name": "JAMIE", "sex": "M", "dob": "1989-06-30T00:00:00Z", "expires_on": "2025-06-24T00:00:00Z", "address": { "street": "6 CROWN DR # 11B", "city": "NEW YORK", "state": "NY", "zip": "10001", }, } }`)
	chk, err := caisson.DecodeCheck(raw)
	if err != nil {
		t.Fatal(err)
	}
	at := testNow.Add(-time.Minute)
	if err := s.RecordFetch(ctx, id, chk, nil, at); err != nil {
		t.Fatal(err)
	}
	rec, err := s.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(rec.Result.Raw, raw) {
		t.Errorf("cached raw differs from what was received:\n%s", rec.Result.Raw)
	}
	want := Row{CheckID: id, CustomerID: "1234321 - Doe, Jamie", FirstName: "JAMIE", LastName: "DOE",
		Document: caisson.High, Face: caisson.Medium, ReasonCodes: []int{201},
		ExpiresOn: caisson.Date{Year: 2025, Month: 6, Day: 24}, Status: StatusOpen, Outcome: OutcomeOK}
	got := rec.Row
	if got.CheckID != want.CheckID || got.CustomerID != want.CustomerID || got.FirstName != want.FirstName ||
		got.LastName != want.LastName || got.Document != want.Document || got.Face != want.Face ||
		fmt.Sprint(got.ReasonCodes) != fmt.Sprint(want.ReasonCodes) || got.ExpiresOn != want.ExpiresOn ||
		got.Status != want.Status || got.Outcome != want.Outcome {
		t.Errorf("row\n got %+v\nwant %+v", got, want)
	}
	if !got.CheckedOn.Equal(chk.CheckedOn) || !got.FetchedAt.Equal(at) {
		t.Errorf("CheckedOn %v FetchedAt %v, want %v and %v", got.CheckedOn, got.FetchedAt, chk.CheckedOn, at)
	}
	if rec.Result.Info.Address == nil || rec.Result.Info.Address.Street != "6 CROWN DR # 11B" {
		t.Errorf("decoded result lost the address: %+v", rec.Result.Info)
	}
	if len(rec.ResultHash) != 64 {
		t.Errorf("ResultHash %q, want hex SHA-256", rec.ResultHash)
	}
}

func TestRecordFetchOutcomes(t *testing.T) {
	apiErr := func(code caisson.ErrorCode) error {
		return fmt.Errorf("caisson: get check: %w", &caisson.APIError{Code: code, Message: "said so", Status: 200})
	}
	tests := []struct {
		name         string
		err          error
		wantOutcome  FetchOutcome
		wantCached   bool // the earlier result is still there
		wantPurged   bool
		wantErrorSub string
	}{
		{"a documented code is the outcome and keeps the earlier result", apiErr(caisson.CodeNotVerified), "NOT_VERIFIED", true, false, "said so"},
		{"pending review keeps the earlier result", apiErr(caisson.CodePendingReview), "PENDING_REVIEW", true, false, ""},
		{"a network failure is a transport outcome with its text", errors.New("dial tcp 127.0.0.1:1: connection refused"), OutcomeTransport, true, false, "connection refused"},
		{"control characters in an error are escaped before storing", errors.New("bad\x1b]0;title\x07body"), OutcomeTransport, true, false, "^["},
		{"IDCHECK_DELETED purges the personal data", apiErr(caisson.CodeIDCheckDeleted), "IDCHECK_DELETED", false, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t)
			ctx := context.Background()
			id := checkID(1)
			addFetched(t, s, result{id: id, customer: "cust-1", first: "Ana", last: "Lima", doc: "low", face: "high", dob: "1990-01-02", expires: "2030-01-01"})
			at := testNow.Add(time.Hour)
			if err := s.RecordFetch(ctx, id, nil, tt.err, at); err != nil {
				t.Fatal(err)
			}
			rec, err := s.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Outcome != tt.wantOutcome || !rec.FetchedAt.Equal(at) {
				t.Errorf("outcome %q at %v, want %q at %v", rec.Outcome, rec.FetchedAt, tt.wantOutcome, at)
			}
			if !strings.Contains(rec.FetchError, tt.wantErrorSub) || strings.ContainsRune(rec.FetchError, 0x1b) {
				t.Errorf("FetchError %q, want it to contain %q and no raw escape", rec.FetchError, tt.wantErrorSub)
			}
			if (rec.Result != nil) != tt.wantCached {
				t.Errorf("cached result present = %v, want %v", rec.Result != nil, tt.wantCached)
			}
			if tt.wantPurged {
				if !rec.Purged || !rec.PurgedAt.Equal(at) {
					t.Errorf("Purged %v at %v, want purged at %v", rec.Purged, rec.PurgedAt, at)
				}
				if rec.FirstName != "" || rec.LastName != "" || rec.CustomerID != "" {
					t.Errorf("personal data left after purge: %+v", rec.Row)
				}
				assertNoPersonalData(t, s, id)
			}
		})
	}
}

// assertNoPersonalData reads the row directly: nothing about the person
// may be left in any column.
func assertNoPersonalData(t *testing.T, s *Store, id string) {
	t.Helper()
	var raw []byte
	var cust, first, last, dob, addr, search string
	err := s.db.QueryRow("SELECT raw, customer_id, first_name, last_name, dob, address, search FROM checks WHERE check_id = ?", id).
		Scan(&raw, &cust, &first, &last, &dob, &addr, &search)
	if err != nil {
		t.Fatal(err)
	}
	if raw != nil || cust+first+last+dob+addr != "" || search != "" {
		t.Errorf("personal data left: raw=%q customer=%q names=%q %q dob=%q address=%q search=%q", raw, cust, first, last, dob, addr, search)
	}
}

func TestRecordFetchRefusesBadInput(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	addFetched(t, s, result{id: checkID(1), doc: "high", face: "high"})
	other := makeCheck(t, result{id: checkID(2), doc: "high", face: "high"})
	noRaw := *makeCheck(t, result{id: checkID(1), doc: "high", face: "high"})
	noRaw.Raw = nil
	tests := []struct {
		name string
		id   string
		chk  *caisson.Check
		err  error
		want string
	}{
		{"an untracked check", checkID(9), makeCheck(t, result{id: checkID(9)}), nil, "not tracked"},
		{"a response for another check", checkID(1), other, nil, "another check"},
		{"a result without its raw response", checkID(1), &noRaw, nil, "raw response"},
		{"neither a result nor an error", checkID(1), nil, nil, "no result and no error"},
		{"an invalid id", "chk_priv_$", nil, errors.New("x"), "URL-safe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.RecordFetch(ctx, tt.id, tt.chk, tt.err, testNow)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("RecordFetch: %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
	rec, _ := s.Get(ctx, checkID(1))
	if rec.Result == nil || rec.Result.CheckID != checkID(1) {
		t.Error("a refused RecordFetch changed the cached result")
	}
}

func TestPurgeRemovesOldPersonalDataAndKeepsDecisions(t *testing.T) {
	s, clk := newStore(t)
	ctx := context.Background()
	addFetched(t, s, result{id: checkID(1), customer: "old", first: "Old", last: "Person", doc: "low", face: "low"})
	if _, err := s.Decide(ctx, checkID(1), Reject, "document forged", "rev"); err != nil {
		t.Fatal(err)
	}
	clk.Advance(40 * 24 * time.Hour)
	addFetched(t, s, result{id: checkID(2), customer: "new", first: "New", last: "Person", doc: "low", face: "low"})

	n, err := s.Purge(ctx, 30*24*time.Hour, clk.Now())
	if err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1 purged", n, err)
	}
	assertNoPersonalData(t, s, checkID(1))
	old, err := s.Get(ctx, checkID(1))
	if err != nil {
		t.Fatal(err)
	}
	if !old.Purged || old.Result != nil || len(old.Decisions) != 1 || old.Decisions[0].Note != "document forged" {
		t.Errorf("purged record: %+v", old)
	}
	if old.Decisions[0].Stale {
		t.Error("purging made the decision stale: no new response was received")
	}
	recent, _ := s.Get(ctx, checkID(2))
	if recent.Purged || recent.Result == nil || recent.LastName != "Person" {
		t.Errorf("a recent result was purged: %+v", recent.Row)
	}
	if rows, _ := s.Page(ctx, PageQuery{Queue: QueueAll, Filter: "old"}); len(rows) != 0 {
		t.Errorf("the filter still finds purged names: %v", ids(rows))
	}
	if v, err := s.Verify(ctx); err != nil || !v.OK {
		t.Errorf("Verify after purge: %+v %v", v, err)
	}
	if n, err := s.Purge(ctx, 30*24*time.Hour, clk.Now()); err != nil || n != 0 {
		t.Errorf("second Purge = %d, %v; want 0", n, err)
	}
	if _, err := s.Purge(ctx, -time.Hour, clk.Now()); err == nil {
		t.Error("a negative purge age was accepted")
	}
	s.Close()
	assertStoreHasNo(t, s.Path(), `"first_name":"Old"`, "the purged response")
}

// purge --older-than counts a response's age from when it was first
// stored: fetched again unchanged (a nightly refresh), it is the same
// personal data, held as long; a changed response is new data. Counted
// from the last fetch, a team refreshing every night never had anything
// old enough to purge (helper-56). Both ways a fetch is stored.
func TestPurgeCountsAResponsesAgeFromWhenItWasFirstStored(t *testing.T) {
	s, clk := newStore(t)
	ctx := context.Background()
	alone := result{id: checkID(1), first: "Ana", last: "Lima", doc: "low", face: "high"}
	inBatch := result{id: checkID(3), first: "Rui", last: "Sousa", doc: "low", face: "high"}
	changed := result{id: checkID(2), first: "Eva", last: "Reis", doc: "low", face: "high"}
	// The same response after a stored error, or a wait at Caisson, in
	// between: the same data held as long (helper-58; only a response
	// whose last fetch was that response was kept as before).
	afterError := result{id: checkID(4), first: "Ivo", last: "Pinto", doc: "low", face: "high"}
	afterWait := result{id: checkID(5), first: "Lia", last: "Costa", doc: "low", face: "high"}
	for _, r := range []result{alone, changed, inBatch, afterError, afterWait} {
		addFetched(t, s, r)
	}
	clk.Advance(10 * 24 * time.Hour)
	for id, code := range map[string]caisson.ErrorCode{afterError.id: caisson.CodeInternalError, afterWait.id: caisson.CodePendingReview} {
		if err := s.RecordFetch(ctx, id, nil, &caisson.APIError{Code: code}, clk.Now()); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(10 * 24 * time.Hour)
	if err := s.RecordFetch(ctx, alone.id, makeCheck(t, alone), nil, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFetch(ctx, afterError.id, makeCheck(t, afterError), nil, clk.Now()); err != nil {
		t.Fatal(err)
	}
	changed.doc = "medium"
	batch := []FetchResult{
		{CheckID: inBatch.id, Check: makeCheck(t, inBatch), At: clk.Now()},
		{CheckID: changed.id, Check: makeCheck(t, changed), At: clk.Now()},
		{CheckID: afterWait.id, Check: makeCheck(t, afterWait), At: clk.Now()},
	}
	if errs, err := s.RecordFetches(ctx, batch); err != nil || errors.Join(errs...) != nil {
		t.Fatal(err, errs)
	}
	clk.Advance(11 * 24 * time.Hour)
	if n, err := s.Purge(ctx, 30*24*time.Hour, clk.Now()); err != nil || n != 4 {
		t.Fatalf("31 days after the first fetch: Purge = %d, %v; want the 4 responses fetched again unchanged", n, err)
	}
	for id, purged := range map[string]bool{alone.id: true, inBatch.id: true, afterError.id: true, afterWait.id: true, changed.id: false} {
		if rec, err := s.Get(ctx, id); err != nil || rec.Purged != purged {
			t.Errorf("%s: purged %v (%v), want %v", id, rec != nil && rec.Purged, err, purged)
		}
	}
	clk.Advance(20 * 24 * time.Hour)
	if n, err := s.Purge(ctx, 30*24*time.Hour, clk.Now()); err != nil || n != 1 {
		t.Fatalf("31 days after the changed response: Purge = %d, %v; want it", n, err)
	}
}

func TestAnUnreadableAnswerIsStoredAsStatusAndKindWithoutTheBody(t *testing.T) {
	body := `{"check_id":"x","info":{"first_name":"Ana","last_name":"Lima"`
	tests := []struct {
		name     string
		err      error
		wantText string
	}{
		{"a truncated 200 body", &caisson.ResponseError{Status: 200, Excerpt: body, Err: fmt.Errorf("the answer is cut short: %w", io.ErrUnexpectedEOF)},
			"unreadable response (HTTP 200): the body is cut short"},
		{"a decoder reason quoting a field", &caisson.ResponseError{Status: 200, Excerpt: body, Err: errors.New(`checked_on "Ana Lima": expected an RFC 3339 timestamp`)},
			"unreadable response (HTTP 200): the body is not an ID check as documented"},
		{"an HTML page from a proxy", &caisson.ResponseError{Status: 502, Excerpt: "<html>Ana Lima</html>", Err: &json.SyntaxError{Offset: 1}},
			"unreadable response (HTTP 502): the body is not valid JSON"},
		{"a status without an error code", &caisson.ResponseError{Status: 503, Excerpt: "Ana Lima"},
			"unreadable response (HTTP 503): no error code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t)
			ctx := context.Background()
			id := checkID(1)
			if _, err := s.Add(ctx, id, "tester", SourceTyped); err != nil {
				t.Fatal(err)
			}
			wrapped := fmt.Errorf("caisson: get check: %w", tt.err)
			if err := s.RecordFetch(ctx, id, nil, wrapped, testNow); err != nil {
				t.Fatal(err)
			}
			rec, err := s.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Outcome != OutcomeTransport || rec.FetchError != tt.wantText {
				t.Errorf("stored %q %q, want transport %q", rec.Outcome, rec.FetchError, tt.wantText)
			}
			if strings.Contains(rec.FetchError, "Lima") {
				t.Errorf("the stored error quotes the body: %q", rec.FetchError)
			}
		})
	}
}

func TestPurgeClearsTheFetchError(t *testing.T) {
	s, clk := newStore(t)
	ctx := context.Background()
	id := checkID(1)
	addFetched(t, s, result{id: id, customer: "cust-1", first: "Ana", last: "Lima", doc: "low", face: "low"})
	// As stored before errors were kept to status and kind: quoting a name.
	if err := s.RecordFetch(ctx, id, nil, errors.New(`proxy said: no such person "Ana Lima"`), clk.Now()); err != nil {
		t.Fatal(err)
	}
	clk.Advance(40 * 24 * time.Hour)
	if n, err := s.Purge(ctx, 30*24*time.Hour, clk.Now()); err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1", n, err)
	}
	if rec, err := s.Get(ctx, id); err != nil || rec.FetchError != "" {
		t.Errorf("after Purge FetchError = %q (%v), want it cleared", rec.FetchError, err)
	}

	deleted := checkID(2)
	addFetched(t, s, result{id: deleted, customer: "cust-2", first: "Ana", last: "Lima", doc: "low", face: "low"})
	if err := s.RecordFetch(ctx, deleted, nil, errors.New(`proxy said: no such person "Ana Lima"`), clk.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFetch(ctx, deleted, nil, &caisson.APIError{Code: caisson.CodeIDCheckDeleted, Status: 404}, clk.Now()); err != nil {
		t.Fatal(err)
	}
	if rec, err := s.Get(ctx, deleted); err != nil || rec.FetchError != "" || rec.Outcome != FetchOutcome(caisson.CodeIDCheckDeleted) {
		t.Errorf("after IDCHECK_DELETED: outcome %q, FetchError %q (%v); want the code and no error text", rec.Outcome, rec.FetchError, err)
	}
}

func TestRecordFetchOfARefusedKeyLeavesTheCheckExactlyAsItWas(t *testing.T) {
	tests := []struct {
		name   string
		before error // the outcome stored before the refusal; nil: a result
		err    error
	}{
		{"a cached result stays ok", nil, caisson.ErrKeyRefused},
		{"a wrapped refusal is a refusal too", nil, fmt.Errorf("caisson: get check: %w", caisson.ErrKeyRefused)},
		{"an earlier failure stays that failure", errors.New("dial tcp: connection refused"), caisson.ErrKeyRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newStore(t)
			ctx := context.Background()
			id := checkID(1)
			addFetched(t, s, result{id: id, customer: "cust-1", first: "Ana", last: "Lima", doc: "low", face: "high"})
			if tt.before != nil {
				if err := s.RecordFetch(ctx, id, nil, tt.before, testNow.Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
			was, err := s.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.RecordFetch(ctx, id, nil, tt.err, testNow.Add(time.Hour)); err != nil {
				t.Fatalf("RecordFetch of a refused key: %v, want nil (nothing to store)", err)
			}
			now, err := s.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if now.Outcome != was.Outcome || now.FetchError != was.FetchError || !now.FetchedAt.Equal(was.FetchedAt) ||
				now.ResultHash != was.ResultHash || !bytes.Equal(now.Result.Raw, was.Result.Raw) {
				t.Errorf("a refused key changed the check:\nwas %+v\nnow %+v", was.Row, now.Row)
			}
		})
	}
}

// A response may carry a NUL in a name, a customer id or an address
// (JSON's \u0000), which PostgreSQL's text cannot hold: storing it failed
// the check's fetch there. Both backends keep the text with U+FFFD in its
// place and the response byte for byte, one fetch at a time and in a
// batch, and a filter holding a NUL finds it as one holding U+FFFD does,
// as do its customer id's lookups (the checks, the access log).
func TestAResponseHoldingANulIsStoredAndFound(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	nul := func(i int) *caisson.Check {
		chk := makeCheck(t, result{id: checkID(i), customer: "cust\x00" + fmt.Sprint(i), first: "An\x00a", last: "Sm\x00ith", doc: "low", face: "high"})
		chk.Info.Address.Street = "6 CROWN\x00DR"
		return chk
	}
	for i, rec := range recordAloneAndInABatch(t, s, func(i int) FetchResult {
		return FetchResult{CheckID: checkID(i), Check: nul(i), At: s.now()}
	}) {
		if rec.FirstName != "An\uFFFDa" || rec.LastName != "Sm\uFFFDith" || rec.CustomerID != "cust\uFFFD"+fmt.Sprint(i) {
			t.Errorf("%s stored as %q %q %q", checkID(i), rec.FirstName, rec.LastName, rec.CustomerID)
		}
		if want := nul(i).Raw; rec.Result == nil || !bytes.Equal(rec.Result.Raw, want) {
			t.Errorf("%s: the response was not kept as it came", checkID(i))
		}
	}
	for _, filter := range []string{"sm\x00ith", "sm\uFFFDith", "an\x00a", "ust\x00"} {
		for _, by := range []Sort{SortRisk, SortName} {
			q := PageQuery{Queue: QueueAll, Filter: filter, Sort: by}
			rows, err := s.Page(ctx, q)
			if err != nil || len(rows) != 3 {
				t.Errorf("%q sorted by %d: %d rows, %v; want all 3", filter, by, len(rows), err)
			}
			if n, err := s.Count(ctx, q); err != nil || n != 3 {
				t.Errorf("%q: counted %d, %v; want 3", filter, n, err)
			}
		}
	}
	if rows, err := s.ByCustomer(ctx, "cust\x001"); err != nil || len(rows) != 1 {
		t.Errorf("ByCustomer: %d rows, %v; want 1", len(rows), err)
	}
	if err := s.RecordAccess(ctx, AccessSession{Reviewer: "Ana", Origin: OriginCLI}, AccessShow, checkID(1)); err != nil {
		t.Fatal(err)
	}
	var seen []string
	if err := s.Accesses(ctx, AccessQuery{Customer: "cust\x001"}, func(a Access) error {
		seen = append(seen, a.CheckID)
		return nil
	}); err != nil || len(seen) != 1 {
		t.Errorf("the access log by customer: %v, %v; want the one record of %s", seen, err, checkID(1))
	}
}

// A failed fetch's error text is kept up to maxFetchError bytes, cut where
// a character starts: cut through one (an error in Japanese, three bytes a
// character), it was not UTF-8, which PostgreSQL refused, so the failure
// was not stored there, one fetch at a time or in a batch.
func TestALongFetchErrorIsCutWhereACharacterStarts(t *testing.T) {
	s, _ := newStore(t)
	long := errors.New("x" + strings.Repeat("検", 300))
	for i, rec := range recordAloneAndInABatch(t, s, func(i int) FetchResult {
		return FetchResult{CheckID: checkID(i), Err: long, At: s.now()}
	}) {
		if e := rec.FetchError; !utf8.ValidString(e) || !strings.HasSuffix(e, "検…") || len(e) > maxFetchError+len("…") {
			t.Errorf("%s: error stored as %q (%d bytes)", checkID(i), e, len(e))
		}
	}
}

// recordAloneAndInABatch adds checkID(1) to checkID(3), records fetch(1)
// on its own (RecordFetch) and fetch(2) and fetch(3) in one batch
// (RecordFetches), and returns the three records by their number: the two
// ways a fetch is stored, for a test to hold both to the same.
func recordAloneAndInABatch(t *testing.T, s *Store, fetch func(i int) FetchResult) map[int]*Record {
	t.Helper()
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		if _, err := s.Add(ctx, checkID(i), "tester", SourceTyped); err != nil {
			t.Fatal(err)
		}
	}
	one := fetch(1)
	if err := s.RecordFetch(ctx, one.CheckID, one.Check, one.Err, one.At); err != nil {
		t.Fatalf("one fetch: %v", err)
	}
	if errs, err := s.RecordFetches(ctx, []FetchResult{fetch(2), fetch(3)}); err != nil || errors.Join(errs...) != nil {
		t.Fatalf("a batch: %v, %v", err, errs)
	}
	recs := map[int]*Record{}
	for i := 1; i <= 3; i++ {
		rec, err := s.Get(ctx, checkID(i))
		if err != nil {
			t.Fatal(err)
		}
		recs[i] = rec
	}
	return recs
}

// A purge while another process has the database open (serve, a console)
// left the purged data in the files: the commit's pages went to the -wal
// file, the database file kept the old ones, and nothing copied them over
// until the last connection closed, weeks later for serve (helper-74).
// The purge checkpoints and empties the -wal file; a reader in the middle
// of a transaction holds that up, and the purge says so, and a purge run
// again later finishes it.
func TestAPurgeLeavesNoCopyInTheFilesWhileAnotherProcessHasThemOpen(t *testing.T) {
	sqliteOnly(t, "SQLite's files; PostgreSQL's dead rows are its VACUUM's")
	ctx := context.Background()
	path := testLocation(t)
	clk := &clock{t: testNow}
	s := openAt(t, path, clk)
	addFetched(t, s, result{id: checkID(1), customer: "cust-lingering", first: "Lingering", last: "Zebedee", doc: "low", face: "low"})
	// A whole checkpoint, so that the data is in the database file, as it
	// would be after days of use.
	if _, err := s.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	other := openAt(t, path, clk) // serve, say: open, idle
	if _, err := other.Get(ctx, checkID(1)); err != nil {
		t.Fatal(err)
	}
	clk.Advance(40 * 24 * time.Hour)
	if n, err := s.Purge(ctx, 30*24*time.Hour, clk.Now()); err != nil || n != 1 {
		t.Fatalf("Purge = %d, %v; want 1 purged", n, err)
	}
	for _, secret := range []string{"Zebedee", "cust-lingering"} {
		assertStoreHasNo(t, path, secret, "the purged "+secret)
	}

	// A reader in the middle of a transaction holds the old pages.
	addFetched(t, s, result{id: checkID(2), customer: "cust-held", first: "Held", last: "Quixley", doc: "low", face: "low"})
	if _, err := s.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	conn, err := other.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM checks").Scan(&n); err != nil {
		t.Fatal(err)
	}
	clk.Advance(40 * 24 * time.Hour)
	if got, err := s.Purge(ctx, 30*24*time.Hour, clk.Now()); got != 1 || !errors.Is(err, ErrPurgedDataLingers) {
		t.Fatalf("Purge beside a reader = %d, %v; want 1 purged and ErrPurgedDataLingers", got, err)
	}
	// With nothing due it cannot tell whether anything purged is left:
	// it tries, and says nothing (helper-75: it said so of a clean file).
	if got, err := s.Purge(ctx, 30*24*time.Hour, clk.Now()); got != 0 || err != nil {
		t.Fatalf("a purge with nothing due beside the reader = %d, %v; want 0, nil", got, err)
	}
	tx.Rollback()
	conn.Close()
	if got, err := s.Purge(ctx, 30*24*time.Hour, clk.Now()); got != 0 || err != nil {
		t.Fatalf("the same purge again = %d, %v; want 0 and done", got, err)
	}
	assertStoreHasNo(t, path, "Quixley", "the purged name, once the reader is done")
}
