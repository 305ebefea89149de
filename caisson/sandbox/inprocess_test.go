package sandbox_test

import (
	"context"
	"testing"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
)

// The in-process client gives the real client the sandbox's own answers:
// a result for a check it holds, and its key refused when wrong.
func TestTheInProcessClientIsAnsweredByTheSandbox(t *testing.T) {
	sb := sandbox.New(sandbox.Options{Seed: 1, Checks: 24})
	ctx := context.Background()
	for _, tc := range []struct {
		key     string
		refused bool
	}{{sb.Key(), false}, {"sk_sandbox_" + "wrongwrongwrongwrongwrongwrong12", true}} {
		key, err := caisson.NewAPIKey(tc.key)
		if err != nil {
			t.Fatal(err)
		}
		api, err := caisson.NewClient("http://127.0.0.1:1", key, caisson.WithHTTPClient(sb.InProcess()))
		if err != nil {
			t.Fatal(err)
		}
		id := sb.CheckIDs(1)[0]
		chk, err := api.GetCheck(ctx, id)
		switch {
		case tc.refused && err == nil:
			t.Errorf("a wrong key: %s was answered", id)
		case !tc.refused && (err != nil || chk == nil || chk.CheckID != id):
			t.Errorf("GetCheck(%s) = %+v, %v; want its result", id, chk, err)
		}
	}
}
