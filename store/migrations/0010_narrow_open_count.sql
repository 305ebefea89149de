-- Version 10 (issue 16, database size per check): checks_open_count
-- holds only what its one query still reads.
--
-- It was the index needs review was counted over (0003, 0005, 0006): every
-- open check with a result, keyed by both confidences and the document's
-- expiry. Since 0007 the counts are kept in queue_counts, and the one
-- query left on it is the correction for documents expiring since the
-- count was last brought to a date (store/counts.go, expiredSince): passed
-- checks (both confidences high, 3) by expires_on. So it now holds those
-- only, keyed by expires_on first; the columns of the condition stay in
-- it, as SQLite reads them from the index to test the condition rather
-- than the table (TestCountsReadOnlyIndexes). At 100,000 checks it was
-- 20.6 bytes a check (BenchmarkDatabaseSize), and a first result of a
-- refresh that is not a pass no longer writes to it.
DROP INDEX checks_open_count;
CREATE INDEX checks_open_count ON checks (expires_on, document, face, cached, status, outcome, proposal) WHERE cached = 1 AND status = 'open' AND outcome <> 'PENDING_REVIEW' AND outcome <> 'NOT_VERIFIED' AND proposal = 0 AND document = 3 AND face = 3;
