-- Version 5: one queue for checks Caisson has no result for yet, and the
-- decision queues made disjoint.
--
-- Before this, NOT_VERIFIED (the person has not finished the check) was
-- in the errors queue while the refresh called it "not ready, not a
-- failure", and a check was in pending (outcome PENDING_REVIEW) whatever
-- its status, so an approved one showed in pending and approved at once.
-- Now:
--   - waiting at Caisson (the queue named pending): open, and Caisson's
--     last answer was PENDING_REVIEW or NOT_VERIFIED;
--   - needs review: as before, but not while Caisson's last answer says
--     it has no result for now (its own reviewers may change the result);
--   - errors: only failures, neither of those two answers;
--   - a reviewer's decision wins: a decided check is in its decision's
--     queue only.
-- The queues are conditions on columns, not stored, so rebuilding their
-- partial indexes reclassifies every existing row. The conditions are
-- written as queuePredicate writes them, term for term: SQLite uses a
-- partial index only for a query that repeats its condition. OR rather
-- than IN for the same reason as 0003's inequalities: cheap to test on
-- every written row.
DROP INDEX checks_open_risk;
DROP INDEX checks_open_added;
DROP INDEX checks_open_name;
DROP INDEX checks_open_customer;
DROP INDEX checks_open_count;
DROP INDEX checks_pending_risk;
DROP INDEX checks_pending_added;
DROP INDEX checks_pending_name;
DROP INDEX checks_pending_customer;
DROP INDEX checks_errors_risk;
DROP INDEX checks_errors_added;
DROP INDEX checks_errors_name;
DROP INDEX checks_errors_customer;

CREATE INDEX checks_open_risk     ON checks (risk, checked_on, id, document, face, expires_on, search, cached, status, outcome) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';
CREATE INDEX checks_open_added    ON checks (added_at, id, document, face, expires_on, search, cached, status, outcome) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';
CREATE INDEX checks_open_name     ON checks (last_name COLLATE NOCASE, first_name COLLATE NOCASE, id, document, face, expires_on, search, cached, status, outcome) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';
CREATE INDEX checks_open_customer ON checks (customer_id, id, document, face, expires_on, search, cached, status, outcome) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';
CREATE INDEX checks_open_count    ON checks (document, face, expires_on, cached, status, outcome) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';

CREATE INDEX checks_pending_risk     ON checks (risk, checked_on, id, search, status, outcome) WHERE status = 'open' AND (outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED');
CREATE INDEX checks_pending_added    ON checks (added_at, id, search, status, outcome) WHERE status = 'open' AND (outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED');
CREATE INDEX checks_pending_name     ON checks (last_name COLLATE NOCASE, first_name COLLATE NOCASE, id, search, status, outcome) WHERE status = 'open' AND (outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED');
CREATE INDEX checks_pending_customer ON checks (customer_id, id, search, status, outcome) WHERE status = 'open' AND (outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED');

CREATE INDEX checks_errors_risk     ON checks (risk, checked_on, id, search, outcome) WHERE outcome <> '' AND outcome <> 'ok' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';
CREATE INDEX checks_errors_added    ON checks (added_at, id, search, outcome) WHERE outcome <> '' AND outcome <> 'ok' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';
CREATE INDEX checks_errors_name     ON checks (last_name COLLATE NOCASE, first_name COLLATE NOCASE, id, search, outcome) WHERE outcome <> '' AND outcome <> 'ok' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';
CREATE INDEX checks_errors_customer ON checks (customer_id, id, search, outcome) WHERE outcome <> '' AND outcome <> 'ok' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';
