package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/caisson/sandbox"
)

// setNow moves the commands' clock for the rest of the test.
func setNow(t *testing.T, at time.Time) {
	t.Helper()
	old := now
	now = func() time.Time { return at }
	t.Cleanup(func() { now = old })
}

func TestRefreshStaleRefetchesOnlyChecksLastFetchedLongerAgo(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	ids := f.sb.CheckIDs(3)
	deleted := f.sb.ErrorCheckID(string(caisson.CodeIDCheckDeleted))
	f.must(0, append([]string{"add", deleted}, ids...)...)
	start := time.Now()
	setNow(t, start)
	f.must(1, "refresh", ids[0], ids[1], deleted) // the deleted one fails
	// A week and a day later, the third is fetched for the first time.
	setNow(t, start.Add(8*24*time.Hour))
	f.must(0, "refresh", ids[2])

	f.sb.ResetRequests()
	r := f.must(0, "refresh", "--stale", "7d")
	var asked []string
	for _, req := range f.sb.Requests() {
		asked = append(asked, req.CheckID)
	}
	slices.Sort(asked)
	want := []string{ids[0], ids[1]}
	slices.Sort(want)
	if !slices.Equal(asked, want) {
		t.Errorf("refresh --stale 7d asked for %v, expected only the two fetched 8 days ago %v", asked, want)
	}
	if got := strings.TrimSpace(r.stderr); got != "refreshed 2 of 2 checks" {
		t.Errorf("stderr = %q, expected the two refreshed", r.stderr)
	}
	// Just refreshed, none is stale any more, at one second under 7 days
	// either.
	setNow(t, start.Add(15*24*time.Hour-time.Second))
	f.sb.ResetRequests()
	r = f.must(0, "refresh", "--stale", "7d")
	if n := len(f.sb.Requests()); n != 0 || !strings.Contains(r.stderr, "no check was last fetched more than 7d ago") {
		t.Errorf("%d requests, stderr %q: expected nothing stale", n, r.stderr)
	}
}

func TestPollSettingsComeFromTheFlagTheEnvironmentTheFileOrTheDefault(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte("poll = false\npoll-interval = \"10m\"\npoll-rate = 1.5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := withEnv(f.env, envConfig, path, envPollCap, "2h")
	r := runCLI(t, env, "", "config")
	if r.code != 0 {
		t.Fatalf("config: %s", r)
	}
	for _, want := range [][]string{
		{"poll", "false", path + ":1"},
		{"poll-interval", "10m", path + ":2"},
		{"poll-rate", "1.5", path + ":3"},
		{"poll-cap", "2h", "env", envPollCap},
		{"stale-after", "7d", "default"},
	} {
		if !slices.ContainsFunc(strings.Split(r.stdout, "\n"), func(l string) bool { return slices.Equal(strings.Fields(l), want) }) {
			t.Errorf("config has no line %q:\n%s", want, r.stdout)
		}
	}
}

func TestABadPollSettingIsRefusedSayingWhereItCameFrom(t *testing.T) {
	f := newFixture(t, sandbox.Options{})
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"an interval that is no duration", []string{envPollInterval, "soon"}, nil,
			`poll-interval "soon" (env ` + envPollInterval + `): expected days (7d) or a Go duration`},
		{"a rate of zero", nil, []string{"--poll-rate", "0"},
			`poll-rate "0" (flag --poll-rate): expected requests a second above 0`},
		{"a cap below the interval", []string{envPollCap, "1m"}, nil,
			"poll cap 1m0s: expected at least the interval (5m0s)"},
		{"neither on nor off", nil, []string{"--poll", "sometimes"}, `poll "sometimes" (flag --poll): expected on or off`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"serve", "--host-key", filepath.Join(dir, "host"), "--authorized-keys", filepath.Join(dir, "keys")}, tc.args...)
			r := runCLI(t, withEnv(f.env, tc.env...), "", args...)
			if r.code != 1 || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("serve: want exit 1 saying %q, got\n%s", tc.want, r)
			}
		})
	}
}
