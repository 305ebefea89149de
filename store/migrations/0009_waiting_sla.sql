-- Version 8: waiting time, an SLA, and what the stats view reads.
--
-- A check waits for a reviewer from when it became reviewable until its
-- final decision (approve, reject, escalate, or a confirmed proposal):
--   - reviewable_at: Unix nanoseconds, 0 when the check never became
--     reviewable (since its last reopen). Set by a fetch whose result
--     needs review (at the fetch's own time), by a return from second
--     review of a check that was not reviewable, or by a reopen; kept
--     through a proposal and its return, and after the decision; cleared
--     when an undecided check leaves needs review without a decision
--     (Caisson now says high on both, or has no result for now, or its
--     personal data was purged).
--   - decided_at: Unix nanoseconds of the final decision, 0 while open.
-- Both are written in the transaction of the change, like status.
--
-- Checks already waiting get their last fetch as the start (the first
-- was not recorded before this version), decided ones the time of the
-- decision that set their status but no start: how long they waited was
-- not recorded, and the stats leave them out of the waits rather than
-- make one up.
ALTER TABLE checks ADD COLUMN reviewable_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE checks ADD COLUMN decided_at    INTEGER NOT NULL DEFAULT 0;

-- The sort "longest waiting first" as one key: checks still waiting,
-- oldest start first (below -2^62); then decided checks by how long they
-- waited, longest first (minus the wait, at most 0); then checks never
-- reviewable (the largest integer). Virtual: it costs nothing to store.
ALTER TABLE checks ADD COLUMN wait_key INTEGER GENERATED ALWAYS AS (
    CASE WHEN reviewable_at = 0 THEN 9223372036854775807
         WHEN status = 'open' THEN reviewable_at - 4611686018427387904
         ELSE reviewable_at - decided_at END) VIRTUAL;

-- A bare check (only added) is never reviewable: the same largest key, as
-- a column so that SQLite sees the bare ids' index in that order (as
-- minus in 0004).
ALTER TABLE tracked ADD COLUMN never INTEGER GENERATED ALWAYS AS (9223372036854775807) VIRTUAL;

UPDATE checks SET reviewable_at = coalesce(result_at, fetched_at, added_at)
WHERE status = 'open' AND (proposal > 0 OR (cached = 1 AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED'
    AND (document < 3 OR face < 3 OR (expires_on <> '' AND expires_on < date('now')))));

-- decisions.at is fixed-width RFC 3339 with nanoseconds.
UPDATE checks SET decided_at = coalesce((
    SELECT CAST(unixepoch(substr(d.at, 1, 19)) AS INTEGER) * 1000000000 + CAST(substr(d.at, 21, 9) AS INTEGER)
    FROM decisions AS d WHERE d.check_id = checks.check_id
        AND (d.action IN ('approve', 'reject', 'escalate') OR d.action = 'confirm')
    ORDER BY d.seq DESC LIMIT 1), 0)
WHERE status <> 'open';

-- A fetch sets or clears the start of the wait in its own statement
-- (fetch.go: a trigger's second UPDATE rewrote each risky row, raw
-- response and all, and cost storing a batch of first results a third
-- more). A proposal closed (returned, voided: a refresh that voids one
-- writes the new result first) judges an undecided check on its result,
-- rarely enough for a trigger. Needs review is read as queuePredicate
-- reads it, on the day of the last fetch.
CREATE TRIGGER checks_reviewable_proposal AFTER UPDATE OF proposal ON checks
WHEN new.status = 'open' AND new.proposal = 0 AND old.proposal <> 0 AND (new.reviewable_at > 0) <> (new.cached = 1
    AND new.outcome <> 'PENDING_REVIEW' AND new.outcome <> 'NOT_VERIFIED'
    AND (new.document < 3 OR new.face < 3 OR (new.expires_on <> '' AND new.expires_on < date(new.fetched_at / 1000000000, 'unixepoch'))))
BEGIN
    UPDATE checks SET reviewable_at = CASE WHEN new.reviewable_at > 0 THEN 0 ELSE new.fetched_at END WHERE id = new.id;
END;

-- Waiting: open and reviewable. Overdue is waiting since before now less
-- the SLA; the index is a range of that, in the order of the sort.
-- <> 0 rather than > 0: a range query on reviewable_at would take > 0 for
-- its lower bound instead of its own, and walk the index from the start.
CREATE INDEX checks_waiting ON checks (reviewable_at, id) WHERE status = 'open' AND reviewable_at <> 0;

-- The sort "waiting" of every queue, as 0003 gives the others.
CREATE INDEX checks_open_waiting     ON checks (wait_key, id, document, face, expires_on, search, cached, status, outcome, proposal) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED' AND proposal = 0;
CREATE INDEX checks_pending_waiting  ON checks (wait_key, id, search, status, outcome, proposal) WHERE status = 'open' AND (outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED') AND proposal = 0;
CREATE INDEX checks_second_waiting   ON checks (wait_key, id, search, proposal) WHERE proposal > 0;
CREATE INDEX checks_decided_waiting  ON checks (status, wait_key, id, search) WHERE status <> 'open';
CREATE INDEX checks_errors_waiting   ON checks (wait_key, id, search, outcome) WHERE outcome <> '' AND outcome <> 'ok' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';
CREATE INDEX checks_all_waiting      ON checks (wait_key, id, search);

-- The stats view: outcomes by the time of the decision, the backlog and
-- Caisson's reasons by the start of the wait, and the waits by the week
-- of the decision (Monday-based: Unix day 0 was a Thursday) in order, so
-- that a percentile is an offset into a range of the index, not a sort.
ALTER TABLE checks ADD COLUMN decided_week INTEGER GENERATED ALWAYS AS ((decided_at / 86400000000000 + 3) / 7) VIRTUAL;
ALTER TABLE checks ADD COLUMN waited INTEGER GENERATED ALWAYS AS (decided_at - reviewable_at) VIRTUAL;
CREATE INDEX checks_decided_at   ON checks (decided_at, reviewable_at, document, face, status) WHERE decided_at <> 0;
CREATE INDEX checks_reviewable   ON checks (reviewable_at, reasons) WHERE reviewable_at <> 0;
CREATE INDEX checks_waits        ON checks (decided_week, waited) WHERE decided_at <> 0 AND reviewable_at <> 0;
-- Outcome by confidences: one short range per document, face and decision.
CREATE INDEX checks_outcomes     ON checks (document, face, status, decided_at) WHERE decided_at <> 0;

-- The log's entries tallied per day (UTC), reviewer (display name),
-- action and reason, in the transaction that appends each entry
-- (appendTx): the stats read a few hundred rows, not the log. Not a
-- trigger on decisions: the log carries only the triggers that guard it.
CREATE TABLE decision_days (
    day      TEXT    NOT NULL, -- YYYY-MM-DD
    reviewer TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    proposes TEXT    NOT NULL,
    reason   TEXT    NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (day, action, reviewer, proposes, reason)
) WITHOUT ROWID;
INSERT INTO decision_days (day, reviewer, action, proposes, reason, n)
    SELECT substr(at, 1, 10), reviewer, action, proposes, reason, count(*) FROM decisions
    GROUP BY substr(at, 1, 10), reviewer, action, proposes, reason;

-- The SLA and the count of overdue checks, kept like the count of expired
-- documents (0007): overdue is the number of waiting checks whose wait
-- started before overdue_before, kept by the triggers below; Counts adds
-- those between overdue_before and now less the SLA, a range of
-- checks_waiting as long as the time since a write last brought
-- overdue_before forward (bringOverdueTx). sla is the SLA in nanoseconds,
-- 0 for none, a copy of the newest sla policy entry of the decision log
-- written in the same transaction.
ALTER TABLE queue_counts ADD COLUMN sla            INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queue_counts ADD COLUMN overdue        INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queue_counts ADD COLUMN overdue_before INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER checks_overdue_insert AFTER INSERT ON checks WHEN new.reviewable_at > 0 BEGIN
    UPDATE queue_counts SET overdue = overdue
        + (new.status = 'open' AND new.reviewable_at > 0 AND new.reviewable_at < overdue_before);
END;
CREATE TRIGGER checks_overdue_update AFTER UPDATE OF status, reviewable_at ON checks
WHEN new.status IS NOT old.status OR new.reviewable_at IS NOT old.reviewable_at BEGIN
    UPDATE queue_counts SET overdue = overdue
        + (new.status = 'open' AND new.reviewable_at > 0 AND new.reviewable_at < overdue_before)
        - (old.status = 'open' AND old.reviewable_at > 0 AND old.reviewable_at < overdue_before);
END;
CREATE TRIGGER checks_overdue_delete AFTER DELETE ON checks WHEN old.reviewable_at > 0 BEGIN
    UPDATE queue_counts SET overdue = overdue
        - (old.status = 'open' AND old.reviewable_at > 0 AND old.reviewable_at < overdue_before);
END;
