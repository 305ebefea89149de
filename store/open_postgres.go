package store

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// connectTimeout bounds each connection attempt when the URL sets no
// connect_timeout: a server that does not answer is reported as
// unreachable rather than hanging a console.
const connectTimeout = 10 * time.Second

// postgresConns is how many connections a Store keeps open at most: one
// writer at a time (the write lock) and the reads of a few consoles.
const postgresConns = 8

// openPostgres opens the PostgreSQL database location names, a URL such
// as postgres://user:password@host:5432/dbname?sslmode=verify-full, and
// brings its schema up to date (migrate_postgres.go). Every connection
// has synchronous_commit on, so a write is durable on the server when it
// returns, and the application_name caisson-review unless the URL names
// another. Nothing of SQLite's file handling applies: no file, no modes,
// no full disk of ours, no WAL, no search index to tidy.
//
// The password is never shown: messages name the URL through Redact, and
// any text from the driver or the server passes through hidePassword.
func openPostgres(ctx context.Context, location string, opts ...Option) (*Store, error) {
	shown := Redact(location)
	pw := passwordOf(location)
	cfg, err := postgresConfig(location)
	if err != nil {
		return nil, fmt.Errorf("opening the review database %s: %w", shown, hidePassword(err, pw))
	}
	server := serverName(cfg)
	c := &pgConnector{Connector: stdlib.GetConnector(*cfg), server: server, role: cfg.User, database: cfg.Database, password: pw,
		passwordSent: cfg.Password != ""}
	db := sql.OpenDB(c)
	s := &Store{db: &sqlDB{DB: db, pg: true}, path: shown, server: server, role: cfg.User, now: time.Now, warn: os.Stderr,
		origin: newOrigin()}
	for _, o := range opts {
		o(s)
	}
	if err := s.initPostgres(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("opening the review database %s: %w", shown, hidePassword(err, pw))
	}
	return s, nil
}

// postgresConfig reads the URL into pgx's configuration, with the
// connect timeout and the settings every connection has.
func postgresConfig(location string) (*pgx.ConnConfig, error) {
	u, err := url.Parse(location)
	if err != nil {
		return nil, badURL("")
	}
	// The parameters given are passed on as written, and ours appended:
	// pgx decodes them as libpq does, where a + is a +, so encoding them
	// again (url.Values turns a space into +) changed a password or an
	// options value with a space in it.
	q := u.Query()
	var ours []string
	if q.Get("connect_timeout") == "" {
		ours = append(ours, "connect_timeout="+strconv.Itoa(int(connectTimeout.Seconds())))
	}
	if q.Get("application_name") == "" {
		ours = append(ours, "application_name=caisson-review")
	}
	if len(ours) > 0 {
		u.RawQuery = strings.TrimPrefix(u.RawQuery+"&"+strings.Join(ours, "&"), "&")
	}
	cfg, err := pgx.ParseConfig(u.String())
	if err != nil {
		var pe *pgconn.ParseConfigError
		if errors.As(err, &pe) {
			return nil, badURL(parseProblem(pe))
		}
		return nil, badURL(err.Error())
	}
	// A decision is shown as saved only once it is on the server's disk,
	// whatever the server's or the role's default: sent with every
	// connection's start, so every pooled connection has it.
	cfg.RuntimeParams["synchronous_commit"] = "on"
	return cfg, nil
}

// CheckPostgresURL says what the driver would refuse in a PostgreSQL URL
// (a parameter it does not know the value of, a CA file it cannot read),
// before anything connects: so that config can list it, and a command
// refuse it, as they do the URL's other mistakes. The password is never
// in what it says.
func CheckPostgresURL(location string) error {
	if _, err := postgresConfig(location); err != nil {
		return hidePassword(err, passwordOf(location))
	}
	return nil
}

// badURL refuses a URL, saying what is wrong with it when that is known
// (problem), as pgx says it: an sslmode it does not know, an sslrootcert
// it cannot read, a parameter that is no number.
func badURL(problem string) error {
	const want = "expected postgres://user:password@host:port/dbname?sslmode=verify-full"
	if problem == "" {
		return errors.New("the URL does not parse: " + want)
	}
	return fmt.Errorf("the URL cannot be used: %s; %s", problem, want)
}

// parseProblem is what pgx found wrong with a URL, without the URL its
// text quotes (between backticks, redacted as best it can): the
// parameter it names ("invalid connect_timeout", "invalid port"), then the
// cause. Before, only the cause was kept, which for a port was nothing at
// all and for a timeout only strconv's words. Open hides the password in
// whatever this says (hidePassword), as in every error.
func parseProblem(pe *pgconn.ParseConfigError) string {
	text := pe.Error()
	if i := strings.LastIndex(text, "`: "); i >= 0 {
		return text[i+len("`: "):]
	}
	if cause := errors.Unwrap(pe); cause != nil {
		return cause.Error()
	}
	return ""
}

// serverName is how messages name the server: host and port, or the
// socket's folder; never the user or the password.
func serverName(cfg *pgx.ConnConfig) string {
	port := strconv.Itoa(int(cfg.Port))
	if strings.HasPrefix(cfg.Host, "/") {
		return cfg.Host + "/.s.PGSQL." + port
	}
	return net.JoinHostPort(cfg.Host, port)
}

// initPostgres checks the connection, migrates when the schema is behind,
// and checks the logs' guard, as init does for SQLite.
func (s *Store) initPostgres(ctx context.Context) error {
	s.db.SetMaxOpenConns(postgresConns)
	s.db.SetMaxIdleConns(postgresConns)
	if err := s.db.PingContext(ctx); err != nil {
		return err
	}
	if err := migratePostgres(ctx, s.db, s.role); err != nil {
		return s.explainPostgresError(err)
	}
	problems, err := guardProblemsPostgres(ctx, s.db)
	if err != nil {
		return s.explainPostgresError(err)
	}
	s.warnAbout(problems)
	if err := s.noteUnfinishedCopy(ctx); err != nil {
		return s.explainPostgresError(err)
	}
	return nil
}

// pgConnector makes the pool's connections and explains why one could not
// be made (unreachable, refused password, no such database), so that
// every read and write that needed a connection says so in words, not
// only those Open makes.
type pgConnector struct {
	driver.Connector
	server, role, database, password string
	// passwordSent: the URL or the password file gave one (cfg.Password).
	passwordSent bool
}

func (c *pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, hidePassword(explainConnectError(c.server, c.role, c.database, c.passwordSent, err), c.password)
	}
	if sc, ok := conn.(*stdlib.Conn); ok {
		return &pgConn{Conn: sc, server: c.server}, nil
	}
	return conn, nil
}

// pgConn is a pooled connection that says so when the server is gone. A
// session the server ended (a restart, a fast shutdown: SQLSTATE 57P01)
// is noticed only when it is next used; a read or a BEGIN outside a
// transaction then reports a bad connection, so that database/sql runs it
// again on a new connection: against a server that is back, it succeeds;
// against one still away, the new connection's failure says the server is
// unreachable. Inside a transaction nothing is run again: the error says
// the server is unreachable, and the transaction is lost whole.
type pgConn struct {
	*stdlib.Conn
	server string
}

func (c *pgConn) idle() bool { return c.Conn.Conn().PgConn().TxStatus() == 'I' }

// gone turns err into a bad connection (retry) or an unreachable server.
// A caller's context that ended is the caller's: said as it is.
func (c *pgConn) gone(ctx context.Context, err error, retry bool) error {
	why := unreachable(err)
	switch {
	case why == "" || ctx.Err() != nil:
		return err
	case retry:
		return driver.ErrBadConn
	}
	return &unreachableError{server: c.server, why: why, err: err}
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	idle := c.idle()
	rows, err := c.Conn.QueryContext(ctx, query, args)
	if err != nil {
		return nil, c.gone(ctx, err, idle)
	}
	return rows, nil
}

// ExecContext is never run again: a statement outside a transaction may
// have committed before the session ended.
func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	r, err := c.Conn.ExecContext(ctx, query, args)
	if err != nil {
		return nil, c.gone(ctx, err, false)
	}
	return r, nil
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	idle := c.idle()
	st, err := c.Conn.PrepareContext(ctx, query)
	if err != nil {
		return nil, c.gone(ctx, err, idle)
	}
	return st, nil
}

func (c *pgConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.Conn.BeginTx(ctx, opts)
	if err != nil {
		return nil, c.gone(ctx, err, true)
	}
	return tx, nil
}

func (c *pgConn) Ping(ctx context.Context) error {
	if err := c.Conn.Ping(ctx); err != nil {
		return c.gone(ctx, err, true)
	}
	return nil
}

// errUnreachable marks an error as the server being unreachable or gone,
// for explainWriteError.
var errUnreachable = errors.New("the PostgreSQL server is unreachable")

// unreachableError is a server that could not be reached or went away.
type unreachableError struct {
	server, why string
	err         error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("the PostgreSQL server %s is unreachable (%s): is it running, and are the URL's host and port right? (%v)", e.server, e.why, e.err)
}

func (e *unreachableError) Unwrap() []error { return []error{errUnreachable, e.err} }

// explainConnectError says what to fix when a connection could not be
// made. sent says whether a password was sent, from the URL or the
// password file: none is a different fix from a wrong one.
func explainConnectError(server, role, database string, sent bool, err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "28P01":
			if !sent {
				return fmt.Errorf("the PostgreSQL server %s wants a password for the role %q, and none was given: put it in ~/.pgpass (chmod 600; HOST:PORT:DATABASE:USER:PASSWORD), or the file PGPASSFILE names: %w", server, role, err)
			}
			return fmt.Errorf("the PostgreSQL server %s refused the password of the role %q: correct the password in the URL (or ~/.pgpass): %w", server, role, err)
		case "28000":
			return fmt.Errorf("the PostgreSQL server %s refused the role %q (%s): check the role in the URL and the server's pg_hba.conf: %w", server, role, pe.Message, err)
		case "3D000":
			return fmt.Errorf("the database %q does not exist on the PostgreSQL server %s: create it (createdb %s) or correct the URL: %w", database, server, database, err)
		case "57P03":
			return &unreachableError{server: server, why: "it is starting up or shutting down", err: err}
		case "53300":
			return fmt.Errorf("the PostgreSQL server %s has no connection free (max_connections): try again, or ask its administrator: %w", server, err)
		case "42501":
			return fmt.Errorf("the PostgreSQL server %s refused the role %q: %s: grant it CONNECT on the database %s: %w", server, role, pe.Message, database, err)
		}
		return fmt.Errorf("connecting to the PostgreSQL server %s: %w", server, err)
	}
	if why := tlsProblem(err); why != "" {
		return fmt.Errorf("the PostgreSQL server %s: %s: %w", server, why, err)
	}
	if why := unreachable(err); why != "" {
		return &unreachableError{server: server, why: why, err: err}
	}
	return fmt.Errorf("connecting to the PostgreSQL server %s: %w", server, err)
}

// tlsProblem names what went wrong with TLS, or "".
func tlsProblem(err error) string {
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var verify *tls.CertificateVerificationError
	switch {
	case errors.As(err, &unknown):
		return "its TLS certificate is signed by an authority not trusted here: name the CA's certificate in the URL (sslrootcert=/path/to/ca.crt)"
	case errors.As(err, &host):
		return "its TLS certificate is not for the host in the URL: use the name the certificate was made for (sslmode=verify-full checks it)"
	case errors.As(err, &verify):
		return "its TLS certificate was not accepted: check sslrootcert in the URL"
	case strings.Contains(err.Error(), "server refused TLS connection"):
		return "it does not offer TLS, which the URL's sslmode requires: enable ssl on the server, or (only on a trusted network) change sslmode"
	}
	return ""
}

// unreachable says why the server could not be reached or was lost, or ""
// when err is not that.
func unreachable(err error) string {
	var ne net.Error
	var dns *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &dns):
		return "its host name is not known"
	case pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return "no answer in time"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF),
		errors.Is(err, syscall.EPIPE), errors.Is(err, driver.ErrBadConn), errors.Is(err, net.ErrClosed):
		return "the connection was lost"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.ENOENT):
		return "no route to it"
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "57P01", pe.Code == "57P02":
			return "it was shut down"
		case pe.Code == "57P03":
			return "it is starting up or shutting down"
		case strings.HasPrefix(pe.Code, "08"):
			return "the connection was lost"
		}
		return ""
	}
	var oe *net.OpError
	if errors.As(err, &oe) || strings.Contains(err.Error(), "conn closed") {
		return "the connection was lost"
	}
	return ""
}

// explainPostgresError explains an error of a statement: the server gone,
// or a grant missing.
func (s *Store) explainPostgresError(err error) error {
	if errors.Is(err, errUnreachable) || errors.Is(err, errMayNotMigrate) {
		return err
	}
	// A statement cut short by its caller's deadline or cancellation says
	// so as it is: the server may be fine.
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if why := unreachable(err); why != "" {
		return &unreachableError{server: s.server, why: why, err: err}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "42501" {
		return fmt.Errorf("the role %q %s: %w", s.role, neededGrant(pe.Message), err)
	}
	return err
}

// neededGrant says what grant a "permission denied for …" asks for, as
// the end of a sentence about the role.
func neededGrant(msg string) string {
	kind, name, _ := strings.Cut(strings.TrimPrefix(msg, "permission denied for "), " ")
	switch kind {
	case "table":
		privileges, ok := dayToDayGrants[name]
		switch {
		case !ok:
			return "lacks a grant (" + msg + "): see " + grantsScript + " for the privileges caisson-review needs"
		case name == "decisions" || name == "access":
			return "needs GRANT " + privileges + " ON " + name + " (the log is append-only: never UPDATE or DELETE; " + grantsScript + " gives every grant)"
		}
		return "needs GRANT " + privileges + " ON " + name + " (" + grantsScript + " gives every grant)"
	case "sequence":
		// The day-to-day role uses no sequence (identities draw without
		// USAGE): only migrate-store sets them, after its copy.
		return "may not set the sequence " + name + ", as only migrate-store does: run migrate-store as the role that owns caisson-review's tables (the day-to-day role of " + grantsScript + " has no grant on sequences)"
	case "schema":
		return "needs USAGE on the schema " + name + ", and CREATE there to install or upgrade caisson-review's tables (or let the database's owner open it once)"
	case "database":
		return "needs CREATE on the database " + name + " to install caisson-review's schema (or let the database's owner open it once)"
	case "function":
		return "needs GRANT EXECUTE ON FUNCTION " + name
	}
	return "lacks a grant (" + msg + "): see the README for the privileges caisson-review needs"
}

// passwordOf finds the password in a URL, even one that does not parse,
// so that it can be kept out of any message.
func passwordOf(location string) string {
	if u, err := url.Parse(location); err == nil {
		if p, ok := u.User.Password(); ok && p != "" {
			return p
		}
		for k, v := range u.Query() {
			if strings.EqualFold(k, "password") && len(v) > 0 {
				return v[0]
			}
		}
		return ""
	}
	_, rest, _ := strings.Cut(location, "://")
	if i := strings.IndexAny(rest, "/?#"); i >= 0 && !strings.Contains(rest[i:], "@") {
		rest = rest[:i]
	}
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		_, p, _ := strings.Cut(rest[:at], ":")
		return p
	}
	if i := strings.Index(strings.ToLower(rest), "password="); i >= 0 {
		v := rest[i+len("password="):]
		if j := strings.IndexAny(v, "&#"); j >= 0 {
			v = v[:j]
		}
		return v
	}
	return ""
}

// hidePassword keeps pw out of err's text, in its written and its
// URL-escaped forms, while errors.Is and errors.As still see the cause.
func hidePassword(err error, pw string) error {
	if err == nil || pw == "" {
		return err
	}
	return &passwordHidden{err: err, pw: pw}
}

type passwordHidden struct {
	err error
	pw  string
}

func (e *passwordHidden) Error() string {
	msg := e.err.Error()
	for _, form := range []string{e.pw, url.QueryEscape(e.pw), url.PathEscape(e.pw), (&url.URL{User: url.UserPassword("", e.pw)}).User.String()[1:]} {
		if form != "" {
			msg = strings.ReplaceAll(msg, form, redacted)
		}
	}
	return msg
}

func (e *passwordHidden) Unwrap() error { return e.err }
