package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// appendOnlyTriggers are the triggers that make the decision log and the
// access log append-only, exactly as migrations 0006, 0018 and 0020 create them: SQLite keeps the
// text of each CREATE statement in sqlite_schema, so a trigger dropped,
// recreated with a WHEN that never fires, or replaced by a lookalike shows
// as a difference here. TestShippedTriggersAreTheOnesGuarded holds this
// list to the migrations.
var appendOnlyTriggers = map[string]string{
	"decisions_no_update": "CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions BEGIN\n" +
		"    SELECT RAISE(ABORT, 'the decision log is append-only: entries cannot be changed');\nEND",
	"decisions_no_delete": "CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions BEGIN\n" +
		"    SELECT RAISE(ABORT, 'the decision log is append-only: entries cannot be deleted');\nEND",
	"access_no_update": "CREATE TRIGGER access_no_update BEFORE UPDATE ON access BEGIN\n" +
		"    SELECT RAISE(ABORT, 'the access log is append-only: records cannot be changed');\nEND",
	"access_no_delete": "CREATE TRIGGER access_no_delete BEFORE DELETE ON access BEGIN\n" +
		"    SELECT RAISE(ABORT, 'the access log is append-only: records cannot be deleted');\nEND",
	// Migration 0018: REPLACE deletes without firing the delete triggers.
	"decisions_no_replace": "CREATE TRIGGER decisions_no_replace BEFORE INSERT ON decisions\n" +
		"WHEN EXISTS (SELECT 1 FROM decisions WHERE seq = NEW.seq OR hash = NEW.hash) BEGIN\n" +
		"    SELECT RAISE(ABORT, 'the decision log is append-only: entries cannot be replaced');\nEND",
	"access_no_replace": "CREATE TRIGGER access_no_replace BEFORE INSERT ON access\n" +
		"WHEN EXISTS (SELECT 1 FROM access WHERE id = NEW.id) BEGIN\n" +
		"    SELECT RAISE(ABORT, 'the access log is append-only: records cannot be replaced');\nEND",
	// Migration 0020: a record without its hash after the chain began.
	"access_chained": "CREATE TRIGGER access_chained BEFORE INSERT ON access\n" +
		"WHEN NEW.hash = '' AND coalesce((SELECT hash FROM access ORDER BY id DESC LIMIT 1), '') <> '' BEGIN\n" +
		"    SELECT RAISE(ABORT, 'the access log is chained: a record needs its hash (is an older caisson-review still running? restart it)');\nEND",
}

// guardedLog names the log a trigger guards, for the messages.
func guardedLog(trigger string) string {
	if strings.HasPrefix(trigger, "access_") {
		return "access log"
	}
	return "decision log"
}

// guardProblems compares the triggers on the decision log with
// appendOnlyTriggers and says, one sentence each, what is missing, changed
// or added. Any trigger on the log that we did not ship is reported too:
// one could rewrite entries as they are inserted. On PostgreSQL the
// catalog is read instead (guard_postgres.go), in the same words.
func guardProblems(ctx context.Context, db *sqlDB) ([]string, error) {
	if db.pg {
		return guardProblemsPostgres(ctx, db)
	}
	rows, err := db.QueryContext(ctx, `SELECT name, coalesce(sql, ''), lower(tbl_name) FROM sqlite_schema
		WHERE type = 'trigger' AND (lower(tbl_name) IN ('decisions', 'access')
			OR name IN ('decisions_no_update', 'decisions_no_delete', 'decisions_no_replace', 'access_no_update', 'access_no_delete', 'access_no_replace', 'access_chained'))`)
	if err != nil {
		return nil, fmt.Errorf("checking the decision log's triggers: %w", err)
	}
	defer rows.Close()
	present, table := map[string]string{}, map[string]string{}
	for rows.Next() {
		var name, text, tbl string
		if err := rows.Scan(&name, &text, &tbl); err != nil {
			return nil, fmt.Errorf("checking the decision log's triggers: %w", err)
		}
		present[name], table[name] = text, tbl
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("checking the decision log's triggers: %w", err)
	}
	var problems []string
	for _, name := range sortedKeys(appendOnlyTriggers) {
		text, ok := present[name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("the trigger %s is missing (dropped?): SQLite no longer refuses to %s entries of the %s",
				name, guardedVerb(name), guardedLog(name)))
		case text != appendOnlyTriggers[name]:
			problems = append(problems, fmt.Sprintf("the trigger %s is not the one shipped (changed?): it may no longer refuse to %s entries of the %s",
				name, guardedVerb(name), guardedLog(name)))
		}
	}
	for _, name := range sortedKeys(present) {
		if _, ours := appendOnlyTriggers[name]; !ours {
			log := "decision log"
			if table[name] == "access" {
				log = "access log"
			}
			problems = append(problems, fmt.Sprintf("the %s has a trigger caisson-review did not ship (%s): it could change entries as they are written", log, name))
		}
	}
	return problems, nil
}

func guardedVerb(name string) string {
	switch {
	case strings.HasSuffix(name, "_delete") || strings.HasSuffix(name, "_truncate"):
		return "delete"
	case strings.HasSuffix(name, "_replace"):
		return "replace"
	case strings.HasSuffix(name, "_chained"):
		return "add hashless"
	}
	return "change"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// shippedSchemaTriggers is every trigger a new SQLite store has, by name,
// as its CREATE statement: what the migrations make, read once from a
// store made in memory.
var shippedSchemaTriggers = sync.OnceValues(func() (map[string]string, error) {
	raw, err := sql.Open("sqlite", "file:shipped?mode=memory")
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1) // one memory database, not one a connection
	db := &sqlDB{DB: raw}
	if err := migrate(context.Background(), db); err != nil {
		return nil, err
	}
	return triggersOf(context.Background(), db)
})

// triggersOf is every trigger of db by name, as its CREATE statement.
func triggersOf(ctx context.Context, db *sqlDB) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT name, coalesce(sql, '') FROM sqlite_schema WHERE type = 'trigger'")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, text string
		if err := rows.Scan(&name, &text); err != nil {
			return nil, err
		}
		out[name] = text
	}
	return out, rows.Err()
}

// schemaTriggerProblems compares every trigger of a store with those a
// new store has: a trigger on another table than the logs can write into
// them as that table changes (helper-76: one on checks made decide and
// refresh record views nobody had), and the logs' own guard
// (guardProblems) looks at theirs alone. Read by Verify only: on SQLite
// what to compare with is a store made in memory, once a process (25 ms,
// too much for every command's open).
func schemaTriggerProblems(ctx context.Context, db *sqlDB) ([]string, error) {
	if db.pg {
		return schemaTriggerProblemsPostgres(ctx, db)
	}
	want, err := shippedSchemaTriggers()
	if err != nil {
		return nil, fmt.Errorf("reading the triggers caisson-review ships: %w", err)
	}
	got, err := triggersOf(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("checking the database's triggers: %w", err)
	}
	return triggerProblems(got, want, func(name string) bool { _, ok := appendOnlyTriggers[name]; return ok }, "changed?"), nil
}

// triggerProblems says, a sentence each, how the triggers got differ from
// those wanted, both by key, as each backend reads them (SQLite's text,
// PostgreSQL's digest): one not shipped, one changed (changed: how it may
// have been), one missing. The logs' own (ofLogs), which guardProblems
// says in its own words, are left out.
func triggerProblems(got, want map[string]string, ofLogs func(key string) bool, changed string) []string {
	var problems []string
	for _, key := range sortedKeys(got) {
		if ofLogs(key) {
			continue
		}
		w, ok := want[key]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("the database has a trigger caisson-review did not ship (%s): it could write into the decision log or the access log as its table changes", key))
		case got[key] != w:
			problems = append(problems, fmt.Sprintf("the trigger %s is not the one shipped (%s): it could write into the decision log or the access log as its table changes", key, changed))
		}
	}
	for _, key := range sortedKeys(want) {
		if _, ok := got[key]; !ok && !ofLogs(key) {
			problems = append(problems, fmt.Sprintf("the trigger %s is missing (dropped?): what it keeps (the queues' counts, the text filter's index) is no longer kept", key))
		}
	}
	return problems
}
