package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// dayToDayGrants are the privileges on each table that caisson-review's
// day-to-day role needs on PostgreSQL, and no more: the grants of
// docs/postgres-grants.sql, which the README points to and whose test
// (TestPostgresLeastPrivileges) holds the two to each other. A missing
// grant is named from here, so a role is never told to take more than
// the script gives it: never UPDATE or DELETE on the logs.
var dayToDayGrants = map[string]string{
	"schema_version":  "SELECT",
	"decisions":       "SELECT, INSERT",
	"access":          "SELECT, INSERT",
	"checks":          "SELECT, INSERT, UPDATE",
	"tracked":         "SELECT, INSERT, UPDATE",
	"decision_days":   "SELECT, INSERT, UPDATE",
	"exchanges":       "SELECT, INSERT, DELETE",
	"queue_counts":    "SELECT, UPDATE",
	"polls":           "SELECT, INSERT, UPDATE, DELETE",
	"claims":          "SELECT, INSERT, UPDATE, DELETE",
	"unfinished_copy": "SELECT",
}

// grantsScript is where the day-to-day role's grants are written down.
const grantsScript = "docs/postgres-grants.sql"

// errMayNotMigrate marks an open that found the schema behind this
// build's and a role that may not bring it up to date.
var errMayNotMigrate = errors.New("the schema needs an upgrade this role may not make")

// mayNotMigrate explains a migration the role was refused (a day-to-day
// role opening a database an earlier build made): which role must run
// this build once, and how. Any other error is returned as it is.
func mayNotMigrate(ctx context.Context, db *sqlDB, role string, from, to int, err error) error {
	var pe *pgconn.PgError
	if from == 0 || !errors.As(err, &pe) || pe.Code != "42501" {
		return err
	}
	owner, example := "the role that owns the table schema_version", "OWNER"
	var name string
	if db.QueryRowContext(ctx, "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass('schema_version')").Scan(&name) == nil && name != "" {
		owner, example = fmt.Sprintf("the role %q that owns caisson-review's tables", name), name
	}
	return fmt.Errorf("%w: the database's schema is at version %d and this caisson-review needs version %d, "+
		"which the role %q may not install (%s): run this caisson-review once as %s "+
		"(for example `caisson-review --db postgres://%s@HOST/DB export --head`), "+
		"then run %s again as that role to grant this one the new tables, and open it again: %w",
		errMayNotMigrate, from, to, role, pe.Message, owner, example, grantsScript, err)
}
