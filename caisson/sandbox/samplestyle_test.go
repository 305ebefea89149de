package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSampleStyleSpacesLikeTheReferenceAndLeavesStringsAlone(t *testing.T) {
	cases := []struct {
		name, compact, want string
	}{
		{"the exchange sample", `{"check_id":"chk_priv_ceSB3MdzNm8M5FdEM4wSXw"}`,
			`{ "check_id": "chk_priv_ceSB3MdzNm8M5FdEM4wSXw", }`},
		{"nested objects", `{"a":{"b":"c"},"d":1}`, `{ "a": { "b": "c", }, "d": 1, }`},
		{"an empty object", `{"a":{}}`, `{ "a": { }, }`},
		{"braces, commas and quotes in strings", `{"s":"}, {\"x\":1,}"}`, `{ "s": "}, {\"x\":1,}", }`},
		{"an escaped backslash before a quote", `{"s":"a\\","t":"b"}`, `{ "s": "a\\", "t": "b", }`},
		{"arrays untouched", `{"r":[{"code":1},{"code":2}]}`, `{ "r": [{ "code": 1, }, { "code": 2, }], }`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := string(sampleStyle([]byte(tc.compact)))
			if got != tc.want {
				t.Fatalf("sampleStyle(%s)\n got %s\nwant %s", tc.compact, got, tc.want)
			}
			var a, b any
			if err := json.Unmarshal([]byte(tc.compact), &a); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(withoutTrailingCommas([]byte(got)), &b); err != nil {
				t.Fatalf("without its trailing commas the output is not JSON: %v", err)
			}
			if !jsonEqual(a, b) {
				t.Fatalf("the output says something else: %v vs %v", a, b)
			}
		})
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// Checks i%100 == 39 and even-numbered exchange answers are in the style.
func TestSomeAnswersComeWithTheSamplesTrailingCommas(t *testing.T) {
	f := start(t, Options{Now: func() time.Time { return time.Unix(0, 0) }})
	for _, i := range []int{39, 139} {
		r := f.getCheck(f.s.CheckID(i), allFields)
		if r.status != http.StatusOK || !strings.Contains(string(r.body), `", }`) || json.Valid(r.body) {
			t.Errorf("check %d: status %d body %.120s: want the sample's style with trailing commas", i, r.status, r.body)
		}
		if str(r.json(t), "check_id") != f.s.CheckID(i) {
			t.Errorf("check %d: tolerant decoding lost check_id", i)
		}
	}
	if r := f.getCheck(f.s.CheckID(40), allFields); !json.Valid(r.body) {
		t.Errorf("check 40 is not compact JSON: %.120s", r.body)
	}
	first, second := f.exchange(f.s.NewToken(3)), f.exchange(f.s.NewToken(4))
	if want := `{ "check_id": "` + f.s.CheckID(3) + `", }`; string(first.body) != want {
		t.Errorf("first token's answer %s, want exactly %s", first.body, want)
	}
	if want := `{"check_id":"` + f.s.CheckID(4) + `"}`; string(second.body) != want {
		t.Errorf("second token's answer %s, want exactly %s", second.body, want)
	}
}
