// Command caisson-review is a terminal review console for Caisson ID Checks,
// with scriptable commands for loading, refreshing and exporting checks.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// Ctrl-C cancels a running batch (refresh, add) cleanly; the console
	// handles its own keys in raw mode.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
