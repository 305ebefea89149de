-- Version 11 (issue 17, claims in the store): which console has which
-- check open ("being reviewed by"), shared by every process and host on
-- the database instead of held in one server's memory.
--
-- One row per console session that has a check open (a session holds at
-- most one claim). A claim lives while its session's heartbeat is recent:
-- a server that dies stops heartbeating, and its claims expire without
-- anyone deleting them (store/claims.go). seq orders the claims of one
-- check by when they were made, and a moved claim gets a new one. Claims
-- are not decisions: not in the hash chain, not access records, and no
-- foreign key to checks, so purging a check never waits on a console.
CREATE TABLE claims (
    seq        INTEGER PRIMARY KEY,
    session    TEXT    NOT NULL UNIQUE,
    check_id   TEXT    NOT NULL,
    reviewer   TEXT    NOT NULL,
    claimed_at INTEGER NOT NULL, -- unix nanoseconds
    heartbeat  INTEGER NOT NULL  -- unix nanoseconds
);
