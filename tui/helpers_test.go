package tui

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

// plain is the frame as a terminal shows it without colour or any other
// attribute (NO_COLOR): golden files and screen assertions are taken so.
// It is the model's state drawn now: a program draws after every message,
// and so never keeps a frame older than the reads in flight (steadyFrame),
// but a model test draws only when it looks.
func plain(m *Model) string { return ansi.Strip(m.frame()) }

// rendered is the frame as it reaches a terminal of the profile: Bubble Tea
// converts the styles as it writes, as colorprofile's writer does here.
func rendered(tb testing.TB, m *Model, p colorprofile.Profile) string {
	tb.Helper()
	var out strings.Builder
	w := &colorprofile.Writer{Forward: &out, Profile: p}
	if _, err := w.WriteString(m.frame()); err != nil {
		tb.Fatal(err)
	}
	return out.String()
}

func darkBackground() *bool { dark := true; return &dark }

// Compile-time proof that the real components satisfy the console's
// interfaces: the tests use them, never stand-ins.
var (
	_ Store   = (*store.Store)(nil)
	_ Service = (*service.Service)(nil)
)

// testNow is the injected clock: fixed, in a zone with an offset so that
// "local time with its offset" is visible in the golden files.
var testNow = time.Date(2026, 11, 26, 9, 30, 0, 0, time.FixedZone("CET", 3600))

func fixedClock() time.Time { return testNow }

// fixture is a real store on a temp file and the real client against the
// sandbox on loopback.
type fixture struct {
	st   *store.Store
	api  *caisson.Client
	sb   *sandbox.Server
	path string // the store's file
	base string // the sandbox's URL
}

type fixtureOpts struct {
	checks  int  // sandbox checks
	track   int  // how many of them are added to the store
	fetch   bool // fetch the tracked ones before the console starts
	hostile bool
	path    string // store file; a temp file when ""
}

func newFixture(tb testing.TB, o fixtureOpts) *fixture {
	tb.Helper()
	sb := sandbox.New(sandbox.Options{Seed: 1, Checks: o.checks, Hostile: o.hostile, Now: fixedClock})
	base, stop, err := sb.Listen("127.0.0.1:0")
	if err != nil {
		tb.Fatalf("starting the sandbox: %v", err)
	}
	tb.Cleanup(func() { _ = stop() })
	key, err := caisson.NewAPIKey(sb.Key())
	if err != nil {
		tb.Fatal(err)
	}
	// The test owns the transport so that it can close the client's idle
	// connections before the sandbox stops; a graceful stop otherwise
	// waits for connections that were dialled and never used.
	transport := &http.Transport{}
	api, err := caisson.NewClient(base, key, caisson.WithRetries(1), caisson.WithTimeout(5*time.Second),
		caisson.WithHTTPClient(&http.Client{Transport: transport}))
	if err != nil {
		tb.Fatalf("client: %v", err)
	}
	tb.Cleanup(transport.CloseIdleConnections)
	path := o.path
	if path == "" {
		path = filepath.Join(tb.TempDir(), "review.db")
		if o.track > 0 && o.fetch {
			copyFile(tb, templateStore(tb, o, api, sb), path)
			o.track = 0
		}
	}
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.WithClock(fixedClock))
	if err != nil {
		tb.Fatalf("opening the store: %v", err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	f := &fixture{st: st, api: api, sb: sb, path: path, base: base}
	if o.track > 0 {
		ids := sb.CheckIDs(o.track)
		if _, err := st.AddMany(ctx, ids, "tester", store.SourceTyped); err != nil {
			tb.Fatalf("adding checks: %v", err)
		}
		if o.fetch {
			err := api.FetchMany(ctx, ids, 8, func(r caisson.Result) {
				if err := st.RecordFetch(ctx, r.CheckID, r.Check, r.Err, testNow); err != nil {
					tb.Errorf("recording %s: %v", r.CheckID, err)
				}
			})
			if err != nil {
				tb.Fatalf("fetching: %v", err)
			}
		}
	}
	return f
}

func (f *fixture) config() Config {
	return Config{Store: f.st, Service: f.service(f.api), Reviewer: "alice", APILabel: "sandbox", Now: fixedClock,
		HasDarkBackground: darkBackground()}
}

// service is the real service over the fixture's store, reaching Caisson
// through api (a client with another key, say).
func (f *fixture) service(api *caisson.Client) *service.Service {
	return service.New(f.st, api, service.Options{Reviewer: "alice", Now: fixedClock})
}

// newTestModel is a console sized w x h with every start-up read done.
func newTestModel(tb testing.TB, cfg Config, w, h int) *Model {
	tb.Helper()
	m := New(cfg)
	m.animate = false
	pump(tb, m, m.Init(), tea.WindowSizeMsg{Width: w, Height: h})
	m.View() // as a program draws after every message
	return m
}

// pump feeds messages to the model and runs every command it returns,
// with the messages those produce, until nothing is left: the model
// settles as it would in a program, deterministically. Each item settles
// before the next, as a person waits for the screen before the next key;
// an item may be a message or a tea.Cmd to run.
func pump(tb testing.TB, m *Model, items ...any) {
	tb.Helper()
	d := &driver{tb: tb, m: m}
	for _, it := range items {
		d.send(it)
		d.settle()
	}
}

// driver runs the model's loop by hand, one message at a time, for tests
// that act in the middle of running work.
type driver struct {
	tb    testing.TB
	m     *Model
	queue []tea.Msg
	// quitWhileWriting is set if the program was told to quit while a
	// write (a decision, the batch's results) was still running.
	quitWhileWriting bool
	quit             bool
}

func (d *driver) send(it any) {
	switch it := it.(type) {
	case tea.Cmd:
		d.run(it)
	case func() tea.Msg:
		d.run(it)
	default:
		d.queue = append(d.queue, it)
	}
}

func (d *driver) run(c tea.Cmd) {
	if c == nil {
		return
	}
	switch msg := c().(type) {
	case nil:
	case tea.BatchMsg:
		// Bubble Tea runs the commands of a batch concurrently; so does
		// the driver, keeping their messages in the batch's order.
		subs := make([]driver, len(msg))
		var wg sync.WaitGroup
		for i, c := range msg {
			if c == nil {
				continue
			}
			subs[i] = driver{tb: d.tb, m: d.m}
			wg.Go(func() { subs[i].run(c) })
		}
		wg.Wait()
		for _, s := range subs {
			d.queue = append(d.queue, s.queue...)
		}
	default:
		if !isBlink(msg) {
			d.queue = append(d.queue, msg)
		}
	}
}

// step handles one message; false when there was none.
func (d *driver) step() bool {
	if len(d.queue) == 0 {
		return false
	}
	msg := d.queue[0]
	d.queue = d.queue[1:]
	if _, ok := msg.(tea.QuitMsg); ok {
		d.quit = true
		d.quitWhileWriting = d.quitWhileWriting || len(d.m.ctx.writes.labels()) > 0
		return true
	}
	_, cmd := d.m.Update(msg)
	d.run(cmd)
	return true
}

func (d *driver) settle() {
	for steps := 0; d.step(); steps++ {
		if steps > 1_000_000 {
			d.tb.Fatal("the model never settled")
		}
	}
}

// until steps until cond holds.
func (d *driver) until(cond func() bool) {
	d.tb.Helper()
	for !cond() {
		if !d.step() {
			d.tb.Fatal("the model settled before the condition held")
		}
	}
}

// isBlink tells the text inputs' cursor blink, which would tick forever.
func isBlink(msg tea.Msg) bool {
	return strings.HasPrefix(strings.TrimPrefix(fmt.Sprintf("%T", msg), "*"), "cursor.")
}

// keys turns a readable key list into key messages: single runes,
// or names such as "enter", "esc", "tab", "shift+tab", "ctrl+c", "up".
func keys(names ...string) []any {
	var out []any
	for _, n := range names {
		out = append(out, keyMsg(n))
	}
	return out
}

func keyMsg(n string) tea.KeyPressMsg {
	named := map[string]tea.Key{
		"enter": {Code: tea.KeyEnter}, "esc": {Code: tea.KeyEscape}, "tab": {Code: tea.KeyTab},
		"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift}, "ctrl+c": {Code: 'c', Mod: tea.ModCtrl},
		"ctrl+s": {Code: 's', Mod: tea.ModCtrl}, "ctrl+j": {Code: 'j', Mod: tea.ModCtrl}, "up": {Code: tea.KeyUp}, "down": {Code: tea.KeyDown},
		"pgdown": {Code: tea.KeyPgDown}, "pgup": {Code: tea.KeyPgUp}, "backspace": {Code: tea.KeyBackspace},
		"space": {Code: tea.KeySpace, Text: " "},
	}
	if k, ok := named[n]; ok {
		return tea.KeyPressMsg(k)
	}
	r := []rune(n)[0]
	k := tea.Key{Code: r, Text: n}
	if unicode.IsUpper(r) {
		// As the terminal's decoder reports a capital: the letter, shifted.
		k.Code, k.ShiftedCode, k.Mod = unicode.ToLower(r), r, tea.ModShift
	}
	return tea.KeyPressMsg(k)
}

// typeText is one key message per rune, as a person types.
func typeText(s string) []any {
	var out []any
	for _, r := range s {
		out = append(out, keyMsg(string(r)))
	}
	return out
}

// paste is text arriving in one message, as a bracketed paste does.
func paste(s string) tea.PasteMsg { return tea.PasteMsg{Content: s} }

func record(tb testing.TB, st *store.Store, id string) *store.Record {
	tb.Helper()
	rec, err := st.Get(context.Background(), id)
	if err != nil {
		tb.Fatalf("reading %s: %v", id, err)
	}
	return rec
}

func selectedID(tb testing.TB, m *Model) string {
	tb.Helper()
	row, ok := m.list.selected()
	if !ok {
		tb.Fatal("no row selected")
	}
	return row.CheckID
}

func mustContain(tb testing.TB, screen string, wants ...string) {
	tb.Helper()
	for _, w := range wants {
		if !strings.Contains(screen, w) {
			tb.Errorf("screen lacks %q:\n%s", w, screen)
		}
	}
}

func mustNotContain(tb testing.TB, screen string, unwanted ...string) {
	tb.Helper()
	for _, w := range unwanted {
		if strings.Contains(screen, w) {
			tb.Errorf("screen has %q but should not:\n%s", w, screen)
		}
	}
}

// templates are stores already filled and fetched, one per set of fixture
// options, built once per test binary and copied for each test: a store
// records every fetch durably, which is too slow to repeat in every test.
var (
	templatesMu sync.Mutex
	templates   = map[fixtureOpts]string{}
)

func templateStore(tb testing.TB, o fixtureOpts, api *caisson.Client, sb *sandbox.Server) string {
	tb.Helper()
	templatesMu.Lock()
	defer templatesMu.Unlock()
	if p, ok := templates[o]; ok {
		return p
	}
	path := filepath.Join(runTempDir(tb), fmt.Sprintf("template-%d.db", len(templates)))
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.WithClock(fixedClock))
	if err != nil {
		tb.Fatalf("opening the template store: %v", err)
	}
	defer st.Close()
	ids := sb.CheckIDs(o.track)
	if _, err := st.AddMany(ctx, ids, "tester", store.SourceTyped); err != nil {
		tb.Fatalf("adding checks: %v", err)
	}
	err = api.FetchMany(ctx, ids, 8, func(r caisson.Result) {
		if err := st.RecordFetch(ctx, r.CheckID, r.Check, r.Err, testNow); err != nil {
			tb.Errorf("recording %s: %v", r.CheckID, err)
		}
	})
	if err != nil {
		tb.Fatalf("fetching: %v", err)
	}
	if err := st.Close(); err != nil {
		tb.Fatal(err)
	}
	templates[o] = path
	return path
}

func copyFile(tb testing.TB, from, to string) {
	tb.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		tb.Fatal(err)
	}
}

// runDir is a temp dir for the whole test binary's run, for files shared
// between tests and benchmarks; TestMain removes it.
var (
	runDirOnce sync.Once
	runDir     string
	runDirErr  error
)

func runTempDir(tb testing.TB) string {
	runDirOnce.Do(func() { runDir, runDirErr = os.MkdirTemp(fastTempRoot(), "caisson-review-tui-") })
	if runDirErr != nil {
		tb.Fatal(runDirErr)
	}
	return runDir
}

func TestMain(m *testing.M) {
	code := m.Run()
	if runDir != "" {
		os.RemoveAll(runDir)
	}
	os.Exit(code)
}

// fastTempRoot is where fixtures that are written once and read many times
// are built: tmpfs when the machine has one, since the store makes every
// fetch durable with an fsync that costs tens of milliseconds on disk.
func fastTempRoot() string {
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		return "/dev/shm"
	}
	return os.TempDir()
}

func tea_WindowSize(w, h int) tea.WindowSizeMsg { return tea.WindowSizeMsg{Width: w, Height: h} }
