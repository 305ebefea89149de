package store

import (
	"errors"
	"net/url"
	"regexp"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver for PostgreSQL stores
)

// A store's location is an SQLite file's path or a PostgreSQL URL
// (postgres://user:password@host:port/dbname?sslmode=verify-full). The
// URL may carry a password, so it is shown only through Redact.

// IsPostgres reports whether location names a PostgreSQL server rather
// than an SQLite file.
func IsPostgres(location string) bool {
	l := strings.ToLower(location)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// conninfoKeyword is a libpq keyword/value setting at the start of a
// string or after a space: host=… dbname=… password=…, the other way
// PostgreSQL's own tools take a server. Not a file path anyone means.
var conninfoKeyword = regexp.MustCompile(`(?i)(^|\s)(host|hostaddr|port|dbname|user|password|passfile|sslmode|sslrootcert|service|options|connect_timeout|application_name)\s*=`)

// LooksLikeConninfo reports whether location, not a URL, is written as
// libpq's key=value connection string. Taken as a file path it would make
// an SQLite file named by it, password and all, and show that name: it
// is refused (ErrConninfo) and never shown (Redact).
func LooksLikeConninfo(location string) bool {
	return !IsPostgres(location) && conninfoKeyword.MatchString(location)
}

// urlScheme is a URL's scheme and "://" at the start of a location.
var urlScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)

// LooksLikeOtherURL reports whether location is a URL, but not a
// PostgreSQL one: postgress://, mysql://, sqlite:///path. Taken as a file
// path it would make an SQLite file under the current folder, and a cron
// job with a typo in its URL would go on "succeeding" against it.
func LooksLikeOtherURL(location string) bool {
	return !IsPostgres(location) && urlScheme.MatchString(strings.TrimSpace(location))
}

// ErrOtherURL refuses a location that is a URL of another kind than
// PostgreSQL's; the location itself is not repeated (it may hold a
// password).
var ErrOtherURL = errors.New("it is a URL, but not a PostgreSQL one (not repeated here: it may hold a password): expected a file path or postgres://user:password@host:port/dbname?sslmode=verify-full")

// ErrConninfo refuses a location written as a key=value connection
// string; the location itself is not repeated.
var ErrConninfo = errors.New("it is written as a PostgreSQL key=value connection string (not repeated here: it may hold a password): expected a file path or a URL, postgres://user:password@host:port/dbname?sslmode=verify-full")

// redacted stands in for a password in what is shown.
const redacted = "xxxxx"

// Redact returns location fit to show: a PostgreSQL URL with its password
// (in the user part or a password parameter) replaced by xxxxx, and a URL
// that does not parse replaced by its scheme alone, since where the
// password is in it cannot be told, and a key=value connection string
// not at all. A file path is returned as it is.
func Redact(location string) string {
	if LooksLikeConninfo(location) {
		return "(a key=value connection string; not shown, it may hold a password)"
	}
	if LooksLikeOtherURL(location) {
		scheme, _, _ := strings.Cut(strings.TrimSpace(location), "://")
		return scheme + "://(not a PostgreSQL URL; not shown, it may hold a password)"
	}
	if !IsPostgres(location) {
		return location
	}
	if _, err := url.Parse(location); err != nil {
		scheme, _, _ := strings.Cut(location, "://")
		return scheme + "://(a URL that does not parse; not shown, it may hold a password)"
	}
	// The URL parses: the password is replaced in its text, the rest kept
	// byte for byte, so that what config shows, pasted back, is the URL
	// given. Rebuilt by net/url, its query was sorted and encoded again
	// (a space's %20 became +, which libpq reads as a +).
	scheme, rest, _ := strings.Cut(location, "://")
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	at := strings.LastIndex(authority, "@")
	if at < 0 && strings.Contains(tail, "@") {
		// An @ past the host: a password with an unescaped / ? or # in
		// it, which net/url read as the host's end (user:#secret@host).
		// Where the password ends cannot be told.
		return scheme + "://(a URL whose password cannot be told from the rest; not shown: write a / ? # or @ in a password as %XX)"
	}
	if at >= 0 {
		if name, _, hasPassword := strings.Cut(authority[:at], ":"); hasPassword {
			authority = name + ":" + redacted + authority[at:]
		}
	}
	// A fragment means nothing to PostgreSQL, and may be the end of a
	// password (?password=se#cret): not shown.
	tail, _, _ = strings.Cut(tail, "#")
	if before, query, ok := strings.Cut(tail, "?"); ok {
		params := strings.Split(query, "&")
		for i, p := range params {
			key, _, _ := strings.Cut(p, "=")
			k, err := url.QueryUnescape(key)
			text, terr := url.QueryUnescape(p)
			switch {
			case err == nil && strings.EqualFold(k, "password"):
				params[i] = key + "=" + redacted
			case terr != nil || err != nil || strings.Contains(strings.ToLower(text), "password"):
				// A parameter that names a password anywhere (after a ;,
				// which net/url drops and a driver may not), or that
				// does not decode: not shown.
				params[i] = redacted
			}
		}
		tail = before + "?" + strings.Join(params, "&")
	}
	return scheme + "://" + authority + tail
}
