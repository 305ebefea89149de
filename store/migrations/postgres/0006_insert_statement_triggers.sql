-- PostgreSQL version 6: what an insert into checks sets off runs once a
-- statement, over the rows it inserted, not once a row.
--
-- First results are inserted a batch per statement (batch_postgres.go,
-- firstOrSamePG: up to 2,000 rows), and four row triggers ran for each
-- row: checks_unbare, polls_insert, and two that each updated the one row
-- of queue_counts (checks_count_insert, checks_overdue_insert). Within one
-- transaction every update of that row leaves a version the next update
-- must step over, so a batch's count updates cost more the later they
-- came: BenchmarkRecordFetches' first results stored 2,270-2,400 checks a
-- second with the row triggers, 5,140 with the count trigger disabled and
-- 7,470 with all four (10,000 results in batches of 2,000, at load 3.9).
--
-- One trigger now reads the statement's inserted rows (a transition table)
-- once: it marks their tracked rows no longer bare, starts a poll for
-- each that waits at Caisson, and moves every count, overdue included, in
-- one update of queue_counts. What each does is unchanged: SQLite's row
-- triggers (0004, 0007, 0008, 0009) stay as they are, and the tests that
-- hold the counts to each queue's definition after every kind of write
-- run on both. Updates and deletes keep their row triggers: an update
-- trigger with a transition table cannot name the columns it watches, so
-- it would run for every refresh's update of the fetch times as well.
--
-- Run again on a database it already changed, it changes nothing.

DROP TRIGGER IF EXISTS checks_unbare ON checks;
DROP FUNCTION IF EXISTS checks_unbare();
DROP TRIGGER IF EXISTS polls_insert ON checks;
DROP FUNCTION IF EXISTS polls_insert();
DROP TRIGGER IF EXISTS checks_count_insert ON checks;
DROP FUNCTION IF EXISTS checks_count_insert();
DROP TRIGGER IF EXISTS checks_overdue_insert ON checks;
DROP FUNCTION IF EXISTS checks_overdue_insert();

CREATE OR REPLACE FUNCTION checks_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    before text;
BEGIN
    -- The check is no longer bare (checks_unbare). Its rows are found by
    -- id in tracked's index: joined to the transition table, which has no
    -- statistics, the planner hashed all of tracked for every batch (42 ms
    -- at 100,000 checks, growing with the store).
    UPDATE tracked AS t SET bare = 0 WHERE t.id = ANY (ARRAY(SELECT n.id FROM inserted AS n)) AND t.bare = 1;
    -- A check waiting at Caisson is polled from its first answer on
    -- (polls_insert).
    INSERT INTO polls (check_id, since)
        SELECT n.check_id, coalesce(n.fetched_at, 0) FROM inserted AS n
        WHERE n.outcome = 'PENDING_REVIEW' OR n.outcome = 'NOT_VERIFIED'
        ORDER BY n.check_id
        ON CONFLICT (check_id) DO NOTHING;
    -- The counts (checks_count_insert, as move_counts moves them, and
    -- checks_overdue_insert): the row is locked before expired_before is
    -- read, so the memberships are judged on the date the update writes
    -- against.
    SELECT expired_before INTO before FROM queue_counts WHERE one = 1 FOR UPDATE;
    UPDATE queue_counts AS q SET
        risky         = q.risky         + m.risky,
        expired       = q.expired       + m.expired,
        pending       = q.pending       + m.pending,
        second_review = q.second_review + m.second_review,
        escalated     = q.escalated     + m.escalated,
        approved      = q.approved      + m.approved,
        rejected      = q.rejected      + m.rejected,
        errors        = q.errors        + m.errors,
        overdue       = q.overdue + (SELECT count(*) FROM inserted AS n
            WHERE n.status = 'open' AND n.reviewable_at > 0 AND n.reviewable_at < q.overdue_before)
    FROM (
        SELECT coalesce(sum(a[1]), 0) AS risky, coalesce(sum(a[2]), 0) AS expired,
            coalesce(sum(a[3]), 0) AS pending, coalesce(sum(a[4]), 0) AS second_review,
            coalesce(sum(a[5]), 0) AS escalated, coalesce(sum(a[6]), 0) AS approved,
            coalesce(sum(a[7]), 0) AS rejected, coalesce(sum(a[8]), 0) AS errors
        FROM (SELECT queue_membership(n::checks, before) AS a FROM inserted AS n) AS each_row
    ) AS m
    WHERE q.one = 1;
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS checks_inserted ON checks;
CREATE TRIGGER checks_inserted AFTER INSERT ON checks
    REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION checks_inserted();
