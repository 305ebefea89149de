package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

// FourEyes is the database's four-eyes policy: which decisions a second
// reviewer, with another identity, must confirm before they take effect.
// It lives in the database, as the newest policy entry of the decision
// log, so every reviewer of one database follows it and no flag skips it.
type FourEyes string

const (
	// FourEyesOff: one reviewer decides alone (the default, so that a
	// reviewer working alone can work).
	FourEyesOff FourEyes = "off"
	// FourEyesRisky: an approval of a check below high on either
	// confidence, with an unknown level or an expired document.
	FourEyesRisky FourEyes = "risky"
	// FourEyesApprovals: every approval.
	FourEyesApprovals FourEyes = "approvals"
	// FourEyesAll: every approval and every rejection.
	FourEyesAll FourEyes = "all"
)

// FourEyesModes lists the modes, laxest first.
var FourEyesModes = []FourEyes{FourEyesOff, FourEyesRisky, FourEyesApprovals, FourEyesAll}

// ParseFourEyes reads a mode; anything else is an error that lists them.
func ParseFourEyes(s string) (FourEyes, error) {
	for _, m := range FourEyesModes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("four-eyes mode %q: expected off, risky, approvals or all", s)
}

// settingFourEyes is the reason code of the four-eyes policy's entries.
const settingFourEyes = "four-eyes"

// Policy is the database's policy and the entry that set it.
type Policy struct {
	FourEyes FourEyes
	// Set is the log entry that set it; zero Seq for the default.
	Set Decision
	// SLA is how long a check may wait for a decision before it is
	// overdue, 0 for no SLA (the default); SLASet the entry that set it.
	SLA    time.Duration
	SLASet Decision
}

// Policy reads the current policy. One statement, so it takes no lock and
// works on a database opened for reading only.
func (s *Store) Policy(ctx context.Context) (Policy, error) {
	p, err := policyTx(ctx, s.db)
	if err == nil {
		p.SLA, p.SLASet, err = slaTx(ctx, s.db)
	}
	if err != nil {
		return Policy{}, fmt.Errorf("reading the policy: %w", err)
	}
	return p, nil
}

func policyTx(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (Policy, error) {
	row := q.QueryRowContext(ctx, "SELECT "+decisionColumns+" FROM decisions WHERE action = 'policy' AND reason = ? ORDER BY seq DESC LIMIT 1", settingFourEyes)
	d, err := scanDecision(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Policy{FourEyes: FourEyesOff}, nil
	}
	if err != nil {
		return Policy{}, err
	}
	mode, err := ParseFourEyes(d.NewValue)
	if err != nil {
		return Policy{}, fmt.Errorf("policy entry %d: %w", d.Seq, err)
	}
	return Policy{FourEyes: mode, Set: d}, nil
}

// PolicyChange is a change of the four-eyes policy: who, why.
type PolicyChange struct {
	FourEyes FourEyes
	Note     string
	Reviewer string
	// Identity is who the operating system says made the change; zero
	// means the store's own (OSIdentity).
	Identity Identity
}

// SetFourEyes changes the four-eyes policy and logs the change in the
// hash-chained log (who, when, old, new, why), in one transaction. Turning
// it off voids every proposal awaiting a second reviewer, each with its own
// void entry saying so. Setting the mode it already has is refused: the log
// would hold a change that changed nothing.
//
// Only the command line calls this: the console and serve offer no way to
// change policy.
func (s *Store) SetFourEyes(ctx context.Context, c PolicyChange) (Decision, error) {
	if _, err := ParseFourEyes(string(c.FourEyes)); err != nil {
		return Decision{}, err
	}
	return s.changeSetting(ctx, "four-eyes policy", c.Note, c.Reviewer, c.Identity,
		func(tx *sqlTx) (Decision, error) {
			old, err := policyTx(ctx, tx)
			if err != nil {
				return Decision{}, err
			}
			if old.FourEyes == c.FourEyes {
				return Decision{}, fmt.Errorf("four-eyes is already %s: nothing was changed", c.FourEyes)
			}
			return Decision{Reason: settingFourEyes, OldValue: string(old.FourEyes), NewValue: string(c.FourEyes)}, nil
		},
		func(tx *sqlTx, w writer, now time.Time) error {
			if c.FourEyes == FourEyesOff {
				return voidAllTx(ctx, tx, w, VoidPolicyOff, now)
			}
			return nil
		})
}

// changeSetting is a change of a policy the database holds (four-eyes,
// the SLA): the note checked, then in one transaction the log entry that
// entry builds from the old value (or its refusal when nothing would
// change) appended as the change's author, and then the change's
// consequences in the same transaction.
func (s *Store) changeSetting(ctx context.Context, what, note, reviewer string, id Identity,
	entry func(tx *sqlTx) (Decision, error), then func(tx *sqlTx, w writer, now time.Time) error) (Decision, error) {
	note = strings.TrimSpace(note)
	if BlankNote(note) {
		return Decision{}, errors.New("a policy change needs a note saying why: nothing was changed")
	}
	if len(note) > MaxNote {
		return Decision{}, fmt.Errorf("the note is %d bytes: expected at most %d", len(note), MaxNote)
	}
	w, err := s.writer(reviewer, id)
	if err != nil {
		return Decision{}, err
	}
	var d Decision
	err = s.write(ctx, "changing the "+what, func(tx *sqlTx) error {
		now := s.now()
		e, err := entry(tx)
		if err != nil {
			return err
		}
		e.Action, e.Note = PolicyEntry, note
		if d, err = w.appendTx(ctx, tx, e, now); err != nil {
			return err
		}
		if err := then(tx, w, now); err != nil {
			return err
		}
		// What then appended comes after the policy entry: the head a
		// compliance officer keeps is the last of them.
		if d.LogHead, err = headOf(ctx, tx); err != nil {
			return fmt.Errorf("reading the head of the decision log: %w", err)
		}
		return nil
	})
	return d, err
}

// NeedsSecond reports whether decision a on the check of row (its cached
// result, when read) would be a proposal awaiting a second reviewer under
// mode: for a front end to say so before the reviewer saves it. The
// write's own transaction decides, by the policy it reads.
func NeedsSecond(mode FourEyes, a Action, row Row, result *caisson.Check, now time.Time) bool {
	return needsSecond(mode, a, row, result, now)
}

// needsSecond reports whether decision a on a check needs a second
// reviewer under mode. row and result describe the check as the
// transaction reads it.
func needsSecond(mode FourEyes, a Action, row Row, result *caisson.Check, now time.Time) bool {
	switch mode {
	case FourEyesAll:
		return a == Approve || a == Reject
	case FourEyesApprovals:
		return a == Approve
	case FourEyesRisky:
		return a == Approve && len(FourEyesRisks(row, result, now)) > 0
	}
	return false
}

// FourEyesRisks is what makes an approval risky under FourEyesRisky, in
// words: a confidence below high (medium counts, unlike ApprovalRisks'
// confirmation), an unknown one, or an expired document, or a purge that
// left the expiry unknown.
func FourEyesRisks(row Row, result *caisson.Check, now time.Time) []string {
	var risks []string
	doc, face := row.Document, row.Face
	if result != nil {
		doc, face = result.Confidence.Document, result.Confidence.Face
	}
	if doc < caisson.High {
		risks = append(risks, "document confidence is "+doc.String())
	}
	if face < caisson.High {
		risks = append(risks, "face confidence is "+face.String())
	}
	for _, r := range ApprovalRisks(row, result, now) {
		if !strings.HasPrefix(r, "document confidence") && !strings.HasPrefix(r, "face confidence") {
			risks = append(risks, r)
		}
	}
	return risks
}
