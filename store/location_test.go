package store

import (
	"os"
	"strings"
	"testing"
)

func TestRedactNeverShowsAPassword(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"a file path as it is", "/var/lib/caisson-review/review.db", "/var/lib/caisson-review/review.db"},
		{"the password in the user part", "postgres://rita:s3cret@db.example:5432/review?sslmode=verify-full",
			"postgres://rita:xxxxx@db.example:5432/review?sslmode=verify-full"},
		{"the password as a parameter", "postgresql://db.example/review?user=rita&password=s3cret",
			"postgresql://db.example/review?user=rita&password=xxxxx"},
		{"the password as a parameter, its name escaped", "postgresql://db.example/review?pass%77ord=s3cret&sslmode=require",
			"postgresql://db.example/review?pass%77ord=xxxxx&sslmode=require"},
		// The rest as written, so that the URL shown, pasted back, is the
		// URL given: net/url's re-encoding made the options below
		// -c+statement_timeout=5000, which libpq reads otherwise.
		{"the other parameters as written", "postgres://rita:s3cret@db.example/review?sslmode=disable&options=-c%20statement_timeout%3D5000",
			"postgres://rita:xxxxx@db.example/review?sslmode=disable&options=-c%20statement_timeout%3D5000"},
		{"a password with a colon and an escaped @", "postgres://rita:s3c:ret%40x@db.example/review",
			"postgres://rita:xxxxx@db.example/review"},
		// Found by review: each of these still showed the password.
		{"a password with an unescaped # that net/url reads as the host's end", "postgres://rita:#s3cret@db.example/review",
			"postgres://(a URL whose password cannot be told from the rest; not shown: write a / ? # or @ in a password as %XX)"},
		{"a password with digits then an unescaped /", "postgres://rita:123/s3cret@db.example/review",
			"postgres://(a URL whose password cannot be told from the rest; not shown: write a / ? # or @ in a password as %XX)"},
		{"a password after a ; in the query", "postgres://rita@db.example/review?sslmode=disable;password=s3cret",
			"postgres://rita@db.example/review?xxxxx"},
		{"a password parameter with a # in it", "postgres://rita@db.example/review?password=s3#cret",
			"postgres://rita@db.example/review?password=xxxxx"},
		{"no password: unchanged", "postgres://rita@db.example/review", "postgres://rita@db.example/review"},
		{"a URL that does not parse", "postgres://rita:s3cret@db.example:port/review",
			"postgres://(a URL that does not parse; not shown, it may hold a password)"},
		{"a key=value connection string", "host=db.example user=rita password=s3cret dbname=review",
			"(a key=value connection string; not shown, it may hold a password)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Redact(c.in)
			if got != c.want {
				t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
			}
			if strings.Contains(got, "s3cret") {
				t.Errorf("Redact(%q) shows the password: %q", c.in, got)
			}
		})
	}
}

func TestIsPostgresTellsAURLFromAPath(t *testing.T) {
	for loc, want := range map[string]bool{
		"postgres://h/db":     true,
		"postgresql://h/db":   true,
		"POSTGRES://h/db":     true,
		"review.db":           false,
		"./postgres://x":      false,
		"/tmp/postgres.db":    false,
		"file:review.db?mode": false,
	} {
		if got := IsPostgres(loc); got != want {
			t.Errorf("IsPostgres(%q) = %v, want %v", loc, got, want)
		}
	}
}

// libpq's other way to name a server, host=… password=…, is not a file
// path: taken as one it made an SQLite file named after the password.
// Open refuses it without repeating it; paths with an = elsewhere are
// paths.
func TestAKeyValueConnectionStringIsRefusedNotTakenForAFile(t *testing.T) {
	for loc, want := range map[string]bool{
		"host=db.example port=5432 user=rita password=s3cret dbname=review": true,
		"dbname=review":                   true,
		"  password = s3cret host=db":     true,
		"HOST=db.example":                 true,
		"/srv/data/user=rita/review.db":   false,
		"review-v2=old.db":                false,
		"postgres://h/db?password=s3cret": false,
	} {
		if got := LooksLikeConninfo(loc); got != want {
			t.Errorf("LooksLikeConninfo(%q) = %v, want %v", loc, got, want)
		}
	}
	dir := t.TempDir()
	t.Chdir(dir)
	_, err := Open(t.Context(), "host=127.0.0.1 user=rita password=s3cret dbname=review")
	if err == nil || !strings.Contains(err.Error(), "key=value connection string") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Open of a key=value connection string: %v; want it refused without the password", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("Open of a key=value connection string made %s", entries[0].Name())
	}
}
