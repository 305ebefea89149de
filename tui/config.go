// Package tui is the review console: a Bubble Tea program in which a
// reviewer works through ID Checks with the keyboard.
//
// The structure follows gh-dash: one root Model owns layout and routing, a
// shared context (size, styles, keys, clock, config) is handed to each
// component, and every component has its own Update and View. The console
// never talks HTTP or SQL itself: each call to the store or the API runs in
// a tea.Cmd, tagged with a task id, and its result comes back as a message.
package tui

import (
	"context"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/store"
)

// Store is what the console needs from the local database; *store.Store
// satisfies it. It is declared here so the console depends on behaviour,
// not on the package's internals.
type Store interface {
	Counts(ctx context.Context) (store.Counts, error)
	Page(ctx context.Context, q store.PageQuery) ([]store.Row, error)
	Count(ctx context.Context, q store.PageQuery) (int, error)
	Get(ctx context.Context, checkID string) (*store.Record, error)
	Decide(ctx context.Context, checkID string, a store.Action, note, reviewer string) (store.Decision, error)
	// DecideAs records a decision with its reason, and confirms or returns
	// a proposal (four-eyes): the store's rules, in its transaction.
	DecideAs(ctx context.Context, r store.DecisionRequest) (store.Decision, error)
	Add(ctx context.Context, checkID, by string, src store.Source) (bool, error)
	Exchange(ctx context.Context, token, by string, exchange func(context.Context, string) (string, error)) (string, bool, error)
	RecordFetch(ctx context.Context, checkID string, chk *caisson.Check, fetchErr error, at time.Time) error
	Next(ctx context.Context, q store.PageQuery, afterID string) (string, bool, error)
	ByCustomer(ctx context.Context, customerID string) ([]store.Row, error)
}

// API is what the console needs from Caisson; *caisson.Client satisfies it.
type API interface {
	GetCheck(ctx context.Context, checkID string) (*caisson.Check, error)
	ExchangeToken(ctx context.Context, token string) (string, error)
	FetchMany(ctx context.Context, ids []string, concurrency int, each func(caisson.Result)) error
}

// Config is everything the console is started with.
type Config struct {
	Store Store
	// API may be nil: the console then reads and decides from the store
	// alone, and says so when asked to refresh or add.
	API      API
	Reviewer string
	// APILabel is shown in the header: "sandbox" or the API host.
	APILabel string
	// ReadOnly removes every decision key (and adding checks) from the
	// keys and the help, for support staff.
	ReadOnly bool
	// Now is the clock; time.Now when nil. Its location is the "local
	// time" in which timestamps are shown.
	Now func() time.Time
	// RefreshOnStart refreshes every check at start, with the progress
	// bar in view (the demo).
	RefreshOnStart bool
	// HasDarkBackground is the terminal's background when the caller
	// already knows it. When nil the console asks the terminal
	// (tea.RequestBackgroundColor) and draws nothing until it answers, or
	// for a dark background when it has not answered within
	// backgroundWait. Which colours reach the terminal (none with
	// NO_COLOR, 16, 256) is the program's colour profile: see Options.
	HasDarkBackground *bool
	// Presence, when set, shares which check this console has open with
	// the other reviewers' consoles and shows which ones they have open
	// (caisson-review serve); nil in a console of one.
	Presence Presence
	// Watch, when positive, is how often the console looks whether the
	// store was changed by someone else (another session, a CLI command in
	// another process) and, if so, reads the screen again.
	Watch time.Duration
}

// StoreChanged tells a running console that something else changed the
// store (another session, a CLI command): it reads the counts, the page and
// the check on screen again. Send it with tea.Program.Send.
type StoreChanged struct{}
