-- Version 13: the text filter's index stays right when a check's names
-- change, or are written again, on a refresh.
--
-- 0002 kept checks_search up to date with two triggers on an update of
-- search: checks_search_forget, which took the row's old text out, and
-- checks_search_learn, which put the new text in. SQLite runs the
-- triggers of one event newest first, so the new text went in and then
-- the row was taken out: every refresh of a fetched check (which writes
-- search, changed or not) left its rowid deleted behind the new entry.
-- With secure-delete on, the index still answered until a merge, about
-- the sixteenth refresh of the same check, after which a filter answered
-- from the trigram index (a rare one: a customer id, an unusual name)
-- no longer found the check. Found by review; held by
-- TestAFilterFindsACheckAfterManyRefreshes.
--
-- One trigger now does both, in order, and only when the text changes:
-- a refresh that brings the same names, the usual case, writes nothing
-- to the index. Then the index is built again from the rows, as 0002
-- first built it, since a file may already have lost entries.
DROP TRIGGER checks_search_forget;
DROP TRIGGER checks_search_learn;
CREATE TRIGGER checks_search_update AFTER UPDATE OF search ON checks WHEN old.search <> new.search BEGIN
    INSERT INTO checks_search (checks_search, rowid, search) SELECT 'delete', old.id, old.search WHERE old.search <> '';
    INSERT INTO checks_search (rowid, search) SELECT new.id, new.search WHERE new.search <> '';
END;
INSERT INTO checks_search (checks_search) VALUES ('delete-all');
INSERT INTO checks_search (rowid, search) SELECT id, search FROM checks WHERE search <> '';
