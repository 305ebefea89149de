package pgtest

import "testing"

// BenchmarkAFreshDatabase is what each test pays for its own database:
// the copy of the empty template, and its drop at the end of the test.
func BenchmarkAFreshDatabase(b *testing.B) {
	s := get(b) // the server's start is not the figure
	for b.Loop() {
		name := dbName(b.Name())
		if err := s.createDatabase(name, templateDB); err != nil {
			b.Fatal(err)
		}
		if err := s.dropDatabase(name); err != nil {
			b.Fatal(err)
		}
	}
}
