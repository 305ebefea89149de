-- The text filter's index over customer ids and names, added in version 2.
-- Check ids are left out: random ids make a huge trigram vocabulary that
-- slowed adding 100,000 ids fortyfold; the filter finds them by scanning
-- the narrow check_id index instead. Databases from version 1
-- get it built from the rows they already hold.
-- Trigram index over the search text: a substring filter finds its rows
-- without scanning the table.
CREATE VIRTUAL TABLE checks_search USING fts5 (
    search, content = 'checks', content_rowid = 'id', tokenize = 'trigram', detail = 'none'
);
-- Remove a row's trigrams from the index when it changes, rather than
-- leaving them behind a tombstone until a merge: a purged name must go.
INSERT INTO checks_search (checks_search, rank) VALUES ('secure-delete', 1);
-- No insert trigger: a check is added with nothing to search but its id
-- (search is ''); its names arrive with its first fetch, an update. A
-- trigger program per inserted row cost a third of AddMany's time.
CREATE TRIGGER checks_search_forget AFTER UPDATE OF search ON checks WHEN old.search <> '' BEGIN
    INSERT INTO checks_search (checks_search, rowid, search) VALUES ('delete', old.id, old.search);
END;
CREATE TRIGGER checks_search_learn AFTER UPDATE OF search ON checks WHEN new.search <> '' BEGIN
    INSERT INTO checks_search (rowid, search) VALUES (new.id, new.search);
END;

INSERT INTO checks_search (rowid, search) SELECT id, search FROM checks WHERE search <> '';
