package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/ssh"
	"charm.land/wish/v2"
	"charm.land/wish/v2/recover"
	gossh "golang.org/x/crypto/ssh"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

// Server is the review console served over SSH.
type Server struct {
	cfg      Config
	log      *slog.Logger
	hostKey  hostKey
	keys     *authorizedKeys
	presence *Presence
	// storeDown is set while the store does not answer (storeReachable),
	// under mu.
	storeDown bool
	ln        net.Listener
	ssh       *ssh.Server
	gate      workGate

	// presenceDone is closed once the presence has written its last
	// releases, after shutdown stopped it.
	presenceStop, presenceDone chan struct{}
	// told is set while the store tells the server of every write
	// (sharePresence): then the consoles need not look themselves.
	told atomic.Bool

	// newModel builds a session's console; tests replace it to exercise
	// the server around a misbehaving console.
	newModel func(*liveSession) tea.Model

	mu       sync.Mutex
	peers    map[*peer]struct{}           // open connections
	used     int                          // slots held (see conns.go)
	windows  map[ssh.Session]*windowSizes // sessions with a pty, from the pty request on
	live     map[ssh.Session]*liveSession // authenticated sessions
	admitted map[*liveSession]struct{}    // those running a console
	draining bool
	sessions sync.WaitGroup // admitted sessions not yet ended
}

// Run serves the console until ctx is done, then shuts down in order (see
// Serve). The caller closes the store after Run returns.
func Run(ctx context.Context, cfg Config) error {
	s, err := New(cfg)
	if err != nil {
		return err
	}
	return s.Serve(ctx)
}

// New checks the configuration, reads (or creates) the host key, reads
// authorized_keys and starts listening; connections are served by Serve.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		log:      newLogger(cfg.Log),
		peers:    make(map[*peer]struct{}),
		windows:  make(map[ssh.Session]*windowSizes),
		live:     make(map[ssh.Session]*liveSession),
		admitted: make(map[*liveSession]struct{}),
	}
	s.newModel = s.newConsole
	s.presence = NewSharedPresence(cfg.Store, s.log)
	var err error
	if s.keys, err = openAuthorizedKeys(cfg.AuthorizedKeysPath, s.log); err != nil {
		return nil, err
	}
	if s.hostKey, err = loadOrCreateHostKey(cfg.HostKeyPath); err != nil {
		return nil, err
	}
	if s.hostKey.Created {
		s.log.Info("host key created", "path", cfg.HostKeyPath, "fingerprint", s.hostKey.Fingerprint)
	}
	if s.ssh, err = s.newSSHServer(); err != nil {
		return nil, err
	}
	if s.ln, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, fmt.Errorf("listening on %s: %w", cfg.Listen, err)
	}
	// "localhost" is resolved by the system; check what it resolved to.
	if addr, ok := s.ln.Addr().(*net.TCPAddr); ok && !cfg.AllowRemote && !addr.IP.IsLoopback() {
		s.ln.Close()
		return nil, fmt.Errorf("listen address %s resolved to %s, which is not loopback: expected a loopback address, or --allow-remote", cfg.Listen, addr)
	}
	return s, nil
}

func (s *Server) newSSHServer() (*ssh.Server, error) {
	panics := panicLogger{s.log}
	emulate := emulatedPty()
	return wish.NewServer(
		func(srv *ssh.Server) error { srv.AddHostKey(s.hostKey.Signer); return nil },
		wish.WithVersion("caisson-review"),
		// Public keys only: with no password or keyboard-interactive
		// handler the server never offers those methods.
		wish.WithPublicKeyAuth(s.publicKeyHandler),
		// A backstop for a connection whose packets stop altogether;
		// the sweep (conns.go) reaps idle and stuck ones whatever their
		// state.
		wish.WithIdleTimeout(s.cfg.IdleTimeout+30*time.Second),
		ssh.WrapConn(s.accept),
		func(srv *ssh.Server) error {
			srv.ServerConfigCallback = func(ssh.Context) *gossh.ServerConfig {
				return &gossh.ServerConfig{Config: sshAlgorithms()}
			}
			return nil
		},
		func(srv *ssh.Server) error {
			// Only session channels: no direct-tcpip (port forwarding) or
			// other channel types; no global requests (tcpip-forward).
			srv.ChannelHandlers = map[string]ssh.ChannelHandler{"session": s.sessionChannel, "direct-tcpip": s.refuseForwarding}
			srv.RequestHandlers = map[string]ssh.RequestHandler{"tcpip-forward": s.refuseRemoteForwarding}
			srv.SessionRequestCallback = s.refuseSubsystems
			srv.PtyHandler = s.ptyHandler(emulate)
			return nil
		},
		// Composed last-to-first: authenticate runs first, the console last.
		wish.WithMiddleware(recover.MiddlewareWithLogger(panics,
			s.runConsole,
			s.admit,
			s.requirePty,
			s.refuseCommands,
			s.authenticate,
		)),
	)
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// HostKeyFingerprint is the SHA256 fingerprint reviewers should see on
// their first connection.
func (s *Server) HostKeyFingerprint() string { return s.hostKey.Fingerprint }

// HostPublicKey is the server's public key, for known_hosts.
func (s *Server) HostPublicKey() gossh.PublicKey { return s.hostKey.Signer.PublicKey() }

// Serve accepts connections until ctx is done. Then it stops accepting,
// tells every open console the server is shutting down, waits up to
// ShutdownGrace for them to end and for every store call in flight to
// finish (a decision is durable when store.Decide returns), closes what is
// left and returns. It returns an error when the grace period was not
// enough, or when the listener failed.
func (s *Server) Serve(ctx context.Context) error {
	s.log.Info("listening", "addr", s.ln.Addr().String(), "host_key", s.hostKey.Fingerprint,
		"authorized_keys", s.keys.Len(), "max_sessions", s.cfg.MaxSessions, "idle_timeout", s.cfg.IdleTimeout.String())
	s.warnFourEyesOff(ctx)
	// In the background: a Caisson that does not answer must not keep
	// the reviewers out. Shutdown waits for it as for any store call.
	if s.gate.enter() == nil {
		go func() {
			defer s.gate.leave()
			s.resumeExchanges(ctx)
		}()
	}
	if s.cfg.Poller != nil && s.gate.enter() == nil {
		go func() {
			defer s.gate.leave()
			s.poll(ctx)
		}()
	}
	listening, stopListening := context.WithCancel(context.WithoutCancel(ctx))
	defer stopListening()
	s.sharePresence(listening)
	errc := make(chan error, 1)
	go func() { errc <- s.ssh.Serve(s.ln) }()
	sweeping := make(chan struct{})
	defer close(sweeping)
	go s.sweep(sweeping)
	select {
	case <-ctx.Done():
		return s.shutdown()
	case err := <-errc:
		shutErr := s.shutdown()
		return errors.Join(fmt.Errorf("ssh server on %s: %w", s.ln.Addr(), err), shutErr)
	}
}

// sharePresence starts keeping the presence current through the store
// (Presence.Run), with the store's change notices: on PostgreSQL, a
// write on another server shows in every session here within a second
// (StoreChanged), and so does a claim (only the claims are read again,
// and the marks redrawn). Notices of this server's own writes are left
// out: its sessions were told of them as they were made (storeChangedBy,
// and the presence itself). Without notices (SQLite, or the listening
// connection refused) the presence reads the claims every second and the
// consoles look at the store themselves (Config.Watch).
func (s *Server) sharePresence(ctx context.Context) {
	changes, err := s.cfg.Store.Changes(ctx, store.OtherWriters)
	if err != nil {
		s.log.Warn("cannot listen for other servers' changes; they show when the consoles next look",
			"error", sanitize.Line(err.Error()))
		changes = nil
	}
	s.told.Store(changes != nil && s.cfg.Store.NotifiesChanges())
	stop, done := make(chan struct{}), make(chan struct{})
	s.presenceStop, s.presenceDone = stop, done
	go func() {
		defer close(done)
		s.presence.Run(stop, changes, func(c store.Change) {
			switch {
			case c.Has(store.Reachable):
				s.storeReachable(true)
			case c.Has(store.Unreachable):
				s.storeReachable(false)
			}
			if c.Has(store.DataChanged) {
				s.storeChangedBy(nil)
			}
		})
	}()
}

// stopPresence has the presence write the releases of the sessions that
// ended and stop; false when that took longer than d.
func (s *Server) stopPresence(d time.Duration) bool {
	if s.presenceStop == nil {
		return true
	}
	close(s.presenceStop)
	s.presenceStop = nil
	select {
	case <-s.presenceDone:
		return true
	case <-time.After(d):
		return false
	}
}

// warnFourEyesOff warns, at start, that one reviewer's decision takes
// effect alone: the default of a new database, which suits one reviewer
// but not the team a server is for. Only the CLI changes the policy.
func (s *Server) warnFourEyesOff(ctx context.Context) {
	p, err := s.cfg.Store.Policy(ctx)
	if err != nil {
		s.log.Warn("cannot read the four-eyes policy", "error", sanitize.Line(err.Error()))
		return
	}
	if p.FourEyes == store.FourEyesOff {
		s.log.Warn("four-eyes policy is off: one reviewer's approval takes effect without a second reviewer; "+
			"for a team, run: caisson-review policy set four-eyes risky --note \"why\"", "four_eyes", string(p.FourEyes))
	}
}

// serverReviewer is who the exchanges the server finishes at start are
// recorded as added by: no reviewer asked for them then.
const serverReviewer = "caisson-review (serve)"

// resumeExchanges finishes, at start, the token exchanges left unfinished
// (by this server before a restart, or by the CLI): Caisson takes an
// exchanged token again for only 5 minutes, so waiting for a reviewer's
// add would let them expire. Each outcome is logged, never the token. An
// exchange cut short by shutdown keeps its token for the next start.
func (s *Server) resumeExchanges(ctx context.Context) {
	if s.cfg.API == nil {
		return
	}
	svc := service.New(s.cfg.Store, s.cfg.API, service.Options{Reviewer: serverReviewer, Now: s.cfg.Now})
	resumed, err := svc.ResumeExchanges(ctx)
	if err != nil {
		s.log.Warn("cannot resume interrupted exchanges", "error", sanitize.Line(err.Error()))
	}
	for _, r := range resumed {
		attrs := []any{"recorded", r.RecordedAt.Format(time.RFC3339)}
		switch {
		case r.Failed() && !r.Dropped:
			s.log.Warn("exchange still not finished: token kept", append(attrs, "until", r.KeptUntil.Format(time.RFC3339),
				"error", sanitize.Line(caisson.Explain(r.Err)))...)
		case r.Failed():
			s.log.Warn("exchange token dropped", append(attrs, "detail", sanitize.Line(r.Text(rfc3339)))...)
		default:
			s.log.Info("exchange finished", append(attrs, "check", r.CheckID, "added", r.Added)...)
		}
	}
}

func rfc3339(t time.Time) string { return t.Format(time.RFC3339) }

func (s *Server) shutdown() error {
	deadline := time.Now().Add(s.cfg.ShutdownGrace)
	s.mu.Lock()
	s.draining = true
	open := make([]*liveSession, 0, len(s.admitted))
	for ls := range s.admitted {
		open = append(open, ls)
	}
	s.mu.Unlock()
	s.log.Info("shutting down", "sessions", len(open), "grace", s.cfg.ShutdownGrace.String())

	// Stop accepting: with a context already done, Shutdown closes the
	// listener and returns at once instead of waiting for connections.
	stopped, cancel := context.WithCancel(context.Background())
	cancel()
	_ = s.ssh.Shutdown(stopped)

	s.closeIdleConnections()
	for _, ls := range open {
		ls.end(endShutdown)
	}
	var problems []error
	if !waitTimeout(&s.sessions, time.Until(deadline)) {
		s.log.Warn("sessions still open after the grace period: closing their connections")
		s.ssh.Close()
		if !waitTimeout(&s.sessions, 5*time.Second) {
			problems = append(problems, errors.New("some sessions did not end after their connections were closed"))
		}
	}
	if !s.stopPresence(max(time.Until(deadline), time.Second)) {
		problems = append(problems, errors.New("the claims of the sessions were still being released after the grace period"))
	}
	if !s.gate.closeAndWait(max(time.Until(deadline), time.Second)) {
		problems = append(problems, errors.New("store calls were still in flight after the grace period"))
	}
	s.ssh.Close()
	if err := errors.Join(problems...); err != nil {
		s.log.Error("stopped uncleanly", "error", err)
		return fmt.Errorf("shutdown: %w", err)
	}
	s.log.Info("stopped")
	return nil
}

// newLogger writes text lines (key=value, values quoted when they hold
// spaces or controls): easy for journald and grep alike.
func newLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

// panicLogger receives what the recover middleware caught: one session's
// panic is logged and that session ends; the others go on.
type panicLogger struct{ log *slog.Logger }

func (p panicLogger) Printf(format string, v ...any) {
	p.log.Error("session panicked", "detail", sanitize.Text(fmt.Sprintf(format, v...)))
}

// sshAlgorithms are the key exchanges, ciphers and MACs the server
// offers: x/crypto's own list of those without known weaknesses, less
// anything built on SHA-1. Its defaults also offered
// diffie-hellman-group14-sha1, hmac-sha1 and hmac-sha1-96, which a
// hardened bastion refuses (helper-59); every OpenSSH of the last decade
// has the others (curve25519-sha256, AES-GCM or ChaCha20-Poly1305,
// hmac-sha2-256-etm).
func sshAlgorithms() gossh.Config {
	ok := gossh.SupportedAlgorithms()
	noSHA1 := func(names []string) []string {
		return slices.DeleteFunc(slices.Clone(names), func(n string) bool { return strings.Contains(n, "sha1") })
	}
	return gossh.Config{KeyExchanges: noSHA1(ok.KeyExchanges), Ciphers: slices.Clone(ok.Ciphers), MACs: noSHA1(ok.MACs)}
}
