package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema step; version N is
// migrations/000N_*.sql, and PRAGMA user_version records the last applied.
type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	return loadMigrationsFrom(migrationFiles, "migrations")
}

// loadMigrationsFrom reads the numbered migrations of one backend, the
// .sql files of dir in fsys.
func loadMigrationsFrom(fsys fs.FS, dir string) ([]migration, error) {
	names, err := fs.Glob(fsys, dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := strings.TrimPrefix(name, dir+"/")
		n, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s: expected a name starting with its number, like 0001_init.sql", base)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: n, name: base, sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected number %d: migrations must be numbered 1, 2, 3… without gaps", m.name, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this build writes to an SQLite
// file (PRAGMA user_version). Each backend numbers its own migrations:
// SchemaVersionAt gives the version for a location of either.
func SchemaVersion() int {
	ms, err := loadMigrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// SchemaVersionAt is the schema version this build writes at location:
// PostgresSchemaVersion for a PostgreSQL URL, SchemaVersion for a file.
func SchemaVersionAt(location string) int {
	if IsPostgres(location) {
		return PostgresSchemaVersion()
	}
	return SchemaVersion()
}

// newerSchemaError refuses a database written by a newer caisson-review,
// in the same words on both backends.
func newerSchemaError(have, know int) error {
	return fmt.Errorf("the database has schema version %d but this caisson-review knows only up to %d: it was written by a newer caisson-review; upgrade caisson-review (the database was not changed)", have, know)
}

// nextMigration is the migration that brings a database at version v
// one step on: done when it is current, an error when it is newer than ms
// (either backend's series).
func nextMigration(v int, ms []migration) (m migration, done bool, err error) {
	switch {
	case v > len(ms):
		return m, false, newerSchemaError(v, len(ms))
	case v == len(ms):
		return m, true, nil
	}
	return ms[v], false, nil
}

// migrate applies the missing migrations in order, each in its own
// transaction together with its user_version bump, so a crash leaves the
// database at one version or the next, never in between.
//
// The version is read first outside any transaction: a database that is up
// to date (the usual case) is then opened without taking the write lock or
// writing anything.
func migrate(ctx context.Context, db *sqlDB) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	if v == len(ms) {
		return nil
	}
	for {
		done, err := migrateOne(ctx, db, ms)
		if err != nil || done {
			return err
		}
	}
}

func migrateOne(ctx context.Context, db *sqlDB, ms []migration) (done bool, err error) {
	// The write lock is taken at BEGIN (_txlock=immediate), so reading the
	// version inside the transaction settles a race with another process
	// migrating the same file.
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("starting a migration: %w", err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return false, fmt.Errorf("reading the schema version: %w", err)
	}
	m, done, err := nextMigration(v, ms)
	if err != nil || done {
		return done, err
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return false, fmt.Errorf("migration %s: %w", m.name, err)
	}
	// PRAGMA takes no bound parameters; the version is our own integer.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
		return false, fmt.Errorf("migration %s: recording the version: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("migration %s: %w", m.name, err)
	}
	return false, nil
}
