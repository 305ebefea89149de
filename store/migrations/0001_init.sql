-- The checks reviewers track, with the last response Caisson gave for each.
-- Times are INTEGER Unix nanoseconds (UTC) so they sort and compare cheaply.
CREATE TABLE checks (
    id          INTEGER PRIMARY KEY,
    check_id    TEXT    NOT NULL UNIQUE,
    added_at    INTEGER NOT NULL,
    added_by    TEXT    NOT NULL,
    source      TEXT    NOT NULL CHECK (source IN ('typed', 'imported', 'exchanged')),
    fetched_at  INTEGER,
    -- '' never fetched, 'ok', a documented API error code, or 'transport'.
    outcome     TEXT    NOT NULL DEFAULT '',
    fetch_error TEXT    NOT NULL DEFAULT '',
    -- The last successful response, byte for byte: what the reviewer saw.
    raw         BLOB,
    raw_hash    TEXT    NOT NULL DEFAULT '',
    result_at   INTEGER,
    -- 1 while a result is cached (fetched ok and not purged).
    cached      INTEGER NOT NULL DEFAULT 0,
    customer_id TEXT    NOT NULL DEFAULT '',
    first_name  TEXT    NOT NULL DEFAULT '',
    last_name   TEXT    NOT NULL DEFAULT '',
    -- Levels as integers so they sort: unknown 0 < low 1 < medium 2 < high 3.
    document    INTEGER NOT NULL DEFAULT 0,
    face        INTEGER NOT NULL DEFAULT 0,
    risk        INTEGER NOT NULL GENERATED ALWAYS AS (min(document, face)) STORED,
    reasons     TEXT    NOT NULL DEFAULT '', -- "101,308"
    expires_on  TEXT    NOT NULL DEFAULT '', -- YYYY-MM-DD or ''
    checked_on  INTEGER NOT NULL DEFAULT 0,  -- 0 when never fetched
    dob         TEXT    NOT NULL DEFAULT '',
    address     TEXT    NOT NULL DEFAULT '',
    purged_at   INTEGER,
    -- Derived from the latest decision, written in the same transaction as
    -- the decision so queues need no join; Verify checks it agrees.
    status      TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'approved', 'rejected', 'escalated')),
    -- Lower-cased customer_id and names, for the text filter ('' if none).
    search      TEXT    NOT NULL DEFAULT ''
);

-- Sort indexes end with the implicit rowid, not check_id: ties go in the
-- order checks were added, and a new row lands at the end of its group
-- instead of at a random place, which keeps adding 100,000 ids fast.
-- The risk sorts also carry what the queue conditions and the text filter
-- read, so a filtered page is found in the index and only its rows are
-- read from the table.
CREATE INDEX checks_risk     ON checks (risk, checked_on, search);
CREATE INDEX checks_status   ON checks (status, risk, checked_on, cached, document, face, expires_on, search);
CREATE INDEX checks_added    ON checks (added_at);
CREATE INDEX checks_name     ON checks (last_name COLLATE NOCASE, first_name COLLATE NOCASE);
CREATE INDEX checks_customer ON checks (customer_id);
CREATE INDEX checks_outcome  ON checks (outcome, risk, checked_on);
CREATE INDEX checks_counts   ON checks (status, cached, document, face, expires_on);

-- The append-only decision log, a hash chain: each hash covers the entry
-- and the hash of the one before.
CREATE TABLE decisions (
    seq           INTEGER PRIMARY KEY,
    check_id      TEXT    NOT NULL REFERENCES checks (check_id),
    action        TEXT    NOT NULL CHECK (action IN ('approve', 'reject', 'escalate', 'reopen')),
    note          TEXT    NOT NULL,
    reviewer      TEXT    NOT NULL,
    at            TEXT    NOT NULL, -- UTC, fixed-width RFC 3339 with nanoseconds
    response_hash TEXT    NOT NULL,
    prev_hash     TEXT    NOT NULL,
    hash          TEXT    NOT NULL UNIQUE
);
CREATE INDEX decisions_check ON decisions (check_id, seq);
CREATE INDEX decisions_at    ON decisions (at);

CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions BEGIN
    SELECT RAISE(ABORT, 'the decision log is append-only: entries cannot be changed');
END;
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions BEGIN
    SELECT RAISE(ABORT, 'the decision log is append-only: entries cannot be deleted');
END;

-- Exchange tokens recorded before they are exchanged, so a crash between
-- the exchange and storing its check id is completed on the next start.
-- Rows are deleted as soon as the token is exchanged or expired.
CREATE TABLE exchanges (
    token       TEXT    PRIMARY KEY,
    recorded_at INTEGER NOT NULL,
    added_by    TEXT    NOT NULL
);
