// Command caisson-review is a terminal review console for Caisson ID Checks.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "caisson-review: under construction")
	os.Exit(1)
}
