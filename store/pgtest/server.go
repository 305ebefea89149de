package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// testRole owns every test database. It is not a superuser, so what the
// program does in a test it could do with an ordinary production role.
const testRole = "caisson_test"

// templateDB is the empty database every test's database is copied from.
// Connections to it are refused, so two tests copying it at once never
// meet "source database is being accessed by other users".
const templateDB = "pgtest_template"

// errNoBinaries is wrapped by start's error when the machine has no
// PostgreSQL to start, which skips the tests rather than failing them.
var errNoBinaries = errors.New("no PostgreSQL server binaries")

const installHint = "install PostgreSQL 15 (apt-get install postgresql-15) or put the pg_config of an installed PostgreSQL on PATH"

// server is one throwaway PostgreSQL cluster in a temp dir.
type server struct {
	bindir   string
	dir      string // the temp dir: data/, the socket, postgres.log
	port     int
	password string // testRole's
	asUser   *syscall.Credential
	cmd      *exec.Cmd
	exited   chan struct{} // closed when the postmaster has exited
	admin    *sql.DB       // the postgres superuser on database postgres
	tls      *TLSFiles     // made by the first TLS, under mu
}

// findBindir returns the folder pg_config names, holding initdb, postgres,
// psql and pg_dump.
func findBindir() (string, error) {
	pgConfig, err := exec.LookPath("pg_config")
	if err != nil {
		return "", fmt.Errorf("%w: pg_config is not on PATH; %s", errNoBinaries, installHint)
	}
	out, err := exec.Command(pgConfig, "--bindir").Output()
	if err != nil {
		return "", fmt.Errorf("%w: %s --bindir: %v; %s", errNoBinaries, pgConfig, err, installHint)
	}
	bindir := strings.TrimSpace(string(out))
	for _, name := range []string{"initdb", "postgres", "psql", "pg_dump"} {
		if _, err := os.Stat(filepath.Join(bindir, name)); err != nil {
			return "", fmt.Errorf("%w: %s has no %s (pg_config alone comes with the client libraries); %s", errNoBinaries, bindir, name, installHint)
		}
	}
	return bindir, nil
}

// startServer initdbs a cluster in a new temp dir and starts it on a free
// loopback port. It removes what it made if it fails.
func startServer() (*server, error) {
	bindir, err := findBindir()
	if err != nil {
		return nil, err
	}
	s := &server{bindir: bindir, password: "pgtest-" + randomHex(12)}
	if s.asUser, err = serverCredential(); err != nil {
		return nil, err
	}
	parent := tempParent()
	removeDeadServers(parent)
	if s.dir, err = os.MkdirTemp(parent, tempPrefix); err != nil {
		return nil, fmt.Errorf("making the server's temp dir: %w", err)
	}
	if err := s.initdb(); err != nil {
		os.RemoveAll(s.dir)
		return nil, err
	}
	if err := s.startOnFreePort(); err != nil {
		os.RemoveAll(s.dir)
		return nil, err
	}
	if err := s.prepare(); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// tempPrefix starts the name of every server's temp dir.
const tempPrefix = "caisson-pgtest-"

// tempParent is where the server's temp dir goes: /dev/shm when it has
// room, since a test server's durability is worth nothing and its writes
// to a shared disk were most of a test's time (a fresh database took
// 0.8-0.9 s there against 0.05 s in memory, at load 11); os.TempDir
// otherwise (a container's /dev/shm is often 64 MB).
func tempParent() string {
	const room = 1 << 30
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err == nil && st.Bavail*uint64(st.Bsize) >= room && syscall.Access("/dev/shm", 2 /* W_OK */) == nil {
		return "/dev/shm"
	}
	return os.TempDir()
}

// removeDeadServers removes what servers of earlier runs left when their
// test binary died without stopping them (a panic, a timeout): their
// postgres died with it (start), but not their temp dir, which in
// /dev/shm holds memory. A dir is a dead server's when its postgres has
// no postmaster.pid there and it is older than any start takes.
func removeDeadServers(parent string) {
	dirs, _ := filepath.Glob(filepath.Join(parent, tempPrefix+"*"))
	for _, d := range dirs {
		info, err := os.Stat(d)
		if err != nil || time.Since(info.ModTime()) < 10*time.Minute {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "data", "postmaster.pid")); errors.Is(err, os.ErrNotExist) {
			os.RemoveAll(d)
		}
	}
}

// serverCredential returns the account the server runs as: postgres when
// we are root, since initdb and postgres refuse to run as root; nil (us)
// otherwise.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, the server must run as the account postgres, which does not exist (%v): run the tests as another user, or %s", err, installHint)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (s *server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(s.bindir, name), args...)
	// The test's own folder may be unreadable by postgres (under /root).
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if s.asUser != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.asUser}
	}
	return cmd
}

func (s *server) initdb() error {
	if s.asUser != nil {
		if err := os.Chown(s.dir, int(s.asUser.Uid), int(s.asUser.Gid)); err != nil {
			return fmt.Errorf("giving the temp dir to postgres: %w", err)
		}
	}
	// Collation C sorts text by code point, as SQLite's BINARY does; ctype
	// C.UTF-8 makes pg_trgm treat non-ASCII letters as letters.
	cmd := s.command("initdb", "-D", s.dataDir(), "-U", "postgres", "--auth=trust",
		"--encoding=UTF8", "--lc-collate=C", "--lc-ctype=C.UTF-8", "--no-sync")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb into %s: %v; its output:\n%s", s.dataDir(), err, out)
	}
	// Trust only the superuser: every other role must give its password,
	// so tests can see a wrong one refused.
	hba := "local all postgres trust\n" +
		"host all postgres 127.0.0.1/32 trust\n" +
		"host all all 127.0.0.1/32 scram-sha-256\n"
	if err := os.WriteFile(filepath.Join(s.dataDir(), "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		return fmt.Errorf("writing pg_hba.conf: %w", err)
	}
	if s.asUser != nil {
		return os.Chown(filepath.Join(s.dataDir(), "pg_hba.conf"), int(s.asUser.Uid), int(s.asUser.Gid))
	}
	return nil
}

func (s *server) dataDir() string { return filepath.Join(s.dir, "data") }
func (s *server) logPath() string { return filepath.Join(s.dir, "postgres.log") }

// startOnFreePort starts the server, trying another port when the one
// chosen was taken between choosing and binding it.
func (s *server) startOnFreePort() error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if s.port, err = freePort(); err != nil {
			return err
		}
		if err = s.start(); err == nil {
			return nil
		}
		if log, _ := os.ReadFile(s.logPath()); !strings.Contains(string(log), "could not bind") {
			return err
		}
	}
	return err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// start runs postgres itself rather than pg_ctl, which detaches it: as
// our child, with a parent-death signal, it dies with the test binary even
// when a timeout or a kill ends that without Main's stop.
func (s *server) start() error {
	logf, err := os.Create(s.logPath())
	if err != nil {
		return fmt.Errorf("creating the server's log: %w", err)
	}
	defer logf.Close()
	s.cmd = s.command("postgres", append([]string{"-D", s.dataDir(),
		"-c", "listen_addresses=127.0.0.1",
		"-c", "port=" + strconv.Itoa(s.port),
		"-c", "unix_socket_directories=" + s.dir,
		"-c", "max_connections=100",
		"-c", "synchronous_commit=on"}, memorySettings(benchmarking())...)...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if s.cmd.SysProcAttr == nil {
		s.cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	// SIGQUIT is postgres's immediate shutdown.
	s.cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	if err := s.startLocked(); err != nil {
		return fmt.Errorf("starting postgres: %w", err)
	}
	return s.waitReady(30 * time.Second)
}

// memorySettings are the server's shared buffers and how much WAL it
// writes between checkpoints. Tests keep both small: the server lives in
// memory (tempParent), where checkpoints are cheap and room is not. A
// benchmark gets PostgreSQL's own defaults, the least a production server
// runs with: with 16 MB of buffers and a checkpoint every 128 MB of WAL,
// storing 100,000 first results ran at 4,600 checks/s against 8,500, a
// figure of the test server's settings rather than of the store.
func memorySettings(bench bool) []string {
	if bench {
		return []string{"-c", "shared_buffers=128MB", "-c", "max_wal_size=1GB"}
	}
	return []string{"-c", "shared_buffers=16MB", "-c", "max_wal_size=128MB"}
}

// benchmarking reports whether the test binary was asked to run
// benchmarks (go test -bench): its server then measures as one installed
// would.
func benchmarking() bool {
	f := flag.Lookup("test.bench")
	return f != nil && f.Value.String() != ""
}

// startLocked starts postgres from a goroutine locked to its thread until
// postgres exits: the parent-death signal follows the thread that forked,
// and Go may otherwise retire that thread while the server runs.
func (s *server) startLocked() error {
	started := make(chan error)
	s.exited = make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
		if err := s.cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		s.cmd.Wait()
		close(s.exited)
	}()
	return <-started
}

func (s *server) waitReady(limit time.Duration) error {
	db, err := sql.Open("pgx", s.superuserURL("postgres"))
	if err != nil {
		return err
	}
	deadline := time.Now().Add(limit)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			s.admin = db
			return nil
		}
		select {
		case <-s.exited:
			db.Close()
			return fmt.Errorf("postgres exited while starting (%v); its log:\n%s", s.cmd.ProcessState, s.log())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			db.Close()
			s.kill()
			return fmt.Errorf("postgres did not accept connections on 127.0.0.1:%d within %s (last: %v); its log:\n%s", s.port, limit, err, s.log())
		}
	}
}

func (s *server) log() string {
	b, err := os.ReadFile(s.logPath())
	if err != nil {
		return fmt.Sprintf("(unreadable: %v)", err)
	}
	return string(b)
}

// prepare makes the test role and the template database.
func (s *server) prepare() error {
	stmts := []string{
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", testRole, s.password),
		"CREATE DATABASE " + templateDB + " TEMPLATE template0",
		"ALTER DATABASE " + templateDB + " WITH IS_TEMPLATE true ALLOW_CONNECTIONS false",
	}
	for _, q := range stmts {
		if _, err := s.admin.Exec(q); err != nil {
			return fmt.Errorf("preparing the test server (%s): %w", q, err)
		}
	}
	return nil
}

// superuserURL is the postgres superuser's URL for database db; pg_hba
// trusts it on loopback, so it carries no password.
func (s *server) superuserURL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.port, db)
}

func (s *server) roleURL(role, password, db string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(role, password),
		Host: fmt.Sprintf("127.0.0.1:%d", s.port), Path: "/" + db, RawQuery: "sslmode=disable"}
	return u.String()
}

// stop shuts the server down (fast: open sessions are ended) and removes
// its temp dir.
func (s *server) stop() error {
	if s.admin != nil {
		s.admin.Close()
	}
	var err error
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
		select {
		case <-s.exited:
		case <-time.After(30 * time.Second):
			s.kill()
			err = fmt.Errorf("postgres did not stop within 30s of a fast shutdown and was killed; its log:\n%s", s.log())
		}
	}
	if rmErr := os.RemoveAll(s.dir); rmErr != nil && err == nil {
		err = fmt.Errorf("removing the server's temp dir: %w", rmErr)
	}
	return err
}

// kill ends the server at once. SIGQUIT, not SIGKILL: postgres passes it on
// to its backends, which a killed postmaster would leave running.
func (s *server) kill() {
	s.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}
