package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// changesChannel is the channel every write transaction notifies on
// PostgreSQL and every Changes listens on. Channels are per database.
const changesChannel = "caisson_review_changes"

// Bounds of the wait before making a dropped listening connection again:
// short at first (a server restart), longer while it stays away.
const (
	relistenFirst = 200 * time.Millisecond
	relistenMax   = 5 * time.Second
)

// Notices' payloads: the kind of write, a space, and the origin of the
// Store that wrote (noticeOf reads them).
const (
	dataNotice   = "data"
	claimsNotice = "claims"
)

// newOrigin is a Store's origin: random, so that no two Stores, in any
// process on any host, share one.
func newOrigin() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// notifyChangesTx has tx notify every listener (Changes) when it commits
// that this Store wrote what kind says (dataNotice, claimsNotice).
// PostgreSQL delivers a notification only on commit, and never for a
// transaction rolled back, so a listener hears of every write that is
// there to be read, and of nothing else. Notifications of one
// transaction with the same payload are folded into one.
func (s *Store) notifyChangesTx(ctx context.Context, tx *sqlTx, kind string) error {
	_, err := tx.ExecContext(ctx, "SELECT "+notifyCall, s.noticePayload(kind))
	return err
}

// notifyCall notifies the listeners with a payload (noticePayload).
const notifyCall = "pg_notify('" + changesChannel + "', ?)"

// noticePayload is the payload of this Store's notice of kind.
func (s *Store) noticePayload(kind string) string { return kind + " " + s.origin }

// noticeOf reads a notification's payload: what changed, and whether this
// Store wrote it.
func (s *Store) noticeOf(payload string) (c Change, own bool) {
	kind, origin, _ := strings.Cut(payload, " ")
	switch kind {
	case dataNotice:
		c = DataChanged
	case claimsNotice:
		c = ClaimsChanged
	default:
		// An earlier build's notice (with no payload), still running on
		// the same database during an upgrade: it says nothing of what
		// changed, so anything may have.
		return DataChanged | ClaimsChanged, false
	}
	return c, s.origin != "" && origin == s.origin
}

// listenForChanges is Changes on PostgreSQL.
func (s *Store) listenForChanges(ctx context.Context, from Writers) (<-chan Change, error) {
	conn, err := s.listenConn(ctx)
	if err != nil {
		return nil, fmt.Errorf("listening for changes to %s: %w", s.path, err)
	}
	ch := make(chan Change, 1)
	go s.relayChanges(ctx, conn, from, ch)
	return ch, nil
}

// relayChanges passes conn's notifications on to ch until ctx is done,
// making the connection again whenever it drops.
func (s *Store) relayChanges(ctx context.Context, conn *pgx.Conn, from Writers, ch chan Change) {
	defer close(ch)
	for {
		for {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				break
			}
			if c, own := s.noticeOf(n.Payload); !own || from == AllWriters {
				tell(ch, c)
			}
		}
		conn.Close(context.Background())
		if ctx.Err() == nil {
			tell(ch, Unreachable)
		}
		if conn = s.relisten(ctx); conn == nil {
			return
		}
		// Whatever was written while the connection was away went
		// unannounced.
		tell(ch, DataChanged|ClaimsChanged|Reachable)
	}
}

// relisten makes the listening connection again, waiting longer after
// each failure; nil once ctx is done.
func (s *Store) relisten(ctx context.Context) *pgx.Conn {
	wait := relistenFirst
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		if conn, err := s.listenConn(ctx); err == nil {
			return conn
		}
		wait = min(2*wait, relistenMax)
	}
}

// listenConn makes a connection of its own, with the pool's settings,
// that listens on changesChannel. It is not the pool's: a connection
// waiting for notifications cannot serve queries, and the pool must not
// hand it out or close it.
func (s *Store) listenConn(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := s.connConfig(ctx)
	if err != nil {
		return nil, err
	}
	// The copied configuration hands notifications to the pooled
	// connection it was read from, whose buffer nobody reads: cleared,
	// pgx buffers them on this connection, for WaitForNotification.
	cfg.OnNotification = nil
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, hidePassword(explainConnectError(s.server, cfg.User, cfg.Database, cfg.Password != "", err), cfg.Password)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		conn.Close(context.Background())
		return nil, hidePassword(s.explainPostgresError(err), cfg.Password)
	}
	return conn, nil
}

// connConfig is the configuration the pool's connections were made with
// (the URL's, with synchronous_commit and application_name), read from a
// pooled connection.
func (s *Store) connConfig(ctx context.Context) (*pgx.ConnConfig, error) {
	c, err := s.db.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	var cfg *pgx.ConnConfig
	err = c.Raw(func(dc any) error {
		pc, ok := dc.(*pgConn)
		if !ok {
			return errors.New("the connection is not PostgreSQL's")
		}
		cfg = pc.Conn.Conn().Config()
		return nil
	})
	return cfg, err
}
