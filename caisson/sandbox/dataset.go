package sandbox

import (
	"fmt"
	"strings"
	"time"
)

// The data set is a pure function of (seed, index): nothing is stored per
// check, so a million checks cost no memory until one is asked for.
//
// Where each kind of check sits is fixed by p = index % 100, whatever the
// seed, so tests and the demo can rely on it; the seed varies everything
// else (names, dates, addresses, which extra reasons appear):
//
//	p 0..8    every confidence combination: document = [high medium low][p%3],
//	          face = [high medium low][p/3]
//	p 9..29   each documented reason code in turn (codeOrder[p-9])
//	p 30, 31  unknown codes 150 and 505, with their own descriptions
//	p 32, 33  documented codes 308 and 202 with a description that differs
//	          from the reference's
//	p 34      levels in mixed case: "High", "High"
//	p 35      levels in mixed case: "Medium", "LOW"
//	p 36      an expired document with reason 308
//	p 37      an expired document with both confidences high and no reason:
//	          only the dates tell
//	p 38      a reason sent without a description (code 309)
//	p 39      the body spaced like the reference's sample, trailing commas
//	          included (see sampleStyle)
//	p 47, 97  GET answers PENDING_REVIEW
//	p 53      GET answers NOT_VERIFIED
//	p%10 == 7 a name from a non-ASCII group
//	others    drawn at random: mostly high/high, some expired documents
//
// With Options.Hostile, the checks i%10 == 4 also carry hostile pieces (see
// hostileFor).
const (
	pUnknown150      = 30
	pUnknown505      = 31
	pDiffers308      = 32
	pDiffers202      = 33
	pMixedCaseHigh   = 34
	pMixedCaseOthers = 35
	pExpired308      = 36
	pExpiredSilent   = 37
	pNoDescription   = 38
	pSampleStyle     = 39
	pPending1        = 47
	pNotVerified     = 53
	pPending2        = 97
)

// codeOrder is every code of the reference, in its order.
var codeOrder = []int{101, 102, 104, 105, 106, 201, 202, 299, 301, 302, 303, 304, 305, 306, 307, 308, 309, 399, 401, 402, 499}

// faceCodes are the reasons that lower the face confidence (the selfie and
// the face on the document); the others lower the document confidence.
var faceCodes = []int{201, 202, 299, 301, 302}

var docCodes = []int{101, 102, 104, 105, 106, 303, 304, 305, 306, 307, 309, 399, 401, 402, 499}

// descriptions is the text the sandbox sends per code: the reference's,
// tidied as package caisson's catalogue tidies it. It is kept here rather
// than read from the catalogue so the sandbox stays an independent
// rendering of the reference.
var descriptions = map[int]string{
	101: "Name mismatch",
	102: "Date of birth mismatch",
	104: "ID number mismatch",
	105: "Sex mismatch",
	106: "Address mismatch",
	201: "The selfie was not positioned properly (e.g. only showing part of the face, face is too close/far)",
	202: "Face could not be detected in the uploaded selfie",
	299: "An error occurred while processing the selfie image",
	301: "The face detected on the document was not properly positioned (e.g. face too small, too large or partial)",
	302: "Face could not be detected in the uploaded document",
	303: "Some data is missing from the document (e.g. address was expected but could not be detected)",
	304: "Document is not supported",
	305: "Passports only: the encoded data on the passport is invalid",
	306: "Passports only: could not detect the passport's encoded data",
	307: "Could not detect document in the uploaded image",
	308: "The document expired",
	309: "The document is not fully in the frame",
	399: "An error occurred while processing the document",
	401: "The encoded data on the barcode is invalid",
	402: "Could not detect barcode",
	499: "An error occurred while processing the barcode",
}

// Descriptions the sandbox sends instead of the reference's, because the
// live API's wording need not match its documentation.
const (
	differing308 = "Document has expired"
	differing202 = "No face found in selfie image."
	unknown150   = "Transliterated name differs from the printed name"
	unknown505   = "Liveness check inconclusive"
)

var levelNames = [3]string{"high", "medium", "low"}

// checkedOnFrom and checkedOnSpan bound checked_on: fixed dates, not the
// clock, so the same seed always gives the same bytes.
var checkedOnFrom = time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC)

const checkedOnSpan = 170 * 24 * time.Hour

type reason struct {
	code        int
	description string
}

type date struct {
	year  int
	month time.Month
	day   int
}

func (d date) wire() string {
	return fmt.Sprintf("%04d-%02d-%02dT00:00:00Z", d.year, int(d.month), d.day)
}

// record is one generated check.
type record struct {
	customerID          string
	firstName, lastName string
	sex                 string
	checkedOn           time.Time
	document, face      string
	reasons             []reason
	dob, expiresOn      date
	street, city, state string
	zip                 string
}

// outcomeOf is the error a regular check's GET answers, or "" for a result.
func outcomeOf(i int) string {
	switch i % 100 {
	case pPending1, pPending2:
		return codePendingReview
	case pNotVerified:
		return codeNotVerified
	}
	return ""
}

// generate derives check i from the seed; the draws happen in a fixed
// order, so changing it changes every data set.
func (s *Server) generate(i int) record {
	r := newRNG(s.seed, uint64(i))
	var rec record
	s.fillPerson(&rec, &r, i)
	rec.checkedOn = checkedOnFrom.Add(time.Duration(r.intn(int(checkedOnSpan/time.Second))) * time.Second).
		Add(time.Duration(r.intn(1_000_000)) * time.Microsecond).
		In(time.FixedZone("", offsets[r.intn(len(offsets))]*60))
	expired := fillConfidence(&rec, &r, i%100)
	fillDates(&rec, &r, expired)
	return rec
}

// fillConfidence sets the levels and reasons of the check at position p of
// its hundred (see the table at the top) and reports whether its document
// is expired.
func fillConfidence(rec *record, r *rng, p int) (expired bool) {
	expired = r.chance(0.05)
	doc, face := 0, 0
	switch {
	case p <= 8:
		doc, face = p%3, p/3
	case p <= 29:
		code := codeOrder[p-9]
		rec.reasons = append(rec.reasons, reason{code, descriptions[code]})
		if contains(faceCodes, code) {
			face = 1 + r.intn(2)
		} else {
			doc = 1 + r.intn(2)
		}
		expired = code == 308
	case p == pUnknown150:
		doc, rec.reasons = 1, []reason{{150, unknown150}}
	case p == pUnknown505:
		face, rec.reasons = 2, []reason{{505, unknown505}}
	case p == pDiffers308:
		doc, expired, rec.reasons = 2, true, []reason{{308, differing308}}
	case p == pDiffers202:
		face, rec.reasons = 2, []reason{{202, differing202}}
	case p == pMixedCaseHigh:
		expired = false
	case p == pMixedCaseOthers:
		doc, face = 1, 2
	case p == pExpired308:
		doc, expired, rec.reasons = 2, true, []reason{{308, descriptions[308]}}
	case p == pExpiredSilent:
		expired = true
	case p == pNoDescription:
		doc, rec.reasons = 1, []reason{{309, ""}}
	default:
		doc, face = randomLevels(r)
		if expired && r.chance(0.7) {
			doc = 2
			rec.reasons = append(rec.reasons, reason{308, descriptions[308]})
		}
	}
	// Levels below high always come with at least one reason, and a random
	// extra one sometimes, so lists of several reasons are seen too.
	if doc > 0 && !hasAny(rec.reasons, docCodes, 150, 308) || doc > 0 && r.chance(0.25) {
		rec.reasons = addReason(rec.reasons, docCodes[r.intn(len(docCodes))])
	}
	if face > 0 && !hasAny(rec.reasons, faceCodes, 505) || face > 0 && r.chance(0.25) {
		rec.reasons = addReason(rec.reasons, faceCodes[r.intn(len(faceCodes))])
	}
	rec.document, rec.face = levelNames[doc], levelNames[face]
	switch p {
	case pMixedCaseHigh:
		rec.document, rec.face = "High", "High"
	case pMixedCaseOthers:
		rec.document, rec.face = "Medium", "LOW"
	}
	return expired
}

// randomLevels draws the confidences of an ordinary check: most checks pass.
func randomLevels(r *rng) (doc, face int) {
	if r.chance(0.65) {
		return 0, 0
	}
	weights := [3]int{4, 4, 2} // high, medium, low
	pick := func() int {
		n := r.intn(10)
		for lvl, w := range weights {
			if n < w {
				return lvl
			}
			n -= w
		}
		return 2
	}
	return pick(), pick()
}

func (s *Server) fillPerson(rec *record, r *rng, i int) {
	var g nameGroup
	switch {
	case i%10 == 7:
		g = nameGroups[1+r.intn(5)] // the non-ASCII groups sit at 1..5
	case r.chance(0.6):
		g = nameGroups[0]
	default:
		g = nameGroups[r.intn(len(nameGroups))]
	}
	first, last := g.first[r.intn(len(g.first))], g.last[r.intn(len(g.last))]
	custLast := last
	if r.chance(0.08) {
		custLast += ", " + nameSuffixes[r.intn(len(nameSuffixes))]
	}
	rec.firstName, rec.lastName = strings.ToUpper(first), strings.ToUpper(last)
	// Pieces go in after upper-casing, which would otherwise mangle them.
	if piece, inCustomerID, ok := hostileFor(i); ok && s.hostile {
		if inCustomerID {
			custLast += piece
		} else {
			rec.lastName += piece
		}
	}
	rec.customerID = fmt.Sprintf("%07d - %s, %s", 1_000_000+r.intn(9_000_000), custLast, first)
	switch n := r.intn(100); {
	case n < 48:
		rec.sex = "M"
	case n < 96:
		rec.sex = "F"
	default:
		rec.sex = "X"
	}
	pl := places[r.intn(len(places))]
	rec.street = fmt.Sprintf("%d %s", 1+r.intn(9999), streets[r.intn(len(streets))])
	if u := units[r.intn(len(units))]; u != "" {
		rec.street += " " + u
	}
	rec.city, rec.state, rec.zip = pl.city, pl.state, pl.zip
}

func fillDates(rec *record, r *rng, expired bool) {
	checked := rec.checkedOn
	age := 18 + r.intn(68)
	rec.dob = date{checked.Year() - age, time.Month(1 + r.intn(12)), 1 + r.intn(28)}
	if expired {
		t := checked.AddDate(0, 0, -(1 + r.intn(900)))
		rec.expiresOn = date{t.Year(), t.Month(), t.Day()}
		return
	}
	rec.expiresOn = date{checked.Year() + 1 + r.intn(8), time.Month(1 + r.intn(12)), 1 + r.intn(28)}
}

func addReason(rs []reason, code int) []reason {
	for _, x := range rs {
		if x.code == code {
			return rs
		}
	}
	return append(rs, reason{code, descriptions[code]})
}

func hasAny(rs []reason, codes []int, extra ...int) bool {
	for _, x := range rs {
		if contains(codes, x.code) || contains(extra, x.code) {
			return true
		}
	}
	return false
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// rng is splitmix64: tiny, allocation-free, and good enough to make a data
// set look varied. Each check gets its own stream from (seed, index).
type rng struct{ s uint64 }

func newRNG(seed int64, index uint64) rng {
	r := rng{s: uint64(seed)*0x9E3779B97F4A7C15 ^ (index+1)*0xD1B54A32D192ED03}
	r.next()
	return r
}

func (r *rng) next() uint64 {
	r.s += 0x9E3779B97F4A7C15
	z := r.s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

func (r *rng) intn(n int) int { return int(r.next() % uint64(n)) }

func (r *rng) chance(p float64) bool { return float64(r.next()>>11)/(1<<53) < p }
