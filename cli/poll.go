package cli

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

// The polling settings' variables, each the fallback for its flag.
const (
	envPoll         = "CAISSON_REVIEW_POLL"
	envPollInterval = "CAISSON_REVIEW_POLL_INTERVAL"
	envPollCap      = "CAISSON_REVIEW_POLL_CAP"
	envPollRate     = "CAISSON_REVIEW_POLL_RATE"
	envStaleAfter   = "CAISSON_REVIEW_STALE_AFTER"
)

// now is the commands' clock: what refresh --stale counts from and what
// a fetch is recorded at. Tests move it.
var now = time.Now

// pollFlags are the console's and serve's flags for polling the checks
// waiting at Caisson, and for what the console calls stale.
type pollFlags struct {
	poll, interval, cap, rate, staleAfter optString
}

// wire declares them on c (the console's root command, serve) with
// their completions.
func (p *pollFlags) wire(c *cobra.Command) {
	p.register(c.Flags())
	completeFlag(c, "poll", cobra.FixedCompletions([]string{"on", "off"}, cobra.ShellCompDirectiveNoFileComp))
	for _, name := range []string{"poll-interval", "poll-cap", "poll-rate", "stale-after"} {
		completeFlag(c, name, cobra.NoFileCompletions)
	}
}

func (p *pollFlags) register(fs *pflag.FlagSet) {
	fs.Var(&p.poll, "poll", "on or off: ask Caisson again for checks waiting there (env "+envPoll+"; default on)")
	fs.Var(&p.interval, "poll-interval", "first poll of a waiting check this long after its answer, the wait then doubling (env "+envPollInterval+"; default 5m)")
	fs.Var(&p.cap, "poll-cap", "at most this long between two polls of a check (env "+envPollCap+"; default 1h)")
	fs.Var(&p.rate, "poll-rate", "at most N polling requests a second in all (env "+envPollRate+"; default 2)")
	fs.Var(&p.staleAfter, "stale-after", "mark a check last fetched longer ago than this as stale (env "+envStaleAfter+"; default 7d)")
}

// pollSetting is one polling setting: its flag, variable and file key,
// its default as written, and how it is checked.
type pollSetting struct {
	name, env, def string
	flag           func(*pollFlags) optString
}

var pollSettings = []pollSetting{
	{"poll", envPoll, "on", func(p *pollFlags) optString { return p.poll }},
	{"poll-interval", envPollInterval, "5m", func(p *pollFlags) optString { return p.interval }},
	{"poll-cap", envPollCap, "1h", func(p *pollFlags) optString { return p.cap }},
	{"poll-rate", envPollRate, "2", func(p *pollFlags) optString { return p.rate }},
	{"stale-after", envStaleAfter, "7d", func(p *pollFlags) optString { return p.staleAfter }},
}

func pollSettingNames() []string {
	names := make([]string, len(pollSettings))
	for i, s := range pollSettings {
		names[i] = s.name
	}
	return names
}

// pollConfig is polling as the settings give it.
type pollConfig struct {
	on         bool
	schedule   store.PollSchedule
	rate       float64
	staleAfter time.Duration
}

// value is a polling setting in effect and where it came from.
func (a *app) pollValue(s pollSetting) (string, origin) {
	if v, from, ok := a.setting(s.flag(&a.pollFlags), s.name, s.env, s.name); ok {
		return v, from
	}
	return s.def, origin{}
}

// pollConfig reads the polling settings; a bad one is an error naming
// where it came from and what was expected.
func (a *app) pollConfig() (pollConfig, error) {
	if err := a.loadConfig(); err != nil {
		return pollConfig{}, err
	}
	pc, errs := a.pollSettingsRead()
	if len(errs) > 0 {
		return pollConfig{}, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return pc, nil
}

// pollSettingsRead reads the polling settings in effect (the
// configuration file loaded), with a sentence for each that is refused.
func (a *app) pollSettingsRead() (pollConfig, []string) {
	var pc pollConfig
	var errs []string
	for _, s := range pollSettings {
		v, from := a.pollValue(s)
		var err error
		switch s.name {
		case "poll":
			pc.on, err = parseOnOff(v)
		case "poll-interval":
			pc.schedule.First, err = parseDuration(v)
		case "poll-cap":
			pc.schedule.Max, err = parseDuration(v)
		case "poll-rate":
			pc.rate, err = strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || !(pc.rate > 0 && pc.rate <= 1000) {
				err = fmt.Errorf("expected requests a second above 0, at most 1000, like 2")
			}
		case "stale-after":
			pc.staleAfter, err = parseDuration(v)
		}
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s %s (%s): %v", s.name, sanitize.Line(strconv.Quote(v)), from, err))
		}
	}
	if len(errs) == 0 {
		if err := pc.schedule.Validate(); err != nil {
			// Both settings and where each came from: the one given may
			// be the interval, against the cap's default.
			var names []string
			for _, s := range pollSettings {
				if s.name == "poll-interval" || s.name == "poll-cap" {
					v, from := a.pollValue(s)
					names = append(names, fmt.Sprintf("%s %s (%s)", s.name, sanitize.Line(strconv.Quote(v)), from))
				}
			}
			errs = append(errs, fmt.Sprintf("%s: %v", strings.Join(names, " and "), err))
		}
	}
	return pc, errs
}

func parseOnOff(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "on", "true", "yes", "1":
		return true, nil
	case "off", "false", "no", "0":
		return false, nil
	}
	return false, fmt.Errorf("expected on or off")
}

// parseDuration is purge's parseAge (days, 7d, or a Go duration) with
// the setting's own error: the caller names the setting and its origin.
func parseDuration(s string) (time.Duration, error) {
	d, err := parseAge(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("expected days (7d) or a Go duration (36h, 5m) above zero, at most %dd", maxAgeDays)
	}
	return d, nil
}

// poller is this process's poller of the checks waiting at Caisson, with
// a client of its own whose every request is paced to the rate; nil when
// polling is off.
func (a *app) poller(st *store.Store, pc pollConfig) (*service.Poller, error) {
	if !pc.on {
		return nil, nil
	}
	pacer, err := service.NewPacer(pc.rate, nil)
	if err != nil {
		return nil, err
	}
	key, err := a.apiKey()
	if err != nil {
		return nil, err
	}
	opts := append(slices.Clone(clientOptions), caisson.WithPacer(pacer.Wait))
	client, err := caisson.NewClient(a.apiURL(), key, opts...)
	if err != nil {
		return nil, err
	}
	// Recorded as the process (its OS account), as a refresh is.
	svc := service.New(st, client, service.Options{Reviewer: progName + " (poll)"})
	return svc.NewPoller(st, service.PollOptions{Schedule: pc.schedule})
}

// pollRows are the polling settings for `config`.
func (a *app) pollRows() []settingRow {
	rows := make([]settingRow, len(pollSettings))
	for i, s := range pollSettings {
		v, from := a.pollValue(s)
		rows[i] = settingRow{s.name, v, from}
	}
	return rows
}
