package store

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"strings"
)

// postgresGuard is what migration postgres/0001 creates for each
// append-only trigger: its definition as pg_get_triggerdef prints it
// (with the table's schema taken out, which depends on where the schema
// was installed), and the source of its function, which carries the
// refusal. Each trigger has its own function, named as it, so a function
// replaced (CREATE OR REPLACE FUNCTION) shows as a difference too.
// TestPostgresShippedTriggersAreTheOnesGuarded holds this list to the
// migration. TRUNCATE, which SQLite does not have, is refused as deleting.
var postgresGuard = map[string]struct{ def, src string }{
	"decisions_no_update":   pgGuarded("decisions_no_update", "UPDATE", "ROW", "decisions", "the decision log is append-only: entries cannot be changed"),
	"decisions_no_delete":   pgGuarded("decisions_no_delete", "DELETE", "ROW", "decisions", "the decision log is append-only: entries cannot be deleted"),
	"decisions_no_truncate": pgGuarded("decisions_no_truncate", "TRUNCATE", "STATEMENT", "decisions", "the decision log is append-only: entries cannot be deleted"),
	"access_no_update":      pgGuarded("access_no_update", "UPDATE", "ROW", "access", "the access log is append-only: records cannot be changed"),
	"access_no_delete":      pgGuarded("access_no_delete", "DELETE", "ROW", "access", "the access log is append-only: records cannot be deleted"),
	"access_no_truncate":    pgGuarded("access_no_truncate", "TRUNCATE", "STATEMENT", "access", "the access log is append-only: records cannot be deleted"),
}

func pgGuarded(name, event, level, table, refusal string) struct{ def, src string } {
	return struct{ def, src string }{
		def: fmt.Sprintf("CREATE TRIGGER %s BEFORE %s ON %s FOR EACH %s EXECUTE FUNCTION %s()", name, event, table, level, name),
		src: fmt.Sprintf("\nBEGIN\n    RAISE EXCEPTION '%s';\nEND\n", refusal),
	}
}

// guardProblemsPostgres is guardProblems for PostgreSQL: the triggers on
// decisions and access, from the catalog, compared with postgresGuard. A
// trigger disabled (ALTER TABLE … DISABLE TRIGGER) is as good as dropped,
// and a rule on either table could rewrite what is written, as a trigger
// we did not ship could.
func guardProblemsPostgres(ctx context.Context, db *sqlDB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT t.tgname, c.relname,
			replace(pg_get_triggerdef(t.oid), ' ON ' || quote_ident(n.nspname) || '.', ' ON '),
			t.tgenabled, l.lanname, p.prosrc
		FROM pg_trigger AS t
		JOIN pg_class AS c ON c.oid = t.tgrelid
		JOIN pg_namespace AS n ON n.oid = c.relnamespace
		JOIN pg_proc AS p ON p.oid = t.tgfoid
		JOIN pg_language AS l ON l.oid = p.prolang
		WHERE NOT t.tgisinternal AND t.tgrelid IN (to_regclass('decisions'), to_regclass('access'))`)
	if err != nil {
		return nil, fmt.Errorf("checking the decision log's triggers: %w", err)
	}
	defer rows.Close()
	type trigger struct{ table, def, enabled, lang, src string }
	present := map[string]trigger{}
	for rows.Next() {
		var name string
		var t trigger
		if err := rows.Scan(&name, &t.table, &t.def, &t.enabled, &t.lang, &t.src); err != nil {
			return nil, fmt.Errorf("checking the decision log's triggers: %w", err)
		}
		present[name] = t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("checking the decision log's triggers: %w", err)
	}
	var problems []string
	for _, name := range sortedKeys(namesOf(postgresGuard)) {
		want := postgresGuard[name]
		t, ok := present[name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("the trigger %s is missing (dropped?): PostgreSQL no longer refuses to %s entries of the %s",
				name, guardedVerb(name), guardedLog(name)))
		case t.enabled == "D":
			problems = append(problems, fmt.Sprintf("the trigger %s is disabled: PostgreSQL no longer refuses to %s entries of the %s",
				name, guardedVerb(name), guardedLog(name)))
		case t.def != want.def || t.lang != "plpgsql" || t.src != want.src || t.enabled != "O":
			problems = append(problems, fmt.Sprintf("the trigger %s is not the one shipped (changed?): it may no longer refuse to %s entries of the %s",
				name, guardedVerb(name), guardedLog(name)))
		}
	}
	for _, name := range sortedKeys(namesOf(present)) {
		if _, ours := postgresGuard[name]; !ours {
			problems = append(problems, fmt.Sprintf("the %s has a trigger caisson-review did not ship (%s): it could change entries as they are written", logOfTable(present[name].table), name))
		}
	}
	rules, err := postgresRules(ctx, db)
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		problems = append(problems, fmt.Sprintf("the %s has a rule caisson-review did not ship (%s): it could change entries as they are written, or stop them being written", logOfTable(r[1]), r[0]))
	}
	return problems, nil
}

// postgresRules are the rules on decisions and access, as name and table:
// the schema ships none.
func postgresRules(ctx context.Context, db *sqlDB) ([][2]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT r.rulename, c.relname FROM pg_rewrite AS r
		JOIN pg_class AS c ON c.oid = r.ev_class
		WHERE r.ev_class IN (to_regclass('decisions'), to_regclass('access')) ORDER BY r.rulename`)
	if err != nil {
		return nil, fmt.Errorf("checking the decision log's rules: %w", err)
	}
	defer rows.Close()
	var rules [][2]string
	for rows.Next() {
		var r [2]string
		if err := rows.Scan(&r[0], &r[1]); err != nil {
			return nil, fmt.Errorf("checking the decision log's rules: %w", err)
		}
		rules = append(rules, r)
	}
	return rules, rows.Err()
}

func logOfTable(table string) string {
	if strings.EqualFold(table, "access") {
		return "access log"
	}
	return "decision log"
}

func namesOf[V any](m map[string]V) map[string]string {
	names := make(map[string]string, len(m))
	for k := range m {
		names[k] = ""
	}
	return names
}

// postgresTriggersFile is every trigger a new PostgreSQL store has, a line
// each: its table, its name and the SHA-256 of its definition, state and
// function's source (postgresSchemaTriggers).
// TestPostgresEveryTriggerIsOneShipped holds it to the migrations, and
// writes it again with -update-pg-triggers.
//
//go:embed postgres_triggers.txt
var postgresTriggersFile string

// schemaTriggerProblemsPostgres is schemaTriggerProblems for PostgreSQL:
// every trigger of the schema but the logs' own (guardProblemsPostgres's)
// held to those a new store has, and any rule on another table (the schema
// ships none): one on checks could insert into either log as it changes,
// with the writer's own grants (helper-77).
func schemaTriggerProblemsPostgres(ctx context.Context, db *sqlDB) ([]string, error) {
	got, err := postgresSchemaTriggers(ctx, db)
	if err != nil {
		return nil, err
	}
	want := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(postgresTriggersFile), "\n") {
		if f := strings.Fields(line); len(f) == 3 {
			want[f[0]+"."+f[1]] = f[2]
		}
	}
	// The logs' triggers by name alone (table.name here): a dropped one
	// was said twice, here too (guardProblemsPostgres says it).
	problems := triggerProblems(got, want, func(key string) bool {
		_, name, _ := strings.Cut(key, ".")
		_, ok := postgresGuard[name]
		return ok
	}, "changed or disabled?")
	rows, err := db.QueryContext(ctx, `SELECT r.rulename, c.relname FROM pg_rewrite AS r
		JOIN pg_class AS c ON c.oid = r.ev_class
		JOIN pg_namespace AS n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND r.rulename <> '_RETURN'
			AND r.ev_class NOT IN (to_regclass('decisions'), to_regclass('access'))
		ORDER BY c.relname, r.rulename`)
	if err != nil {
		return nil, fmt.Errorf("checking the database's rules: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var rule, table string
		if err := rows.Scan(&rule, &table); err != nil {
			return nil, fmt.Errorf("checking the database's rules: %w", err)
		}
		problems = append(problems, fmt.Sprintf("the database has a rule caisson-review did not ship (%s on %s): it could write into the decision log or the access log as that table changes", rule, table))
	}
	return problems, rows.Err()
}

// postgresSchemaTriggers is every trigger of the schema, by table.name,
// as the SHA-256 of its definition (the schema taken out of it, which
// depends on where it was installed), whether it is enabled, and its
// function's source.
func postgresSchemaTriggers(ctx context.Context, db *sqlDB) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT c.relname, t.tgname,
			replace(replace(pg_get_triggerdef(t.oid), ' ON ' || quote_ident(n.nspname) || '.', ' ON '),
				'FUNCTION ' || quote_ident(n.nspname) || '.', 'FUNCTION '),
			t.tgenabled, p.prosrc
		FROM pg_trigger AS t
		JOIN pg_class AS c ON c.oid = t.tgrelid
		JOIN pg_namespace AS n ON n.oid = c.relnamespace
		JOIN pg_proc AS p ON p.oid = t.tgfoid
		WHERE NOT t.tgisinternal AND n.nspname = current_schema()`)
	if err != nil {
		return nil, fmt.Errorf("checking the database's triggers: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var table, name, def, enabled, src string
		if err := rows.Scan(&table, &name, &def, &enabled, &src); err != nil {
			return nil, fmt.Errorf("checking the database's triggers: %w", err)
		}
		sum := sha256.Sum256([]byte(def + "\x00" + enabled + "\x00" + src))
		out[table+"."+name] = hex.EncodeToString(sum[:])
	}
	return out, rows.Err()
}
