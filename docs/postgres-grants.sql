-- The least privileges of caisson-review's day-to-day role on PostgreSQL:
-- what `serve`, the console and the CLI need, and nothing more. The
-- decision log (decisions) and the access log (access) may be read and
-- appended to, never changed, deleted or truncated: the grants refuse it
-- (permission denied, SQLSTATE 42501) before the append-only triggers
-- would (raise_exception, P0001).
--
-- Run it as the owner role, the one that ran the migrations (it owns the
-- tables), on a database that role has brought up to date, and again
-- after every upgrade of caisson-review (a new version may add a table):
--
--   psql "postgres://caisson_owner@db.example.com/caisson?sslmode=verify-full" \
--        -v app=caisson_review -f docs/postgres-grants.sql
--
-- It is idempotent: it first takes back whatever the role had on the
-- tables, so the role holds exactly these grants afterwards. The store's
-- test TestPostgresLeastPrivileges runs this very file.
\set ON_ERROR_STOP on
\if :{?app}
\else
\echo 'name the day-to-day role: psql -v app=ROLE -f docs/postgres-grants.sql'
\quit
\endif

-- Ignored (a warning) when the owner role does not own the database:
-- the database's owner grants CONNECT then.
GRANT CONNECT ON DATABASE :"DBNAME" TO :"app";
GRANT USAGE ON SCHEMA public TO :"app";

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :"app";
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM :"app";

-- Opening reads the schema's version; only the owner migrates.
GRANT SELECT ON schema_version TO :"app";
-- The append-only logs: no UPDATE, DELETE or TRUNCATE.
GRANT SELECT, INSERT ON decisions, access TO :"app";
-- Checks are added, fetched, decided and purged (an UPDATE), never
-- deleted; tracked's bare flag is cleared by a trigger; the day tallies
-- are upserted.
GRANT SELECT, INSERT, UPDATE ON checks, tracked, decision_days TO :"app";
-- An exchange's row lives until its token is redeemed.
GRANT SELECT, INSERT, DELETE ON exchanges TO :"app";
-- The one row of counts, kept by triggers (which run as the role that
-- writes) and locked FOR UPDATE, which needs UPDATE.
GRANT SELECT, UPDATE ON queue_counts TO :"app";
-- The pending poller's leases (kept by triggers) and the consoles'
-- claims come and go.
GRANT SELECT, INSERT, UPDATE, DELETE ON polls, claims TO :"app";
-- Whether the store is an unfinished copy: only migrate-store, run as the
-- owner, writes it.
GRANT SELECT ON unfinished_copy TO :"app";
-- No sequence grants: the ids of access, tracked and claims are
-- identities, which PostgreSQL draws without asking for USAGE.
