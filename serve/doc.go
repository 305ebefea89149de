// Package serve serves the review console over SSH (caisson-review serve),
// so that a compliance team on a bastion shares one database, reviewers
// need no shell account, and every decision carries a verified identity.
//
// It follows Charm's soft-serve: a wish server with a middleware chain
// (recover, then our authentication re-check, command refusal, the pty check,
// admission, then the Bubble Tea program), one console per session drawn
// for that session's terminal (its TERM, environment, window size and the
// colour profile they give), and one store and one API client shared by
// all of them. The API key stays in this process.
//
// # Who gets in
//
// Public keys only, against an OpenSSH authorized_keys file, re-read when
// its size, modification time, mode or inode changes (no restart to add or
// remove a reviewer). No passwords, no keyboard-interactive, no shell or
// exec (a command is refused with a message), no subsystems (refused and
// logged), no port or agent forwarding, no session without a pty. When the
// session starts, the key it authenticated with is checked again: its
// fingerprint must be the one the auth callback accepted, and it must
// still be in the file. It is checked again before every write the
// console makes, and every second while the connection is open: a key
// removed from the file (missing on two looks in a row) has its consoles
// told and closed, and so has a key marked read-only its consoles that
// were opened with decision keys. The file and every directory above it must be safe from
// other users, as sshd's StrictModes requires.
//
// One key per line, with an optional comment; blank lines and # comments
// are skipped. Key options (from=, command=, restrict, …) are not
// supported, and a line that has any is ignored with a warning rather than
// granting more than its options say. The file may not be writable by
// group or others.
//
//	ssh-ed25519 AAAAC3Nza… alice@laptop
//	ssh-ed25519 AAAAC3Nza… sam@support caisson-review:read-only
//
// A key whose comment contains the word caisson-review:read-only (see
// ReadOnlyTag) gets the read-only console: no decision keys, no adding
// checks, no refreshing (a refresh writes Caisson's answer to the store);
// its API calls are refused by the server too.
//
// # Who decided
//
// Every decision is stored with the reviewer "<ssh user> (SHA256:<key
// fingerprint>[, <comment>])", e.g. "alice (SHA256:mJ3…, alice@laptop)".
// The user name is the client's choice; the fingerprint is the identity.
//
// # Where it listens
//
// Listen is explicit and loopback by default (127.0.0.1:2222); any other
// address is refused unless AllowRemote is set (--allow-remote), because
// the console shows personal data. The host key is an ed25519 key created
// with mode 0600 on first start; a host key readable by group or others is
// refused. Its fingerprint is logged at start.
//
// # Reviewers see each other
//
// A check a reviewer has open (its detail, or a decision on it under way)
// is claimed in a registry shared by the sessions (Presence), and through
// the store by every server on the same database: every other console, on
// any of them, marks it with ● in the list and says "● being reviewed by
// alice (alice@laptop)". Going back to the list, opening another check,
// quitting, an idle timeout or a dropped connection releases the claim; a
// server that dies stops heartbeating its claims and they lapse within
// store.ClaimExpiry. A change one session makes to the store is pushed to
// the others at once (at most one re-read every 500ms each); a change by
// another process or server on the same database shows within a second:
// on PostgreSQL the store tells the server (Store.Changes: of other
// servers' and processes' writes only, its own were pushed already), on
// SQLite each console looks at the queue counts every half second. A claim
// only redraws the marks: no console reads its page again for one.
//
// # Limits, log and shutdown
//
// Nothing a client sends may hold up the handling of anything else, and
// every connection ends whatever its state (conns.go): window changes are
// drained as they come and only the latest is drawn, capped at 300x100;
// every authenticated connection holds one of MaxSessions, console or not;
// a console idle for IdleTimeout is asked to end, and its connection is
// closed under it if it has not 5 seconds later; a connection without a
// console is closed after IdleTimeout. A panic ends only its own session.
// The log (Config.Log) has one line per connection event, refresh and
// decision: user, key fingerprint, remote address, check id, action,
// sequence number and chain hash; never the API key, a note or personal
// data. When the context given to
// Serve is done, the server stops accepting, tells every console, waits
// (up to ShutdownGrace) for the consoles to end and for every store call in
// flight to finish, and only then returns: a decision is durable once
// store.Decide has returned, and none is cut short by closing the store.
package serve
