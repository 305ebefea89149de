package store

import (
	"fmt"
	"os"
	"testing"

	"github.com/caisson-review/caisson-review/store/pgtest"
)

func TestMain(m *testing.M) {
	if err := chooseBackend(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(pgtest.Main(m))
}
