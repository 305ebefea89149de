package store

import "testing"

func TestRebindGivesPostgreSQLItsPlaceholders(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"numbered in order", "SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = $1 AND c = $2"},
		{"SQLite's numbered ones kept", "SELECT ?2, ?1, ?4", "SELECT $2, $1, $4"},
		{"a bare one after a numbered one takes the next", "SELECT ?3, ?", "SELECT $3, $4"},
		{"a question mark in a string is text", "SELECT 'why?' || ?", "SELECT 'why?' || $1"},
		{"in a quoted identifier too", `SELECT "a?b" FROM t WHERE x = ?`, `SELECT "a?b" FROM t WHERE x = $1`},
		{"and in a comment", "SELECT 1 -- is it?\nWHERE x = ?", "SELECT 1 -- is it?\nWHERE x = $1"},
		{"no placeholders", "SELECT 1", "SELECT 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := rebind(true, c.in); got != c.want {
				t.Errorf("rebind(%q) = %q, want %q", c.in, got, c.want)
			}
			if got := rebind(false, c.in); got != c.in {
				t.Errorf("on SQLite rebind changed %q to %q", c.in, got)
			}
		})
	}
}
