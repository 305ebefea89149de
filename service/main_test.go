package service

import (
	"os"
	"testing"

	"github.com/caisson-review/caisson-review/store/pgtest"
)

// The tests run on SQLite files; the one of a store's server going away
// mid-refresh needs a PostgreSQL server, which pgtest starts once for the
// package and stops at the end.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
