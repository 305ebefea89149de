package caisson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/caisson-review/caisson-review/sanitize"
)

// The wire types mirror the documented JSON; they are converted to Check so
// that the rest of the program never sees JSON's loose typing.
type wireCheck struct {
	CheckID    string `json:"check_id"`
	CustomerID string `json:"customer_id"`
	CheckedOn  string `json:"checked_on"`
	Confidence struct {
		Document string       `json:"document"`
		Face     string       `json:"face"`
		Reasons  []wireReason `json:"reasons"`
	} `json:"confidence"`
	Info struct {
		FirstName string       `json:"first_name"`
		LastName  string       `json:"last_name"`
		Sex       string       `json:"sex"`
		DOB       string       `json:"dob"`
		ExpiresOn string       `json:"expires_on"`
		Address   *wireAddress `json:"address"`
	} `json:"info"`
}

type wireReason struct {
	Code        int    `json:"code"`
	Description string `json:"description"`
}

type wireAddress struct {
	Street string `json:"street"`
	City   string `json:"city"`
	State  string `json:"state"`
	Zip    string `json:"zip"`
}

// wireEnvelope is read first, on its own, so that an error body is
// recognised even when its other fields have unexpected types.
type wireEnvelope struct {
	Error            json.RawMessage `json:"error"`
	ErrorDescription json.RawMessage `json:"error_description"`
	ErrorMessage     json.RawMessage `json:"error_message"`
}

// errTruncated marks JSON that ends early: most likely a cut connection,
// so worth another try.
var errTruncated = errors.New("the answer is cut short")

// DecodeCheck decodes a GET /v1/idcheck body. It accepts the trailing
// commas the reference's samples carry (before } and ], outside strings). A
// body with `error` gives an *APIError (Status 0: no HTTP status is known
// here). Raw is set to a copy of body exactly as given. Strings are kept as
// sent: sanitizing is the display's job.
func DecodeCheck(body []byte) (*Check, error) {
	return decodeCheck(body, APIKey{})
}

// decodeCheck is DecodeCheck scrubbing key out of an error's text before
// it is clipped, so no part of the key survives.
func decodeCheck(body []byte, key APIKey) (*Check, error) {
	clean := stripTrailingCommas(body)
	if apiErr, err := decodeEnvelope(clean, key); err != nil || apiErr != nil {
		if err != nil {
			return nil, err
		}
		return nil, apiErr
	}
	var w wireCheck
	if err := json.Unmarshal(clean, &w); err != nil {
		return nil, fmt.Errorf("decoding the ID check: %w", err)
	}
	return w.toCheck(body)
}

func (w *wireCheck) toCheck(body []byte) (*Check, error) {
	if w.CheckID == "" {
		return nil, errors.New("the answer has no check_id: expected an ID check result")
	}
	c := &Check{
		CheckID:    w.CheckID,
		CustomerID: w.CustomerID,
		Confidence: Confidence{
			Document: ParseLevel(w.Confidence.Document),
			Face:     ParseLevel(w.Confidence.Face),
		},
		Info: Info{
			FirstName: w.Info.FirstName,
			LastName:  w.Info.LastName,
			Sex:       w.Info.Sex,
		},
		Raw: bytes.Clone(body),
	}
	if s := strings.TrimSpace(w.CheckedOn); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("checked_on %q: expected an RFC 3339 timestamp such as 2019-07-19T15:00:42.274684-04:00", sanitize.Line(w.CheckedOn))
		}
		c.CheckedOn = t
	}
	var err error
	if c.Info.DOB, err = optionalDate("info.dob", w.Info.DOB); err != nil {
		return nil, err
	}
	if c.Info.ExpiresOn, err = optionalDate("info.expires_on", w.Info.ExpiresOn); err != nil {
		return nil, err
	}
	if a := w.Info.Address; a != nil {
		c.Info.Address = &Address{Street: a.Street, City: a.City, State: a.State, Zip: a.Zip}
	}
	for _, r := range w.Confidence.Reasons {
		c.Confidence.Reasons = append(c.Confidence.Reasons, Reason(r))
	}
	return c, nil
}

func optionalDate(field, s string) (Date, error) {
	if strings.TrimSpace(s) == "" {
		return Date{}, nil
	}
	d, err := ParseDate(s)
	if err != nil {
		return Date{}, fmt.Errorf("%s: %w", field, err)
	}
	return d, nil
}

// decodeExchange decodes a POST /v1/idcheck/exchangetoken body into the
// check id it carries, validated as one.
func decodeExchange(body []byte, key APIKey) (string, error) {
	clean := stripTrailingCommas(body)
	if apiErr, err := decodeEnvelope(clean, key); err != nil || apiErr != nil {
		if err != nil {
			return "", err
		}
		return "", apiErr
	}
	var w struct {
		CheckID string `json:"check_id"`
	}
	if err := json.Unmarshal(clean, &w); err != nil {
		return "", fmt.Errorf("decoding the exchange answer: %w", err)
	}
	if w.CheckID == "" {
		return "", errors.New("the answer has no check_id: expected the check id the token stands for")
	}
	id, err := ParseCheckID(w.CheckID)
	if err != nil {
		return "", fmt.Errorf("the answer's check_id is not one: %w", err)
	}
	return id, nil
}

// decodeEnvelope returns the *APIError a body carries, nil for a body
// without `error` (or with an empty or null one), or an error when the body
// is not a JSON object at all. Server text in the error is scrubbed of the
// key and sanitized.
func decodeEnvelope(clean []byte, key APIKey) (*APIError, error) {
	var env wireEnvelope
	if err := json.Unmarshal(clean, &env); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "" {
			return nil, fmt.Errorf("the answer is a JSON %s: expected a JSON object", te.Value)
		}
		var se *json.SyntaxError
		if errors.As(err, &se) && se.Offset >= int64(len(clean)) {
			return nil, fmt.Errorf("%w: %w", errTruncated, err)
		}
		return nil, fmt.Errorf("the answer is not valid JSON: %w", err)
	}
	code := rawText(env.Error)
	if code == "" {
		return nil, nil
	}
	msg := rawText(env.ErrorDescription)
	if msg == "" {
		msg = rawText(env.ErrorMessage)
	}
	return &APIError{
		Code:    ErrorCode(clip(sanitize.Line(key.scrub(code)), 64)),
		Message: clip(sanitize.Line(key.scrub(msg)), 300),
	}, nil
}

// rawText is a JSON value as text: a string's content, "" for null or
// absent, and any other value as its JSON, so an odd `error` still counts.
func rawText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return strings.TrimSpace(s)
	}
	return string(raw)
}

// clip cuts s to at most n runes.
func clip(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}

// stripTrailingCommas drops each comma that ends an object or array (a
// comma followed, after whitespace, by } or ]) outside strings, as in the
// reference's samples. A comma right after { [ or another comma is left,
// so "[,]" stays invalid. The input is returned as is when there is nothing
// to drop.
func stripTrailingCommas(b []byte) []byte {
	var drop []int
	inString, escaped := false, false
	var last byte // last significant byte outside strings
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
				last = '"'
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			inString = true
		case ',':
			if last != 0 && last != '{' && last != '[' && last != ',' && closesNext(b, i+1) {
				drop = append(drop, i)
				continue // as if the comma were not there
			}
		}
		last = c
	}
	if len(drop) == 0 {
		return b
	}
	out := make([]byte, 0, len(b)-len(drop))
	prev := 0
	for _, i := range drop {
		out = append(out, b[prev:i]...)
		prev = i + 1
	}
	return append(out, b[prev:]...)
}

// closesNext reports whether the first non-whitespace byte from i closes an
// object or array.
func closesNext(b []byte, i int) bool {
	for ; i < len(b); i++ {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			continue
		case '}', ']':
			return true
		}
		return false
	}
	return false
}
