-- Version 4: the list of tracked check ids is its own narrow table, and a
-- check gets its wide row in checks (the cached result and every queue
-- index) when something first happens to it: a fetch or a decision.
--
-- Why: adding an id used to write the wide row and its four "all" sort
-- indexes, which held adding 100,000 ids to about 95,000 ids/s; a narrow
-- row and its unique index take about a fifth of that time. An id that
-- was only added is in no queue but all, where its sort keys are those of
-- a never-fetched check (no confidence, no names, no customer): the all
-- queue reads such ids from tracked_bare, before the checks rows or
-- merged with them by time added (queues.go).
CREATE TABLE tracked (
    -- The same id as the check's row in checks, once it has one.
    id       INTEGER PRIMARY KEY,
    check_id TEXT    NOT NULL UNIQUE,
    added_at INTEGER NOT NULL,
    added_by TEXT    NOT NULL,
    -- typed, imported or exchanged: checked by Add and AddMany, and by
    -- the CHECK of checks when the row gets there. A CHECK here cost a
    -- fifth of the time of adding 100,000 ids.
    source   TEXT    NOT NULL,
    -- 1 while the check has no row in checks.
    bare     INTEGER NOT NULL DEFAULT 1,
    -- A bare check's sort keys but its id and time added: -1, below
    -- every confidence, time checked, name and customer id (SQLite sorts
    -- numbers before text), so that in those sorts the bare checks come
    -- first, in the order added, and a page is bare checks then checks
    -- rows. Columns rather than literals, so that SQLite sees that the
    -- index of bare ids is in that order (a query constrains them to -1);
    -- virtual, so they cost nothing to store. minus_ci serves the name
    -- sort, which compares without case.
    minus    INTEGER GENERATED ALWAYS AS (-1) VIRTUAL,
    minus_ci INTEGER COLLATE NOCASE GENERATED ALWAYS AS (-1) VIRTUAL
);

-- The ids without a row in checks, in the two orders the all queue needs
-- them: added order (newest first, read backwards), and id order, which
-- is every other sort's, since a bare check's other sort keys are all
-- equal (minus). Both are small once checks are fetched.
CREATE INDEX tracked_bare       ON tracked (id)           WHERE bare = 1;
CREATE INDEX tracked_bare_added ON tracked (added_at, id) WHERE bare = 1;

-- Every check an older version added already has its row in checks.
INSERT INTO tracked (id, check_id, added_at, added_by, source, bare)
    SELECT id, check_id, added_at, added_by, source, 0 FROM checks;

-- A check's row in checks is created from its tracked row, with the same
-- id; from then on the check is no longer bare.
CREATE TRIGGER checks_unbare AFTER INSERT ON checks BEGIN
    UPDATE tracked SET bare = 0 WHERE id = new.id AND bare = 1;
END;
