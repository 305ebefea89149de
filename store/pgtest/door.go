package pgtest

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Door stands between a client and the test's PostgreSQL on a port of
// its own, so that a test can take the server away and bring it back as
// the client sees it, without stopping the server every other test of the
// run uses. Taken away, it does what `pg_ctl stop -m fast` does to
// clients: every session of the database is ended by the server
// (pg_terminate_backend sends them the same FATAL, SQLSTATE 57P01), and
// the port refuses connections. Brought back, it listens on the same port
// again, as the restarted server would.
type Door struct {
	t        testing.TB
	addr     string // where the client connects
	upstream string // the server
	admin    string // a superuser URL of the test's database

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

// NewDoor opens a door to dbURL's server and returns it with dbURL
// through it; it is closed when the test ends.
func NewDoor(t testing.TB, dbURL string) (*Door, string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	d := &Door{t: t, upstream: u.Host, admin: Superuser(t, dbURL)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d.addr = ln.Addr().String()
	d.serve(ln)
	t.Cleanup(d.close)
	u.Host = d.addr
	return d, u.String()
}

// Addr is the door's address: the server's, as the client names it.
func (d *Door) Addr() string { return d.addr }

func (d *Door) serve(ln net.Listener) {
	d.mu.Lock()
	d.ln = ln
	d.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", d.upstream)
			if err != nil {
				c.Close()
				continue
			}
			d.mu.Lock()
			d.conns = append(d.conns, c, up)
			d.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
}

// GoAway ends every session of the database as a fast shutdown does and
// closes the port.
func (d *Door) GoAway() {
	d.t.Helper()
	d.mu.Lock()
	d.ln.Close()
	d.mu.Unlock()
	Psql(d.t, d.admin, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	// The FATAL reaches the sessions before their connections close.
	time.Sleep(100 * time.Millisecond)
	d.mu.Lock()
	for _, c := range d.conns {
		c.Close()
	}
	d.conns = nil
	d.mu.Unlock()
}

// ComeBack listens on the same port again.
func (d *Door) ComeBack() {
	d.t.Helper()
	ln, err := net.Listen("tcp", d.addr)
	if err != nil {
		d.t.Fatalf("listening on %s again: %v", d.addr, err)
	}
	d.serve(ln)
}

func (d *Door) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ln.Close()
	for _, c := range d.conns {
		c.Close()
	}
}
