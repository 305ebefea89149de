package serve

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/store"
	"github.com/caisson-review/caisson-review/tui"
)

// fixture is a server on 127.0.0.1:0 with a real store in a temp dir and
// the real client against the sandbox, as a bastion would run it.
type fixture struct {
	t       testing.TB
	srv     *Server
	st      *store.Store
	sb      *sandbox.Server
	ids     []string // the tracked check ids
	log     *syncBuffer
	authKey string // authorized_keys path
	cancel  context.CancelFunc
	done    chan error
	doneErr error
	stopped bool
	keys    map[string]testKey // by name
}

type fixtureOpts struct {
	checks      int // tracked (and fetched) checks
	maxSessions int
	idle        time.Duration
	grace       time.Duration
	keepalive   time.Duration
	// keys are the authorized_keys lines: name -> comment ("" for none).
	keys map[string]string
	// fourEyes, when set, is the database's policy before the server
	// starts (a new database's is off).
	fourEyes store.FourEyes
	// console is the consoles' defaults (Config.Console).
	console tui.Config
	// before, when set, runs on the store before the server starts.
	before func(st *store.Store, sb *sandbox.Server)
	// pollKey, when set, has the server poll with a client of that key
	// ("sandbox" for the sandbox's own), every 50 ms a check.
	pollKey string
	// location, when set, is the store's (a PostgreSQL URL); a file in
	// the test's temp dir otherwise. storeOpts are Open's options.
	location  string
	storeOpts []store.Option
	// joining says another fixture already filled the store at location:
	// this one serves the same checks (the sandbox's seed is the same).
	joining bool
}

func newFixture(t testing.TB, o fixtureOpts) *fixture {
	t.Helper()
	if o.checks == 0 {
		o.checks = 20
	}
	dir := t.TempDir()
	ctx := context.Background()
	f := &fixture{t: t}

	sb := sandbox.New(sandbox.Options{Seed: 1, Checks: max(o.checks, 50)})
	base, stop, err := sb.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatalf("starting the sandbox: %v", err)
	}
	t.Cleanup(func() { _ = stop() })
	key, err := caisson.NewAPIKey(sb.Key())
	if err != nil {
		t.Fatal(err)
	}
	// Closing the client's idle connections first lets the sandbox stop
	// at once instead of waiting out connections that never sent a request.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(transport.CloseIdleConnections)
	api, err := caisson.NewClient(base, key, caisson.WithRetries(1), caisson.WithTimeout(5*time.Second),
		caisson.WithHTTPClient(&http.Client{Transport: transport}))
	if err != nil {
		t.Fatal(err)
	}
	if o.location == "" {
		o.location = filepath.Join(dir, "review.db")
	}
	st, err := store.Open(ctx, o.location, o.storeOpts...)
	if err != nil {
		t.Fatalf("opening the store: %v", err)
	}
	ids := sb.CheckIDs(o.checks)
	if o.joining {
		return f.serve(o, st, sb, ids, base, api, dir)
	}
	if _, err := st.AddMany(ctx, ids, "tester", store.SourceTyped); err != nil {
		t.Fatalf("adding checks: %v", err)
	}
	err = api.FetchMany(ctx, ids, 8, func(r caisson.Result) {
		if err := st.RecordFetch(ctx, r.CheckID, r.Check, r.Err, time.Now()); err != nil {
			t.Errorf("recording %s: %v", r.CheckID, err)
		}
	})
	if err != nil {
		t.Fatalf("fetching: %v", err)
	}

	if o.fourEyes != "" && o.fourEyes != store.FourEyesOff {
		c := store.PolicyChange{FourEyes: o.fourEyes, Note: "a team reviews here", Reviewer: "tester"}
		if _, err := st.SetFourEyes(ctx, c); err != nil {
			t.Fatalf("setting four-eyes: %v", err)
		}
	}

	if o.before != nil {
		o.before(st, sb)
	}
	return f.serve(o, st, sb, ids, base, api, dir)
}

// serve starts the fixture's server on st.
func (f *fixture) serve(o fixtureOpts, st *store.Store, sb *sandbox.Server, ids []string, base string, api *caisson.Client, dir string) *fixture {
	t := f.t
	t.Helper()
	ctx := context.Background()
	f.st, f.sb, f.ids, f.log, f.keys = st, sb, ids, &syncBuffer{}, map[string]testKey{}
	if o.keys == nil {
		o.keys = map[string]string{"alice": "alice@laptop"}
	}
	var lines []string
	for name, comment := range o.keys {
		k := newTestKey(t)
		f.keys[name] = k
		lines = append(lines, authorizedLine(k, comment))
	}
	f.authKey = filepath.Join(dir, "authorized_keys")
	writeFile(t, f.authKey, strings.Join(lines, "\n")+"\n", 0o600)

	srv, err := New(Config{
		Listen:             "127.0.0.1:0",
		HostKeyPath:        filepath.Join(dir, "host_ed25519"),
		AuthorizedKeysPath: f.authKey,
		IdleTimeout:        o.idle,
		MaxSessions:        o.maxSessions,
		ShutdownGrace:      o.grace,
		Keepalive:          o.keepalive,
		Store:              st,
		API:                api,
		APILabel:           "sandbox",
		Log:                f.log,
		Console:            o.console,
		Poller:             testPoller(t, o.pollKey, st, sb, base),
	})
	if err != nil {
		t.Fatalf("starting the server: %v", err)
	}
	f.srv = srv
	runCtx, cancel := context.WithCancel(ctx)
	f.cancel = cancel
	f.done = make(chan error, 1)
	go func() { f.done <- srv.Serve(runCtx) }()
	t.Cleanup(func() {
		f.stop()
		if err := st.Close(); err != nil {
			t.Errorf("closing the store: %v", err)
		}
		if t.Failed() || testing.Verbose() {
			t.Logf("server log:\n%s", f.log.String())
		}
	})
	return f
}

// stop shuts the server down (once) and returns what Serve returned.
func (f *fixture) stop() error {
	if f.stopped {
		return f.doneErr
	}
	f.cancel()
	select {
	case f.doneErr = <-f.done:
		f.stopped = true
	case <-time.After(30 * time.Second):
		f.t.Fatal("the server did not stop within 30s")
	}
	return f.doneErr
}

// decisions returns the decision log.
func (f *fixture) decisions() []store.Decision {
	f.t.Helper()
	var out []store.Decision
	err := f.st.Decisions(context.Background(), time.Time{}, func(d store.Decision) error {
		out = append(out, d)
		return nil
	})
	if err != nil {
		f.t.Fatalf("reading decisions: %v", err)
	}
	return out
}

// waitLog waits until the server log has a line containing every part.
func (f *fixture) waitLog(timeout time.Duration, parts ...string) string {
	f.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, l := range strings.Split(f.log.String(), "\n") {
			if containsAll(l, parts...) {
				return l
			}
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("no log line with %q within %s", parts, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// syncBuffer is the server log: written by many sessions at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var errTimeout = errors.New("timed out")

func fileMode(t testing.TB, path string) os.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Mode().Perm()
}
