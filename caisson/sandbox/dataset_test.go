package sandbox

import (
	"bytes"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode"
)

// fetchAll GETs every check with all fields; error outcomes give nil.
func fetchAll(t *testing.T, f *fixture) []map[string]any {
	t.Helper()
	out := make([]map[string]any, f.s.Len())
	for i := range out {
		r := f.getCheck(f.s.CheckID(i), allFields)
		m := r.json(t)
		if _, isErr := m["error"]; isErr {
			continue
		}
		if r.status != http.StatusOK {
			t.Fatalf("check %d: status %d; body %s", i, r.status, r.body)
		}
		out[i] = m
	}
	return out
}

// dig follows a dotted path through decoded JSON objects.
func dig(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[k]
	}
	return v
}

func str(m map[string]any, path string) string {
	s, _ := dig(m, path).(string)
	return s
}

func reasonCodes(c map[string]any) []int {
	rs, _ := dig(c, "confidence.reasons").([]any)
	var codes []int
	for _, r := range rs {
		code, _ := r.(map[string]any)["code"].(float64)
		codes = append(codes, int(code))
	}
	return codes
}

func TestTheSameSeedGivesTheSameBytes(t *testing.T) {
	a, b := start(t, Options{Seed: 7}), start(t, Options{Seed: 7})
	c := start(t, Options{Seed: 8})
	same, differ := 0, 0
	for i := range a.s.Len() {
		ra, rb := a.getCheck(a.s.CheckID(i), allFields), b.getCheck(b.s.CheckID(i), allFields)
		if !bytes.Equal(ra.body, rb.body) || ra.status != rb.status {
			t.Fatalf("check %d differs between two servers with seed 7:\n%s\n%s", i, ra.body, rb.body)
		}
		same++
		if a.s.CheckID(i) == c.s.CheckID(i) {
			t.Fatalf("check %d has the same id under seeds 7 and 8", i)
		}
		rc := c.getCheck(c.s.CheckID(i), allFields)
		if !bytes.Equal(bytes.ReplaceAll(ra.body, []byte(a.s.CheckID(i)), nil), bytes.ReplaceAll(rc.body, []byte(c.s.CheckID(i)), nil)) {
			differ++
		}
	}
	if differ < same*9/10 {
		t.Errorf("only %d of %d bodies differ between seeds 7 and 8", differ, same)
	}
}

func TestTheDefaultDataSetCoversEveryCase(t *testing.T) {
	f := start(t, Options{})
	checks := fetchAll(t, f)
	combos := map[[2]string]bool{}
	codes := map[int]bool{}
	var unknownCodes, differing, mixedCase, expiredWith308, expiredSilent, nonASCII, noDescription, suffixed int
	for _, c := range checks {
		if c == nil {
			continue
		}
		doc, face := str(c, "confidence.document"), str(c, "confidence.face")
		combos[[2]string{strings.ToLower(doc), strings.ToLower(face)}] = true
		if doc != strings.ToLower(doc) || face != strings.ToLower(face) {
			mixedCase++
		}
		rs, _ := dig(c, "confidence.reasons").([]any)
		for _, r := range rs {
			r := r.(map[string]any)
			code := int(r["code"].(float64))
			codes[code] = true
			desc, hasDesc := r["description"].(string)
			want, documented := descriptions[code]
			switch {
			case !documented:
				unknownCodes++
				if desc == "" {
					t.Errorf("unknown code %d sent without its own description", code)
				}
			case !hasDesc:
				noDescription++
			case desc != want:
				differing++
			}
		}
		checked := str(c, "checked_on")[:10]
		if expires := str(c, "info.expires_on")[:10]; expires < checked {
			if containsInt(reasonCodes(c), 308) {
				expiredWith308++
			} else {
				expiredSilent++
			}
		}
		if strings.IndexFunc(str(c, "info.last_name")+str(c, "info.first_name"), func(r rune) bool { return r > unicode.MaxASCII }) >= 0 {
			nonASCII++
		}
		if strings.Count(str(c, "customer_id"), ",") > 1 {
			suffixed++
		}
	}
	for _, doc := range levelNames {
		for _, face := range levelNames {
			if !combos[[2]string{doc, face}] {
				t.Errorf("no check with document %s, face %s", doc, face)
			}
		}
	}
	for _, code := range codeOrder {
		if !codes[code] {
			t.Errorf("no check with reason %d", code)
		}
	}
	counts := []struct {
		what string
		n    int
	}{
		{"reasons with an undocumented code", unknownCodes},
		{"documented reasons with a description differing from the reference", differing},
		{"reasons without a description", noDescription},
		{"checks with levels in mixed case", mixedCase},
		{"expired documents with reason 308", expiredWith308},
		{"expired documents without reason 308", expiredSilent},
		{"checks with non-ASCII names", nonASCII},
		{"customer ids with a suffix and a second comma", suffixed},
	}
	for _, c := range counts {
		if c.n == 0 {
			t.Errorf("no %s", c.what)
		}
	}
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func TestHostileChecksCarryEveryPieceInANameAndInACustomerID(t *testing.T) {
	f := start(t, Options{Hostile: true})
	checks := fetchAll(t, f)
	for _, piece := range hostilePieces {
		inName, inCustomer := false, false
		for _, c := range checks {
			if c == nil {
				continue
			}
			inName = inName || strings.Contains(str(c, "info.last_name"), piece)
			inCustomer = inCustomer || strings.Contains(str(c, "customer_id"), piece)
		}
		if !inName || !inCustomer {
			t.Errorf("piece %q: in a name %v, in a customer id %v; want both", piece, inName, inCustomer)
		}
	}
}

func TestWithoutHostileNoStringCarriesAControlOrBidiCharacter(t *testing.T) {
	f := start(t, Options{})
	for i := range f.s.Len() {
		r := f.getCheck(f.s.CheckID(i), allFields)
		// encoding/json writes controls as \u00XX escapes; U+009B and
		// U+202E it writes as they are.
		if strings.ContainsAny(string(r.body), "\u009b\u202e") || strings.Contains(string(r.body), `\u00`) {
			t.Fatalf("check %d carries a control character without Hostile: %q", i, r.body)
		}
	}
}

func TestAMillionChecksCostNoMemoryUntilAsked(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s := New(Options{Checks: MaxChecks, Now: func() time.Time { return time.Unix(0, 0) }})
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<10 {
		t.Errorf("New with a million checks allocated %d bytes; want no per-check memory", grew)
	}
	small := testing.AllocsPerRun(5, func() { New(Options{Checks: 200, Key: "k"}) })
	large := testing.AllocsPerRun(5, func() { New(Options{Checks: MaxChecks, Key: "k"}) })
	if small != large {
		t.Errorf("New allocates %v times for 200 checks, %v for a million: want the same", small, large)
	}

	base, stop, err := s.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	f := &fixture{t: t, s: s, base: base, http: &http.Client{Timeout: 10 * time.Second}}
	last := s.CheckID(MaxChecks - 1)
	r := f.getCheck(last, allFields)
	if r.status != http.StatusOK || str(r.json(t), "check_id") != last {
		t.Fatalf("GET of check 999999: status %d body %s", r.status, r.body)
	}
	if i, _, ok := s.lookup(last); !ok || i != MaxChecks-1 {
		t.Fatalf("lookup(CheckID(999999)) = %d, %v", i, ok)
	}
}

func TestCheckIDsAreDistinctAndDecodeBackToTheirIndex(t *testing.T) {
	s := New(Options{Checks: 5000})
	seen := map[string]int{}
	for i, id := range s.CheckIDs(s.Len()) {
		if !validCheckID.MatchString(id) {
			t.Fatalf("CheckID(%d) = %q, not chk_priv_ + 22 URL-safe base64 characters", i, id)
		}
		if j, dup := seen[id]; dup {
			t.Fatalf("CheckID(%d) = CheckID(%d) = %s", i, j, id)
		}
		seen[id] = i
		if got, _, ok := s.lookup(id); !ok || got != i {
			t.Fatalf("lookup(CheckID(%d)) = %d, %v", i, got, ok)
		}
	}
	for _, code := range getErrorCodes {
		if _, dup := seen[s.ErrorCheckID(code)]; dup {
			t.Fatalf("ErrorCheckID(%s) collides with a regular id", code)
		}
	}
	if n := len(s.CheckIDs(s.Len() + 10)); n != s.Len() {
		t.Errorf("CheckIDs(Len()+10) gave %d ids, want %d", n, s.Len())
	}
}

func TestCheckIDPanicsOutOfRange(t *testing.T) {
	s := New(Options{})
	for _, i := range []int{-1, s.Len()} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("CheckID(%d) did not panic", i)
				}
			}()
			s.CheckID(i)
		}()
	}
}

// The data set is part of what the demo and the README's screenshots show:
// a change to the generator should be deliberate, and this test says so.
func TestSeedOneIsStableAcrossBuilds(t *testing.T) {
	s := New(Options{})
	if got, want := s.CheckID(0), "chk_priv_K0xLMPgcUMuUmWtNEHp4dg"; got != want {
		t.Errorf("CheckID(0) under seed 1 = %s, was %s: the id scheme changed", got, want)
	}
	body := renderCheck(s.CheckID(5), s.generate(5), fieldSet{true, true, true, true})
	want := `{"check_id":"chk_priv_gvhYppofw5E50lmNh0FMbQ","customer_id":"5117008 - Smith, Jennifer",` +
		`"checked_on":"2026-11-07T08:02:01.683664-05:00","confidence":{"document":"low","face":"medium",` +
		`"reasons":[{"code":303,"description":"Some data is missing from the document (e.g. address was expected but could not be detected)"},` +
		`{"code":299,"description":"An error occurred while processing the selfie image"}]},` +
		`"info":{"last_name":"SMITH","first_name":"JENNIFER","sex":"F","dob":"1952-06-22T00:00:00Z",` +
		`"expires_on":"2031-06-14T00:00:00Z","address":{"street":"1440 WASHINGTON BLVD APT 4","city":"AUSTIN","state":"TX","zip":"78701"}}}`
	if string(body) != want {
		t.Errorf("check 5 under seed 1 changed: the generator's draws moved\n got %s\nwant %s", body, want)
	}
}
