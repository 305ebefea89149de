-- Version 7: the count of every queue is kept, not counted.
--
-- Counting a queue over its partial index (0005, 0006) costs a walk of
-- the index, which grows with the store: 10-14 ms at 100,000 checks,
-- about ten times that at a million, read again after every change in
-- every console. Now one row holds every count, and triggers on checks
-- keep it in the same transaction as the change, whatever writes it (a
-- fetch, a decision, a proposal, a void, a purge): a count is exact when
-- the change commits, and reading them all reads one row.
--
-- Each count is the number of rows of checks matching its queue's
-- condition, written here as queuePredicate writes it (queues.go); the
-- all queue is the number of rows of tracked, which Add and AddMany keep
-- (a trigger per inserted id would cost an import about a third of its
-- speed).
--
-- Needs review depends on the date: a passed check whose document
-- expired before today needs review. That part cannot be kept for a day
-- not yet come, so it is split:
--   - risky: open (as needs review's indexes say) and a confidence below
--     high, whatever the date;
--   - expired: open, both confidences high, and the document expired
--     before expired_before, a date the count was brought up to.
-- Counts adds to expired the checks whose document expires between
-- expired_before and today, read from checks_open_count (a day's worth
-- of expiries, not the store), and the first write of each day on the
-- store's clock moves expired_before to today (store/counts.go). So
-- needs review = risky + expired + that correction, exact on any date,
-- even one before expired_before (a clock set back: the correction is
-- then subtracted).
CREATE TABLE queue_counts (
    one            INTEGER PRIMARY KEY CHECK (one = 1),
    risky          INTEGER NOT NULL,
    expired        INTEGER NOT NULL,
    expired_before TEXT    NOT NULL, -- YYYY-MM-DD
    pending        INTEGER NOT NULL,
    second_review  INTEGER NOT NULL,
    escalated      INTEGER NOT NULL,
    approved       INTEGER NOT NULL,
    rejected       INTEGER NOT NULL,
    errors         INTEGER NOT NULL,
    tracked        INTEGER NOT NULL
);

INSERT INTO queue_counts (one, risky, expired, expired_before, pending, second_review, escalated, approved, rejected, errors, tracked)
SELECT 1,
    (SELECT count(*) FROM checks AS c WHERE (c.cached = 1 AND c.status = 'open' AND c.outcome <> 'PENDING_REVIEW' AND c.outcome <> 'NOT_VERIFIED' AND c.proposal = 0 AND (c.document < 3 OR c.face < 3))),
    (SELECT count(*) FROM checks AS c WHERE (c.cached = 1 AND c.status = 'open' AND c.outcome <> 'PENDING_REVIEW' AND c.outcome <> 'NOT_VERIFIED' AND c.proposal = 0 AND c.document = 3 AND c.face = 3 AND c.expires_on > '' AND c.expires_on < date('now'))),
    date('now'),
    (SELECT count(*) FROM checks AS c WHERE (c.status = 'open' AND (c.outcome = 'PENDING_REVIEW' OR c.outcome = 'NOT_VERIFIED') AND c.proposal = 0)),
    (SELECT count(*) FROM checks AS c WHERE (c.proposal > 0)),
    (SELECT count(*) FROM checks AS c WHERE (c.status = 'escalated')),
    (SELECT count(*) FROM checks AS c WHERE (c.status = 'approved')),
    (SELECT count(*) FROM checks AS c WHERE (c.status = 'rejected')),
    (SELECT count(*) FROM checks AS c WHERE (c.outcome <> '' AND c.outcome <> 'ok' AND c.outcome <> 'PENDING_REVIEW' AND c.outcome <> 'NOT_VERIFIED')),
    (SELECT count(*) FROM tracked);

-- A condition is 1 or 0 in SQLite, so each count moves by the new row's
-- membership less the old row's. The update trigger fires only when a
-- column some queue reads is written.
CREATE TRIGGER checks_count_insert AFTER INSERT ON checks BEGIN
    UPDATE queue_counts SET
    risky = risky
        + (new.cached = 1 AND new.status = 'open' AND new.outcome <> 'PENDING_REVIEW' AND new.outcome <> 'NOT_VERIFIED' AND new.proposal = 0 AND (new.document < 3 OR new.face < 3)),
    expired = expired
        + (new.cached = 1 AND new.status = 'open' AND new.outcome <> 'PENDING_REVIEW' AND new.outcome <> 'NOT_VERIFIED' AND new.proposal = 0 AND new.document = 3 AND new.face = 3 AND new.expires_on > '' AND new.expires_on < expired_before),
    pending = pending
        + (new.status = 'open' AND (new.outcome = 'PENDING_REVIEW' OR new.outcome = 'NOT_VERIFIED') AND new.proposal = 0),
    second_review = second_review
        + (new.proposal > 0),
    escalated = escalated
        + (new.status = 'escalated'),
    approved = approved
        + (new.status = 'approved'),
    rejected = rejected
        + (new.status = 'rejected'),
    errors = errors
        + (new.outcome <> '' AND new.outcome <> 'ok' AND new.outcome <> 'PENDING_REVIEW' AND new.outcome <> 'NOT_VERIFIED');
END;
CREATE TRIGGER checks_count_update AFTER UPDATE OF cached, status, outcome, proposal, document, face, expires_on ON checks BEGIN
    UPDATE queue_counts SET
    risky = risky
        + (new.cached = 1 AND new.status = 'open' AND new.outcome <> 'PENDING_REVIEW' AND new.outcome <> 'NOT_VERIFIED' AND new.proposal = 0 AND (new.document < 3 OR new.face < 3))
        - (old.cached = 1 AND old.status = 'open' AND old.outcome <> 'PENDING_REVIEW' AND old.outcome <> 'NOT_VERIFIED' AND old.proposal = 0 AND (old.document < 3 OR old.face < 3)),
    expired = expired
        + (new.cached = 1 AND new.status = 'open' AND new.outcome <> 'PENDING_REVIEW' AND new.outcome <> 'NOT_VERIFIED' AND new.proposal = 0 AND new.document = 3 AND new.face = 3 AND new.expires_on > '' AND new.expires_on < expired_before)
        - (old.cached = 1 AND old.status = 'open' AND old.outcome <> 'PENDING_REVIEW' AND old.outcome <> 'NOT_VERIFIED' AND old.proposal = 0 AND old.document = 3 AND old.face = 3 AND old.expires_on > '' AND old.expires_on < expired_before),
    pending = pending
        + (new.status = 'open' AND (new.outcome = 'PENDING_REVIEW' OR new.outcome = 'NOT_VERIFIED') AND new.proposal = 0)
        - (old.status = 'open' AND (old.outcome = 'PENDING_REVIEW' OR old.outcome = 'NOT_VERIFIED') AND old.proposal = 0),
    second_review = second_review
        + (new.proposal > 0)
        - (old.proposal > 0),
    escalated = escalated
        + (new.status = 'escalated')
        - (old.status = 'escalated'),
    approved = approved
        + (new.status = 'approved')
        - (old.status = 'approved'),
    rejected = rejected
        + (new.status = 'rejected')
        - (old.status = 'rejected'),
    errors = errors
        + (new.outcome <> '' AND new.outcome <> 'ok' AND new.outcome <> 'PENDING_REVIEW' AND new.outcome <> 'NOT_VERIFIED')
        - (old.outcome <> '' AND old.outcome <> 'ok' AND old.outcome <> 'PENDING_REVIEW' AND old.outcome <> 'NOT_VERIFIED');
END;
CREATE TRIGGER checks_count_delete AFTER DELETE ON checks BEGIN
    UPDATE queue_counts SET
    risky = risky
        - (old.cached = 1 AND old.status = 'open' AND old.outcome <> 'PENDING_REVIEW' AND old.outcome <> 'NOT_VERIFIED' AND old.proposal = 0 AND (old.document < 3 OR old.face < 3)),
    expired = expired
        - (old.cached = 1 AND old.status = 'open' AND old.outcome <> 'PENDING_REVIEW' AND old.outcome <> 'NOT_VERIFIED' AND old.proposal = 0 AND old.document = 3 AND old.face = 3 AND old.expires_on > '' AND old.expires_on < expired_before),
    pending = pending
        - (old.status = 'open' AND (old.outcome = 'PENDING_REVIEW' OR old.outcome = 'NOT_VERIFIED') AND old.proposal = 0),
    second_review = second_review
        - (old.proposal > 0),
    escalated = escalated
        - (old.status = 'escalated'),
    approved = approved
        - (old.status = 'approved'),
    rejected = rejected
        - (old.status = 'rejected'),
    errors = errors
        - (old.outcome <> '' AND old.outcome <> 'ok' AND old.outcome <> 'PENDING_REVIEW' AND old.outcome <> 'NOT_VERIFIED');
END;
CREATE TRIGGER tracked_count_delete AFTER DELETE ON tracked BEGIN
    UPDATE queue_counts SET tracked = tracked - 1;
END;

