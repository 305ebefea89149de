-- Version 9: the access log is hash-chained; SQLite's version 19
-- (migrations/0019_access_chain.sql) says why. The day-to-day role's
-- INSERT on the table covers the new columns; every write holds the
-- store's write lock (lockWritesTx), so two servers never link two
-- records to the same one.
ALTER TABLE access ADD COLUMN IF NOT EXISTS prev_hash text COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE access ADD COLUMN IF NOT EXISTS hash      text COLLATE "C" NOT NULL DEFAULT '';
