package store

import (
	"context"
	"fmt"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

// tokenLifetime bounds how long after we record a token it can still be
// exchanged: a token works until 2 hours after its check was created
// (which is before we saw it) and, once exchanged, 5 more minutes (the
// first exchange happened after we recorded it). Past this, it is dead.
const tokenLifetime = 2*time.Hour + 5*time.Minute

// ExchangeOutcome is what ResumeExchanges did with one pending token. The
// token itself is a secret and is not repeated.
type ExchangeOutcome struct {
	RecordedAt time.Time // when the token was first recorded
	CheckID    string    // the check id it was exchanged for, when it was
	Added      bool      // the check id was not tracked before
	// Expired: the token was older than any exchange could still accept,
	// and was deleted without trying.
	Expired bool
	// Err is the exchange's failure; Dropped says whether the token was
	// deleted (a definite refusal) or kept to retry on the next start,
	// until KeptUntil at the latest.
	Err       error
	Dropped   bool
	KeptUntil time.Time
}

// ExchangeKeptError is an exchange that failed for a reason that may pass
// (the API key refused, the network, a server error, an answer cut
// short): the token is kept, and the next ResumeExchanges tries it again,
// until Until, past which no exchange can succeed and it is dropped.
type ExchangeKeptError struct {
	Until time.Time
	Err   error
}

func (e *ExchangeKeptError) Error() string {
	return fmt.Sprintf("not exchanged yet, the token is kept to retry: %v", e.Err)
}

func (e *ExchangeKeptError) Unwrap() error { return e.Err }

// Exchange exchanges an exchange token and tracks the check id it gives.
// The token is recorded before the exchange and deleted in the same
// transaction that stores the check id, so a crash in between leaves it to
// ResumeExchanges. A definite refusal from Caisson (the token is invalid or
// too old) deletes it too, and the error is Caisson's; any other failure
// keeps it for ResumeExchanges, and the error is an *ExchangeKeptError.
func (s *Store) Exchange(ctx context.Context, token, by string, exchange func(context.Context, string) (string, error)) (string, bool, error) {
	id, err := caisson.ParseID(token)
	if err != nil {
		return "", false, err
	}
	if id.Kind != caisson.KindExchangeToken {
		return "", false, fmt.Errorf("that is a check id: expected an exchange token (chk_xchg_…); add check ids directly")
	}
	if err := storableText("the name of who adds", by); err != nil {
		return "", false, fmt.Errorf("%w: the token was not recorded", err)
	}
	var recorded int64
	err = s.write(ctx, "recording an exchange token", func(tx *sqlTx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO exchanges (token, recorded_at, added_by) VALUES (?, ?, ?) ON CONFLICT (token) DO NOTHING",
			id.Value, s.now().UnixNano(), by)
		if err != nil {
			return err
		}
		// Kept from an earlier try, the token keeps its first time.
		return tx.QueryRowContext(ctx, "SELECT recorded_at FROM exchanges WHERE token = ?", id.Value).Scan(&recorded)
	})
	if err != nil {
		return "", false, err
	}
	o := s.completeExchange(ctx, id.Value, by, time.Unix(0, recorded).UTC(), exchange)
	if o.Err != nil && !o.Dropped {
		return "", false, &ExchangeKeptError{Until: o.KeptUntil, Err: o.Err}
	}
	return o.CheckID, o.Added, o.Err
}

// ResumeExchanges completes the exchanges a crash interrupted: every
// recorded token is exchanged again, which Caisson allows within 5 minutes
// of its first exchange, or deleted when too old to succeed.
func (s *Store) ResumeExchanges(ctx context.Context, by string, exchange func(context.Context, string) (string, error)) ([]ExchangeOutcome, error) {
	if err := storableText("the name of who adds", by); err != nil {
		return nil, fmt.Errorf("%w: no exchange was resumed", err)
	}
	type pending struct {
		token string
		at    time.Time
	}
	var ps []pending
	rows, err := s.db.QueryContext(ctx, "SELECT token, recorded_at FROM exchanges ORDER BY recorded_at")
	if err != nil {
		return nil, fmt.Errorf("reading pending exchanges: %w", err)
	}
	for rows.Next() {
		var p pending
		var at int64
		if err := rows.Scan(&p.token, &at); err != nil {
			rows.Close()
			return nil, fmt.Errorf("reading pending exchanges: %w", err)
		}
		p.at = time.Unix(0, at).UTC()
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading pending exchanges: %w", err)
	}
	var out []ExchangeOutcome
	for _, p := range ps {
		if s.now().Sub(p.at) > tokenLifetime {
			if err := s.dropToken(ctx, p.token); err != nil {
				return out, err
			}
			out = append(out, ExchangeOutcome{RecordedAt: p.at, Expired: true, Dropped: true})
			continue
		}
		o := s.completeExchange(ctx, p.token, by, p.at, exchange)
		out = append(out, o)
		if caisson.Unavailable(o.Err) {
			// Caisson is down: every other token would wait out the same
			// retries, one after another (minutes each against an API
			// that hangs). They stay kept, for the next run.
			break
		}
	}
	return out, nil
}

func (s *Store) completeExchange(ctx context.Context, token, by string, recorded time.Time, exchange func(context.Context, string) (string, error)) ExchangeOutcome {
	o := ExchangeOutcome{RecordedAt: recorded, KeptUntil: recorded.Add(tokenLifetime)}
	checkID, err := exchange(ctx, token)
	if err != nil {
		o.Err = fmt.Errorf("exchanging the token: %w", err)
		if definiteRefusal(err) {
			if derr := s.dropToken(ctx, token); derr != nil {
				o.Err = fmt.Errorf("%w; and then %w", o.Err, derr)
				return o
			}
			o.Dropped, o.KeptUntil = true, time.Time{}
		}
		return o
	}
	id, err := caisson.ParseCheckID(checkID)
	if err != nil {
		// Keep the token: the exchange can be tried again within its grace.
		o.Err = fmt.Errorf("the exchange answered something that is not a check id: %w", err)
		return o
	}
	o.Err = s.write(ctx, "storing the exchanged check id", func(tx *sqlTx) error {
		o.Added, err = addTx(ctx, tx, id, by, SourceExchanged, s.now().UnixNano())
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM exchanges WHERE token = ?", token)
		return err
	})
	if o.Err == nil {
		o.CheckID, o.Dropped, o.KeptUntil = id, true, time.Time{}
	}
	return o
}

// definiteRefusal tells a token Caisson refused (it will never work) from a
// failure worth retrying (network, server error, our own key refused).
func definiteRefusal(err error) bool {
	code := caisson.CodeOf(err)
	return code != "" && code != caisson.CodeInternalError
}

func (s *Store) dropToken(ctx context.Context, token string) error {
	return s.write(ctx, "deleting an exchange token", func(tx *sqlTx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM exchanges WHERE token = ?", token)
		return err
	})
}
