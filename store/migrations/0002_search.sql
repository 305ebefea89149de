-- The text filter's index, added in version 2. Databases from version 1
-- get it built from the rows they already hold.
-- Trigram index over the search text: a substring filter finds its rows
-- without scanning the table.
CREATE VIRTUAL TABLE checks_search USING fts5 (
    search, content = 'checks', content_rowid = 'id', tokenize = 'trigram', detail = 'none'
);
-- Remove a row's trigrams from the index when it changes, rather than
-- leaving them behind a tombstone until a merge: a purged name must go.
INSERT INTO checks_search (checks_search, rank) VALUES ('secure-delete', 1);
CREATE TRIGGER checks_search_insert AFTER INSERT ON checks BEGIN
    INSERT INTO checks_search (rowid, search) VALUES (new.id, new.search);
END;
CREATE TRIGGER checks_search_update AFTER UPDATE OF search ON checks BEGIN
    INSERT INTO checks_search (checks_search, rowid, search) VALUES ('delete', old.id, old.search);
    INSERT INTO checks_search (rowid, search) VALUES (new.id, new.search);
END;

INSERT INTO checks_search (checks_search) VALUES ('rebuild');
