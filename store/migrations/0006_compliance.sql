-- Version 6: compliance controls. Four-eyes approval (a proposal, then a
-- second reviewer's confirmation or return), structured reasons, a vouched
-- identity beside the display name, and a log of who viewed whose data.
--
-- The decision log gains columns and entry kinds, and a policy entry has no
-- check, which the CHECK on action and the NOT NULL on check_id of version
-- 1 refuse: the table is rebuilt. Every old entry is copied as it was, with
-- hash_version 1, so its hash is still computed over exactly the fields it
-- was made with and the chain keeps verifying. The old table's triggers go
-- with it (DROP TABLE fires no trigger) and are created again below with
-- the text they were shipped with, which the guard compares.
ALTER TABLE decisions RENAME TO decisions_v5;

CREATE TABLE decisions (
    seq           INTEGER PRIMARY KEY,
    -- NULL only for a policy entry, which is about no check.
    check_id      TEXT    REFERENCES checks (check_id),
    action        TEXT    NOT NULL CHECK (action IN ('approve', 'reject', 'escalate', 'reopen',
                                                     'propose', 'confirm', 'return', 'void', 'policy')),
    note          TEXT    NOT NULL,
    reviewer      TEXT    NOT NULL,
    at            TEXT    NOT NULL, -- UTC, fixed-width RFC 3339 with nanoseconds
    response_hash TEXT    NOT NULL,
    prev_hash     TEXT    NOT NULL,
    hash          TEXT    NOT NULL UNIQUE,
    -- 1: the hash covers the fields above (entries made before version 6);
    -- 2: it also covers every column below.
    hash_version  INTEGER NOT NULL DEFAULT 1,
    -- Who something vouches the reviewer is: "os:uid=1000,login=rita" or
    -- "ssh:SHA256:…". '' for entries made before version 6.
    identity      TEXT    NOT NULL DEFAULT '',
    -- A code, never translated text: the reject or escalate reason; for a
    -- void, its cause; for a policy entry, the setting changed.
    reason        TEXT    NOT NULL DEFAULT '',
    -- A reject's 'final' (the person may not retry) or 'retry'.
    finality      TEXT    NOT NULL DEFAULT '',
    -- propose and confirm: the action proposed (approve or reject).
    proposes      TEXT    NOT NULL DEFAULT '',
    -- confirm, return and void: the seq of the proposal they close.
    ref           INTEGER NOT NULL DEFAULT 0,
    -- A policy entry's value before and after.
    old_value     TEXT    NOT NULL DEFAULT '',
    new_value     TEXT    NOT NULL DEFAULT '',
    CHECK (check_id IS NOT NULL OR action = 'policy')
);

INSERT INTO decisions (seq, check_id, action, note, reviewer, at, response_hash, prev_hash, hash, hash_version)
    SELECT seq, check_id, action, note, reviewer, at, response_hash, prev_hash, hash, 1 FROM decisions_v5 ORDER BY seq;
DROP TABLE decisions_v5;

CREATE INDEX decisions_check  ON decisions (check_id, seq);
CREATE INDEX decisions_at     ON decisions (at);
-- The current policy is the newest policy entry of its setting: the log is
-- the one record of it, so no flag or stray UPDATE can skip it.
CREATE INDEX decisions_policy ON decisions (reason, seq) WHERE action = 'policy';

CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions BEGIN
    SELECT RAISE(ABORT, 'the decision log is append-only: entries cannot be changed');
END;
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions BEGIN
    SELECT RAISE(ABORT, 'the decision log is append-only: entries cannot be deleted');
END;

-- The seq of the proposal awaiting a second reviewer, 0 when none. Derived
-- from the log in the same transaction as its entries, like status, and
-- checked against it by Verify.
ALTER TABLE checks ADD COLUMN proposal INTEGER NOT NULL DEFAULT 0;

-- A proposed check is in Second review only: needs review and waiting at
-- Caisson leave it out. Their partial indexes are rebuilt with the new
-- term, written as queuePredicate writes it.
DROP INDEX checks_open_risk;
DROP INDEX checks_open_added;
DROP INDEX checks_open_name;
DROP INDEX checks_open_customer;
DROP INDEX checks_open_count;
DROP INDEX checks_pending_risk;
DROP INDEX checks_pending_added;
DROP INDEX checks_pending_name;
DROP INDEX checks_pending_customer;

CREATE INDEX checks_open_risk     ON checks (risk, checked_on, id, document, face, expires_on, search, cached, status, outcome, proposal) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED' AND proposal = 0;
CREATE INDEX checks_open_added    ON checks (added_at, id, document, face, expires_on, search, cached, status, outcome, proposal) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED' AND proposal = 0;
CREATE INDEX checks_open_name     ON checks (last_name COLLATE NOCASE, first_name COLLATE NOCASE, id, document, face, expires_on, search, cached, status, outcome, proposal) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED' AND proposal = 0;
CREATE INDEX checks_open_customer ON checks (customer_id, id, document, face, expires_on, search, cached, status, outcome, proposal) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED' AND proposal = 0;
CREATE INDEX checks_open_count    ON checks (document, face, expires_on, cached, status, outcome, proposal) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED' AND proposal = 0;

CREATE INDEX checks_pending_risk     ON checks (risk, checked_on, id, search, status, outcome, proposal) WHERE status = 'open' AND (outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED') AND proposal = 0;
CREATE INDEX checks_pending_added    ON checks (added_at, id, search, status, outcome, proposal) WHERE status = 'open' AND (outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED') AND proposal = 0;
CREATE INDEX checks_pending_name     ON checks (last_name COLLATE NOCASE, first_name COLLATE NOCASE, id, search, status, outcome, proposal) WHERE status = 'open' AND (outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED') AND proposal = 0;
CREATE INDEX checks_pending_customer ON checks (customer_id, id, search, status, outcome, proposal) WHERE status = 'open' AND (outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED') AND proposal = 0;

-- Second review: a proposal awaits a second reviewer.
CREATE INDEX checks_second_risk     ON checks (risk, checked_on, id, search, proposal) WHERE proposal > 0;
CREATE INDEX checks_second_added    ON checks (added_at, id, search, proposal) WHERE proposal > 0;
CREATE INDEX checks_second_name     ON checks (last_name COLLATE NOCASE, first_name COLLATE NOCASE, id, search, proposal) WHERE proposal > 0;
CREATE INDEX checks_second_customer ON checks (customer_id, id, search, proposal) WHERE proposal > 0;

-- Who was shown whose personal data: append-only like the decision log,
-- kept when personal data is purged, and holding none itself beyond the
-- check id (no customer id, no name: the purge could not find them here).
CREATE TABLE access (
    id        INTEGER PRIMARY KEY,
    at        INTEGER NOT NULL, -- Unix nanoseconds, UTC
    identity  TEXT    NOT NULL,
    reviewer  TEXT    NOT NULL,
    check_id  TEXT    NOT NULL,
    what      TEXT    NOT NULL CHECK (what IN ('detail', 'show', 'list', 'export')),
    -- 'console', 'serve' or 'cli'; address is the SSH client's under serve.
    origin    TEXT    NOT NULL CHECK (origin IN ('console', 'serve', 'cli')),
    address   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX access_check ON access (check_id, at);
CREATE INDEX access_at    ON access (at);

CREATE TRIGGER access_no_update BEFORE UPDATE ON access BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only: records cannot be changed');
END;
CREATE TRIGGER access_no_delete BEFORE DELETE ON access BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only: records cannot be deleted');
END;
