package caisson

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTheReferenceCheckSampleDecodesAsPrinted(t *testing.T) {
	body := readTestdata(t, "reference_check_response.json")
	if !bytes.Contains(body, []byte(`"zip": "10001", }, } }`)) {
		t.Fatal("testdata no longer holds the sample verbatim, trailing commas included")
	}
	c, err := DecodeCheck(body)
	if err != nil {
		t.Fatalf("DecodeCheck: %v", err)
	}
	want := Check{
		CheckID:    "chk_priv_SMgso2KGzXLxT2I-g7oD2w",
		CustomerID: "1234321 - Doe, Jamie",
		Confidence: Confidence{Document: High, Face: High},
		Info: Info{
			FirstName: "JAMIE", LastName: "DOE", Sex: "M",
			DOB:       Date{1989, time.June, 30},
			ExpiresOn: Date{2025, time.June, 24},
			Address:   &Address{Street: "6 CROWN DR # 11B", City: "NEW YORK", State: "NY", Zip: "10001"},
		},
	}
	if c.CheckID != want.CheckID || c.CustomerID != want.CustomerID || c.Confidence.Document != High ||
		c.Confidence.Face != High || len(c.Confidence.Reasons) != 0 {
		t.Errorf("top level = %+v", c)
	}
	if c.Info.FirstName != want.Info.FirstName || c.Info.LastName != want.Info.LastName || c.Info.Sex != want.Info.Sex ||
		c.Info.DOB != want.Info.DOB || c.Info.ExpiresOn != want.Info.ExpiresOn {
		t.Errorf("info = %+v, want %+v", c.Info, want.Info)
	}
	if c.Info.Address == nil || *c.Info.Address != *want.Info.Address {
		t.Errorf("address = %+v, want %+v", c.Info.Address, want.Info.Address)
	}
	if !bytes.Equal(c.Raw, body) {
		t.Errorf("Raw is not the exact body:\n%s", c.Raw)
	}
	if !c.Passed() {
		t.Error("a high/high check should pass Caisson's rule")
	}
}

func TestCheckedOnKeepsItsOffsetAndFractionalSeconds(t *testing.T) {
	c, err := DecodeCheck(readTestdata(t, "reference_check_response.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, offset := c.CheckedOn.Zone()
	if offset != -4*3600 {
		t.Errorf("offset = %ds, want -4h", offset)
	}
	if c.CheckedOn.Nanosecond() != 274684000 {
		t.Errorf("fraction = %dns, want 274684000", c.CheckedOn.Nanosecond())
	}
	want := time.Date(2019, 7, 19, 19, 0, 42, 274684000, time.UTC)
	if !c.CheckedOn.Equal(want) {
		t.Errorf("checked_on = %v, want the instant %v", c.CheckedOn, want)
	}
}

func TestTheReferenceExchangeSampleDecodesAsPrinted(t *testing.T) {
	body := readTestdata(t, "reference_exchange_response.json")
	if string(body) != `{ "check_id": "chk_priv_ceSB3MdzNm8M5FdEM4wSXw", }` {
		t.Fatalf("testdata changed: %s", body)
	}
	id, err := decodeExchange(body, APIKey{})
	if err != nil {
		t.Fatal(err)
	}
	if id != "chk_priv_ceSB3MdzNm8M5FdEM4wSXw" {
		t.Errorf("check id = %q", id)
	}
}

// A date of birth must never move with the local time zone: read naively
// as a time, "1989-06-30T00:00:00Z" is the evening of 29 June in New York.
func TestDateOfBirthStaysTheSameDayInNewYork(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skipf("no tz database: %v", err)
	}
	old := time.Local
	time.Local = ny
	t.Cleanup(func() { time.Local = old })

	naive, _ := time.Parse(time.RFC3339, "1989-06-30T00:00:00Z")
	if naive.Local().Day() != 29 {
		t.Fatal("the test no longer demonstrates the shift it guards against")
	}
	c, err := DecodeCheck(readTestdata(t, "reference_check_response.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Info.DOB.String(); got != "1989-06-30" {
		t.Errorf("dob = %s in New York, want 1989-06-30", got)
	}
	if got := c.Info.ExpiresOn.String(); got != "2025-06-24" {
		t.Errorf("expires_on = %s in New York, want 2025-06-24", got)
	}
	if age := c.Info.DOB.YearsAt(time.Date(2019, 6, 30, 0, 30, 0, 0, ny)); age != 30 {
		t.Errorf("age on the 30th birthday in New York = %d", age)
	}
}

func TestDecodeCheck(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, c *Check)
	}{
		{"reasons keep the API's order, codes and descriptions",
			`{"check_id":"chk_priv_a","confidence":{"document":"low","face":"medium","reasons":[{"code":308,"description":"The document expired"},{"code":777,"description":"new"},{"code":201}]}}`,
			func(t *testing.T, c *Check) {
				want := []Reason{{308, "The document expired"}, {777, "new"}, {201, ""}}
				if len(c.Confidence.Reasons) != 3 {
					t.Fatalf("reasons = %+v", c.Confidence.Reasons)
				}
				for i := range want {
					if c.Confidence.Reasons[i] != want[i] {
						t.Errorf("reason %d = %+v, want %+v", i, c.Confidence.Reasons[i], want[i])
					}
				}
				if c.Confidence.Document != Low || c.Confidence.Face != Medium || c.Passed() {
					t.Errorf("confidence = %+v", c.Confidence)
				}
			}},
		{"confidence levels are case-insensitive and odd ones are Unknown",
			`{"check_id":"chk_priv_a","confidence":{"document":" HIGH ","face":"excellent"}}`,
			func(t *testing.T, c *Check) {
				if c.Confidence.Document != High || c.Confidence.Face != Unknown {
					t.Errorf("confidence = %+v", c.Confidence)
				}
			}},
		{"optional fields absent stay zero, address nil",
			`{"check_id":"chk_priv_a","info":{"first_name":"JOSÉ","last_name":"ŁUKASZ"}}`,
			func(t *testing.T, c *Check) {
				if !c.Info.DOB.IsZero() || !c.Info.ExpiresOn.IsZero() || c.Info.Address != nil || c.Info.Sex != "" || !c.CheckedOn.IsZero() {
					t.Errorf("info = %+v", c.Info)
				}
				if c.Info.FullName() != "JOSÉ ŁUKASZ" {
					t.Errorf("name = %q", c.Info.FullName())
				}
			}},
		{"nulls are absent values",
			`{"check_id":"chk_priv_a","customer_id":null,"checked_on":null,"confidence":{"document":null,"reasons":null},"info":{"dob":null,"address":null}}`,
			func(t *testing.T, c *Check) {
				if c.CustomerID != "" || c.Info.Address != nil || c.Confidence.Reasons != nil {
					t.Errorf("check = %+v", c)
				}
			}},
		{"a plain ISO date is read too",
			`{"check_id":"chk_priv_a","info":{"dob":"2001-02-03","expires_on":"2030-12-31T23:59:59-05:00"}}`,
			func(t *testing.T, c *Check) {
				if c.Info.DOB != (Date{2001, 2, 3}) || c.Info.ExpiresOn != (Date{2030, 12, 31}) {
					t.Errorf("dates = %v %v", c.Info.DOB, c.Info.ExpiresOn)
				}
			}},
		{"hostile strings come back intact: sanitizing is the display's job",
			`{"check_id":"chk_priv_a","customer_id":"\u001b]0;APPROVED\u0007","info":{"last_name":"\u202eDEVORPPA\r"}}`,
			func(t *testing.T, c *Check) {
				if c.CustomerID != "\x1b]0;APPROVED\a" || c.Info.LastName != "\u202eDEVORPPA\r" {
					t.Errorf("strings changed: %q %q", c.CustomerID, c.Info.LastName)
				}
			}},
		{"unknown fields are ignored",
			`{"check_id":"chk_priv_a","webhook":{"x":[1,2,]},"extra":true,}`,
			func(t *testing.T, c *Check) {}},
		{"a comma inside a string before a brace is kept",
			`{"check_id":"chk_priv_a","customer_id":"a,}b,]",}`,
			func(t *testing.T, c *Check) {
				if c.CustomerID != "a,}b,]" {
					t.Errorf("customer_id = %q", c.CustomerID)
				}
			}},
		{"escaped quotes do not end a string",
			`{"check_id":"chk_priv_a","customer_id":"say \"hi,\" ,}",}`,
			func(t *testing.T, c *Check) {
				if c.CustomerID != `say "hi," ,}` {
					t.Errorf("customer_id = %q", c.CustomerID)
				}
			}},
		{"an empty error field means success",
			`{"error":"","error_description":"","check_id":"chk_priv_a"}`,
			func(t *testing.T, c *Check) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := DecodeCheck([]byte(tt.body))
			if err != nil {
				t.Fatalf("DecodeCheck: %v", err)
			}
			if string(c.Raw) != tt.body {
				t.Errorf("Raw = %s", c.Raw)
			}
			tt.check(t, c)
		})
	}
}

func TestDecodeCheckRefuses(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
	}{
		{"an empty body", ``, "cut short"},
		{"truncated JSON", `{"check_id":"chk_priv_a","info":{"first`, "cut short"},
		{"an HTML page", "<html><body>502 Bad Gateway</body></html>", "not valid JSON"},
		{"a JSON array", `[{"check_id":"chk_priv_a"}]`, "expected a JSON object"},
		{"a JSON string", `"chk_priv_a"`, "expected a JSON object"},
		{"an object without check_id", `{"info":{}}`, "no check_id"},
		{"null", `null`, "no check_id"},
		{"a leading comma is not a trailing comma", `{,"check_id":"chk_priv_a"}`, "not valid JSON"},
		{"an empty array with a comma", `{"check_id":"chk_priv_a","confidence":{"reasons":[,]}}`, "not valid JSON"},
		{"two commas", `{"check_id":"chk_priv_a",,}`, "not valid JSON"},
		{"a bad date names its field", `{"check_id":"chk_priv_a","info":{"dob":"30/06/1989"}}`, "info.dob"},
		{"a bad expiry names its field", `{"check_id":"chk_priv_a","info":{"expires_on":"soon"}}`, "info.expires_on"},
		{"a bad timestamp says what was expected", `{"check_id":"chk_priv_a","checked_on":"yesterday"}`, "expected an RFC 3339 timestamp"},
		{"a reason code that is not a number", `{"check_id":"chk_priv_a","confidence":{"reasons":[{"code":"abc"}]}}`, "code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeCheck([]byte(tt.body))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestErrorBodies(t *testing.T) {
	tests := []struct {
		name, body string
		code       ErrorCode
		message    string
	}{
		{"error_description as the reference names it",
			`{"error":"PENDING_REVIEW","error_description":"Still with our team"}`, CodePendingReview, "Still with our team"},
		{"error_message as Caisson's own code reads it",
			`{"error":"NOT_VERIFIED","error_message":"User did not finish"}`, CodeNotVerified, "User did not finish"},
		{"error_description wins over error_message",
			`{"error":"INTERNAL_ERROR","error_description":"a","error_message":"b"}`, CodeInternalError, "a"},
		{"no text at all",
			`{"error":"IDCHECK_DELETED"}`, CodeIDCheckDeleted, ""},
		{"an error with trailing commas, beside check data",
			`{ "error": "IDCHECK_EXPIRED", "error_description": "gone", "check_id": "chk_priv_a", }`, CodeIDCheckExpired, "gone"},
		{"an unknown code is kept",
			`{"error":"RATE_LIMITED","error_description":"slow down"}`, "RATE_LIMITED", "slow down"},
		{"a non-string error still counts as one",
			`{"error":{"code":5},"check_id":"chk_priv_a"}`, `{"code":5}`, ""},
		{"control characters in the text are sanitized",
			`{"error":"INVALID_INPUT","error_description":"bad\u001b]0;pwned\u0007 \rid"}`, CodeInvalidInput, "bad^[]0;pwned^G ^Mid"},
		{"a hostile code is sanitized",
			`{"error":"X\u001b[2J"}`, "X^[[2J", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeCheck([]byte(tt.body))
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error = %v, want an *APIError", err)
			}
			if ae.Code != tt.code || ae.Message != tt.message || ae.Status != 0 {
				t.Errorf("got %+v, want code %q message %q", ae, tt.code, tt.message)
			}
		})
	}
}

func TestLongErrorTextIsClipped(t *testing.T) {
	body := `{"error":"INVALID_INPUT","error_description":"` + strings.Repeat("é", 5000) + `"}`
	_, err := DecodeCheck([]byte(body))
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatal(err)
	}
	if n := len([]rune(ae.Message)); n > 301 {
		t.Errorf("message is %d runes", n)
	}
}

func TestStripTrailingCommas(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{}`, `{}`},
		{`{"a":1,}`, `{"a":1}`},
		{"{\"a\":[1,2,\n\t],\r\n}", "{\"a\":[1,2\n\t]\r\n}"},
		{`{"a":",}"}`, `{"a":",}"}`},
		{`{"a":"\\",}`, `{"a":"\\"}`},
		{`[,]`, `[,]`},
		{`{,}`, `{,}`},
		{`[1,,]`, `[1,,]`},
		{`[1,`, `[1,`},
	}
	for _, tt := range tests {
		if got := string(stripTrailingCommas([]byte(tt.in))); got != tt.want {
			t.Errorf("stripTrailingCommas(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDecodeCheckCopiesRaw(t *testing.T) {
	body := []byte(`{"check_id":"chk_priv_a"}`)
	c, err := DecodeCheck(body)
	if err != nil {
		t.Fatal(err)
	}
	body[2] = 'X'
	if c.Raw[2] == 'X' {
		t.Error("Raw aliases the caller's buffer")
	}
}

func TestDecodeExchange(t *testing.T) {
	tests := []struct{ name, body, wantErr string }{
		{"no check_id", `{}`, "no check_id"},
		{"a check_id that is not one", `{"check_id":"chk_xchg_abc"}`, "not one"},
		{"an error body", `{"error":"INVALID_INPUT","error_description":"token expired"}`, "INVALID_INPUT"},
		{"broken JSON", `{"check_id":`, "cut short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeExchange([]byte(tt.body), APIKey{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
