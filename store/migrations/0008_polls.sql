-- Version 9: checks waiting at Caisson are polled until it answers.
--
-- A row of polls exists while a check's last answer was PENDING_REVIEW or
-- NOT_VERIFIED, kept by triggers on checks in the transaction of the fetch
-- that brought the answer, whichever front end recorded it:
--   - since is when the current run of those answers began (the fetch
--     that first brought one), from which the poll's backoff grows: the
--     next poll is due at fetched_at + max(first, min(cap, fetched_at -
--     since)), so 5, 5, 10, 20, 40 minutes, then hourly (store/poll.go);
--   - holder and lease_until are the lease of the process fetching it
--     now: one process polls a check at a time, whatever shares the file.
--     A lease past lease_until is free (its holder died or hung).
-- Checks waiting when this version is installed start their run at their
-- last fetch.
CREATE TABLE polls (
    check_id    TEXT    PRIMARY KEY REFERENCES checks (check_id),
    since       INTEGER NOT NULL, -- unix nanoseconds
    holder      TEXT    NOT NULL DEFAULT '',
    lease_until INTEGER NOT NULL DEFAULT 0 -- unix nanoseconds; 0 when free
) WITHOUT ROWID;

INSERT INTO polls (check_id, since)
SELECT check_id, coalesce(fetched_at, 0) FROM checks
WHERE outcome = 'PENDING_REVIEW' OR outcome = 'NOT_VERIFIED';

CREATE TRIGGER polls_insert AFTER INSERT ON checks
WHEN new.outcome = 'PENDING_REVIEW' OR new.outcome = 'NOT_VERIFIED' BEGIN
    INSERT OR IGNORE INTO polls (check_id, since) VALUES (new.check_id, coalesce(new.fetched_at, 0));
END;
CREATE TRIGGER polls_start AFTER UPDATE OF outcome ON checks
WHEN (new.outcome = 'PENDING_REVIEW' OR new.outcome = 'NOT_VERIFIED')
    AND NOT (old.outcome = 'PENDING_REVIEW' OR old.outcome = 'NOT_VERIFIED') BEGIN
    INSERT OR REPLACE INTO polls (check_id, since) VALUES (new.check_id, coalesce(new.fetched_at, 0));
END;
-- Only on the way out of a wait: the fetch of a check that was not
-- waiting (every other fetch) touches no row of polls.
CREATE TRIGGER polls_end AFTER UPDATE OF outcome ON checks
WHEN (old.outcome = 'PENDING_REVIEW' OR old.outcome = 'NOT_VERIFIED')
    AND NOT (new.outcome = 'PENDING_REVIEW' OR new.outcome = 'NOT_VERIFIED') BEGIN
    DELETE FROM polls WHERE check_id = new.check_id;
END;
CREATE TRIGGER polls_delete AFTER DELETE ON checks BEGIN
    DELETE FROM polls WHERE check_id = old.check_id;
END;
