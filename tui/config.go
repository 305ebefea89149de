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

	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

// Store is what the console reads from the local database; *store.Store
// satisfies it. It is declared here so the console depends on behaviour,
// not on the package's internals. What writes or reaches Caisson goes
// through the Service.
type Store interface {
	Counts(ctx context.Context) (store.Counts, error)
	Page(ctx context.Context, q store.PageQuery) ([]store.Row, error)
	Count(ctx context.Context, q store.PageQuery) (int, error)
	Get(ctx context.Context, checkID string) (*store.Record, error)
	Next(ctx context.Context, q store.PageQuery, afterID string) (string, bool, error)
	ByCustomer(ctx context.Context, customerID string) ([]store.Row, error)
	// Policy gives the SLA that marks a check overdue; Stats the figures
	// of the stats view.
	Policy(ctx context.Context) (store.Policy, error)
	Stats(ctx context.Context, q store.StatsQuery) (*store.Stats, error)
}

// Service is the work the console asks for: adding, refreshing and
// deciding, done once for every front end; *service.Service satisfies
// it. Each call runs in a tea.Cmd, never in Update or View.
type Service interface {
	// Online reports whether Caisson can be reached (an API key).
	Online() bool
	Add(ctx context.Context, inputs []service.Input) (service.AddReport, error)
	Refresh(ctx context.Context, ids []string, o service.RefreshOptions) (service.Report, error)
	RefreshQueue(ctx context.Context, q store.PageQuery, o service.RefreshOptions) (service.Report, error)
	RefreshOne(ctx context.Context, checkID string) (service.Result, error)
	Decide(ctx context.Context, r service.DecideRequest) (service.Decided, error)
}

var _ Service = (*service.Service)(nil)

// PollStatus says whether polling stopped for good (a refused API key);
// *service.Poller is one.
type PollStatus interface {
	Stopped() error
	// Paused is the pause while Caisson is unavailable, nil when none.
	Paused() *service.Pause
}

// Poller polls the checks waiting at Caisson until ctx ends or polling
// stops for good; *service.Poller is one.
type Poller interface {
	PollStatus
	Run(ctx context.Context, polled func(service.Result)) error
}

var _ Poller = (*service.Poller)(nil)

// Config is everything the console is started with.
type Config struct {
	Store Store
	// Service writes and reaches Caisson, as Reviewer. Offline
	// (Online false) the console reads and decides from the store alone,
	// and says so when asked to refresh or add a token; nil, it also
	// says so when asked to write.
	Service  Service
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
	// Keys are keys bound by action name (a configuration file's [keys];
	// ActionNames lists them); an action left out keeps its default keys.
	// Check them with CheckBindings first: the console takes them as
	// they are.
	Keys map[string][]string
	// StartQueue and StartSort are the tab and the sort the console opens
	// on: needs review by risk when zero.
	StartQueue store.Queue
	StartSort  store.Sort
	// Masked starts with personal data masked (m unmasks it).
	Masked bool
	// Poll, when set, is run by the console while it is open (the local
	// console): it polls the checks waiting at Caisson, and each answer
	// is read onto the screen at once. Not run read-only or offline.
	Poll Poller
	// PollStatus is the poller of the process when the console does not
	// run it (serve's, one for every session): the header says when it
	// stopped for good. Poll's own when nil.
	PollStatus PollStatus
	// StaleAfter, when positive, marks a check last fetched longer ago
	// than this as stale: ◷ in the list, the word in the detail.
	StaleAfter time.Duration
	// Tampering is what the store found wrong with the decision log's
	// guards when it was opened (store.Store.Tampering): the header says
	// so, first of its notices, for as long as the console runs.
	Tampering []string
	// Theme is the colours: ThemeAuto (the zero value) follows the
	// terminal's background, ThemeDark and ThemeLight say it, and
	// ThemeNone draws no colour at all, as NO_COLOR does.
	Theme Theme
}

// Theme is the console's colours.
type Theme string

const (
	ThemeAuto  Theme = "auto"
	ThemeDark  Theme = "dark"
	ThemeLight Theme = "light"
	ThemeNone  Theme = "none"
)

// Themes are the themes a configuration can name.
var Themes = []Theme{ThemeAuto, ThemeDark, ThemeLight, ThemeNone}

// StoreChanged tells a running console that something else changed the
// store (another session, a CLI command): it reads the counts, the page and
// the check on screen again. Send it with tea.Program.Send.
type StoreChanged struct{}

// StoreUnreachable tells a running console that the store stopped
// answering (its PostgreSQL server gone: store.Unreachable): the header
// says so, with since when, until StoreReachable, so that a reviewer does
// not take what is on screen for current. Its writes are refused
// meanwhile, each saying why.
type StoreUnreachable struct{}

// StoreReachable tells a running console that the store answers again.
type StoreReachable struct{}
