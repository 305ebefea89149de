package cli

import (
	"os"
	"testing"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

func TestDemoSetsUpTheSandboxAndAThrowawayDatabaseAndRemovesIt(t *testing.T) {
	d, err := startDemo(t.Context(), 20, "alice")
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			d.close()
		}
	}()
	counts, err := d.store.Counts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if want := 20 + len(demoErrorCodes); counts[store.QueueAll] != want {
		t.Fatalf("want %d checks (20 and one per error code), got %d", want, counts[store.QueueAll])
	}
	// The client reaches the sandbox with its random key.
	if _, err := d.client.GetCheck(t.Context(), d.sandbox.CheckID(0)); err != nil {
		t.Fatalf("the demo's client cannot fetch from its sandbox: %v", err)
	}
	_, err = d.client.GetCheck(t.Context(), d.sandbox.ErrorCheckID(string(caisson.CodeNotVerified)))
	if caisson.CodeOf(err) != caisson.CodeNotVerified {
		t.Fatalf("the error check: want NOT_VERIFIED, got %v", err)
	}
	dir := d.dir
	d.close()
	closed = true
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("the demo's directory %s is still there after close (%v)", dir, err)
	}
}
