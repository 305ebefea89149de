package sandbox

import (
	"testing"
	"time"
)

// Each example gives the answer it is said to give, over HTTP, whatever
// the size of the data set.
func TestExamplesGiveTheAnswerTheySay(t *testing.T) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	for _, n := range []int{200, 3} {
		f := start(t, Options{Checks: n, Now: func() time.Time { return now }})
		examples := f.s.Examples()
		if len(examples) == 0 || examples[0].Kind != ExampleRisky && n > 3 {
			t.Fatalf("%d checks: the first example should need review: %+v", n, examples)
		}
		seen := map[ExampleKind]bool{}
		for _, e := range examples {
			if seen[e.Kind] {
				t.Errorf("%d checks: kind %d twice", n, e.Kind)
			}
			seen[e.Kind] = true
			body := f.getCheck(e.ID, allFields).json(t)
			code, _ := body["error"].(string)
			conf, _ := body["confidence"].(map[string]any)
			info, _ := body["info"].(map[string]any)
			switch e.Kind {
			case ExamplePendingReview, ExampleNotVerified, ExampleFailure:
				want := map[ExampleKind]string{ExamplePendingReview: "PENDING_REVIEW", ExampleNotVerified: "NOT_VERIFIED", ExampleFailure: "IDCHECK_EXPIRED"}[e.Kind]
				if code != want {
					t.Errorf("%d checks: %s answers %q, want %s", n, e.What, code, want)
				}
			case ExampleRisky:
				if code != "" || conf["document"] == "high" && conf["face"] == "high" {
					t.Errorf("%d checks: %s answers %v", n, e.What, body)
				}
			case ExampleExpired, ExamplePassed:
				exp, _ := info["expires_on"].(string)
				expired := exp < now.Format("2006-01-02")
				if code != "" || conf["document"] != "high" || conf["face"] != "high" || expired != (e.Kind == ExampleExpired) {
					t.Errorf("%d checks: %s answers %v", n, e.What, body)
				}
			}
		}
		for _, k := range []ExampleKind{ExamplePendingReview, ExampleNotVerified, ExampleFailure} {
			if !seen[k] {
				t.Errorf("%d checks: no example of kind %d", n, k)
			}
		}
		if n == 200 && len(examples) != 6 {
			t.Errorf("200 checks: want an example of every kind, got %+v", examples)
		}
	}
}
