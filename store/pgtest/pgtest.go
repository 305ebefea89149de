// Package pgtest gives tests a real PostgreSQL: one throwaway server per
// test binary, started from the machine's own binaries (the folder
// `pg_config --bindir` names) on a loopback port in a temp dir, and a
// fresh empty database per test.
//
// A package that uses it stops the server at the end of its run:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// Without PostgreSQL's binaries the tests that ask for a database skip,
// saying how to install them; with CAISSON_REQUIRE_POSTGRES=1 (as CI
// sets) that skip is a failure.
package pgtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// RequireEnv names the variable that turns a skip for want of PostgreSQL
// into a failure.
const RequireEnv = "CAISSON_REQUIRE_POSTGRES"

var (
	mu       sync.Mutex
	inMain   bool
	started  bool
	srv      *server
	startErr error
	dbSeq    atomic.Int64
)

// Main runs the package's tests, then stops the server if one was
// started, and returns the exit code for os.Exit: 1 if the tests passed
// but the server could not be stopped.
func Main(m *testing.M) int {
	mu.Lock()
	inMain = true
	mu.Unlock()
	code := m.Run()
	mu.Lock()
	defer mu.Unlock()
	if srv != nil {
		if err := srv.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stopping the test server: %v\n", err)
			if code == 0 {
				code = 1
			}
		}
		srv = nil
	}
	return code
}

// get returns the package run's server, starting it on first use. A
// failure to start is remembered, so every later test reports it at once.
func get(t testing.TB) *server {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if !inMain {
		t.Fatal("pgtest: the package's TestMain must run its tests through pgtest.Main, which stops the server at the end: func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }")
	}
	if !started {
		started = true
		srv, startErr = startServer()
	}
	if startErr == nil {
		return srv
	}
	if !errors.Is(startErr, errNoBinaries) {
		t.Fatalf("pgtest: starting the test PostgreSQL: %v", startErr)
	}
	required, err := strconv.ParseBool(os.Getenv(RequireEnv))
	if err != nil && os.Getenv(RequireEnv) != "" {
		t.Fatalf("pgtest: %s=%q: want 1 (PostgreSQL tests must run) or 0", RequireEnv, os.Getenv(RequireEnv))
	}
	if required {
		t.Fatalf("pgtest: %v (%s=1: PostgreSQL tests must run here)", startErr, RequireEnv)
	}
	t.Skipf("pgtest: skipped, %v", startErr)
	return nil
}

// URL returns a postgres:// URL of a new empty database, dropped at the
// end of the test, on 127.0.0.1. Its role is an ordinary one (not a
// superuser) that owns the database and logs in with a password.
func URL(t testing.TB) string {
	t.Helper()
	s := get(t)
	name := dbName(t.Name())
	start := time.Now()
	q := fmt.Sprintf("CREATE DATABASE %s OWNER %s TEMPLATE %s", name, testRole, templateDB)
	if _, err := s.admin.Exec(q); err != nil {
		t.Fatalf("pgtest: %s: %v", q, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Logf("pgtest: creating database %s took %s", name, d)
	}
	t.Cleanup(func() {
		// FORCE ends the sessions a test left open.
		if _, err := s.admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})
	return s.roleURL(testRole, s.password, name)
}

var notIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// dbName makes a database name unique in the run that still says which
// test made it, for reading the server's log.
func dbName(test string) string {
	n := strings.Trim(notIdent.ReplaceAllString(strings.ToLower(test), "_"), "_")
	if len(n) > 40 {
		n = n[:40]
	}
	return fmt.Sprintf("t%d_%s", dbSeq.Add(1), n)
}

// Role creates a login role name with password, dropped at the end of the
// test, and returns dbURL (a URL from URL) with that role and password in
// place of the owner's. The role is granted nothing beyond what PUBLIC
// has, so tests can grant what they mean to test. Role names are the
// server's, not a database's: a name must be unique in the package run.
func Role(t testing.TB, dbURL, name, password string) string {
	t.Helper()
	s := get(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("pgtest.Role: %s is not a URL: %v", dbURL, err)
	}
	var q string
	if err := s.admin.QueryRow("SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', $1::text, $2::text)", name, password).Scan(&q); err != nil {
		t.Fatalf("pgtest.Role: %v", err)
	}
	if _, err := s.admin.Exec(q); err != nil {
		t.Fatalf("pgtest.Role: creating role %s: %v", name, err)
	}
	db := dbNameOf(t, dbURL)
	t.Cleanup(func() {
		if err := s.dropRole(name, db); err != nil {
			t.Errorf("pgtest.Role: dropping role %s: %v", name, err)
		}
	})
	u.User = url.UserPassword(name, password)
	return u.String()
}

// dropRole ends the role's sessions and drops it with what it owns or was
// granted in db (where a test may have granted it something).
func (s *server) dropRole(name, db string) error {
	if _, err := s.admin.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", name); err != nil {
		return err
	}
	var quoted string
	if err := s.admin.QueryRow("SELECT quote_ident($1)", name).Scan(&quoted); err != nil {
		return err
	}
	if in, err := sql.Open("pgx", s.superuserURL(db)); err == nil {
		_, err = in.Exec("DROP OWNED BY " + quoted)
		in.Close()
		if err != nil && !strings.Contains(err.Error(), "does not exist") {
			return err
		}
	}
	_, err := s.admin.Exec("DROP ROLE " + quoted)
	return err
}

// Superuser returns dbURL with the postgres superuser in place of its role,
// for tests that do what only an administrator can (pg_hba trusts it on
// loopback, so the URL carries no password).
func Superuser(t testing.TB, dbURL string) string {
	t.Helper()
	return get(t).superuserURL(dbNameOf(t, dbURL))
}

// Psql runs sql (one statement or a script) through the real psql binary
// on dbURL, as an administrator editing the database by hand would, and
// returns what psql printed (unaligned, tuples only). An error fails the
// test.
func Psql(t testing.TB, dbURL, sql string) string {
	t.Helper()
	out, err := RunPsql(t, dbURL, sql)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// RunPsql is Psql for a script that is expected to fail: the error holds
// what psql wrote to stderr. The script stops at its first error.
func RunPsql(t testing.TB, dbURL, sql string) (string, error) {
	t.Helper()
	s := get(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("pgtest.Psql: %s is not a URL: %v", dbURL, err)
	}
	// The password goes in the environment, not on a command line other
	// accounts can read.
	password, _ := u.User.Password()
	u.User = url.User(u.User.Username())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(s.bindir, "psql"),
		"--no-psqlrc", "--quiet", "--no-align", "--tuples-only",
		"--set", "ON_ERROR_STOP=1", "--dbname", u.String(), "--file", "-")
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGCONNECT_TIMEOUT=10")
	cmd.Stdin = strings.NewReader(sql)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("psql on %s: %v: %s", u.Redacted(), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// Dump returns what the real pg_dump writes of dbURL's database (schema
// and rows, as SQL): what a backup of it would hold, for tests that assert
// something is nowhere in a database.
func Dump(t testing.TB, dbURL string) string {
	t.Helper()
	s := get(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(s.bindir, "pg_dump"), "--no-owner", "--dbname", s.superuserURL(dbNameOf(t, dbURL)))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("pg_dump of %s: %v: %s", dbNameOf(t, dbURL), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String()
}

func dbNameOf(t testing.TB, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("pgtest: %s is not a URL: %v", dbURL, err)
	}
	return strings.TrimPrefix(u.Path, "/")
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
