-- Version 10: an insert into the access log must give both hashes; SQLite's
-- version 20 (migrations/0020_access_chained.sql) says why. Without a
-- default, an older caisson-review still running, whose statement leaves
-- them out, fails on NOT NULL rather than writing a record that breaks the
-- chain for good. Running it again changes nothing.
ALTER TABLE access ALTER COLUMN prev_hash DROP DEFAULT;
ALTER TABLE access ALTER COLUMN hash DROP DEFAULT;
