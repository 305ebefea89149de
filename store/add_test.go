package store

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func TestAdd(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	tests := []struct {
		name      string
		input     string
		wantAdded bool
		wantErr   string
	}{
		{"a new check id is added", checkID(1), true, ""},
		{"the same id again is a no-op that says so", checkID(1), false, ""},
		{"surrounding spaces are trimmed, so it is the same id", "  " + checkID(1) + "\n", false, ""},
		{"an exchange token is refused", "chk_xchg_UeRXDryTTpvU24CTre8W2Q", false, "exchange token"},
		{"text that is not an id is refused", "hello", false, "not a Caisson id"},
		{"a bad character is refused", "chk_priv_abc$def", false, "URL-safe base64"},
		{"an empty id is refused", "", false, "empty id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			added, err := s.Add(ctx, tt.input, "tester", SourceTyped)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Add(%q) error %v, want one mentioning %q", tt.input, err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Add(%q): %v", tt.input, err)
			}
			if added != tt.wantAdded {
				t.Errorf("Add(%q) added = %v, want %v", tt.input, added, tt.wantAdded)
			}
		})
	}
	if n, _ := s.Count(ctx, PageQuery{Queue: QueueAll}); n != 1 {
		t.Errorf("%d checks tracked, want 1: refused ids must never reach the table", n)
	}
	if _, err := s.Add(ctx, checkID(2), "tester", Source("guessed")); err == nil {
		t.Error("an unknown source was accepted")
	}
}

func TestAddManySortsLinesIntoAddedExistingAndRefused(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if _, err := s.Add(ctx, checkID(1), "tester", SourceTyped); err != nil {
		t.Fatal(err)
	}
	res, err := s.AddMany(ctx, []string{checkID(1), "", checkID(2), "garbage", checkID(2), checkID(3)}, "importer", SourceImported)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{checkID(2), checkID(3)}; !reflect.DeepEqual(res.Added, want) {
		t.Errorf("Added %v, want %v", res.Added, want)
	}
	if want := []string{checkID(1), checkID(2)}; !reflect.DeepEqual(res.Existing, want) {
		t.Errorf("Existing %v, want %v", res.Existing, want)
	}
	if len(res.Refused) != 1 || res.Refused[0].Line != 4 || res.Refused[0].Input != "garbage" {
		t.Errorf("Refused %+v, want line 4 'garbage'", res.Refused)
	}
	rec, err := s.Get(ctx, checkID(3))
	if err != nil || rec.Source != SourceImported || rec.AddedBy != "importer" || !rec.AddedAt.Equal(testNow) {
		t.Errorf("Get: %+v %v", rec, err)
	}
}

func TestAddManyIsAllOrNothing(t *testing.T) {
	path := testLocation(t)
	s := openAt(t, path, &clock{t: testNow})
	ctx := context.Background()
	// A failure in the middle of the batch, as a full disk would cause.
	fail := checkID(3)
	if _, err := rawDB(t, path).Exec(dialect(`CREATE TRIGGER fail_mid_batch BEFORE INSERT ON tracked
		WHEN new.check_id = '`+fail+`' BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END`,
		`CREATE FUNCTION fail_mid_batch() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'disk full (simulated)'; END $$;
		CREATE TRIGGER fail_mid_batch BEFORE INSERT ON tracked FOR EACH ROW
		WHEN (new.check_id = '`+fail+`') EXECUTE FUNCTION fail_mid_batch();`)); err != nil {
		t.Fatal(err)
	}
	_, err := s.AddMany(ctx, []string{checkID(1), checkID(2), fail, checkID(4)}, "importer", SourceImported)
	// How many, not where: positions in this call are not the lines a
	// person gave (the service names those).
	if err == nil || !strings.Contains(err.Error(), "adding 4 check ids: ") {
		t.Fatalf("AddMany error %v, want one saying how many were not added", err)
	}
	if n, _ := s.Count(ctx, PageQuery{Queue: QueueAll}); n != 0 {
		t.Errorf("%d checks left after a failed batch, want 0", n)
	}
}

// Who adds is kept with each tracked check and kept exchange: a name
// PostgreSQL's text cannot hold (not UTF-8, or holding a NUL) is refused
// by each way in, before anything is written, on either backend.
func TestANameTheStoreCannotKeepAddsNothing(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	never := func(context.Context, string) (string, error) {
		t.Fatal("a token was sent for exchange")
		return "", nil
	}
	for _, by := range []string{"an\x00a", "an\xffa"} {
		want := "the name of who adds"
		if _, err := s.Add(ctx, checkID(1), by, SourceTyped); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Add by %q: %v, want an error about %s", by, err, want)
		}
		if _, err := s.AddMany(ctx, []string{checkID(2), checkID(3)}, by, SourceImported); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("AddMany by %q: %v, want an error about %s", by, err, want)
		}
		if _, _, err := s.Exchange(ctx, "chk_xchg_UeRXDryTTpvU24CTre8W2Q", by, never); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Exchange by %q: %v, want an error about %s", by, err, want)
		}
		if _, err := s.ResumeExchanges(ctx, by, never); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ResumeExchanges by %q: %v, want an error about %s", by, err, want)
		}
	}
	var tracked, kept int
	if err := s.db.QueryRow("SELECT (SELECT count(*) FROM tracked), (SELECT count(*) FROM exchanges)").Scan(&tracked, &kept); err != nil {
		t.Fatal(err)
	}
	if tracked != 0 || kept != 0 {
		t.Errorf("%d checks tracked and %d tokens kept, want none", tracked, kept)
	}
}
