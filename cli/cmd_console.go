package cli

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/spf13/cobra"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
	"github.com/caisson-review/caisson-review/tui"
)

func init() {
	commandHelp["demo"] = `
Starts the built-in sandbox (a fake of the Caisson API, on a random loopback
port with a random key), opens a throwaway database in a temporary
directory, adds the sandbox's checks (some of which answer each documented
error, and some with hostile names full of escape sequences), and opens the
console refreshing them all. Nothing is kept: the directory is removed on
exit. Needs nothing set up, not even an API key.`
}

// errNeedsTerminal: the console cannot draw on a pipe or a file.
var errNeedsTerminal = errors.New("the console needs a terminal on standard input and output; for scripts, see " + progName + " --help")

// errDumbTerminal: TERM=dumb says the terminal cannot move its cursor or
// switch screens, which drawing the console takes; drawn anyway, its
// escape sequences came out as text, and what it asked the terminal was
// answered after the program had gone (session 17).
var errDumbTerminal = errors.New("the console needs a terminal that can move its cursor, and TERM=dumb says this one cannot: set TERM to what the terminal is (xterm-256color, say); for scripts, see " + progName + " --help")

// consoleTerminal says why the console cannot be drawn here, if it
// cannot.
func consoleTerminal(a *app) error {
	if !isTerminal(a.stdin) || !isTerminal(a.stdout) {
		return errNeedsTerminal
	}
	if a.getenv("TERM") == "dumb" {
		return errDumbTerminal
	}
	return nil
}

// cmdConsole opens the console on the configured database and API. With no
// key it still opens, reading and deciding from the store alone.
func cmdConsole(ctx context.Context, a *app) error {
	if err := consoleTerminal(a); err != nil {
		return err
	}
	reviewer, err := a.reviewer()
	if err != nil {
		return err
	}
	cfg := tui.Config{Reviewer: reviewer, ReadOnly: a.readOnly, Now: time.Now, APILabel: "offline: no API key"}
	if err := a.applyConsoleSettings(&cfg); err != nil {
		return err
	}
	client, err := a.client()
	switch {
	case errors.Is(err, errNoKey):
		// Support staff may read and decide without a key; the console
		// says so when asked to refresh.
		client = nil
	case err != nil:
		return err
	default:
		cfg.APILabel = apiLabel(client.BaseURL())
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	// The console shows personal data, and an unfinished copy can record
	// no access to it: refused before the alternate screen, where its
	// warning would not be seen.
	if err := st.ShowsPersonalData(ctx); err != nil {
		return err
	}
	svc, err := a.serviceWith(st, client, errNoKey)
	if err != nil {
		return err
	}
	// Printed before the alternate screen, so still there after it.
	if err := a.resumeExchanges(ctx, svc); err != nil {
		return err
	}
	cfg.Store, cfg.Service, cfg.Tampering = st, svc, st.Tampering()
	if err := a.applyPollSettings(&cfg, st, client != nil); err != nil {
		return err
	}
	ctx, stopListening := context.WithCancel(ctx)
	defer stopListening()
	return a.runConsole(ctx, cfg, a.storeNotices(ctx, st, &cfg))
}

// storeNoticeEvery spaces the console's re-reads when another host writes
// in bursts (a refresh of a whole queue commits many small batches).
const storeNoticeEvery = 500 * time.Millisecond

// storeNotices are the store's notices of writes (Store.Changes), when it
// sends them (PostgreSQL): then the console is told of every write, by any
// process on any host, within a second, and no longer looks at the counts
// itself. On SQLite, or when listening is refused, it is nil and the
// console keeps looking every second (applyPollSettings).
func (a *app) storeNotices(ctx context.Context, st *store.Store, cfg *tui.Config) <-chan store.Change {
	if !st.NotifiesChanges() {
		return nil
	}
	changes, err := st.Changes(ctx, store.AllWriters)
	if err != nil {
		fmt.Fprintf(a.stderr, "%s: cannot listen for other hosts' changes; the console looks every second instead: %s\n",
			progName, sanitize.Line(err.Error()))
		return nil
	}
	cfg.Watch = 0
	return changes
}

// forwardStoreNotices tells the console of each notice on changes
// (tui.StoreChanged), at most every storeNoticeEvery, until changes is
// closed. Notices of claims alone are left out: the local console shows
// no claims, and they change nothing else it shows.
func forwardStoreNotices(changes <-chan store.Change, send func(tea.Msg)) {
	var last time.Time
	var later <-chan time.Time
	for {
		select {
		case c, ok := <-changes:
			if !ok {
				return
			}
			// At once, not spaced: a reviewer must not take what is on
			// screen for current while the store is away.
			switch {
			case c.Has(store.Reachable):
				send(tui.StoreReachable{})
			case c.Has(store.Unreachable):
				send(tui.StoreUnreachable{})
			}
			if !c.Has(store.DataChanged) {
				continue
			}
			if wait := storeNoticeEvery - time.Since(last); wait > 0 {
				if later == nil {
					later = time.After(wait)
				}
				continue
			}
			last = time.Now()
			send(tui.StoreChanged{})
		case <-later:
			later, last = nil, time.Now()
			send(tui.StoreChanged{})
		}
	}
}

// applyPollSettings gives the local console its poller (when online,
// polling is on and the console may write) and what it calls stale, and
// has it watch the store: another process's poll (serve's, another
// console's) shows within a second.
func (a *app) applyPollSettings(cfg *tui.Config, st *store.Store, online bool) error {
	pc, err := a.pollConfig()
	if err != nil {
		return err
	}
	cfg.StaleAfter, cfg.Watch = pc.staleAfter, time.Second
	if !online || a.readOnly {
		return nil
	}
	p, err := a.poller(st, pc)
	if err != nil || p == nil {
		return err
	}
	cfg.Poll = p
	return nil
}

func apiLabel(baseURL string) string {
	if u, err := url.Parse(baseURL); err == nil && u.Host != "" {
		return u.Host
	}
	return baseURL
}

// runConsole runs the Bubble Tea program (alternate screen, no mouse: mouse
// mode takes away the terminal's own text selection, and reviewers copy
// ids) and returns once every write the console started has ended, so the
// store is never closed under a decision. A write that failed as the
// console was quitting is reported here, after the alternate screen.
func (a *app) runConsole(ctx context.Context, cfg tui.Config, changes <-chan store.Change) error {
	m := tui.New(cfg)
	profile := tui.ColorProfile(a.stdout, a.environ())
	opts := append(m.Options(profile), tea.WithInput(a.stdin), tea.WithOutput(a.stdout), tea.WithEnvironment(a.environ()))
	p := tea.NewProgram(m, opts...)
	if changes != nil {
		go forwardStoreNotices(changes, p.Send)
	}
	// A cancelled context (SIGTERM, SIGINT) quits as q does, waiting on
	// screen for the writes in flight: tea.WithContext would end the
	// program at once, the alternate screen and its message with it.
	stop := context.AfterFunc(ctx, p.Quit)
	defer stop()
	_, err := p.Run()
	if d := m.Dropped(); d != "" {
		// After the alternate screen, so it stays: a reviewer stopped
		// half-way through a decision (SIGTERM, ctrl+c) learns it is
		// not in the log.
		fmt.Fprintf(a.stderr, "%s: not saved, as it was never confirmed: %s\n", progName, d)
	}
	if werr := m.Wait(); werr != nil {
		return fmt.Errorf("not saved as the console closed: %w", werr)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return fmt.Errorf("console: %w", err)
	}
	return nil
}

// wireDemo: --read-only is the global flag, which demo takes too.
func wireDemo(a *app, c *cobra.Command) runFunc {
	var checks int
	c.Flags().IntVar(&checks, "checks", sandbox.DefaultChecks, "number of sandbox checks to add (up to 1000000)")
	c.ValidArgsFunction = cobra.NoFileCompletions
	return func(ctx context.Context, pos []string) error {
		// The demo's database is its own, made and deleted with it: a
		// --db given to it was silently not used (helper-66), and a
		// reviewer could believe the demo had written there.
		if f := c.Flag("db"); f != nil && f.Changed {
			db := shownLocation(f.Value.String())
			return usageErrorf("demo", "--db %s: the demo uses a throwaway database of its own, deleted when it ends; to open that database, run caisson-review --db %s", db, db)
		}
		return cmdDemo(ctx, a, checks, pos)
	}
}

func cmdDemo(ctx context.Context, a *app, checks int, pos []string) error {
	if len(pos) > 0 {
		return usageErrorf("demo", "demo takes no arguments")
	}
	if checks < 1 || checks > sandbox.MaxChecks {
		return usageErrorf("demo", "--checks %d: expected 1 to %d", checks, sandbox.MaxChecks)
	}
	if err := consoleTerminal(a); err != nil {
		return err
	}
	reviewer, err := a.reviewer()
	if errors.Is(err, errNoReviewer) {
		// The demo must work on a machine with nothing set up, even
		// one without a login name.
		reviewer, err = "demo", nil
	}
	if err != nil {
		return err
	}
	cfg := tui.Config{Reviewer: reviewer, APILabel: "sandbox", ReadOnly: a.readOnly, Now: time.Now, RefreshOnStart: true}
	// The demo's database and API are its own; the console's defaults
	// and keys are the reviewer's.
	if err := a.applyConsoleSettings(&cfg); err != nil {
		return err
	}
	d, err := startDemo(ctx, checks, reviewer)
	if err != nil {
		return err
	}
	defer d.close()
	cfg.Store, cfg.Service = d.store, service.New(d.store, d.client, service.Options{Reviewer: reviewer})
	return a.runConsole(ctx, cfg, nil)
}

// demo is the sandbox, a throwaway database and a client between them.
type demo struct {
	sandbox *sandbox.Server
	store   *store.Store
	client  *caisson.Client
	dir     string
	stop    func() error
}

// demoLatency makes the start-up refresh take a moment, so the progress
// bar is seen doing its work.
const (
	demoLatency = 10 * time.Millisecond
	demoJitter  = 40 * time.Millisecond
)

// demoErrorCodes are the documented GET errors; the demo adds one check
// answering each, so every error state is on screen.
var demoErrorCodes = []caisson.ErrorCode{
	caisson.CodeIDCheckExpired, caisson.CodeIDCheckDeleted, caisson.CodeInvalidInput,
	caisson.CodeNotVerified, caisson.CodePendingReview, caisson.CodeInternalError,
}

func startDemo(ctx context.Context, checks int, reviewer string) (_ *demo, err error) {
	d := &demo{sandbox: sandbox.New(sandbox.Options{Checks: checks, Hostile: true, Latency: demoLatency, Jitter: demoJitter})}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	baseURL, stop, err := d.sandbox.Listen("127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the sandbox: %w", err)
	}
	d.stop = stop
	if d.dir, err = os.MkdirTemp("", "caisson-review-demo-"); err != nil {
		return nil, fmt.Errorf("making the demo's temporary directory: %w", err)
	}
	if d.store, err = store.Open(ctx, filepath.Join(d.dir, "review.db")); err != nil {
		return nil, fmt.Errorf("opening the demo database: %w", err)
	}
	key, err := caisson.NewAPIKey(d.sandbox.Key())
	if err != nil {
		return nil, fmt.Errorf("the sandbox key: %w", err)
	}
	if d.client, err = caisson.NewClient(baseURL, key, clientOptions...); err != nil {
		return nil, fmt.Errorf("the sandbox client: %w", err)
	}
	ids := d.sandbox.CheckIDs(checks)
	for _, code := range demoErrorCodes {
		ids = append(ids, d.sandbox.ErrorCheckID(string(code)))
	}
	if _, err := d.store.AddMany(ctx, ids, reviewer, store.SourceImported); err != nil {
		return nil, fmt.Errorf("adding the sandbox's checks: %w", err)
	}
	return d, nil
}

// close stops the sandbox and removes the database with its directory.
func (d *demo) close() {
	if d.store != nil {
		d.store.Close()
	}
	if d.stop != nil {
		d.stop()
	}
	if d.dir != "" {
		os.RemoveAll(d.dir)
	}
}
