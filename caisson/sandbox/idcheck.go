package sandbox

import (
	"fmt"
	"net/http"
	"strings"
)

// headerCheckID carries the check id: the reference keeps it out of the URL
// "for security reasons", so a check_id query parameter is ignored.
const headerCheckID = "X-Caisson-CheckID"

func (s *Server) serveCheck(w http.ResponseWriter, r *http.Request) {
	fields, err := parseFields(r.URL.Query()["fields"])
	if err != nil {
		writeError(w, codeInvalidInput, err.Error())
		return
	}
	id := strings.TrimSpace(r.Header.Get(headerCheckID))
	if id == "" {
		writeError(w, codeInvalidInput, "Missing check id: expected it in the X-Caisson-CheckID header")
		return
	}
	i, errCode, ok := s.lookup(id)
	if !ok {
		writeError(w, codeInvalidInput, "No ID Check with that check_id: expected a chk_priv_ id issued to this account")
		return
	}
	if errCode != "" {
		writeError(w, errCode, "")
		return
	}
	body := renderCheck(id, s.generate(i), fields)
	if i%100 == pSampleStyle {
		body = sampleStyle(body)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(body)
}

// parseFields reads the fields parameter(s): a comma-separated list of
// optional fields. first_name and last_name always come, so asking for them
// is allowed and changes nothing; blank items are skipped.
func parseFields(values []string) (fieldSet, error) {
	var f fieldSet
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			switch strings.TrimSpace(name) {
			case "sex":
				f.sex = true
			case "dob":
				f.dob = true
			case "address":
				f.address = true
			case "expires_on":
				f.expiresOn = true
			case "", "first_name", "last_name":
			default:
				return f, fmt.Errorf("Unknown field %q in fields: expected a comma-separated list of sex, dob, address, expires_on", strings.TrimSpace(name))
			}
		}
	}
	return f, nil
}
