// Command caisson-review is a terminal review console for Caisson ID Checks,
// with scriptable commands for loading, refreshing and exporting checks. The
// program lives in package cli; this only hands it the process.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/caisson-review/caisson-review/cli"
)

func main() {
	// Ctrl-C cancels a running batch (refresh, add) cleanly; the console
	// handles its own keys in raw mode. A terminal closing (an SSH
	// session dropped) does the same, so the demo still deletes its
	// database; unless the program was started ignoring it (nohup), which
	// asking for the signal would undo.
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if !signal.Ignored(syscall.SIGHUP) {
		sigs = append(sigs, syscall.SIGHUP)
	}
	ctx, stop := signal.NotifyContext(context.Background(), sigs...)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
