package serve

import (
	"os"
	"testing"

	"github.com/caisson-review/caisson-review/store/pgtest"
)

// TestMain stops the PostgreSQL server the tests of servers sharing one
// database started (pgtest), if any did.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
