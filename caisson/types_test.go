package caisson

import (
	"strings"
	"testing"
	"time"
)

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in   string
		want Level
	}{
		{"high", High}, {"HIGH", High}, {"High", High}, {" high\n", High},
		{"medium", Medium}, {"MeDiUm", Medium},
		{"low", Low}, {"LOW", Low},
		{"", Unknown}, {"very high", Unknown}, {"hi", Unknown}, {"\x1b[31mhigh", Unknown}, {"ｈｉｇｈ", Unknown},
	}
	for _, tt := range tests {
		if got := ParseLevel(tt.in); got != tt.want {
			t.Errorf("ParseLevel(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestUnknownRanksBelowLow(t *testing.T) {
	if !(Unknown < Low && Low < Medium && Medium < High) {
		t.Error("levels are out of order")
	}
	for l, s := range map[Level]string{Unknown: "unknown", Low: "low", Medium: "medium", High: "high", Level(9): "unknown"} {
		if l.String() != s {
			t.Errorf("%d prints %q, want %q", int(l), l.String(), s)
		}
	}
}

func TestParseDate(t *testing.T) {
	tests := []struct {
		in      string
		want    Date
		wantErr bool
	}{
		{"1989-06-30", Date{1989, time.June, 30}, false},
		{"1989-06-30T00:00:00Z", Date{1989, time.June, 30}, false},
		{"1989-06-30T23:30:00-10:00", Date{1989, time.June, 30}, false},
		{"1989-06-30 12:00", Date{1989, time.June, 30}, false},
		{" 2025-06-24 ", Date{2025, time.June, 24}, false},
		{"2024-02-29", Date{2024, time.February, 29}, false},
		{"2023-02-29", Date{}, true},
		{"30/06/1989", Date{}, true},
		{"1989-6-30", Date{}, true},
		{"", Date{}, true},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseDate(%q) = %v, %v", tt.in, got, err)
		}
		if err != nil && !strings.Contains(err.Error(), "expected YYYY-MM-DD") {
			t.Errorf("error %v does not say what was expected", err)
		}
	}
}

func TestDateArithmetic(t *testing.T) {
	exp := Date{2025, time.June, 24}
	ny, _ := time.LoadLocation("America/New_York")
	if ny == nil {
		ny = time.FixedZone("EDT", -4*3600)
	}
	tests := []struct {
		name string
		now  time.Time
		want bool
	}{
		{"valid on its last day", time.Date(2025, 6, 24, 23, 59, 0, 0, ny), false},
		{"expired the day after", time.Date(2025, 6, 25, 0, 1, 0, 0, ny), true},
		{"valid the day before", time.Date(2025, 6, 23, 12, 0, 0, 0, ny), false},
	}
	for _, tt := range tests {
		if got := exp.Before(tt.now); got != tt.want {
			t.Errorf("%s: Before = %v", tt.name, got)
		}
	}
	dob := Date{1989, time.June, 30}
	if got := dob.YearsAt(time.Date(2019, 6, 29, 12, 0, 0, 0, time.UTC)); got != 29 {
		t.Errorf("age the day before the birthday = %d", got)
	}
	if got := dob.YearsAt(time.Date(2019, 6, 30, 0, 0, 0, 0, time.UTC)); got != 30 {
		t.Errorf("age on the birthday = %d", got)
	}
	if (Date{}).String() != "" || !(Date{}).IsZero() || dob.String() != "1989-06-30" {
		t.Error("Date printing")
	}
}

func TestDashboardURL(t *testing.T) {
	if got := DashboardURL("chk_priv_abc"); got != "https://www.caisson.com/request/chk_priv_abc" {
		t.Error(got)
	}
}
