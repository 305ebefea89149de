package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Head names one entry of the decision log by its position and hash. No
// chain can see its own newest entries cut off, so a head kept outside the
// database (the journal, an export's trailer, a ticket) is the witness:
// Verify checks that the log still holds every head it is given, and since
// each hash covers the one before it, that nothing up to it was rewritten.
type Head struct {
	Seq  int64
	Hash string
}

// String is "SEQ:HASH", the form ParseHead reads and the CLI prints.
func (h Head) String() string { return strconv.FormatInt(h.Seq, 10) + ":" + h.Hash }

// IsZero reports an empty log's head: no entry yet.
func (h Head) IsZero() bool { return h.Seq == 0 }

// Head is the entry this decision made the log's newest.
func (d Decision) Head() Head { return Head{Seq: d.Seq, Hash: d.Hash} }

// ParseHead reads "SEQ:HASH" as printed by export or a decision's log
// line. The whole 64-digit hash is required: a prefix would let someone
// who rewrote the log search for a matching one.
func ParseHead(s string) (Head, error) {
	seqText, hash, ok := strings.Cut(strings.TrimSpace(s), ":")
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if !ok || err != nil || seq < 1 || !isHexHash(hash) {
		return Head{}, fmt.Errorf("head %q: expected SEQ:HASH, an entry's number, a colon and its 64-hex-digit hash, as export printed it", s)
	}
	return Head{Seq: seq, Hash: strings.ToLower(hash)}, nil
}

func isHexHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// Head is the log's newest entry; the zero Head when the log is empty.
func (s *Store) Head(ctx context.Context) (Head, error) {
	var h Head
	err := s.db.QueryRowContext(ctx, "SELECT seq, hash FROM decisions ORDER BY seq DESC LIMIT 1").Scan(&h.Seq, &h.Hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Head{}, fmt.Errorf("reading the head of the decision log: %w", err)
	}
	return h, nil
}

// missingHeads says, for each head the log no longer holds, why: the log
// ends before it, or the entry at its place has another hash. hashes holds
// the hash of each head's seq as the walk found it.
func missingHeads(heads []Head, hashes map[int64]string, last int64) []string {
	return missingHeadsOf("entry", "entries", heads, hashes, last)
}

// missingHeadsOf is missingHeads for a log whose items are called one and
// many ("entry", "entries"; the access log's "record", "records").
func missingHeadsOf(one, many string, heads []Head, hashes map[int64]string, last int64) []string {
	var out []string
	for _, h := range heads {
		if h.IsZero() {
			continue // an empty log's head: nothing was there to keep
		}
		got, ok := hashes[h.Seq]
		switch {
		case !ok && h.Seq > last:
			out = append(out, fmt.Sprintf("the log ends at %s %d but head %s was kept: %s %d to %d are gone (deleted from the end?)",
				one, last, h, many, last+1, h.Seq))
		case !ok:
			out = append(out, fmt.Sprintf("%s %d of head %s is not in the log (deleted?)", one, h.Seq, h))
		case got != h.Hash:
			out = append(out, fmt.Sprintf("%s %d has hash %s, not %s as head %s kept: the log was rewritten at or before %s %d",
				one, h.Seq, got, h.Hash, h, one, h.Seq))
		}
	}
	return out
}
