-- PostgreSQL version 1: the schema of SQLite's version 10, whole.
--
-- The same tables, names and columns as SQLite's (migrations/0001-0010),
-- so that every query written in standard SQL serves both backends. The
-- types are mapped: INTEGER is bigint (0/1 flags too, so `cached = 1`
-- reads the same), TEXT is text, BLOB is bytea. Every text column is
-- COLLATE "C": SQLite compares text byte by byte (BINARY), and "C" is the
-- same order on PostgreSQL whatever locale the server was created with,
-- so sorts, keyset pages and comparisons such as expires_on < '2026-03-15'
-- agree on both backends.
--
-- What differs, and why:
--   - ids SQLite assigns itself (tracked.id, access.id) are identities;
--     checks.id is always tracked's and decisions.seq is the chain's
--     next number, both written by the store, so plain keys.
--   - checks.risk is LEAST(document, face), stored as in SQLite;
--     wait_key, decided_week and waited are virtual in SQLite, stored
--     here (PostgreSQL 15 has no virtual columns), computed the same way.
--   - tracked's virtual columns minus, minus_ci and never exist only to
--     steer SQLite's planner to an index: PostgreSQL's queries use
--     literals instead, so they are not here.
--   - No FTS5 table and no triggers to keep it: the text filter is a
--     pg_trgm GIN index on checks.search (migration 0002), which
--     PostgreSQL keeps itself.
--   - Triggers are plpgsql functions with the same effect as SQLite's,
--     and the append-only logs' the same words.
--
-- Indexes that pages, filters and counts read come in 0002.

-- pg_trgm is trusted since PostgreSQL 13: the database's owner may
-- create it without being a superuser.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE checks (
    id            bigint  PRIMARY KEY,
    check_id      text    COLLATE "C" NOT NULL UNIQUE,
    added_at      bigint  NOT NULL,
    added_by      text    COLLATE "C" NOT NULL,
    source        text    COLLATE "C" NOT NULL CHECK (source IN ('typed', 'imported', 'exchanged')),
    fetched_at    bigint,
    -- '' never fetched, 'ok', a documented API error code, or 'transport'.
    outcome       text    COLLATE "C" NOT NULL DEFAULT '',
    fetch_error   text    COLLATE "C" NOT NULL DEFAULT '',
    -- The last successful response, byte for byte: what the reviewer saw.
    raw           bytea,
    raw_hash      text    COLLATE "C" NOT NULL DEFAULT '',
    result_at     bigint,
    -- 1 while a result is cached (fetched ok and not purged).
    cached        bigint  NOT NULL DEFAULT 0,
    customer_id   text    COLLATE "C" NOT NULL DEFAULT '',
    first_name    text    COLLATE "C" NOT NULL DEFAULT '',
    last_name     text    COLLATE "C" NOT NULL DEFAULT '',
    -- Levels as integers so they sort: unknown 0 < low 1 < medium 2 < high 3.
    document      bigint  NOT NULL DEFAULT 0,
    face          bigint  NOT NULL DEFAULT 0,
    risk          bigint  NOT NULL GENERATED ALWAYS AS (LEAST(document, face)) STORED,
    reasons       text    COLLATE "C" NOT NULL DEFAULT '', -- "101,308"
    expires_on    text    COLLATE "C" NOT NULL DEFAULT '', -- YYYY-MM-DD or ''
    checked_on    bigint  NOT NULL DEFAULT 0,  -- 0 when never fetched
    dob           text    COLLATE "C" NOT NULL DEFAULT '',
    address       text    COLLATE "C" NOT NULL DEFAULT '',
    purged_at     bigint,
    -- Derived from the latest decision, written in the same transaction as
    -- the decision so queues need no join; Verify checks it agrees.
    status        text    COLLATE "C" NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'approved', 'rejected', 'escalated')),
    -- Lower-cased customer_id and names, for the text filter ('' if none).
    search        text    COLLATE "C" NOT NULL DEFAULT '',
    -- The seq of the proposal awaiting a second reviewer, 0 when none.
    proposal      bigint  NOT NULL DEFAULT 0,
    -- Unix nanoseconds: when the check became reviewable (0: never since
    -- its last reopen), and of its final decision (0 while open).
    reviewable_at bigint  NOT NULL DEFAULT 0,
    decided_at    bigint  NOT NULL DEFAULT 0,
    -- The sort "longest waiting first" as one key (SQLite's 0009).
    wait_key      bigint  GENERATED ALWAYS AS (
        CASE WHEN reviewable_at = 0 THEN 9223372036854775807
             WHEN status = 'open' THEN reviewable_at - 4611686018427387904
             ELSE reviewable_at - decided_at END) STORED,
    -- The Monday-based week of the decision (Unix day 0 was a Thursday)
    -- and how long the check waited, for the stats view.
    decided_week  bigint  GENERATED ALWAYS AS ((decided_at / 86400000000000 + 3) / 7) STORED,
    waited        bigint  GENERATED ALWAYS AS (decided_at - reviewable_at) STORED
);

CREATE TABLE exchanges (
    token       text   COLLATE "C" PRIMARY KEY,
    recorded_at bigint NOT NULL,
    added_by    text   COLLATE "C" NOT NULL
);

-- The tracked check ids; a check gets its row in checks, with the same
-- id, when something first happens to it.
CREATE TABLE tracked (
    id       bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    check_id text   COLLATE "C" NOT NULL UNIQUE,
    added_at bigint NOT NULL,
    added_by text   COLLATE "C" NOT NULL,
    -- typed, imported or exchanged: checked by Add and AddMany.
    source   text   COLLATE "C" NOT NULL,
    -- 1 while the check has no row in checks.
    bare     bigint NOT NULL DEFAULT 1
);

-- The append-only decision log, a hash chain: each hash covers the entry
-- and the hash of the one before.
CREATE TABLE decisions (
    seq           bigint PRIMARY KEY,
    -- NULL only for a policy entry, which is about no check.
    check_id      text   COLLATE "C" REFERENCES checks (check_id),
    action        text   COLLATE "C" NOT NULL CHECK (action IN ('approve', 'reject', 'escalate', 'reopen',
                                                     'propose', 'confirm', 'return', 'void', 'policy')),
    note          text   COLLATE "C" NOT NULL,
    reviewer      text   COLLATE "C" NOT NULL,
    at            text   COLLATE "C" NOT NULL, -- UTC, fixed-width RFC 3339 with nanoseconds
    response_hash text   COLLATE "C" NOT NULL,
    prev_hash     text   COLLATE "C" NOT NULL,
    hash          text   COLLATE "C" NOT NULL UNIQUE,
    -- 1: the hash covers the fields above (SQLite entries made before its
    -- version 6, which migrate-store may bring); 2: every column below too.
    hash_version  bigint NOT NULL DEFAULT 1,
    -- Who something vouches the reviewer is: "os:uid=1000,login=rita" or
    -- "ssh:SHA256:…".
    identity      text   COLLATE "C" NOT NULL DEFAULT '',
    -- A code, never translated text: the reject or escalate reason; for a
    -- void, its cause; for a policy entry, the setting changed.
    reason        text   COLLATE "C" NOT NULL DEFAULT '',
    -- A reject's 'final' (the person may not retry) or 'retry'.
    finality      text   COLLATE "C" NOT NULL DEFAULT '',
    -- propose and confirm: the action proposed (approve or reject).
    proposes      text   COLLATE "C" NOT NULL DEFAULT '',
    -- confirm, return and void: the seq of the proposal they close.
    ref           bigint NOT NULL DEFAULT 0,
    -- A policy entry's value before and after.
    old_value     text   COLLATE "C" NOT NULL DEFAULT '',
    new_value     text   COLLATE "C" NOT NULL DEFAULT '',
    CHECK (check_id IS NOT NULL OR action = 'policy')
);

-- Who was shown whose personal data: append-only like the decision log.
CREATE TABLE access (
    id        bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    at        bigint NOT NULL, -- Unix nanoseconds, UTC
    identity  text   COLLATE "C" NOT NULL,
    reviewer  text   COLLATE "C" NOT NULL,
    check_id  text   COLLATE "C" NOT NULL,
    what      text   COLLATE "C" NOT NULL CHECK (what IN ('detail', 'show', 'list', 'export')),
    -- 'console', 'serve' or 'cli'; address is the SSH client's under serve.
    origin    text   COLLATE "C" NOT NULL CHECK (origin IN ('console', 'serve', 'cli')),
    address   text   COLLATE "C" NOT NULL DEFAULT ''
);

-- The count of every queue, kept by the triggers below in the transaction
-- of each change (SQLite's 0007 and 0009 say how).
CREATE TABLE queue_counts (
    one            bigint PRIMARY KEY CHECK (one = 1),
    risky          bigint NOT NULL,
    expired        bigint NOT NULL,
    expired_before text   COLLATE "C" NOT NULL, -- YYYY-MM-DD
    pending        bigint NOT NULL,
    second_review  bigint NOT NULL,
    escalated      bigint NOT NULL,
    approved       bigint NOT NULL,
    rejected       bigint NOT NULL,
    errors         bigint NOT NULL,
    tracked        bigint NOT NULL,
    sla            bigint NOT NULL DEFAULT 0,
    overdue        bigint NOT NULL DEFAULT 0,
    overdue_before bigint NOT NULL DEFAULT 0
);
INSERT INTO queue_counts (one, risky, expired, expired_before, pending, second_review, escalated, approved, rejected, errors, tracked)
VALUES (1, 0, 0, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD'), 0, 0, 0, 0, 0, 0, 0);

-- A row while a check's last answer was PENDING_REVIEW or NOT_VERIFIED
-- (SQLite's 0008). ON DELETE CASCADE does what SQLite's polls_delete
-- does, at the time PostgreSQL checks the key: its check of a foreign key
-- fires before a trigger named in lower case would have removed the row.
CREATE TABLE polls (
    check_id    text   COLLATE "C" PRIMARY KEY REFERENCES checks (check_id) ON DELETE CASCADE,
    since       bigint NOT NULL, -- unix nanoseconds
    holder      text   COLLATE "C" NOT NULL DEFAULT '',
    lease_until bigint NOT NULL DEFAULT 0 -- unix nanoseconds; 0 when free
);

-- The log's entries tallied per day (UTC), reviewer, action and reason,
-- in the transaction that appends each entry.
CREATE TABLE decision_days (
    day      text   COLLATE "C" NOT NULL, -- YYYY-MM-DD
    reviewer text   COLLATE "C" NOT NULL,
    action   text   COLLATE "C" NOT NULL,
    proposes text   COLLATE "C" NOT NULL,
    reason   text   COLLATE "C" NOT NULL,
    n        bigint NOT NULL,
    PRIMARY KEY (day, action, reviewer, proposes, reason)
);

-- The append-only logs. Each trigger has its own function, named as the
-- trigger, so that the guard (store/guard_postgres.go) can compare both
-- with what was shipped.
CREATE FUNCTION decisions_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the decision log is append-only: entries cannot be changed';
END
$$;
CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
    FOR EACH ROW EXECUTE FUNCTION decisions_no_update();

CREATE FUNCTION decisions_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the decision log is append-only: entries cannot be deleted';
END
$$;
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
    FOR EACH ROW EXECUTE FUNCTION decisions_no_delete();

CREATE FUNCTION access_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only: records cannot be changed';
END
$$;
CREATE TRIGGER access_no_update BEFORE UPDATE ON access
    FOR EACH ROW EXECUTE FUNCTION access_no_update();

CREATE FUNCTION access_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only: records cannot be deleted';
END
$$;
CREATE TRIGGER access_no_delete BEFORE DELETE ON access
    FOR EACH ROW EXECUTE FUNCTION access_no_delete();

-- TRUNCATE empties a table without firing row triggers: SQLite has no
-- such statement, so on PostgreSQL the logs refuse it too.
CREATE FUNCTION decisions_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the decision log is append-only: entries cannot be deleted';
END
$$;
CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions
    FOR EACH STATEMENT EXECUTE FUNCTION decisions_no_truncate();

CREATE FUNCTION access_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only: records cannot be deleted';
END
$$;
CREATE TRIGGER access_no_truncate BEFORE TRUNCATE ON access
    FOR EACH STATEMENT EXECUTE FUNCTION access_no_truncate();

-- A check's row in checks is created from its tracked row, with the same
-- id; from then on the check is no longer bare.
CREATE FUNCTION checks_unbare() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE tracked SET bare = 0 WHERE id = NEW.id AND bare = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER checks_unbare AFTER INSERT ON checks
    FOR EACH ROW EXECUTE FUNCTION checks_unbare();

-- The queues' memberships of a row of checks, written as queuePredicate
-- writes them (queues.go) and SQLite's count triggers do (0007): 1 or 0
-- each, and 0 for a NULL row (OLD of an insert, NEW of a delete). Every
-- column read is NOT NULL, so only a NULL row makes a term NULL.
CREATE FUNCTION queue_membership(c checks, expired_before text) RETURNS bigint[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT ARRAY[
        -- risky
        coalesce((c.cached = 1 AND c.status = 'open' AND c.outcome <> 'PENDING_REVIEW' AND c.outcome <> 'NOT_VERIFIED' AND c.proposal = 0 AND (c.document < 3 OR c.face < 3))::int, 0),
        -- expired
        coalesce((c.cached = 1 AND c.status = 'open' AND c.outcome <> 'PENDING_REVIEW' AND c.outcome <> 'NOT_VERIFIED' AND c.proposal = 0 AND c.document = 3 AND c.face = 3 AND c.expires_on > '' AND c.expires_on < expired_before)::int, 0),
        -- pending
        coalesce((c.status = 'open' AND (c.outcome = 'PENDING_REVIEW' OR c.outcome = 'NOT_VERIFIED') AND c.proposal = 0)::int, 0),
        -- second_review
        coalesce((c.proposal > 0)::int, 0),
        -- escalated, approved, rejected
        coalesce((c.status = 'escalated')::int, 0),
        coalesce((c.status = 'approved')::int, 0),
        coalesce((c.status = 'rejected')::int, 0),
        -- errors
        coalesce((c.outcome <> '' AND c.outcome <> 'ok' AND c.outcome <> 'PENDING_REVIEW' AND c.outcome <> 'NOT_VERIFIED')::int, 0)
    ]::bigint[]
$$;

-- move_counts moves each count by the new row's membership less the old
-- row's, in one UPDATE as SQLite's triggers do. The row of counts is
-- locked before expired_before is read, so the date the memberships are
-- judged on is the one the UPDATE writes against.
CREATE FUNCTION move_counts(n checks, o checks) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    before text;
    a bigint[];
    b bigint[];
BEGIN
    SELECT expired_before INTO before FROM queue_counts WHERE one = 1 FOR UPDATE;
    a := queue_membership(n, before);
    b := queue_membership(o, before);
    UPDATE queue_counts SET
        risky         = risky         + a[1] - b[1],
        expired       = expired       + a[2] - b[2],
        pending       = pending       + a[3] - b[3],
        second_review = second_review + a[4] - b[4],
        escalated     = escalated     + a[5] - b[5],
        approved      = approved      + a[6] - b[6],
        rejected      = rejected      + a[7] - b[7],
        errors        = errors        + a[8] - b[8]
    WHERE one = 1;
END
$$;

-- OLD is NULL in an insert's trigger and NEW in a delete's.
CREATE FUNCTION checks_count_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM move_counts(NEW, NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER checks_count_insert AFTER INSERT ON checks
    FOR EACH ROW EXECUTE FUNCTION checks_count_insert();

CREATE FUNCTION checks_count_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM move_counts(NEW, OLD);
    RETURN NULL;
END
$$;
CREATE TRIGGER checks_count_update AFTER UPDATE OF cached, status, outcome, proposal, document, face, expires_on ON checks
    FOR EACH ROW EXECUTE FUNCTION checks_count_update();

CREATE FUNCTION checks_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM move_counts(NULL, OLD);
    RETURN NULL;
END
$$;
CREATE TRIGGER checks_count_delete AFTER DELETE ON checks
    FOR EACH ROW EXECUTE FUNCTION checks_count_delete();

-- The all queue is the number of rows of tracked, which Add and AddMany
-- keep; a deleted tracked row leaves it.
CREATE FUNCTION tracked_count_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE queue_counts SET tracked = tracked - 1 WHERE one = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER tracked_count_delete AFTER DELETE ON tracked
    FOR EACH ROW EXECUTE FUNCTION tracked_count_delete();

-- Polls (SQLite's 0008): a row exists while a check's last answer was
-- PENDING_REVIEW or NOT_VERIFIED; since is when that run of answers began.
CREATE FUNCTION polls_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO polls (check_id, since) VALUES (NEW.check_id, coalesce(NEW.fetched_at, 0))
        ON CONFLICT (check_id) DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER polls_insert AFTER INSERT ON checks
    FOR EACH ROW WHEN (NEW.outcome = 'PENDING_REVIEW' OR NEW.outcome = 'NOT_VERIFIED')
    EXECUTE FUNCTION polls_insert();

-- SQLite's INSERT OR REPLACE: a row there before is replaced whole, so
-- its lease is cleared too.
CREATE FUNCTION polls_start() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO polls (check_id, since) VALUES (NEW.check_id, coalesce(NEW.fetched_at, 0))
        ON CONFLICT (check_id) DO UPDATE SET since = excluded.since, holder = '', lease_until = 0;
    RETURN NULL;
END
$$;
CREATE TRIGGER polls_start AFTER UPDATE OF outcome ON checks
    FOR EACH ROW WHEN ((NEW.outcome = 'PENDING_REVIEW' OR NEW.outcome = 'NOT_VERIFIED')
        AND NOT (OLD.outcome = 'PENDING_REVIEW' OR OLD.outcome = 'NOT_VERIFIED'))
    EXECUTE FUNCTION polls_start();

CREATE FUNCTION polls_end() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM polls WHERE check_id = NEW.check_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER polls_end AFTER UPDATE OF outcome ON checks
    FOR EACH ROW WHEN ((OLD.outcome = 'PENDING_REVIEW' OR OLD.outcome = 'NOT_VERIFIED')
        AND NOT (NEW.outcome = 'PENDING_REVIEW' OR NEW.outcome = 'NOT_VERIFIED'))
    EXECUTE FUNCTION polls_end();

-- Kept beside the cascade of polls' key for the same set of triggers as
-- SQLite; by the time it runs the cascade has removed the row.
CREATE FUNCTION polls_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM polls WHERE check_id = OLD.check_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER polls_delete AFTER DELETE ON checks
    FOR EACH ROW EXECUTE FUNCTION polls_delete();

-- A proposal closed (returned, voided) judges an undecided check on its
-- result (SQLite's 0009): needs review as queuePredicate reads it, on the
-- UTC day of the last fetch.
CREATE FUNCTION checks_reviewable_proposal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE checks SET reviewable_at = CASE WHEN NEW.reviewable_at > 0 THEN 0 ELSE NEW.fetched_at END WHERE id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER checks_reviewable_proposal AFTER UPDATE OF proposal ON checks
    FOR EACH ROW WHEN (NEW.status = 'open' AND NEW.proposal = 0 AND OLD.proposal <> 0 AND (NEW.reviewable_at > 0) <> (NEW.cached = 1
        AND NEW.outcome <> 'PENDING_REVIEW' AND NEW.outcome <> 'NOT_VERIFIED'
        AND (NEW.document < 3 OR NEW.face < 3 OR (NEW.expires_on <> ''
            AND NEW.expires_on < to_char(to_timestamp(NEW.fetched_at / 1000000000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')))))
    EXECUTE FUNCTION checks_reviewable_proposal();

-- The overdue count (SQLite's 0009): waiting checks whose wait started
-- before overdue_before.
CREATE FUNCTION checks_overdue_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE queue_counts SET overdue = overdue
        + (NEW.status = 'open' AND NEW.reviewable_at > 0 AND NEW.reviewable_at < overdue_before)::int
    WHERE one = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER checks_overdue_insert AFTER INSERT ON checks
    FOR EACH ROW WHEN (NEW.reviewable_at > 0)
    EXECUTE FUNCTION checks_overdue_insert();

CREATE FUNCTION checks_overdue_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE queue_counts SET overdue = overdue
        + (NEW.status = 'open' AND NEW.reviewable_at > 0 AND NEW.reviewable_at < overdue_before)::int
        - (OLD.status = 'open' AND OLD.reviewable_at > 0 AND OLD.reviewable_at < overdue_before)::int
    WHERE one = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER checks_overdue_update AFTER UPDATE OF status, reviewable_at ON checks
    FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status OR NEW.reviewable_at IS DISTINCT FROM OLD.reviewable_at)
    EXECUTE FUNCTION checks_overdue_update();

CREATE FUNCTION checks_overdue_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE queue_counts SET overdue = overdue
        - (OLD.status = 'open' AND OLD.reviewable_at > 0 AND OLD.reviewable_at < overdue_before)::int
    WHERE one = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER checks_overdue_delete AFTER DELETE ON checks
    FOR EACH ROW WHEN (OLD.reviewable_at > 0)
    EXECUTE FUNCTION checks_overdue_delete();
