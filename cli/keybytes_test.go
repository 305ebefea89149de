package cli

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/caisson-review/caisson-review/service/servicetest"
	"github.com/caisson-review/caisson-review/store"
)

// What a reviewer's link carries per key, and how long a key takes to
// reach the screen, measured from outside the program:
//
//	CAISSON_BENCH_FIXTURES=/some/dir go test -run '^$' -bench 'KeyBytes|KeyLatency' -benchtime 1x -timeout 60m .
//
// CAISSON_BENCH_MILLION=1 adds a store of 1,000,000 checks to both (it
// takes minutes to build: keep it); the console's peak memory there is
//
//	CAISSON_BENCH_MILLION=1 CAISSON_BENCH_FIXTURES=/some/dir go test -run '^$' -bench 'KeyBytes/120x40/1000000/first-frame|KeyLatency/1000000' -benchtime 1x -timeout 60m .
//
// Both benchmarks build the real binary (CGO_ENABLED=0, as shipped), open
// the console offline on a store of fetched sandbox checks, in a
// pseudo-terminal with TERM=xterm-256color, and count every byte the
// program writes to the terminal. Nothing here looks inside the tui
// package: the same file measures any version of the console that keeps
// its keys.
//
// A response is what the program writes after one key: it starts with the
// first byte after the key is written and ends when the output has been
// quiet for responseQuiet. Its key-to-screen time is the arrival of its
// last byte (as read from the pty master by a goroutine that does nothing
// else) minus the moment the key was written. Keys are sent one at a time,
// each only after the previous response ended, plus a random pause (see
// pause) so that keys land at every phase of a renderer's frame ticker.
//
// Each measurement runs a fixed number of keys whatever b.N is; -benchtime
// 1x keeps the framework from repeating it. ns/op is suppressed: the
// figures are the reported metrics.

const (
	// keyReps keys per interaction for the byte counts. Bubble Tea v1
	// sometimes draws a key's own frame and the store's answer as one
	// frame, sometimes as two: the median needs this many to settle.
	keyReps = 40
	// firstFrameReps program starts for the first frame's figures.
	firstFrameReps = 5
	// latencyKeys keys per interaction for the key-to-screen times.
	latencyKeys = 200
	// responseQuiet ends a response: frames of one key (the key's own,
	// then the store's answer) come well within it.
	responseQuiet = 50 * time.Millisecond
	// firstFrameQuiet ends the first frame, which takes several store
	// reads (page, counts, detail) before it is complete.
	firstFrameQuiet = 300 * time.Millisecond
	// responseStart is how long a key may take to produce its first byte
	// before it counts as silent.
	responseStart = 5 * time.Second
	// readLimit bounds any one response or first frame: a program that
	// never goes quiet fails the benchmark instead of hanging it.
	readLimit = 20 * time.Second
)

var keyBytesStoreSizes = servicetest.WithMillion([]int{100, 100_000})

type termSize struct{ cols, rows int }

func (s termSize) String() string { return fmt.Sprintf("%dx%d", s.cols, s.rows) }

var (
	wide   = termSize{120, 40}
	narrow = termSize{80, 24}
)

func BenchmarkKeyBytes(b *testing.B) {
	bin := buildStaticBinary(b)
	for _, size := range []termSize{wide, narrow} {
		b.Run(size.String(), func(b *testing.B) {
			for _, n := range keyBytesStoreSizes {
				b.Run(strconv.Itoa(n), func(b *testing.B) {
					fixture := keyBytesStore(b, n)
					for _, in := range interactions {
						if in.narrowOnly && size != narrow {
							continue
						}
						b.Run(in.name, func(b *testing.B) {
							in.measure(b, bin, fixture, size)
							b.ReportMetric(0, "ns/op")
						})
					}
				})
			}
		})
	}
}

// BenchmarkKeyLatency is the key-to-screen time at 120x40 with 100,000
// checks (and 1,000,000, see servicetest.WithMillion): latencyKeys cursor moves (j
// straight down Needs review, as a reviewer goes through it: those on the
// first screen move the marker, the rest scroll the list as well) and as
// many filter keystrokes (typing "smith" and deleting it, in All), each
// timed as described at the top of this file, reported as the median
// (p50-ms) and 95th percentile (p95-ms) over the keys. It includes the pty's
// transfer and the reading goroutine's wake-up: on a shared machine,
// run it more than once. VmHWM-MiB is the console's peak memory after
// the keys: what a filter's walk through the store left resident.
func BenchmarkKeyLatency(b *testing.B) {
	bin := buildStaticBinary(b)
	for _, n := range servicetest.WithMillion([]int{100_000}) {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			fixture := keyBytesStore(b, n)
			for _, in := range latencyInteractions {
				b.Run(in.name, func(b *testing.B) {
					measureLatency(b, bin, fixture, in.setup, in.cycle)
				})
			}
		})
	}
}

var latencyInteractions = []struct {
	name         string
	setup, cycle []string
}{
	{"cursor", nil, []string{"j"}},
	{"filter", []string{"7", "/"}, filterCycle},
}

func measureLatency(b *testing.B, bin, fixture string, setup, cycle []string) {
	c := startConsole(b, bin, fixture, wide)
	c.firstFrame()
	c.settle(setup...)
	var samples []response
	for i := range latencyKeys {
		samples = append(samples, c.press(cycle[i%len(cycle)]))
	}
	reportLatency(b, samples)
	reportBytes(b, samples)
	b.ReportMetric(c.peakRSSMiB(), "VmHWM-MiB")
	c.logNoise()
	b.ReportMetric(0, "ns/op")
}

// filterCycle types a surname held by about one check in 17 and deletes
// it again, as the tui package's filter benchmark does.
var filterCycle = []string{"s", "m", "i", "t", "h", keyBackspace, keyBackspace, keyBackspace, keyBackspace, keyBackspace}

// What the terminal sends for the keys that are not letters.
const (
	keyEnter     = "\r"
	keyEsc       = "\x1b"
	keyTab       = "\t"
	keyBackspace = "\x7f"
)

// interaction is one thing a reviewer does, measured in bytes per key.
type interaction struct {
	name       string
	narrowOnly bool
	measure    func(b *testing.B, bin, fixture string, size termSize)
}

var interactions = []interaction{
	{name: "first-frame", measure: measureFirstFrame},
	// j down the first rows of Needs review, the reviewer's own queue,
	// and g back to the top (not counted): the marker moves, the list
	// stays (the smallest list, at 80x24, shows 17 rows).
	{name: "cursor", measure: measureKeys(nil, slices.Repeat([]string{"j"}, 10), nil, "g")},
	// j further down All, past the first screen (45 j not counted): each
	// move scrolls the list by a row.
	{name: "scroll", measure: measureKeys(append([]string{"7"}, slices.Repeat([]string{"j"}, 45)...), []string{"j"}, nil, "")},
	// tab round the seven queues.
	{name: "tab", measure: measureKeys(nil, []string{keyTab}, nil, "")},
	// Each keystroke of typing "smith" into the filter of All and
	// deleting it again; "/" itself is not counted.
	{name: "filter", measure: measureKeys([]string{"7", "/"}, filterCycle, nil, "")},
	// enter opens the full-screen detail (counted), esc goes back and j
	// picks the next check (neither counted).
	{name: "detail", narrowOnly: true, measure: measureKeys(nil, []string{keyEnter}, []string{keyEsc, "j"}, "")},
	{name: "decide", measure: measureDecisions},
}

// measureKeys returns a measurement that sends setup once, then the
// counted keys in turn, keyReps in all, each followed by the uncounted
// keys after, and the uncounted key again (if any) after each round.
func measureKeys(setup, counted, after []string, again string) func(*testing.B, string, string, termSize) {
	return func(b *testing.B, bin, fixture string, size termSize) {
		c := startConsole(b, bin, fixture, size)
		c.firstFrame()
		c.settle(setup...)
		var samples []response
		for i := range keyReps {
			samples = append(samples, c.press(counted[i%len(counted)]))
			c.settle(after...)
			if again != "" && (i+1)%len(counted) == 0 {
				c.settle(again)
			}
		}
		reportBytes(b, samples)
		reportLatency(b, samples)
		c.logNoise()
	}
}

// measureDecisions rejects keyReps checks of Needs review in a row: x
// opens the reason picker, 1 picks the first reason and opens the note
// prompt, a one-letter note, enter stores the decision and moves to the
// next check. B/key is the enter (the decision and the move), B/decision
// the four keys together. The store is checked afterwards:
// every decision landed.
func measureDecisions(b *testing.B, bin, fixture string, size termSize) {
	c := startConsole(b, bin, fixture, size)
	c.firstFrame()
	var enters, whole []response
	for range keyReps {
		x, reason, note, enter := c.press("x"), c.press("1"), c.press("n"), c.press(keyEnter)
		enters = append(enters, enter)
		whole = append(whole, response{bytes: x.bytes + reason.bytes + note.bytes + enter.bytes})
	}
	reportBytes(b, enters)
	b.ReportMetric(float64(medianBytes(whole)), "B/decision")
	reportLatency(b, enters)
	c.logNoise()
	c.close()
	if got := countDecisions(b, c.db); got != keyReps {
		b.Fatalf("%d decisions were made through the keys, the store holds %d", keyReps, got)
	}
}

// measureFirstFrame starts the console firstFrameReps times and reports
// the median bytes of its first frame, the median time from the start of
// the process to the frame's last byte, and the median peak resident
// memory (VmHWM) right after it.
func measureFirstFrame(b *testing.B, bin, fixture string, size termSize) {
	var frames []response
	var rss []float64
	for i := range firstFrameReps {
		c := startConsole(b, bin, fixture, size)
		frames = append(frames, c.firstFrame())
		rss = append(rss, c.peakRSSMiB())
		if i == 0 {
			b.Logf("terminal queries answered or ignored: %s", c.querySummary())
		}
		c.close()
		// Each start has its own copy of the store, 2 GB at a million
		// checks: one at a time on tmpfs, not five.
		c.removeStore()
	}
	b.ReportMetric(float64(medianBytes(frames)), "B/first-frame")
	b.ReportMetric(percentile(latencies(frames), 50), "first-ms")
	b.ReportMetric(percentile(rss, 50), "VmHWM-MiB")
}

// response is what the program wrote after one key.
type response struct {
	bytes   int
	latency time.Duration // key written to last byte read; -1 when silent
}

// reportBytes reports the median and the mean bytes per key: the median
// is the usual key, the mean what the link carries over many.
func reportBytes(b *testing.B, rs []response) {
	total := 0
	for _, r := range rs {
		total += r.bytes
	}
	b.ReportMetric(float64(medianBytes(rs)), "B/key")
	b.ReportMetric(float64(total)/float64(len(rs)), "mean-B/key")
}

func medianBytes(rs []response) int {
	bs := make([]float64, len(rs))
	for i, r := range rs {
		bs[i] = float64(r.bytes)
	}
	return int(percentile(bs, 50))
}

func latencies(rs []response) []float64 {
	var ms []float64
	for _, r := range rs {
		if r.latency >= 0 {
			ms = append(ms, float64(r.latency.Microseconds())/1000)
		}
	}
	return ms
}

func reportLatency(b *testing.B, rs []response) {
	ms := latencies(rs)
	if silent := len(rs) - len(ms); silent > 0 {
		b.Logf("%d of %d keys drew nothing within %s", silent, len(rs), responseStart)
		b.ReportMetric(float64(silent), "silent-keys")
	}
	b.ReportMetric(percentile(ms, 50), "p50-ms")
	b.ReportMetric(percentile(ms, 95), "p95-ms")
}

// percentile is the nearest-rank percentile p of xs; 0 for none.
func percentile(xs []float64, p int) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	rank := (p*len(s) + 99) / 100
	return s[max(rank, 1)-1]
}

// buildStaticBinary builds the program as shipped to bastion hosts, into
// a directory removed when the benchmark ends.
func buildStaticBinary(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), progName)
	build := exec.Command("go", "build", "-o", bin, "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// keyBytesClock fixes the fixture's dates, so that a kept fixture and a
// rebuilt one are the same store.
func keyBytesClock() time.Time { return time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC) }

var (
	keyBytesMu     sync.Mutex
	keyBytesStores = map[int]string{}
)

// keyBytesStore is a store of n fetched sandbox checks (seed 1), built
// once per run and never written afterwards: each console gets a copy.
// Building 100,000 takes minutes; CAISSON_BENCH_FIXTURES=/dir keeps the
// stores there between runs (empty it when the sandbox or the fetch path
// changes). The file is an ordinary store database, so a fixture built by
// one version of the console serves another with the same schema.
func keyBytesStore(b *testing.B, n int) string {
	b.Helper()
	keyBytesMu.Lock()
	defer keyBytesMu.Unlock()
	if p, ok := keyBytesStores[n]; ok {
		return p
	}
	name := fmt.Sprintf("keybytes-%d.db", n)
	keepDir, keep := os.LookupEnv("CAISSON_BENCH_FIXTURES")
	if keep {
		path := filepath.Join(keepDir, name)
		if _, err := os.Stat(path); err == nil {
			b.Logf("using the kept store %s", path)
			keyBytesStores[n] = path
			return path
		}
	}
	// Built on tmpfs where there is one: the store makes every fetch
	// durable, and an fsync per check on disk would take far longer.
	built := filepath.Join(fastTempDir(b), name)
	start := time.Now()
	if err := servicetest.FetchedStore(built, n, keyBytesClock); err != nil {
		b.Fatalf("building a store of %d checks: %v", n, err)
	}
	b.Logf("built a store of %d checks in %s", n, time.Since(start).Round(time.Millisecond))
	if !keep {
		keyBytesStores[n] = built
		return built
	}
	// Copied under a temporary name and renamed, so an interrupted run
	// never leaves half a fixture to be reused.
	path := filepath.Join(keepDir, name)
	if err := os.MkdirAll(keepDir, 0o700); err != nil {
		b.Fatal(err)
	}
	if err := copyFile(built, path+".partial"); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(path+".partial", path); err != nil {
		b.Fatal(err)
	}
	keyBytesStores[n] = path
	return path
}

// fastTempDir is a fresh directory on tmpfs when the machine has one,
// removed when the benchmark ends.
func fastTempDir(b *testing.B) string {
	b.Helper()
	root := os.TempDir()
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		root = "/dev/shm"
	}
	dir, err := os.MkdirTemp(root, "caisson-review-keybytes-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s: %w", from, err)
	}
	return out.Close()
}

func countDecisions(b *testing.B, db string) int {
	b.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		b.Fatalf("opening the console's store: %v", err)
	}
	defer st.Close()
	var n int
	err = st.Decisions(context.Background(), time.Time{}, func(store.Decision) error { n++; return nil })
	if err != nil {
		b.Fatalf("reading the decision log: %v", err)
	}
	return n
}

// chunk is one read from the pty master and when it returned.
type chunk struct {
	at   time.Time
	data []byte
}

// measuredConsole is the program in a pseudo-terminal, on its own copy of
// a fixture store, with a goroutine reading everything it writes and
// answering its terminal queries as a terminal would. (startInPTY in
// e2e_test.go serves tests that search the screen; this needs any
// terminal size, the arrival time of every read, and every query
// answered, not only the first.)
type measuredConsole struct {
	b      *testing.B
	cmd    *exec.Cmd
	tty    *os.File
	db     string
	start  time.Time
	reads  chan chunk
	done   chan struct{} // closed when the reader stops
	closed bool

	mu      sync.Mutex
	queries map[string]int // seen, by kind

	stray int // bytes that arrived while no key was measured
	late  int // responses with a frame after a responseQuiet pause
}

func startConsole(b *testing.B, bin, fixture string, size termSize) *measuredConsole {
	b.Helper()
	db := filepath.Join(fastTempDir(b), "review.db")
	if err := copyFile(fixture, db); err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin)
	// Offline (no key in the environment): the console reads and decides
	// from the store alone.
	cmd.Env = envList(map[string]string{envDB: db, envReviewer: "bench"})
	start := time.Now()
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(size.cols), Rows: uint16(size.rows)})
	if err != nil {
		b.Skipf("cannot run the console in a pseudo-terminal here: %v", err)
	}
	c := &measuredConsole{b: b, cmd: cmd, tty: tty, db: db, start: start,
		reads: make(chan chunk, 4096), done: make(chan struct{}), queries: map[string]int{}}
	go c.read()
	b.Cleanup(c.close)
	return c
}

// removeStore removes the console's copy of the store once it is closed.
func (c *measuredConsole) removeStore() {
	if err := os.RemoveAll(filepath.Dir(c.db)); err != nil {
		c.b.Errorf("removing the console's store: %v", err)
	}
}

// close kills the program and waits for it and the reader to stop.
func (c *measuredConsole) close() {
	if c.closed {
		return
	}
	c.closed = true
	c.cmd.Process.Kill()
	waited := make(chan struct{})
	go func() { c.cmd.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		c.b.Errorf("the console (pid %d) did not exit after SIGKILL", c.cmd.Process.Pid)
	}
	c.tty.Close()
	<-c.done
}

// read forwards everything the program writes, stamped with its arrival,
// and answers its terminal queries on the way.
func (c *measuredConsole) read() {
	defer close(c.done)
	buf := make([]byte, 64<<10)
	var carry []byte
	for {
		n, err := c.tty.Read(buf)
		if n > 0 {
			at := time.Now()
			data := slices.Clone(buf[:n])
			carry = c.answer(carry, data)
			select {
			case c.reads <- chunk{at, data}:
			case <-time.After(readLimit):
				return // nobody is reading: the benchmark has failed
			}
		}
		if err != nil {
			return // the program exited or the pty was closed
		}
	}
}

// terminalQuery matches the queries a console may send at start. Each is
// answered as an xterm-256color terminal with synchronized output (mode
// 2026, as most current terminals have) would: background colour black,
// cursor at the top left, VT220 attributes; any other DECRQM mode "not
// recognized". The rest (kitty keyboard, XTVERSION, XTGETTCAP, foreground
// colour...) go unanswered, as xterm leaves them, and are only counted.
var terminalQuery = regexp.MustCompile(`\x1b\]1[01];\?|\x1b\[6n|\x1b\[0?c|\x1b\[>0?c|\x1b\[\?[0-9]+\$p|\x1b\[\?u|\x1b\[>0?q|\x1bP\+q[0-9A-Fa-f;]*`)

func queryAnswer(q string) (kind, answer string) {
	switch {
	case q == "\x1b]11;?":
		return "OSC 11 background colour", "\x1b]11;rgb:0000/0000/0000\x1b\\"
	case q == "\x1b[6n":
		return "DSR cursor position", "\x1b[1;1R"
	case q == "\x1b[c" || q == "\x1b[0c":
		return "DA1", "\x1b[?62;22c"
	case q == "\x1b[?2026$p":
		return "DECRQM 2026 synchronized output", "\x1b[?2026;2$y"
	case strings.HasSuffix(q, "$p"):
		mode := strings.TrimSuffix(strings.TrimPrefix(q, "\x1b[?"), "$p")
		return "DECRQM " + mode, "\x1b[?" + mode + ";0$y"
	}
	return fmt.Sprintf("unanswered %q", q), ""
}

// answer answers every query that ends in data; carry is the end of the
// previous read, so a query split between two reads is still seen once.
func (c *measuredConsole) answer(carry, data []byte) []byte {
	scan := append(carry, data...)
	for _, m := range terminalQuery.FindAllIndex(scan, -1) {
		if m[1] <= len(carry) {
			continue // answered with the previous read
		}
		kind, reply := queryAnswer(string(scan[m[0]:m[1]]))
		c.mu.Lock()
		c.queries[kind]++
		c.mu.Unlock()
		if reply != "" {
			c.tty.Write([]byte(reply))
		}
	}
	const keep = 32 // longer than any query above but XTGETTCAP's names
	return slices.Clone(scan[max(0, len(scan)-keep):])
}

func (c *measuredConsole) querySummary() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var kinds []string
	for k, n := range c.queries {
		kinds = append(kinds, fmt.Sprintf("%s ×%d", k, n))
	}
	slices.Sort(kinds)
	if len(kinds) == 0 {
		return "none"
	}
	return strings.Join(kinds, ", ")
}

// firstFrame waits for the program's first output and returns everything
// up to the first firstFrameQuiet pause, timed from the process start.
func (c *measuredConsole) firstFrame() response {
	c.b.Helper()
	r := response{latency: -1}
	c.collect(&r, c.start, 2*readLimit, firstFrameQuiet)
	if r.bytes == 0 {
		c.b.Fatalf("the console drew nothing within %s", 2*readLimit)
	}
	return r
}

// press writes one key and returns the program's response to it: what it
// writes until the next key could be sent. Output that comes after a
// responseQuiet pause but before the next key (a frame held up on a busy
// machine) is still this key's, and counted as such.
func (c *measuredConsole) press(key string) response {
	c.b.Helper()
	c.drainStray()
	r := response{latency: -1}
	at := time.Now()
	if _, err := c.tty.Write([]byte(key)); err != nil {
		c.b.Fatalf("typing %q: %v", key, err)
	}
	c.collect(&r, at, responseStart, responseQuiet)
	for {
		c.pause()
		if len(c.reads) == 0 {
			return r
		}
		c.late++
		c.collect(&r, at, 0, responseQuiet)
	}
}

// settle presses keys whose responses are not measured.
func (c *measuredConsole) settle(keys ...string) {
	for _, k := range keys {
		c.press(k)
	}
}

// pause waits 0-20 ms after a response has ended: keys sent a fixed time
// after a frame would all land at one phase of a renderer that draws on
// a ticker (Bubble Tea v1 at 60 Hz), and the times would show that phase,
// not the spread a typing reviewer sees.
func (c *measuredConsole) pause() {
	time.Sleep(time.Duration(rand.Int64N(int64(20 * time.Millisecond))))
}

// drainStray counts output that arrived while no key was being measured
// (the end of a first frame that paused longer than firstFrameQuiet), so
// that it is not charged to the next key.
func (c *measuredConsole) drainStray() {
	for {
		select {
		case ch := <-c.reads:
			c.stray += len(ch.data)
		default:
			return
		}
	}
}

// logNoise says what may have blurred the figures.
func (c *measuredConsole) logNoise() {
	if c.late > 0 {
		c.b.Logf("%d responses had a frame more than %s after the one before (counted with their key; the machine was busy?)", c.late, responseQuiet)
	}
	if c.stray > 0 {
		c.b.Logf("%d bytes arrived before a key was sent (not charged to any key)", c.stray)
	}
}

// collect adds one stretch of output to r: from the first byte (which
// must come within startWithin of since) until quiet has passed without
// output, and never longer than readLimit. r.latency becomes the arrival
// of the last byte, from since.
func (c *measuredConsole) collect(r *response, since time.Time, startWithin, quiet time.Duration) {
	c.b.Helper()
	limit := time.NewTimer(startWithin + readLimit)
	defer limit.Stop()
	wait := time.NewTimer(max(startWithin, quiet))
	defer wait.Stop()
	for {
		select {
		case ch := <-c.reads:
			r.bytes += len(ch.data)
			r.latency = ch.at.Sub(since)
			wait.Reset(quiet)
		case <-wait.C:
			return
		case <-limit.C:
			c.b.Fatalf("the console kept writing for %s without a %s pause", readLimit, quiet)
		case <-c.done:
			c.b.Fatalf("the console exited (%v) while being measured", c.cmd.ProcessState)
		}
	}
}

// peakRSSMiB is the program's peak resident set so far (VmHWM), in MiB;
// 0 where /proc does not say.
func (c *measuredConsole) peakRSSMiB() float64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(status), "\n") {
		if f := strings.Fields(l); len(f) == 3 && f[0] == "VmHWM:" && f[2] == "kB" {
			kb, _ := strconv.Atoi(f[1])
			return float64(kb) / 1024
		}
	}
	return 0
}
