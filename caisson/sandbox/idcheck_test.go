package sandbox

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestTheCheckIDIsReadFromTheHeaderOnly(t *testing.T) {
	f := start(t, Options{})
	id := f.s.CheckID(3)

	r := f.mustDo(http.MethodGet, pathIDCheck+"?check_id="+id, nil, "Authorization", f.auth())
	wantError(t, r, http.StatusBadRequest, codeInvalidInput, fieldDescription)

	other := f.s.CheckID(4)
	r = f.mustDo(http.MethodGet, pathIDCheck+"?check_id="+other, nil, "Authorization", f.auth(), headerCheckID, id)
	if r.status != http.StatusOK {
		t.Fatalf("status %d with the id in the header; body %s", r.status, r.body)
	}
	if got := r.json(t)["check_id"]; got != id {
		t.Fatalf("check_id %v, want the header's %s, not the query's", got, id)
	}
}

func TestOptionalFieldsComeOnlyWhenAskedFor(t *testing.T) {
	f := start(t, Options{})
	id := f.s.CheckID(0)
	cases := []struct {
		name   string
		fields string
		want   []string // info keys besides first_name and last_name
	}{
		{"no fields parameter", "", nil},
		{"sex", "sex", []string{"sex"}},
		{"dob and address", "dob,address", []string{"dob", "address"}},
		{"all four, as the client asks", allFields, []string{"sex", "dob", "address", "expires_on"}},
		{"spaces and a blank item", "%20sex%20,,expires_on%20", []string{"sex", "expires_on"}},
		{"the always-sent names", "first_name,last_name", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := f.getCheck(id, tc.fields)
			if r.status != http.StatusOK {
				t.Fatalf("status %d; body %s", r.status, r.body)
			}
			info, _ := r.json(t)["info"].(map[string]any)
			want := map[string]bool{"first_name": true, "last_name": true}
			for _, k := range tc.want {
				want[k] = true
			}
			for k := range info {
				if !want[k] {
					t.Errorf("info has %q, not asked for", k)
				}
			}
			for k := range want {
				if _, ok := info[k]; !ok {
					t.Errorf("info lacks %q", k)
				}
			}
		})
	}
}

func TestAnUnknownFieldIsInvalidInput(t *testing.T) {
	f := start(t, Options{})
	for _, fields := range []string{"ssn", "sex,photo", "SEX"} {
		t.Run(fields, func(t *testing.T) {
			m := wantError(t, f.getCheck(f.s.CheckID(0), fields), http.StatusBadRequest, codeInvalidInput, fieldDescription)
			if d := m[fieldDescription].(string); !strings.Contains(d, "expected") {
				t.Errorf("description %q does not say what was expected", d)
			}
		})
	}
}

// The table in wire.go: which outcome comes with which status and field.
func TestEveryDocumentedErrorHasAnIDThatAlwaysAnswersIt(t *testing.T) {
	f := start(t, Options{})
	cases := []struct {
		code   string
		status int
		field  string
	}{
		{codeIDCheckExpired, http.StatusGone, fieldDescription},
		{codeIDCheckDeleted, http.StatusNotFound, fieldMessage},
		{codeInvalidInput, http.StatusBadRequest, fieldDescription},
		{codeNotVerified, http.StatusOK, fieldMessage},
		{codePendingReview, http.StatusOK, fieldDescription},
		{codeInternalError, http.StatusInternalServerError, fieldDescription},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			id := f.s.ErrorCheckID(tc.code)
			if !validCheckID.MatchString(id) {
				t.Fatalf("ErrorCheckID = %q, not a check id", id)
			}
			for range 2 {
				wantError(t, f.getCheck(id, allFields), tc.status, tc.code, tc.field)
			}
		})
	}
}

func TestErrorCheckIDPanicsOnAnUndocumentedCode(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("no panic for ErrorCheckID(\"NOPE\")")
		}
	}()
	New(Options{}).ErrorCheckID("NOPE")
}

func TestIDsTheSandboxNeverIssuedAreInvalidInput(t *testing.T) {
	f := start(t, Options{})
	big := New(Options{Checks: 1000})
	cases := map[string]string{
		"missing header":               "",
		"not a check id":               "hello",
		"an exchange token":            f.s.NewToken(0),
		"too short":                    "chk_priv_abc",
		"another seed's id":            New(Options{Seed: 2}).CheckID(0),
		"an index past Len":            big.CheckID(500),
		"spare bits set in last char":  flipLast(f.s.CheckID(0)),
		"the sample's id in reference": "chk_priv_SMgso2KGzXLxT2I-g7oD2w",
	}
	for name, id := range cases {
		t.Run(name, func(t *testing.T) {
			wantError(t, f.getCheck(id, ""), http.StatusBadRequest, codeInvalidInput, fieldDescription)
		})
	}
}

// flipLast changes the last character to one that decodes to the same
// bytes in lenient base64 but has non-zero spare bits.
func flipLast(id string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, id[len(id)-1])
	return id[:len(id)-1] + string(alphabet[last^1])
}

// Indices 47 and 97 of every hundred answer PENDING_REVIEW, 53 NOT_VERIFIED
// (dataset.go), so the demo shows both among ordinary checks.
func TestSomeRegularChecksAnswerPendingReviewOrNotVerified(t *testing.T) {
	f := start(t, Options{})
	cases := []struct {
		index  int
		code   string
		status int
		field  string
	}{
		{47, codePendingReview, http.StatusOK, fieldDescription},
		{97, codePendingReview, http.StatusOK, fieldDescription},
		{147, codePendingReview, http.StatusOK, fieldDescription},
		{53, codeNotVerified, http.StatusOK, fieldMessage},
		{153, codeNotVerified, http.StatusOK, fieldMessage},
	}
	for _, tc := range cases {
		wantError(t, f.getCheck(f.s.CheckID(tc.index), allFields), tc.status, tc.code, tc.field)
	}
}

var (
	validCheckID = regexp.MustCompile(`^chk_priv_[A-Za-z0-9_-]{22}$`)
	validToken   = regexp.MustCompile(`^chk_xchg_[A-Za-z0-9_-]{22}$`)
	// checkedOnFormat is the sample's: microseconds and a numeric offset.
	checkedOnFormat = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d$`)
	dateFormat      = regexp.MustCompile(`^\d{4}-\d\d-\d\dT00:00:00Z$`)
	customerIDStyle = regexp.MustCompile(`^\d{7} - [^,]+(, [^,]+)*, [^,]+$`)
)

func TestEveryCheckIsShapedLikeTheSample(t *testing.T) {
	f := start(t, Options{})
	for i, c := range fetchAll(t, f) {
		if c == nil {
			continue
		}
		if !validCheckID.MatchString(str(c, "check_id")) {
			t.Errorf("check %d: check_id %q", i, str(c, "check_id"))
		}
		if !checkedOnFormat.MatchString(str(c, "checked_on")) {
			t.Errorf("check %d: checked_on %q", i, str(c, "checked_on"))
		}
		if !customerIDStyle.MatchString(str(c, "customer_id")) {
			t.Errorf("check %d: customer_id %q", i, str(c, "customer_id"))
		}
		for _, k := range []string{"info.dob", "info.expires_on"} {
			if !dateFormat.MatchString(str(c, k)) {
				t.Errorf("check %d: %s %q", i, k, str(c, k))
			}
		}
		for _, k := range []string{"info.first_name", "info.last_name", "info.sex", "info.address.street",
			"info.address.city", "info.address.state", "info.address.zip"} {
			if str(c, k) == "" {
				t.Errorf("check %d: %s empty", i, k)
			}
		}
		notHigh := !strings.EqualFold(str(c, "confidence.document"), "high") || !strings.EqualFold(str(c, "confidence.face"), "high")
		reasons, hasReasons := dig(c, "confidence.reasons").([]any)
		if notHigh != (hasReasons && len(reasons) > 0) {
			t.Errorf("check %d: document %q face %q with reasons %v: want reasons exactly when a level is not high",
				i, str(c, "confidence.document"), str(c, "confidence.face"), reasons)
		}
	}
}
