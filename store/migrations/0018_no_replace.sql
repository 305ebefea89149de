-- Version 18: neither log takes an INSERT OR REPLACE.
--
-- SQLite's REPLACE makes room for a row whose key is taken by deleting the
-- row that holds it, and fires no DELETE trigger doing so (unless
-- recursive_triggers is on, which it is not): one statement through the
-- sqlite3 shell rewrote an access record, who viewed whose data, with
-- every append-only trigger in place and nothing for export --verify to
-- see (helper-72). The decision log's chain caught it there, but only
-- as an edit. These refuse an insert whose key, or whose hash, a row
-- already holds, before the REPLACE can delete it; the program never
-- writes one, so nothing it does is refused. A plain INSERT of such a row
-- fails on the constraint anyway; INSERT OR IGNORE changes nothing.
CREATE TRIGGER decisions_no_replace BEFORE INSERT ON decisions
WHEN EXISTS (SELECT 1 FROM decisions WHERE seq = NEW.seq OR hash = NEW.hash) BEGIN
    SELECT RAISE(ABORT, 'the decision log is append-only: entries cannot be replaced');
END;

CREATE TRIGGER access_no_replace BEFORE INSERT ON access
WHEN EXISTS (SELECT 1 FROM access WHERE id = NEW.id) BEGIN
    SELECT RAISE(ABORT, 'the access log is append-only: records cannot be replaced');
END;
