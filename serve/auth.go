package serve

import (
	"errors"
	"fmt"

	"charm.land/ssh"
	"charm.land/wish/v2"
	gossh "golang.org/x/crypto/ssh"

	"github.com/caisson-review/caisson-review/sanitize"
)

// fingerprintExt carries the fingerprint of the key the auth callback
// accepted, so the session can check it is the key actually used.
const fingerprintExt = "caisson-review-fingerprint"

// identity is who a session is: the verified key and what authorized_keys
// grants it. The SSH user name is the client's choice; the fingerprint is
// what proves who it is.
type identity struct {
	User        string // sanitized, at most 32 characters
	Fingerprint string // SHA256:…
	Comment     string // from authorized_keys, sanitized; may be ""
	ReadOnly    bool
}

// Reviewer is the name stored with every decision:
// "alice (SHA256:…, alice@laptop)".
func (id identity) Reviewer() string {
	if id.Comment == "" {
		return fmt.Sprintf("%s (%s)", id.User, id.Fingerprint)
	}
	return fmt.Sprintf("%s (%s, %s)", id.User, id.Fingerprint, id.Comment)
}

// DisplayName is the short name other reviewers see next to a check.
func (id identity) DisplayName() string {
	if id.Comment != "" {
		return fmt.Sprintf("%s (%s)", id.User, id.Comment)
	}
	return fmt.Sprintf("%s (%s)", id.User, shortFingerprint(id.Fingerprint))
}

func shortFingerprint(fp string) string {
	const n = len("SHA256:") + 8
	if len(fp) <= n {
		return fp
	}
	return fp[:n] + "…"
}

// sshUser is the client's user name as logged and shown: at most 32
// characters, sanitized, and withheld when it holds the secret API key
// (helper-74: `ssh -l "$KEY"` wrote 20 of its characters to the log, the
// header and, once a decision was made, the decision log).
func (s *Server) sshUser(name string) string {
	switch {
	case name == "":
		return "(no user name)"
	case s.holdsKey(name):
		return userHoldingKey
	}
	return sanitize.Line(truncate(name, 32))
}

// userHoldingKey stands for a user name that holds the API key.
const userHoldingKey = "(withheld: holds the API key)"

// holdsKey says whether text holds the API key the server fetches with.
func (s *Server) holdsKey(text string) bool {
	return s.cfg.API != nil && s.cfg.API.HoldsKey(text)
}

// publicKeyHandler is the only authentication the server offers: no
// password or keyboard-interactive handler is set, so the SSH layer never
// even offers those methods.
func (s *Server) publicKeyHandler(ctx ssh.Context, key ssh.PublicKey) bool {
	fp := gossh.FingerprintSHA256(key)
	grant, ok, err := s.keys.Lookup(key)
	if err != nil {
		return false // already logged by the key file reader
	}
	if !ok {
		s.log.Info("key refused", "user", s.sshUser(ctx.User()), "fingerprint", fp, "remote", ctx.RemoteAddr().String())
		return false
	}
	perms := ctx.Permissions()
	if perms.Extensions == nil {
		perms.Extensions = map[string]string{}
	}
	perms.Extensions[fingerprintExt] = grant.Fingerprint
	return true
}

// authenticate checks the key again when the session starts, as
// soft-serve does: the auth callback may be called for keys the client
// only offered, so the fingerprint recorded there must be that of the key
// the connection was authenticated with; and the key must still be in
// authorized_keys now (a key removed since the login gets nothing).
func (s *Server) authenticate(next ssh.Handler) ssh.Handler {
	return func(sess ssh.Session) {
		pk := sess.PublicKey()
		user := s.sshUser(sess.User())
		remote := sess.RemoteAddr().String()
		if pk == nil {
			s.log.Warn("session refused: no public key", "user", user, "remote", remote)
			wish.Fatalln(sess, "caisson-review: permission denied")
			return
		}
		fp := gossh.FingerprintSHA256(pk)
		perms := sess.Permissions()
		if perms.Permissions == nil || perms.Extensions[fingerprintExt] != fp {
			s.log.Warn("session refused: key differs from the one authenticated", "user", user, "fingerprint", fp, "remote", remote)
			wish.Fatalln(sess, "caisson-review: permission denied")
			return
		}
		grant, ok, err := s.keys.Lookup(pk)
		if err != nil || !ok {
			s.log.Warn("session refused: key no longer authorized", "user", user, "fingerprint", fp, "remote", remote)
			wish.Fatalln(sess, "caisson-review: permission denied: this key is no longer authorized")
			return
		}
		if user == userHoldingKey {
			// Refused rather than shown withheld: the name would be the
			// reviewer's in every decision of the session, for good.
			s.log.Warn("session refused: its user name holds the secret API key", "user", user, "fingerprint", fp, "remote", remote)
			wish.Fatalln(sess, "caisson-review: your SSH user name holds the secret API key: connect with your own name (ssh -l NAME), and keep the key out of command lines")
			return
		}
		id := identity{User: user, Fingerprint: fp, Comment: grant.Comment, ReadOnly: grant.ReadOnly}
		s.track(sess, id)
		defer s.untrack(sess)
		next(sess)
	}
}

// Why a write is refused although the session was let in: the key has
// changed in authorized_keys since.
var (
	errKeyRevoked  = errors.New("this key is no longer in the server's authorized_keys: nothing was saved")
	errKeyReadOnly = errors.New("this key is read-only in the server's authorized_keys: nothing was saved")
	// The file, not the key: unsafe to trust (writable by others, say) or
	// gone. Every key is refused until the operator fixes it.
	errKeysUnusable = errors.New("the server's authorized_keys cannot be trusted right now (its log says why; the operator must fix it): nothing was saved")
)

// stillAuthorized checks key against authorized_keys as it is now. Every
// write a console makes goes through it, so a key removed (or made
// read-only) while its console is open changes nothing more, even before
// the sweep closes that console.
func (s *Server) stillAuthorized(key ssh.PublicKey) func() error {
	return func() error {
		grant, ok, err := s.keys.Lookup(key)
		switch {
		case err != nil:
			return errKeysUnusable
		case !ok:
			return errKeyRevoked
		case grant.ReadOnly:
			return errKeyReadOnly
		}
		return nil
	}
}

// refuseSubsystems is the SSH layer's session request callback: shell and
// exec go on to the middleware (which refuses exec with a message), and a
// subsystem (sftp, …) is refused here, where it can still be logged: with
// no subsystem handler the SSH library would refuse it without a word.
func (s *Server) refuseSubsystems(sess ssh.Session, requestType string) bool {
	if requestType != "subsystem" {
		return true
	}
	fp := ""
	if pk := sess.PublicKey(); pk != nil {
		fp = gossh.FingerprintSHA256(pk)
	}
	s.log.Info("session refused: subsystem requested", "subsystem", sanitize.Line(truncate(sess.Subsystem(), 32)),
		"user", s.sshUser(sess.User()), "fingerprint", fp, "remote", sess.RemoteAddr().String())
	return false
}

// ptyHandler fakes the pty, as the SSH library does by default, and starts
// draining the session's window changes at once (see windowSizes): from
// the pty request on, before any console exists to read them.
func (s *Server) ptyHandler(emulate ssh.PtyHandler) ssh.PtyHandler {
	return func(ctx ssh.Context, sess ssh.Session, pty ssh.Pty) (func() error, error) {
		closer, err := emulate(ctx, sess, pty)
		if err != nil {
			return closer, err
		}
		_, winch, ok := sess.Pty()
		if !ok {
			return closer, nil
		}
		w := newWindowSizes(pty.Term, pty.Window)
		s.mu.Lock()
		s.windows[sess] = w
		s.mu.Unlock()
		go func() {
			w.drain(winch)
			s.mu.Lock()
			delete(s.windows, sess)
			s.mu.Unlock()
		}()
		return closer, nil
	}
}

// emulatedPty is the SSH library's own pty handler, which it keeps
// unexported behind an option.
func emulatedPty() ssh.PtyHandler {
	var srv ssh.Server
	_ = ssh.EmulatePty()(&srv)
	return srv.PtyHandler
}

// maxChannels bounds the sessions open at once on one connection, as
// sshd's MaxSessions does (10 there too): each holds goroutines and
// buffers whether or not it ever starts a console.
const maxChannels = 10

// sessionChannel is the SSH layer's session handler with agent forwarding
// refused (the SSH library would otherwise accept the request, and forward
// nothing, telling the client something false) and at most maxChannels
// sessions a connection.
func (s *Server) sessionChannel(srv *ssh.Server, conn *gossh.ServerConn, ch gossh.NewChannel, ctx ssh.Context) {
	if p := peerOf(ctx); p != nil {
		if p.channels.Add(1) > maxChannels {
			p.channels.Add(-1)
			s.log.Warn("session refused: too many on one connection", "user", s.sshUser(conn.User()), "remote", conn.RemoteAddr().String(), "max", maxChannels)
			ch.Reject(gossh.ResourceShortage, fmt.Sprintf("at most %d sessions on one connection", maxChannels))
			return
		}
		defer p.channels.Add(-1)
	}
	ssh.DefaultSessionHandler(srv, conn, noAgentChannel{ch}, ctx)
}

// refuseForwarding refuses a local port forward (ssh -L), as every channel
// but a session is, and says so in the log once a connection: it was
// refused without a word (helper-63).
func (s *Server) refuseForwarding(_ *ssh.Server, conn *gossh.ServerConn, ch gossh.NewChannel, ctx ssh.Context) {
	s.logForwardingOnce(ctx, "local", conn.User(), conn.RemoteAddr().String())
	ch.Reject(gossh.Prohibited, "port forwarding is not accepted")
}

// refuseRemoteForwarding refuses a remote port forward (ssh -R).
func (s *Server) refuseRemoteForwarding(ctx ssh.Context, _ *ssh.Server, _ *gossh.Request) (bool, []byte) {
	s.logForwardingOnce(ctx, "remote", ctx.User(), ctx.RemoteAddr().String())
	return false, nil
}

// logForwardingOnce logs a refused forward of each kind the first time a
// connection asks: a client may ask thousands of times.
func (s *Server) logForwardingOnce(ctx ssh.Context, kind, user, remote string) {
	if p := peerOf(ctx); p != nil {
		s.mu.Lock()
		logged := p.forwardLogged[kind]
		if p.forwardLogged == nil {
			p.forwardLogged = map[string]bool{}
		}
		p.forwardLogged[kind] = true
		s.mu.Unlock()
		if logged {
			return
		}
	}
	s.log.Info("refused: port forwarding", "kind", kind, "user", s.sshUser(user), "remote", remote)
}

// maxEnv bounds the environment variables a session may send (each one
// is kept for the session's life); OpenSSH clients send a handful.
const maxEnv = 64

type noAgentChannel struct{ gossh.NewChannel }

// Accept passes the channel's requests on to the SSH library's session
// handler, less the refused ones. What it passes on is handled without
// waiting (window changes are drained at once, see windowSizes), so the
// buffer only evens out bursts: a request that waited here would hold up
// the connection's whole packet loop, every channel's data with it.
func (c noAgentChannel) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, reqs, err := c.NewChannel.Accept()
	if err != nil {
		return ch, reqs, err
	}
	out := make(chan *gossh.Request, 16)
	go func() {
		defer close(out)
		env := 0
		for r := range reqs {
			switch r.Type {
			case "auth-agent-req@openssh.com", "x11-req":
				r.Reply(false, nil)
				continue
			case "env":
				if env++; env > maxEnv {
					r.Reply(false, nil)
					continue
				}
			}
			out <- r
		}
	}()
	return ch, out, nil
}
