// Package caisson is the client for Caisson's ID Check REST API: the
// response types, the id parser, the reason-code catalogue and the HTTP
// client. Everything caisson-review knows about Caisson goes through here.
package caisson

import (
	"fmt"
	"strings"
	"time"
)

// Check is one ID Check result as GET /v1/idcheck returns it.
type Check struct {
	CheckID    string
	CustomerID string
	// CheckedOn keeps the offset the API sent (the sample has -04:00).
	CheckedOn  time.Time
	Confidence Confidence
	Info       Info
	// Raw is the response body exactly as received: the store keeps it as
	// the record of what the reviewer saw, and hashes it for the audit log.
	Raw []byte
}

// Confidence is the result's confidence block.
type Confidence struct {
	Document Level
	Face     Level
	// Reasons explain any confidence below high, in the API's order.
	Reasons []Reason
}

// Reason is one entry of confidence.reasons as the API sent it. Decode it
// with DescribeReason.
type Reason struct {
	Code        int
	Description string
}

// Info is the person's data. Optional fields are zero when not sent.
type Info struct {
	FirstName string
	LastName  string
	Sex       string
	DOB       Date
	ExpiresOn Date
	// Address is nil when the API sent none.
	Address *Address
}

// Address is info.address.
type Address struct {
	Street string
	City   string
	State  string
	Zip    string
}

// FullName is "FIRST LAST", or whichever part is present.
func (i Info) FullName() string {
	return strings.TrimSpace(i.FirstName + " " + i.LastName)
}

// Passed applies Caisson's own rule (from its published integration code):
// a check passes only when both confidences are high.
func (c *Check) Passed() bool {
	return c.Confidence.Document == High && c.Confidence.Face == High
}

// DashboardURL is where Caisson's dashboard shows the check.
func DashboardURL(checkID string) string {
	return "https://www.caisson.com/request/" + checkID
}

// Level is a confidence level. The zero value is Unknown, which ranks below
// Low, so an unexpected value from the API sorts first in a triage queue.
type Level int

const (
	Unknown Level = iota
	Low
	Medium
	High
)

// ParseLevel reads "high", "medium" or "low" in any case, with surrounding
// spaces ignored. Anything else is Unknown; it never fails.
func ParseLevel(s string) Level {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "high":
		return High
	case "medium":
		return Medium
	case "low":
		return Low
	}
	return Unknown
}

func (l Level) String() string {
	switch l {
	case High:
		return "high"
	case Medium:
		return "medium"
	case Low:
		return "low"
	}
	return "unknown"
}

// Date is a calendar date such as a date of birth or a document expiry. It
// has no time zone, so it can never shift: 1989-06-30 is 1989-06-30 in New
// York and in Tokyo. The zero Date means "not given".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads an ISO date ("1989-06-30") or the date part of an ISO
// timestamp as the API sends it ("1989-06-30T00:00:00Z"), ignoring the time
// and zone, which carry no meaning for a calendar date.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if len(s) > 10 && (s[10] == 'T' || s[10] == ' ') {
		s = s[:10]
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: expected YYYY-MM-DD or an ISO timestamp", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// IsZero reports whether the date was not given.
func (d Date) IsZero() bool { return d == Date{} }

// String is YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// Before reports whether d is a day before the calendar day of t in t's
// location: a document that expires on d is expired from the day after.
func (d Date) Before(t time.Time) bool {
	y, m, day := t.Date()
	return d.compare(Date{y, m, day}) < 0
}

// YearsAt is the age in whole years, on the calendar day of t, of someone
// born on d.
func (d Date) YearsAt(t time.Time) int {
	y, m, day := t.Date()
	years := y - d.Year
	if m < d.Month || (m == d.Month && day < d.Day) {
		years--
	}
	return years
}

func (d Date) compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return d.Year - o.Year
	case d.Month != o.Month:
		return int(d.Month) - int(o.Month)
	}
	return d.Day - o.Day
}
