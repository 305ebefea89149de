package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// appendOnlyTriggers are the triggers that make the decision log and the
// access log append-only, exactly as migrations 0006 and 0018 create them: SQLite keeps the
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
			OR name IN ('decisions_no_update', 'decisions_no_delete', 'decisions_no_replace', 'access_no_update', 'access_no_delete', 'access_no_replace'))`)
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
