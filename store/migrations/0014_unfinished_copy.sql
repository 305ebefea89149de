-- Version 14: a store that migrate-store is filling says so until the
-- copy ends.
--
-- A copy commits table by table, so an interrupted one left a target that
-- looked whole (every check, the decision log verifying to the source's
-- head) while the access log, or the exchanges, were still missing; and a
-- decision made on it meanwhile made the copy impossible to finish (the
-- target no longer a prefix of the source). Found by a helper trying
-- migrate-store as a team's DBA would. The copy now writes this one row
-- before its first batch and deletes it in the transaction that finishes
-- it. While it is here, Open warns and the store refuses every write but
-- the copy's own (store/copy.go, ErrUnfinishedCopy). source is the
-- source's location as the copy showed it (a URL without its password).
CREATE TABLE IF NOT EXISTS unfinished_copy (
    one        INTEGER PRIMARY KEY CHECK (one = 1),
    source     TEXT NOT NULL,
    started_at INTEGER NOT NULL
);
