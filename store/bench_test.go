package store

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
)

var (
	benchFirst = []string{"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
		"William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Chen", "Aisha", "Mateo", "Zoë",
		"Olumide", "Priya", "Søren", "Ana", "Yuki", "Fatima", "Kwame", "Ivan"}
	benchLast = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
		"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee",
		"Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young",
		"Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker",
		"Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Okafor", "Müller", "Kowalski", "Nakamura",
		"Haddad", "O'Brien", "Dubois", "Rossi", "Novak", "Larsen"}
	benchLevels = []string{"high", "high", "high", "medium", "low", "weird"}
)

// benchFixture writes n varied, fetched checks into a new store in one
// transaction through the same code RecordFetch and Decide use: most
// passed, some risky, some expired, a third decided, some errors.
func benchFixture(b *testing.B, n int) *Store {
	b.Helper()
	path := filepath.Join(b.TempDir(), "review.db")
	s := openAt(b, path, &clock{t: testNow})
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 2))
	err := s.write(ctx, "fixture", func(tx *sql.Tx) error {
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("chk_priv_%s", randomIDBody(r))
			if _, err := addTx(ctx, tx, id, "bench", SourceImported, testNow.Add(-time.Duration(n-i)*time.Minute).UnixNano()); err != nil {
				return err
			}
			// As RecordFetch does before writing a result.
			if err := checkRowTx(ctx, tx, id); err != nil {
				return err
			}
			switch p := r.IntN(100); {
			case p < 3:
				if err := recordErrorTx(ctx, tx, id, &caisson.APIError{Code: caisson.CodePendingReview}, testNow); err != nil {
					return err
				}
				continue
			case p < 6:
				if err := recordErrorTx(ctx, tx, id, &caisson.APIError{Code: caisson.CodeNotVerified}, testNow); err != nil {
					return err
				}
				continue
			}
			if err := cacheResultTx(ctx, tx, id, benchCheck(r, id, i), testNow); err != nil {
				return err
			}
			switch p := r.IntN(100); {
			case p < 25:
				_, err := decideTx(ctx, tx, benchWriter, DecisionRequest{CheckID: id, Action: Approve, Note: ""}, testNow)
				if err != nil {
					return err
				}
			case p < 30:
				_, err := decideTx(ctx, tx, benchWriter, DecisionRequest{CheckID: id, Action: Reject, Note: "forged", Reason: ReasonOther, Finality: Final}, testNow)
				if err != nil {
					return err
				}
			case p < 33:
				_, err := decideTx(ctx, tx, benchWriter, DecisionRequest{CheckID: id, Action: Escalate, Note: "ask", Reason: ReasonOther}, testNow)
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	// Reopened as the console would be, with the index merge Open does,
	// and without ANALYZE: Open never runs it, so no reviewer's database
	// has the statistics that could flatter a plan here.
	s.Close()
	return openAt(b, path, &clock{t: testNow})
}

// keptBenchFixture is benchFixture kept between runs in the directory
// named by CAISSON_BENCH_FIXTURES (as the console's benchmarks keep
// theirs), for the benchmarks that only read: a million checks take
// minutes to build. Empty the directory when the schema or the fixture
// changes. Without the variable it is built in the run's temp dir.
func keptBenchFixture(b *testing.B, n int) *Store {
	b.Helper()
	dir, keep := os.LookupEnv("CAISSON_BENCH_FIXTURES")
	if !keep {
		return benchFixture(b, n)
	}
	path := filepath.Join(dir, fmt.Sprintf("store-%d-v%d.db", n, SchemaVersion()))
	if _, err := os.Stat(path); err == nil {
		b.Logf("using the kept store %s", path)
		return openAt(b, path, &clock{t: testNow})
	}
	start := time.Now()
	s := benchFixture(b, n)
	if _, err := s.db.Exec("VACUUM INTO ?", path); err != nil {
		b.Fatal(err)
	}
	b.Logf("built a store of %d checks in %s, kept as %s", n, time.Since(start).Round(time.Millisecond), path)
	return openAt(b, path, &clock{t: testNow})
}

func randomIDBody(r *rand.Rand) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var body [22]byte
	for i := range body {
		body[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(body[:])
}

func benchCheck(r *rand.Rand, id string, i int) *caisson.Check {
	first, last := benchFirst[r.IntN(len(benchFirst))], benchLast[r.IntN(len(benchLast))]
	doc, face := benchLevels[r.IntN(len(benchLevels))], benchLevels[r.IntN(len(benchLevels))]
	expires := testNow.AddDate(0, 0, r.IntN(3*365)-200).Format("2006-01-02")
	checked := testNow.Add(-time.Duration(r.IntN(365*24)) * time.Hour)
	customer := fmt.Sprintf("cust-%06d", r.IntN(60000))
	raw := fmt.Sprintf(`{"check_id":%q,"customer_id":%q,"checked_on":%q,"confidence":{"document":%q,"face":%q,"reasons":[{"code":201,"description":"selfie"}]},"info":{"first_name":%q,"last_name":%q,"dob":"1980-01-02","expires_on":%q}}`,
		id, customer, checked.Format(time.RFC3339), doc, face, first, last, expires)
	exp, _ := caisson.ParseDate(expires)
	dob, _ := caisson.ParseDate("1980-01-02")
	var reasons []caisson.Reason
	if doc != "high" || face != "high" {
		reasons = []caisson.Reason{{Code: 201 + 100*(i%3)}, {Code: 308}}
	}
	return &caisson.Check{CheckID: id, CustomerID: customer, CheckedOn: checked,
		Confidence: caisson.Confidence{Document: caisson.ParseLevel(doc), Face: caisson.ParseLevel(face), Reasons: reasons},
		Info:       caisson.Info{FirstName: first, LastName: last, DOB: dob, ExpiresOn: exp}, Raw: []byte(raw)}
}

// BenchmarkAddMany100k: go test ./store -run '^$' -bench AddMany100k -benchtime 3x
func BenchmarkAddMany100k(b *testing.B) {
	const n = 100_000
	r := rand.New(rand.NewPCG(3, 4))
	input := make([]string, n)
	for i := range input {
		input[i] = "chk_priv_" + randomIDBody(r)
	}
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := openAt(b, filepath.Join(b.TempDir(), "review.db"), &clock{t: testNow})
		b.StartTimer()
		start := time.Now()
		res, err := s.AddMany(context.Background(), input, "bench", SourceImported)
		total += time.Since(start)
		if err != nil || len(res.Added) != n {
			b.Fatalf("AddMany: %d added, %v", len(res.Added), err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "ids/s")
}

// BenchmarkPageFilter100k: go test ./store -run '^$' -bench PageFilter100k -benchtime 200x
func BenchmarkPageFilter100k(b *testing.B) {
	s := benchFixture(b, 100_000)
	ctx := context.Background()
	// A rare filter: one customer id (a few rows). A frequent one: a name
	// fragment in thousands of rows. A short one: too short for the trigram
	// index. A miss: no row at all.
	cases := []struct {
		name   string
		filter string
		queue  Queue
	}{
		{"rare/needs-review", "cust-004217", QueueNeedsReview},
		{"rare/all", "cust-004217", QueueAll},
		{"frequent/needs-review", "son", QueueNeedsReview},
		{"frequent/all", "son", QueueAll},
		{"medium/needs-review", "okafor", QueueNeedsReview},
		{"short/needs-review", "zo", QueueNeedsReview},
		{"miss/needs-review", "nobody-like-this", QueueNeedsReview},
		{"none/approved", "", QueueApproved},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			q := PageQuery{Queue: c.queue, Sort: SortRisk, Filter: c.filter, Limit: 50}
			rows, err := s.Page(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Page(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(rows)), "rows")
		})
	}
}

// BenchmarkCounts100k: go test ./store -run '^$' -bench Counts100k -benchtime 100x
func BenchmarkCounts100k(b *testing.B) { benchCounts(b, 100_000) }

// BenchmarkCounts1M counts every queue of a million checks, the same day
// as the last write and a week after it (the needs-review count then adds
// a week of expiring documents from its index):
//
//	CAISSON_BENCH_FIXTURES=/work/benchfix-1m go test ./store -run '^$' -bench 'Counts(100k|1M)' -benchtime 200x -count 3
func BenchmarkCounts1M(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a million checks")
	}
	benchCounts(b, 1_000_000)
}

func benchCounts(b *testing.B, n int) {
	s := keptBenchFixture(b, n)
	ctx := context.Background()
	for _, days := range []int{0, 7} {
		b.Run(fmt.Sprintf("days-since-last-write=%d", days), func(b *testing.B) {
			s.now = (&clock{t: testNow.AddDate(0, 0, days)}).Now
			c, err := s.Counts(ctx)
			if err != nil || c[QueueAll] != n {
				b.Fatalf("Counts = %v, %v", c, err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := s.Counts(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(c[QueueNeedsReview]), "needs-review")
		})
	}
}

// BenchmarkDecideDurable: go test ./store -run '^$' -bench DecideDurable -benchtime 200x
func BenchmarkDecideDurable(b *testing.B) {
	s := benchFixture(b, 1000)
	ctx := context.Background()
	var ids []string
	rows, err := s.Page(ctx, PageQuery{Queue: QueueAll, Limit: 1000})
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range rows {
		ids = append(ids, r.CheckID)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Decide(ctx, ids[i%len(ids)], Escalate, "benchmark note", "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPageEveryQueue100k reads a page of 50 of every queue in every
// sort, unfiltered and filtered, at the top and 5,000 rows down:
//
//	go test ./store -run '^$' -bench PageEveryQueue100k -benchtime 20x
//
// "son" is in thousands of names, "okafor" in about a thousand (more
// than the trigram index is asked to list: the sort index is walked).
func BenchmarkPageEveryQueue100k(b *testing.B) {
	s := benchFixture(b, 100_000)
	ctx := context.Background()
	sorts := []struct {
		name string
		sort Sort
	}{{"risk", SortRisk}, {"added", SortAdded}, {"name", SortName}, {"customer", SortCustomer}}
	for _, q := range Queues {
		for _, so := range sorts {
			for _, filter := range []string{"", "son", "okafor"} {
				for _, offset := range []int{0, 5000} {
					name := fmt.Sprintf("%s/%s/filter=%s/offset=%d", q, so.name, filter, offset)
					b.Run(name, func(b *testing.B) {
						pq := PageQuery{Queue: q, Sort: so.sort, Filter: filter, Offset: offset, Limit: 50}
						rows, err := s.Page(ctx, pq)
						if err != nil {
							b.Fatal(err)
						}
						b.ResetTimer()
						for i := 0; i < b.N; i++ {
							if _, err := s.Page(ctx, pq); err != nil {
								b.Fatal(err)
							}
						}
						b.ReportMetric(float64(len(rows)), "rows")
					})
				}
			}
		}
	}
}

// BenchmarkCount100k counts every queue, unfiltered (Count) and filtered
// up to 1,000 (CountUpTo):
//
//	go test ./store -run '^$' -bench Count100k -benchtime 20x
func BenchmarkCount100k(b *testing.B) {
	s := benchFixture(b, 100_000)
	ctx := context.Background()
	for _, q := range Queues {
		for _, filter := range []string{"", "son", "okafor", "cust-004217"} {
			b.Run(fmt.Sprintf("%s/filter=%s", q, filter), func(b *testing.B) {
				pq := PageQuery{Queue: q, Filter: filter}
				var n int
				var err error
				for i := 0; i < b.N; i++ {
					if filter == "" {
						n, err = s.Count(ctx, pq)
					} else {
						n, _, err = s.CountUpTo(ctx, pq, 1000)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(n), "checks")
			})
		}
	}
}

// benchWriter writes the fixtures' decisions.
var benchWriter = writer{reviewer: "bench", identity: Identity{Kind: IdentityOS, ID: "uid=1000,login=bench"}}
