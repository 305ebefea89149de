package sandbox

import (
	"net/http"
	"testing"
)

func TestAnsweringAWaitingCheckMakesItsGETAnswerTheResult(t *testing.T) {
	f := start(t, Options{})
	pending, notVerified := f.s.CheckID(pPending1), f.s.CheckID(pNotVerified)
	wantError(t, f.getCheck(pending, allFields), http.StatusOK, codePendingReview, fieldDescription)
	for _, id := range []string{pending, notVerified} {
		if !f.s.Answer(id) {
			t.Fatalf("Answer(%s) = false, expected one of the data set's checks", id)
		}
		if r := f.getCheck(id, allFields); r.status != http.StatusOK || r.json(t)["check_id"] != id {
			t.Errorf("GET %s after Answer: status %d, body %s: expected its result", id, r.status, r.body)
		}
	}
	if f.s.Answer(f.s.ErrorCheckID(codePendingReview)) {
		t.Error("Answer on an id that always answers an error = true: expected false, its answer is fixed")
	}
}
