package store

import (
	"context"
	"embed"
	"fmt"
)

// PostgreSQL's migrations are their own series from 0001, applied in
// order like SQLite's; the versions applied are the rows of the table
// schema_version, one per migration, where SQLite has PRAGMA user_version.

//go:embed migrations/postgres/*.sql
var postgresMigrationFiles embed.FS

// migrateLockKey is the advisory lock a migration holds for its
// transaction, so that two instances starting together migrate once: the
// second waits, then finds the version the first wrote. Advisory locks
// are per database, so other databases on the server are not held up.
const migrateLockKey int64 = 0x63616973736f6e01 // "caisson" 1

func loadPostgresMigrations() ([]migration, error) {
	return loadMigrationsFrom(postgresMigrationFiles, "migrations/postgres")
}

// PostgresSchemaVersion is the schema version this build writes to a
// PostgreSQL database: the highest version in its schema_version table.
func PostgresSchemaVersion() int {
	ms, err := loadPostgresMigrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// migratePostgres applies the missing migrations in order, each in its
// own transaction with its row of schema_version. The version is read
// first without a lock or a transaction: an up-to-date database (the
// usual case) is opened without writing anything, so a role that may
// only read and write rows opens it too.
//
// A role refused the migration (a day-to-day role, which may not change
// the schema) on a database an earlier build made is told which role must
// run this build once: mayNotMigrate.
func migratePostgres(ctx context.Context, db *sqlDB, role string) error {
	ms, err := loadPostgresMigrations()
	if err != nil {
		return err
	}
	v, err := postgresVersion(ctx, db)
	if err != nil {
		return err
	}
	switch {
	case v > len(ms):
		return newerSchemaError(v, len(ms))
	case v == len(ms):
		return nil
	}
	for {
		done, err := migrateOnePostgres(ctx, db, ms)
		if err != nil {
			return mayNotMigrate(ctx, db, role, v, len(ms), err)
		}
		if done {
			return nil
		}
	}
}

// postgresVersion is the database's schema version, 0 for a database
// without the table (a new one).
func postgresVersion(ctx context.Context, db *sqlDB) (int, error) {
	var exists bool
	if err := db.QueryRowContext(ctx, "SELECT to_regclass('schema_version') IS NOT NULL").Scan(&exists); err != nil {
		return 0, fmt.Errorf("reading the schema version: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var v int
	if err := db.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("reading the schema version: %w", err)
	}
	return v, nil
}

func migrateOnePostgres(ctx context.Context, db *sqlDB, ms []migration) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("starting a migration: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", migrateLockKey); err != nil {
		return false, fmt.Errorf("waiting for another caisson-review's migration: %w", err)
	}
	// Created under the lock: two instances creating it at once would
	// otherwise race on the catalog.
	if _, err := tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL PRIMARY KEY)"); err != nil {
		return false, fmt.Errorf("creating the table of schema versions: %w", err)
	}
	var v int
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM schema_version").Scan(&v); err != nil {
		return false, fmt.Errorf("reading the schema version: %w", err)
	}
	m, done, err := nextMigration(v, ms)
	if err != nil || done {
		return done, err
	}
	// Without arguments the statement goes by the simple protocol, which
	// runs a file of several statements.
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, fmt.Errorf("migration postgres/%s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_version (version) VALUES (?)", m.version); err != nil {
		return false, fmt.Errorf("migration postgres/%s: recording the version: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migration postgres/%s: %w", m.name, err)
	}
	return false, nil
}
