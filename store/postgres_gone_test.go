package store

import (
	"context"
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/store/pgtest"
)

// serverDoor stands between the Store and the test's PostgreSQL on a
// port of its own, so that a test can take the server away and bring it
// back as the Store sees it, without stopping the server every other
// test of the run uses. Taken away, it does what `pg_ctl stop -m fast`
// does to clients: every session is ended by the server
// (pg_terminate_backend sends them the same FATAL, SQLSTATE 57P01), and
// the port refuses connections. Brought back, it listens on the same port
// again, as the restarted server would.
type serverDoor struct {
	t        *testing.T
	addr     string // where the Store connects
	upstream string // the server
	admin    string // a superuser URL of the test's database

	mu    sync.Mutex
	ln    net.Listener
	conns []net.Conn
}

func newServerDoor(t *testing.T, dbURL string) (*serverDoor, string) {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	d := &serverDoor{t: t, upstream: u.Host, admin: pgtest.Superuser(t, dbURL)}
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

func (d *serverDoor) serve(ln net.Listener) {
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

// goAway ends every session of the database as a fast shutdown does and
// closes the port.
func (d *serverDoor) goAway() {
	d.t.Helper()
	d.mu.Lock()
	d.ln.Close()
	d.mu.Unlock()
	admin := rawDB(d.t, d.admin)
	if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`); err != nil {
		d.t.Fatal(err)
	}
	admin.Close()
	// The FATAL reaches the sessions before their connections close.
	time.Sleep(100 * time.Millisecond)
	d.mu.Lock()
	for _, c := range d.conns {
		c.Close()
	}
	d.conns = nil
	d.mu.Unlock()
}

// comeBack listens on the same port again.
func (d *serverDoor) comeBack() {
	d.t.Helper()
	ln, err := net.Listen("tcp", d.addr)
	if err != nil {
		d.t.Fatalf("listening on %s again: %v", d.addr, err)
	}
	d.serve(ln)
}

func (d *serverDoor) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ln.Close()
	for _, c := range d.conns {
		c.Close()
	}
}

func TestPostgresAServerThatGoesAwayRefusesWritesWholeAndTheStoreWorksWhenItIsBack(t *testing.T) {
	dbURL := pgtest.URL(t)
	door, viaDoor := newServerDoor(t, dbURL)
	ctx := context.Background()
	s := openPG(t, viaDoor)
	if _, err := s.Add(ctx, checkID(1), "ana", SourceTyped); err != nil {
		t.Fatal(err)
	}
	before, err := s.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}

	door.goAway()
	_, readErr := s.Head(ctx)
	_, writeErr := s.Decide(ctx, checkID(1), Escalate, "unsure", "ana")
	for _, e := range []struct {
		what string
		err  error
		want []string
	}{
		{"a read", readErr, []string{"the PostgreSQL server " + door.addr + " is unreachable"}},
		{"a write", writeErr, []string{"recording escalate on " + checkID(1), "the PostgreSQL server " + door.addr + " is unreachable (", "); nothing was written, try again when it is back"}},
	} {
		if e.err == nil {
			t.Errorf("%s while the server is away succeeded", e.what)
			continue
		}
		for _, w := range e.want {
			if !strings.Contains(e.err.Error(), w) {
				t.Errorf("%s while the server is away: %q\nwant it to say %q", e.what, e.err, w)
			}
		}
		if pw, _ := mustParse(t, dbURL).User.Password(); strings.Contains(e.err.Error(), pw) {
			t.Errorf("%s: the error shows the password: %s", e.what, e.err)
		}
	}

	door.comeBack()
	raw := rawDB(t, dbURL)
	var n int
	if err := raw.QueryRow("SELECT count(*) FROM decisions").Scan(&n); err != nil || n != 0 {
		t.Errorf("the refused write left %d entries (%v), want none", n, err)
	}
	var status string
	if err := raw.QueryRow("SELECT coalesce((SELECT status FROM checks WHERE check_id = $1), 'no row')", checkID(1)).Scan(&status); err != nil || status != "no row" {
		t.Errorf("the refused write left the check's row %q (%v), want none: nothing half-written", status, err)
	}
	if h, err := s.Head(ctx); err != nil || h != before {
		t.Errorf("a read once the server is back: %+v, %v; want %+v", h, err, before)
	}
	d, err := s.Decide(ctx, checkID(1), Escalate, "unsure", "ana")
	if err != nil {
		t.Fatalf("a write once the server is back, on the same Store: %v", err)
	}
	if d.Seq != 1 {
		t.Errorf("the write once back is entry %d, want 1", d.Seq)
	}
}

func mustParse(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
