package serve

import (
	"errors"
	"io"
	"os"
	"time"

	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
	"github.com/caisson-review/caisson-review/tui"
)

// Defaults for the settings a Config may leave zero.
const (
	DefaultListen        = "127.0.0.1:2222"
	DefaultIdleTimeout   = 30 * time.Minute
	DefaultMaxSessions   = 16
	DefaultShutdownGrace = 10 * time.Second
	// DefaultKeepalive is how often an authenticated connection is asked
	// whether its client is still there (OpenSSH's ClientAliveInterval);
	// one that has not answered for keepaliveMisses of them is closed.
	DefaultKeepalive = 15 * time.Second
	keepaliveMisses  = 3
	// loginGraceTime bounds how long a connection may take to
	// authenticate, like sshd's LoginGraceTime: unauthenticated
	// connections must not pile up.
	loginGraceTime = 60 * time.Second
)

// Config is everything the server is started with.
type Config struct {
	// Listen is host:port. It must be a loopback address unless
	// AllowRemote is set.
	Listen      string
	AllowRemote bool
	// HostKeyPath is the server's private ed25519 key, created (0600) on
	// first start; a key others can read is refused.
	HostKeyPath string
	// AuthorizedKeysPath is the OpenSSH authorized_keys file of the
	// reviewers, re-read when it changes.
	AuthorizedKeysPath string
	// IdleTimeout closes a console after this long without a key press,
	// and a connection without a console after as long.
	IdleTimeout time.Duration
	// MaxSessions is the number of authenticated connections open at
	// once, each with a console or none (ssh -N); a second console on one
	// connection counts again. One more console is told so and closed.
	MaxSessions int
	// ShutdownGrace bounds how long Run waits, once ctx is done, for
	// sessions to end and work in flight to finish.
	ShutdownGrace time.Duration
	// Keepalive is how often a connection's client is asked whether it
	// is still there; one silent for three of them (a laptop asleep, a
	// network gone without a reset) is closed, its slot and its claim
	// freed, rather than held until IdleTimeout. DefaultKeepalive when
	// zero.
	Keepalive time.Duration

	// Store is shared by every session; the caller closes it after Run
	// returns (Run returns only once no session can touch it).
	Store *store.Store
	// API is shared by every session; nil runs the consoles from the store
	// alone. The key it holds never leaves the server.
	API      service.API
	APILabel string
	// Poller, when set, polls the checks waiting at Caisson for as long
	// as the server runs: one for every session, each of which sees every
	// answer at once and is told in its header when polling stopped.
	Poller *service.Poller

	// Log receives connections, refusals and decisions as text lines
	// (never the API key, notes or personal data). os.Stderr when nil.
	Log io.Writer
	// Now is the consoles' clock; time.Now when nil.
	Now func() time.Time
	// Console is every console's defaults from the server's configuration
	// file: its Keys, StartQueue, StartSort, Masked and Theme. Nothing else
	// of it is read: each session sets the rest.
	Console tui.Config
}

func (c Config) withDefaults() Config {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.MaxSessions == 0 {
		c.MaxSessions = DefaultMaxSessions
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = DefaultShutdownGrace
	}
	if c.Keepalive == 0 {
		c.Keepalive = DefaultKeepalive
	}
	if c.Log == nil {
		c.Log = os.Stderr
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Store == nil:
		return errors.New("serve: no store given")
	case c.IdleTimeout < 0:
		return errors.New("idle timeout: expected a positive duration such as 30m")
	case c.MaxSessions < 0:
		return errors.New("max sessions: expected a positive number")
	case c.ShutdownGrace < 0:
		return errors.New("shutdown grace: expected a positive duration such as 10s")
	case c.Keepalive < 0:
		return errors.New("keepalive: expected a positive duration such as 15s")
	}
	return checkListen(c.Listen, c.AllowRemote)
}
