-- PostgreSQL version 4 (pg-reads): the sort indexes of 0002 again, each
-- carrying what a filtered page checks on the entries it walks, so that
-- the walk reads only the index (an index-only scan), as SQLite's sort
-- indexes carry search (../0003_queue_indexes.sql and after). In 0002 a
-- frequent filter ("son" in All, by risk) fetched the table's row of
-- every entry walked to read search: 6,346 rows for a page of 50, 18-76
-- ms at 100,000 checks. checksPagePG now chooses the page's ids in such
-- a walk and reads only their rows.
--
-- What each index carries besides its keys (INCLUDE: not sorted on, only
-- read): search, the filter's column; for needs review the rest of its
-- condition that its WHERE does not fix (document, face, expires_on); for
-- the sorts by name last_name and first_name, since PostgreSQL 15 reads
-- lower(last_name) from an index-only scan only when the column itself is
-- there. A queue's own WHERE needs no column: the index holds only rows
-- that meet it. Check ids are not carried (31 bytes an entry): a walk
-- matches ids through a list of the few ids in range (selectForPG).
--
-- Index-only scans skip the table only for pages the visibility map
-- marks all-visible; VACUUM sets the marks, and every write to a page
-- clears its mark until the next. By default autovacuum comes after a
-- fifth of the table has changed (20,000 decisions or fetches at 100,000
-- checks), and a busy team's walks would read more and more of the table
-- in between: still right, at worst as slow as 0002. checks is vacuumed
-- after 2% instead (2,000 changes at 100,000 checks), which reads the
-- changed pages (the visibility map skips the rest) and, when there are
-- dead entries to remove, each index once.
ALTER TABLE checks SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02);

-- The indexes of 0002 they replace, under the same names.
DROP INDEX checks_all_risk, checks_all_added, checks_all_name, checks_all_customer, checks_all_waiting, checks_open_risk, checks_open_added, checks_open_name, checks_open_customer, checks_open_waiting, checks_pending_risk, checks_pending_added, checks_pending_name, checks_pending_customer, checks_pending_waiting, checks_second_risk, checks_second_added, checks_second_name, checks_second_customer, checks_second_waiting, checks_decided_risk, checks_decided_added, checks_decided_name, checks_decided_customer, checks_decided_waiting, checks_errors_risk, checks_errors_added, checks_errors_name, checks_errors_customer, checks_errors_waiting;

-- Every tracked check that has a row.
CREATE INDEX checks_all_risk ON checks (risk, checked_on, id) INCLUDE (search);
CREATE INDEX checks_all_added ON checks (added_at, id) INCLUDE (search);
CREATE INDEX checks_all_name ON checks (lower(last_name COLLATE "C"), lower(first_name COLLATE "C"), id) INCLUDE (search, last_name, first_name);
CREATE INDEX checks_all_customer ON checks (customer_id COLLATE "C", id) INCLUDE (search);
CREATE INDEX checks_all_waiting ON checks (wait_key, id) INCLUDE (search);

-- Needs review: the rest of its condition, confidences or expiry, is read from the index.
CREATE INDEX checks_open_risk ON checks (risk, checked_on, id) INCLUDE (search, document, face, expires_on) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED' AND proposal = 0;
CREATE INDEX checks_open_added ON checks (added_at, id) INCLUDE (search, document, face, expires_on) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED' AND proposal = 0;
CREATE INDEX checks_open_name ON checks (lower(last_name COLLATE "C"), lower(first_name COLLATE "C"), id) INCLUDE (search, document, face, expires_on, last_name, first_name) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED' AND proposal = 0;
CREATE INDEX checks_open_customer ON checks (customer_id COLLATE "C", id) INCLUDE (search, document, face, expires_on) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED' AND proposal = 0;
CREATE INDEX checks_open_waiting ON checks (wait_key, id) INCLUDE (search, document, face, expires_on) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED' AND proposal = 0;

-- Pending, waiting at Caisson.
CREATE INDEX checks_pending_risk ON checks (risk, checked_on, id) INCLUDE (search) WHERE status = 'open' AND (outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED') AND proposal = 0;
CREATE INDEX checks_pending_added ON checks (added_at, id) INCLUDE (search) WHERE status = 'open' AND (outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED') AND proposal = 0;
CREATE INDEX checks_pending_name ON checks (lower(last_name COLLATE "C"), lower(first_name COLLATE "C"), id) INCLUDE (search, last_name, first_name) WHERE status = 'open' AND (outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED') AND proposal = 0;
CREATE INDEX checks_pending_customer ON checks (customer_id COLLATE "C", id) INCLUDE (search) WHERE status = 'open' AND (outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED') AND proposal = 0;
CREATE INDEX checks_pending_waiting ON checks (wait_key, id) INCLUDE (search) WHERE status = 'open' AND (outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED') AND proposal = 0;

-- Second review.
CREATE INDEX checks_second_risk ON checks (risk, checked_on, id) INCLUDE (search) WHERE proposal > 0;
CREATE INDEX checks_second_added ON checks (added_at, id) INCLUDE (search) WHERE proposal > 0;
CREATE INDEX checks_second_name ON checks (lower(last_name COLLATE "C"), lower(first_name COLLATE "C"), id) INCLUDE (search, last_name, first_name) WHERE proposal > 0;
CREATE INDEX checks_second_customer ON checks (customer_id COLLATE "C", id) INCLUDE (search) WHERE proposal > 0;
CREATE INDEX checks_second_waiting ON checks (wait_key, id) INCLUDE (search) WHERE proposal > 0;

-- Escalated, approved, rejected: one range of status each.
CREATE INDEX checks_decided_risk ON checks (status, risk, checked_on, id) INCLUDE (search) WHERE status <> 'open';
CREATE INDEX checks_decided_added ON checks (status, added_at, id) INCLUDE (search) WHERE status <> 'open';
CREATE INDEX checks_decided_name ON checks (status, lower(last_name COLLATE "C"), lower(first_name COLLATE "C"), id) INCLUDE (search, last_name, first_name) WHERE status <> 'open';
CREATE INDEX checks_decided_customer ON checks (status, customer_id COLLATE "C", id) INCLUDE (search) WHERE status <> 'open';
CREATE INDEX checks_decided_waiting ON checks (status, wait_key, id) INCLUDE (search) WHERE status <> 'open';

-- Errors.
CREATE INDEX checks_errors_risk ON checks (risk, checked_on, id) INCLUDE (search) WHERE outcome <> '' AND outcome <> 'ok' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';
CREATE INDEX checks_errors_added ON checks (added_at, id) INCLUDE (search) WHERE outcome <> '' AND outcome <> 'ok' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';
CREATE INDEX checks_errors_name ON checks (lower(last_name COLLATE "C"), lower(first_name COLLATE "C"), id) INCLUDE (search, last_name, first_name) WHERE outcome <> '' AND outcome <> 'ok' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';
CREATE INDEX checks_errors_customer ON checks (customer_id COLLATE "C", id) INCLUDE (search) WHERE outcome <> '' AND outcome <> 'ok' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';
CREATE INDEX checks_errors_waiting ON checks (wait_key, id) INCLUDE (search) WHERE outcome <> '' AND outcome <> 'ok' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';
