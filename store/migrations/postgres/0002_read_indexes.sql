-- PostgreSQL's indexes for the store's reads (pg-reads): what a page, a
-- filter, a count and the stats ask EXPLAIN for. SQLite's are in
-- ../0003_queue_indexes.sql and after; these are PostgreSQL's own, chosen
-- by PostgreSQL's planner (no INDEXED BY), so each is named after its
-- SQLite twin where it has one and says which query it serves.
--
-- Text is sorted and ranged byte for byte, as SQLite's BINARY does: the
-- columns are COLLATE "C" (0001), and the queries and indexes say so
-- again (page_postgres.go), so that neither depends on it. Names sort
-- case-folded in ASCII only, as SQLite's NOCASE: lower() under "C".

-- The text filter (selectForPG: c.search LIKE '%…%', the filter's own
-- '%' and '_' escaped). pg_trgm answers a pattern holding a trigram (a
-- filter of three characters or more) from this index; LIKE rechecks
-- every row it gives, so the matches are exactly instr's on SQLite. A
-- shorter or a frequent filter walks the page's sort index instead, as on
-- SQLite. Like SQLite's FTS table it indexes search only, not check ids.
CREATE INDEX checks_search_trgm ON checks USING gin (search gin_trgm_ops);

-- Check ids by their start (the filter's id part, LIKE 'chk_priv_ab%'
-- under "C", which the planner turns into a range) need no index here:
-- check_id is COLLATE "C" (0001), so the UNIQUE indexes of checks and
-- tracked hold the ids in that order. They also serve shell completion
-- (completionPG), which reads them in it.

-- The all queue's bare side (checks that were only added): by id, for
-- the sorts where they come first and by waiting, and by time added.
CREATE INDEX tracked_bare       ON tracked (id)           WHERE bare = 1;
CREATE INDEX tracked_bare_added ON tracked (added_at, id) WHERE bare = 1;

-- Pages: for every queue a partial index on exactly its condition as
-- queuePredicate writes it, in every sort's ORDER BY (sortKeysPG), ending
-- with id so that the order is total and no page sorts: a page is an
-- index walk that stops after offset + limit rows, and a frequent or short
-- filter is checked on the rows walked. One customer's checks (list
-- --customer) are a range of checks_all_customer.

-- Every tracked check that has a row (the bare ones are tracked_bare's).
CREATE INDEX checks_all_risk ON checks (risk, checked_on, id);
CREATE INDEX checks_all_added ON checks (added_at, id);
CREATE INDEX checks_all_name ON checks (lower(last_name COLLATE "C"), lower(first_name COLLATE "C"), id);
CREATE INDEX checks_all_customer ON checks (customer_id COLLATE "C", id);
CREATE INDEX checks_all_waiting ON checks (wait_key, id);

-- Needs review (queuePredicate: the rest of its condition, confidences or expiry, is checked on the rows walked).
CREATE INDEX checks_open_risk ON checks (risk, checked_on, id) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED' AND proposal = 0;
CREATE INDEX checks_open_added ON checks (added_at, id) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED' AND proposal = 0;
CREATE INDEX checks_open_name ON checks (lower(last_name COLLATE "C"), lower(first_name COLLATE "C"), id) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED' AND proposal = 0;
CREATE INDEX checks_open_customer ON checks (customer_id COLLATE "C", id) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED' AND proposal = 0;
CREATE INDEX checks_open_waiting ON checks (wait_key, id) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED' AND proposal = 0;

-- Pending, waiting at Caisson.
CREATE INDEX checks_pending_risk ON checks (risk, checked_on, id) WHERE status = 'open' AND (outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED') AND proposal = 0;
CREATE INDEX checks_pending_added ON checks (added_at, id) WHERE status = 'open' AND (outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED') AND proposal = 0;
CREATE INDEX checks_pending_name ON checks (lower(last_name COLLATE "C"), lower(first_name COLLATE "C"), id) WHERE status = 'open' AND (outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED') AND proposal = 0;
CREATE INDEX checks_pending_customer ON checks (customer_id COLLATE "C", id) WHERE status = 'open' AND (outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED') AND proposal = 0;
CREATE INDEX checks_pending_waiting ON checks (wait_key, id) WHERE status = 'open' AND (outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED') AND proposal = 0;

-- Second review.
CREATE INDEX checks_second_risk ON checks (risk, checked_on, id) WHERE proposal > 0;
CREATE INDEX checks_second_added ON checks (added_at, id) WHERE proposal > 0;
CREATE INDEX checks_second_name ON checks (lower(last_name COLLATE "C"), lower(first_name COLLATE "C"), id) WHERE proposal > 0;
CREATE INDEX checks_second_customer ON checks (customer_id COLLATE "C", id) WHERE proposal > 0;
CREATE INDEX checks_second_waiting ON checks (wait_key, id) WHERE proposal > 0;

-- Escalated, approved, rejected: one range of status each.
CREATE INDEX checks_decided_risk ON checks (status, risk, checked_on, id) WHERE status <> 'open';
CREATE INDEX checks_decided_added ON checks (status, added_at, id) WHERE status <> 'open';
CREATE INDEX checks_decided_name ON checks (status, lower(last_name COLLATE "C"), lower(first_name COLLATE "C"), id) WHERE status <> 'open';
CREATE INDEX checks_decided_customer ON checks (status, customer_id COLLATE "C", id) WHERE status <> 'open';
CREATE INDEX checks_decided_waiting ON checks (status, wait_key, id) WHERE status <> 'open';

-- Errors.
CREATE INDEX checks_errors_risk ON checks (risk, checked_on, id) WHERE outcome <> '' AND outcome <> 'ok' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';
CREATE INDEX checks_errors_added ON checks (added_at, id) WHERE outcome <> '' AND outcome <> 'ok' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';
CREATE INDEX checks_errors_name ON checks (lower(last_name COLLATE "C"), lower(first_name COLLATE "C"), id) WHERE outcome <> '' AND outcome <> 'ok' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';
CREATE INDEX checks_errors_customer ON checks (customer_id COLLATE "C", id) WHERE outcome <> '' AND outcome <> 'ok' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';
CREATE INDEX checks_errors_waiting ON checks (wait_key, id) WHERE outcome <> '' AND outcome <> 'ok' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED';

-- Counts: the needs review count's correction (expiredSincePG), the
-- passed checks whose document expires between two days.
CREATE INDEX checks_open_count ON checks (expires_on) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED' AND proposal = 0 AND document = 3 AND face = 3;

-- The overdue count's correction and its recount (overdueTermPG,
-- recountOverduePG), --overdue's condition, and the stats' backlog of
-- checks waiting now (waitingNowPG): ranges of reviewable_at among the
-- checks waiting for a decision.
CREATE INDEX checks_waiting ON checks (reviewable_at, id) WHERE status = 'open' AND reviewable_at <> 0;

-- The stats (stats_postgres.go): each day's arrivals (backlogDaysPG) and
-- the period's reason codes (reasonCodesPG) ...
CREATE INDEX checks_reviewable ON checks (reviewable_at, reasons) WHERE reviewable_at <> 0;
-- ... each day's decisions (backlogDaysPG) ...
CREATE INDEX checks_decided_at ON checks (decided_at, reviewable_at) WHERE decided_at <> 0;
-- ... each week's waits in order, for the median and 90th percentile as
-- offsets (weeksPG, inWeeksPG) ...
CREATE INDEX checks_waits ON checks (decided_week, waited) WHERE decided_at <> 0 AND reviewable_at <> 0;
-- ... and the decisions per pair of confidences (outcomesPG).
CREATE INDEX checks_outcomes ON checks (document, face, status, decided_at) WHERE decided_at <> 0;

-- The decision log's reads: a check's history (Get), the log from a time
-- on (Decisions, export), and the newest policy entry of a setting
-- (slaTx, Policy), as SQLite's decisions_check, decisions_at and
-- decisions_policy.
CREATE INDEX decisions_check  ON decisions (check_id, seq);
CREATE INDEX decisions_at     ON decisions (at);
CREATE INDEX decisions_policy ON decisions (reason, seq) WHERE action = 'policy';

-- The access log's reads (Accesses): by check and by time, as SQLite's.
CREATE INDEX access_check ON access (check_id, at);
CREATE INDEX access_at    ON access (at);
