package serve

import (
	"fmt"
	"net"
	"time"

	"github.com/charmbracelet/ssh"
	"github.com/charmbracelet/wish"
	gossh "golang.org/x/crypto/ssh"

	"github.com/caisson-review/caisson-review/sanitize"
)

// fingerprintExt carries the fingerprint of the key the auth callback
// accepted, so the session can check it is the key actually used.
const fingerprintExt = "caisson-review-fingerprint"

type authenticatedKey struct{}

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

func sshUser(name string) string {
	if name == "" {
		return "(no user name)"
	}
	return sanitize.Line(truncate(name, 32))
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
		s.log.Info("key refused", "user", sshUser(ctx.User()), "fingerprint", fp, "remote", ctx.RemoteAddr().String())
		return false
	}
	perms := ctx.Permissions()
	if perms.Extensions == nil {
		perms.Extensions = map[string]string{}
	}
	perms.Extensions[fingerprintExt] = grant.Fingerprint
	ctx.SetValue(authenticatedKey{}, true)
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
		user := sshUser(sess.User())
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
		id := identity{User: user, Fingerprint: fp, Comment: grant.Comment, ReadOnly: grant.ReadOnly}
		s.track(sess, id)
		defer s.untrack(sess)
		next(sess)
	}
}

// loginGrace closes a connection that has not authenticated within
// loginGraceTime. The SSH server's idle timeout is refreshed by every byte,
// so on its own it would let a slow client hold a connection forever.
func (s *Server) loginGrace(ctx ssh.Context, conn net.Conn) net.Conn {
	go func() {
		t := time.NewTimer(loginGraceTime)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
			if ctx.Value(authenticatedKey{}) != true {
				s.log.Info("connection closed: not authenticated in time", "remote", conn.RemoteAddr().String())
				conn.Close()
			}
		}
	}()
	return conn
}

// sessionChannel is the SSH layer's session handler with agent forwarding
// refused: the SSH library would otherwise accept the request (and forward
// nothing), telling the client something false.
func sessionChannel(srv *ssh.Server, conn *gossh.ServerConn, ch gossh.NewChannel, ctx ssh.Context) {
	ssh.DefaultSessionHandler(srv, conn, noAgentChannel{ch}, ctx)
}

type noAgentChannel struct{ gossh.NewChannel }

func (c noAgentChannel) Accept() (gossh.Channel, <-chan *gossh.Request, error) {
	ch, reqs, err := c.NewChannel.Accept()
	if err != nil {
		return ch, reqs, err
	}
	out := make(chan *gossh.Request)
	go func() {
		defer close(out)
		for r := range reqs {
			if r.Type == "auth-agent-req@openssh.com" || r.Type == "x11-req" {
				r.Reply(false, nil)
				continue
			}
			out <- r
		}
	}()
	return ch, out, nil
}
