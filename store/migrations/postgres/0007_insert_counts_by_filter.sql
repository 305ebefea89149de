-- PostgreSQL version 7: the insert trigger counts a batch's rows by each
-- queue's definition directly, rather than by calling queue_membership
-- on each row.
--
-- checks_inserted (0006) moved the counts by summing queue_membership
-- over the statement's inserted rows. Each call made the row into a
-- checks value first, and that, not the counting, was most of the
-- trigger's time: BenchmarkRecordFetches' first results (20,000, in
-- batches of 5,000) stored 7,236-8,808 checks a second with it and
-- 8,577-11,026 with the counts written out as count(*) FILTER, in turn in
-- one session. What is counted is unchanged: the filters are
-- queue_membership's conditions, word for word (a NULL condition counts
-- no row in either), and the tests that hold the counts to each queue's
-- definition after every kind of write run on both backends.
-- queue_membership stays, for move_counts (updates and deletes).
--
-- Run again on a database it already changed, it changes nothing.

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
    -- The counts: each queue's rows counted by its definition, as
    -- queue_membership defines it (0001, for move_counts), written out
    -- here so that no row is made into a checks value to be judged. The
    -- row is locked before expired_before is read, so the memberships
    -- are judged on the date the update writes against.
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
        SELECT
            count(*) FILTER (WHERE c.cached = 1 AND c.status = 'open' AND c.outcome <> 'PENDING_REVIEW' AND c.outcome <> 'NOT_VERIFIED' AND c.proposal = 0
                AND (c.document < 3 OR c.face < 3)) AS risky,
            count(*) FILTER (WHERE c.cached = 1 AND c.status = 'open' AND c.outcome <> 'PENDING_REVIEW' AND c.outcome <> 'NOT_VERIFIED' AND c.proposal = 0
                AND c.document = 3 AND c.face = 3 AND c.expires_on > '' AND c.expires_on < before) AS expired,
            count(*) FILTER (WHERE c.status = 'open' AND (c.outcome = 'PENDING_REVIEW' OR c.outcome = 'NOT_VERIFIED') AND c.proposal = 0) AS pending,
            count(*) FILTER (WHERE c.proposal > 0) AS second_review,
            count(*) FILTER (WHERE c.status = 'escalated') AS escalated,
            count(*) FILTER (WHERE c.status = 'approved') AS approved,
            count(*) FILTER (WHERE c.status = 'rejected') AS rejected,
            count(*) FILTER (WHERE c.outcome <> '' AND c.outcome <> 'ok' AND c.outcome <> 'PENDING_REVIEW' AND c.outcome <> 'NOT_VERIFIED') AS errors
        FROM inserted AS c
    ) AS m
    WHERE q.one = 1;
    RETURN NULL;
END
$$;
