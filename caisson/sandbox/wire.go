package sandbox

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// The wire format is written here from the reference, independently of
// package caisson's decoder, so the client's tests really test its reading.

// The documented error codes.
const (
	codeIDCheckExpired = "IDCHECK_EXPIRED"
	codeIDCheckDeleted = "IDCHECK_DELETED"
	codeInvalidInput   = "INVALID_INPUT"
	codeNotVerified    = "NOT_VERIFIED"
	codePendingReview  = "PENDING_REVIEW"
	codeInternalError  = "INTERNAL_ERROR"
	// codeUnauthorized is the sandbox's own: the reference documents no
	// code for a refused key, and public code only shows the HTTP 401.
	codeUnauthorized = "UNAUTHORIZED"
)

// outcome is how the sandbox answers one error code. The reference gives
// neither HTTP statuses nor more than the error_description field, while
// Caisson's sample server reads error_message and handles a body error
// apart from an HTTP failure. So the outcomes are spread to make a client
// that trusts the status, or reads only one text field, fail a test:
//
//	code              HTTP  text field          why
//	NOT_VERIFIED      200   error_message       a normal outcome, as the sample server receives it
//	PENDING_REVIEW    200   error_description   a normal outcome sent with success status
//	IDCHECK_DELETED   404   error_message       the other field on an HTTP failure
//	IDCHECK_EXPIRED   410   error_description   the reference's field on an HTTP failure
//	INVALID_INPUT     400   error_description   as documented
//	INTERNAL_ERROR    500   error_description   as documented
//	UNAUTHORIZED      401   error_description   sandbox-defined, see codeUnauthorized
type outcome struct {
	status      int
	field       string
	description string
}

const (
	fieldDescription = "error_description"
	fieldMessage     = "error_message"
)

var outcomes = map[string]outcome{
	codeNotVerified:    {http.StatusOK, fieldMessage, "The ID Check could not be verified"},
	codePendingReview:  {http.StatusOK, fieldDescription, "The ID Check is pending manual review"},
	codeIDCheckDeleted: {http.StatusNotFound, fieldMessage, "The ID Check was deleted"},
	codeIDCheckExpired: {http.StatusGone, fieldDescription, "The ID Check has expired and its data is no longer available"},
	codeInvalidInput:   {http.StatusBadRequest, fieldDescription, "Invalid input"},
	codeInternalError:  {http.StatusInternalServerError, fieldDescription, "An internal error occurred, please retry"},
	codeUnauthorized:   {http.StatusUnauthorized, fieldDescription, "Invalid private key"},
}

// getErrorCodes are the GET errors ErrorCheckID can produce, in the
// reference's order; an id's index in this list is what the id encodes.
var getErrorCodes = []string{codeIDCheckExpired, codeIDCheckDeleted, codeInvalidInput, codeNotVerified, codePendingReview, codeInternalError}

// writeError answers code with its outcome's status and text field; text
// replaces the outcome's default description when not empty.
func writeError(w http.ResponseWriter, code, text string) {
	o := outcomes[code]
	if text == "" {
		text = o.description
	}
	body := map[string]string{"error": code, o.field: text}
	writeJSON(w, o.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b := encode(v)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// encode renders v as compact JSON without HTML escaping, like a typical
// JSON API; control characters in strings still come out as \u escapes.
func encode(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only maps of strings and the structs below are encoded.
		panic("sandbox: encoding a response: " + err.Error())
	}
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// The response body, field for field in the reference sample's order.
type wireCheck struct {
	CheckID    string         `json:"check_id"`
	CustomerID string         `json:"customer_id"`
	CheckedOn  string         `json:"checked_on"`
	Confidence wireConfidence `json:"confidence"`
	Info       wireInfo       `json:"info"`
}

type wireConfidence struct {
	Document string       `json:"document"`
	Face     string       `json:"face"`
	Reasons  []wireReason `json:"reasons,omitempty"`
}

type wireReason struct {
	Code        int    `json:"code"`
	Description string `json:"description,omitempty"`
}

type wireInfo struct {
	LastName  string       `json:"last_name"`
	FirstName string       `json:"first_name"`
	Sex       string       `json:"sex,omitempty"`
	DOB       string       `json:"dob,omitempty"`
	ExpiresOn string       `json:"expires_on,omitempty"`
	Address   *wireAddress `json:"address,omitempty"`
}

type wireAddress struct {
	Street string `json:"street"`
	City   string `json:"city"`
	State  string `json:"state"`
	Zip    string `json:"zip"`
}

// checkedOnLayout is the sample's: microseconds and a numeric offset
// ("2019-07-19T15:00:42.274684-04:00"), never "Z".
const checkedOnLayout = "2006-01-02T15:04:05.000000-07:00"

// fieldSet is the optional fields a request asked for.
type fieldSet struct{ sex, dob, address, expiresOn bool }

func renderCheck(checkID string, rec record, f fieldSet) []byte {
	wc := wireCheck{
		CheckID:    checkID,
		CustomerID: rec.customerID,
		CheckedOn:  rec.checkedOn.Format(checkedOnLayout),
		Confidence: wireConfidence{Document: rec.document, Face: rec.face},
		Info:       wireInfo{LastName: rec.lastName, FirstName: rec.firstName},
	}
	for _, r := range rec.reasons {
		wc.Confidence.Reasons = append(wc.Confidence.Reasons, wireReason{r.code, r.description})
	}
	if f.sex {
		wc.Info.Sex = rec.sex
	}
	if f.dob {
		wc.Info.DOB = rec.dob.wire()
	}
	if f.expiresOn {
		wc.Info.ExpiresOn = rec.expiresOn.wire()
	}
	if f.address {
		wc.Info.Address = &wireAddress{rec.street, rec.city, rec.state, rec.zip}
	}
	return encode(wc)
}
