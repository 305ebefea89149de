-- Version 19: the access log is hash-chained, as the decision log is.
--
-- Who was shown whose personal data is what a regulator asks for, and
-- its append-only triggers only stop the program and a mistaken
-- statement: someone who could write the file dropped them, changed a
-- record (whose view it was) and put them back as shipped, and nothing
-- could tell (helper-72). Each record written from this version on
-- carries the hash of the record before it (prev_hash) and its own, over
-- its fields (store/access.go, accessHash): export --verify walks them.
-- Records made before keep both empty and stay unverified; the chain
-- starts at the first record written after the upgrade, and a record
-- without a hash after that is reported. Added at the end of the table,
-- so that the append-only triggers (0006, 0018) stay as they are.
ALTER TABLE access ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE access ADD COLUMN hash      TEXT NOT NULL DEFAULT '';
