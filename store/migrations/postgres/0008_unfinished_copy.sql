-- Version 8: a store that migrate-store is filling says so until the copy
-- ends; SQLite's version 14 (migrations/0014_unfinished_copy.sql) says
-- why. The day-to-day role only reads it (docs/postgres-grants.sql):
-- migrate-store runs as the tables' owner.
CREATE TABLE IF NOT EXISTS unfinished_copy (
    one        integer PRIMARY KEY CHECK (one = 1),
    source     text NOT NULL,
    started_at bigint NOT NULL
);
