-- Version 20: once the access log is chained, a record without its hash
-- is refused.
--
-- An older caisson-review still running when a newer one upgraded the
-- file (a serve or a console left open) went on writing records with
-- the old statement, which leaves prev_hash and hash empty; export
-- --verify then found records without a hash after the chain began, which
-- only a forger leaves, and failed for good, as the log cannot be
-- changed (helper-77). Such a write now fails, and the older program says
-- its view was not logged, until it is restarted as the newer one. A
-- record without a hash is still taken while the last record has none:
-- a copy (migrate-store) of a log begun before the chain brings those
-- first, in order.
CREATE TRIGGER access_chained BEFORE INSERT ON access
WHEN NEW.hash = '' AND coalesce((SELECT hash FROM access ORDER BY id DESC LIMIT 1), '') <> '' BEGIN
    SELECT RAISE(ABORT, 'the access log is chained: a record needs its hash (is an older caisson-review still running? restart it)');
END;
