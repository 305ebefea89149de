-- Version 3: an index for every queue in every sort, so that a page of any
-- tab is a walk of one index in the page's own order, stopping after the
-- page, whatever the queue's size or the offset. Before this the errors
-- queue (any outcome but '', ok and PENDING_REVIEW, which no index range
-- expresses) walked the whole table for one page: 300-600 ms at 100,000
-- checks.
--
-- Each index ends with id before the columns it only carries: ties then
-- go in the order checks were added, the index order is exactly the
-- page's ORDER BY (no sort step), and a new row lands at the end of its
-- group. Each carries what its queue's condition and the text filter read
-- (search) and the columns of its own condition, so skipping to an offset,
-- filtering and counting never read the table; only the page's own rows
-- are.
--
-- Only the "all" indexes hold every row. The other queues' indexes are
-- partial, on exactly their queue's condition as queuePredicate writes it:
-- a newly added check (never fetched, open) is in none of them, so adding
-- 100,000 ids costs no more than before. The queries name the index they
-- walk (INDEXED BY), so SQLite fails loudly instead of choosing a scan if
-- a condition and its index ever drift apart.
DROP INDEX checks_risk;
DROP INDEX checks_status;
DROP INDEX checks_added;
DROP INDEX checks_name;
DROP INDEX checks_customer;
DROP INDEX checks_outcome;
DROP INDEX checks_counts;

CREATE INDEX checks_all_risk     ON checks (risk, checked_on, id, search);
CREATE INDEX checks_all_added    ON checks (added_at, id, search);
CREATE INDEX checks_all_name     ON checks (last_name COLLATE NOCASE, first_name COLLATE NOCASE, id, search);
CREATE INDEX checks_all_customer ON checks (customer_id, id, search);

-- Needs review: cached and open. Whether the document has expired depends
-- on today, so that part of the condition is read from expires_on here.
CREATE INDEX checks_open_risk     ON checks (risk, checked_on, id, document, face, expires_on, search, cached, status) WHERE cached = 1 AND status = 'open';
CREATE INDEX checks_open_added    ON checks (added_at, id, document, face, expires_on, search, cached, status) WHERE cached = 1 AND status = 'open';
CREATE INDEX checks_open_name     ON checks (last_name COLLATE NOCASE, first_name COLLATE NOCASE, id, document, face, expires_on, search, cached, status) WHERE cached = 1 AND status = 'open';
CREATE INDEX checks_open_customer ON checks (customer_id, id, document, face, expires_on, search, cached, status) WHERE cached = 1 AND status = 'open';
-- Counting needs review reads three ranges of this narrow one instead.
-- The queue's condition reads document and face, not risk: SQLite reads
-- a generated column such as risk from the table, never from an index.
CREATE INDEX checks_open_count    ON checks (document, face, expires_on, cached, status) WHERE cached = 1 AND status = 'open';

-- Escalated, approved, rejected: one range of status each.
CREATE INDEX checks_decided_risk     ON checks (status, risk, checked_on, id, search) WHERE status <> 'open';
CREATE INDEX checks_decided_added    ON checks (status, added_at, id, search) WHERE status <> 'open';
CREATE INDEX checks_decided_name     ON checks (status, last_name COLLATE NOCASE, first_name COLLATE NOCASE, id, search) WHERE status <> 'open';
CREATE INDEX checks_decided_customer ON checks (status, customer_id, id, search) WHERE status <> 'open';

CREATE INDEX checks_pending_risk     ON checks (risk, checked_on, id, search) WHERE outcome = 'PENDING_REVIEW';
CREATE INDEX checks_pending_added    ON checks (added_at, id, search) WHERE outcome = 'PENDING_REVIEW';
CREATE INDEX checks_pending_name     ON checks (last_name COLLATE NOCASE, first_name COLLATE NOCASE, id, search) WHERE outcome = 'PENDING_REVIEW';
CREATE INDEX checks_pending_customer ON checks (customer_id, id, search) WHERE outcome = 'PENDING_REVIEW';

-- Errors: three inequalities rather than NOT IN (...), which SQLite
-- evaluated so slowly on every inserted row that these four indexes alone
-- took adding 100,000 ids from 96,000 to 58,000 ids/s.
CREATE INDEX checks_errors_risk     ON checks (risk, checked_on, id, search, outcome) WHERE outcome <> '' AND outcome <> 'ok' AND outcome <> 'PENDING_REVIEW';
CREATE INDEX checks_errors_added    ON checks (added_at, id, search, outcome) WHERE outcome <> '' AND outcome <> 'ok' AND outcome <> 'PENDING_REVIEW';
CREATE INDEX checks_errors_name     ON checks (last_name COLLATE NOCASE, first_name COLLATE NOCASE, id, search, outcome) WHERE outcome <> '' AND outcome <> 'ok' AND outcome <> 'PENDING_REVIEW';
CREATE INDEX checks_errors_customer ON checks (customer_id, id, search, outcome) WHERE outcome <> '' AND outcome <> 'ok' AND outcome <> 'PENDING_REVIEW';
