package caisson

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/caisson-review/caisson-review/sanitize"
)

func addDecodeSeeds(f *testing.F) {
	for _, name := range []string{"reference_check_response.json", "reference_exchange_response.json", "reference_exchange_request.json"} {
		f.Add(readTestdata(f, name))
	}
	for _, s := range []string{
		`{"check_id":"chk_priv_a","confidence":{"document":"low","face":"medium","reasons":[{"code":308,"description":"The document expired"},{"code":777},]}}`,
		`{"error":"PENDING_REVIEW","error_description":"still with us",}`,
		`{"error":"NOT_VERIFIED","error_message":"\u001b]0;x\u0007"}`,
		`{"check_id":"chk_priv_a","customer_id":"a,}\",]","info":{"dob":"1989-06-30","address":{"zip":"1",},},}`,
		`[,]`, `{,}`, `null`, `"x"`, ``, `{"check_id":`,
	} {
		f.Add([]byte(s))
	}
}

func FuzzDecodeCheck(f *testing.F) {
	addDecodeSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		orig := bytes.Clone(body)
		clean := stripTrailingCommas(body)
		if json.Valid(body) && !bytes.Equal(clean, body) {
			t.Fatalf("valid JSON was changed by the comma stripper:\n%q\n%q", body, clean)
		}
		if removed := len(body) - len(clean); removed < 0 || bytes.Count(body, []byte(","))-bytes.Count(clean, []byte(",")) != removed {
			t.Fatalf("the stripper removed something other than commas: %q -> %q", body, clean)
		}
		c, err := DecodeCheck(body)
		if !bytes.Equal(body, orig) {
			t.Fatal("DecodeCheck modified its input")
		}
		if err != nil {
			if c != nil {
				t.Fatal("a check and an error")
			}
			var ae *APIError
			if errors.As(err, &ae) {
				if !sanitize.Safe(string(ae.Code)) || !sanitize.Safe(ae.Message) {
					t.Errorf("unsanitized error %+v", ae)
				}
				assertOneCleanLine(t, string(ae.Code))
				assertOneCleanLine(t, ae.Message)
				assertOneCleanLine(t, Explain(err))
			}
			return
		}
		if c.CheckID == "" {
			t.Error("a check without check_id")
		}
		if !bytes.Equal(c.Raw, body) {
			t.Error("Raw differs from the body")
		}
		for _, l := range []Level{c.Confidence.Document, c.Confidence.Face} {
			if l < Unknown || l > High {
				t.Errorf("level %d", l)
			}
		}
		for _, r := range c.Confidence.Reasons {
			if ri := DescribeReason(r); ri.Description == "" || ri.Code != r.Code {
				t.Errorf("reason %+v described as %+v", r, ri)
			}
		}
		for _, d := range []Date{c.Info.DOB, c.Info.ExpiresOn} {
			if !d.IsZero() {
				if back, err := ParseDate(d.String()); err != nil || back != d {
					t.Errorf("date %v does not round-trip: %v", d, err)
				}
			}
		}
	})
}

// assertOneCleanLine fails on anything a terminal would act on.
func assertOneCleanLine(t *testing.T, s string) {
	t.Helper()
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			t.Errorf("%q holds U+%04X", s, r)
			return
		}
	}
}

func FuzzParseID(f *testing.F) {
	for _, s := range []string{
		"chk_priv_SMgso2KGzXLxT2I-g7oD2w", "chk_priv_ceSB3MdzNm8M5FdEM4wSXw", "chk_xchg_UeRXDryTTpvU24CTre8W2Q",
		" chk_priv_abc\n", "chk_priv_", "chk_xchg_", "chk_priv_ab+c==", "chk_priv_\x1b[2J", "chk_priv_\u202eabc",
		"https://www.caisson.com/request/chk_priv_abc", "", "\xff\xfe", "sk_live_secretsecretsecret",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			assertOneCleanLine(t, err.Error())
			if len(s) > 40 && strings.Contains(err.Error(), s) {
				t.Errorf("the error repeats a long input whole: %v", err)
			}
			return
		}
		prefix := map[IDKind]string{KindCheckID: checkIDPrefix, KindExchangeToken: tokenPrefix}[id.Kind]
		if prefix == "" || !strings.HasPrefix(id.Value, prefix) {
			t.Fatalf("%q parsed as %v %q", s, id.Kind, id.Value)
		}
		body := id.Value[len(prefix):]
		if body == "" || len(body) > maxIDBody || id.Value != strings.TrimSpace(s) {
			t.Errorf("%q accepted as %q", s, id.Value)
		}
		for _, r := range body {
			if !isURLBase64(r) {
				t.Errorf("%q accepted with %q", s, r)
			}
		}
		again, err := ParseID(id.Value)
		if err != nil || again != id {
			t.Errorf("not idempotent: %v %v", again, err)
		}
		_, cerr := ParseCheckID(s)
		if (cerr == nil) != (id.Kind == KindCheckID) {
			t.Errorf("ParseCheckID disagrees on %q: %v", s, cerr)
		}
	})
}
