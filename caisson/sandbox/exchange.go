package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// The reference's timing: a token must be exchanged within 2 hours of the
// check's creation; once exchanged it keeps working 5 more minutes, so a
// retry after a lost response still gets the check id, then expires.
const (
	ExchangeWindow = 2 * time.Hour
	ExchangeGrace  = 5 * time.Minute
)

// maxExchangeBody caps what is read of a POST body: a token is short.
const maxExchangeBody = 64 << 10

type tokenState struct {
	check     int
	created   time.Time
	exchanged time.Time // zero until the first successful exchange
}

// NewToken issues an exchange token for check i, as if the check had just
// been created on the sandbox's clock. It panics if i is out of range.
func (s *Server) NewToken(i int) string {
	if i < 0 || i >= s.n {
		panic(fmt.Sprintf("sandbox: NewToken(%d): expected 0 <= i < %d", i, s.n))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seq := s.nextToken
	s.nextToken++
	s.tokens[seq] = &tokenState{check: i, created: s.now()}
	return s.ids.encode(tokenPrefix, kindToken, seq)
}

func (s *Server) serveExchange(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token *string `json:"check_exchange_token"`
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxExchangeBody+1))
	switch {
	case err != nil:
		writeError(w, codeInvalidInput, "Could not read the request body")
		return
	case len(body) > maxExchangeBody:
		writeError(w, codeInvalidInput, fmt.Sprintf("Request body over %d bytes: expected {\"check_exchange_token\": \"chk_xchg_...\"}", maxExchangeBody))
		return
	case json.Unmarshal(body, &req) != nil || req.Token == nil:
		writeError(w, codeInvalidInput, `Invalid request body: expected {"check_exchange_token": "chk_xchg_..."}`)
		return
	}
	checkID, seq, text := s.exchange(strings.TrimSpace(*req.Token))
	if text != "" {
		writeError(w, codeInvalidInput, text)
		return
	}
	answer := encode(map[string]string{"check_id": checkID})
	if seq%2 == 0 {
		// Even-numbered tokens (the first NewToken included) answer exactly
		// as the reference's sample prints it: { "check_id": "…", }.
		answer = sampleStyle(answer)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(answer)
}

// exchange applies the timing rules on the sandbox's clock; it returns the
// check id and the token's sequence number, or the text of an INVALID_INPUT
// refusal.
func (s *Server) exchange(token string) (checkID string, seq uint64, refusal string) {
	kind, seq, ok := s.ids.decode(tokenPrefix, token)
	if !ok || kind != kindToken {
		return "", 0, "Unknown check_exchange_token: expected a chk_xchg_ token from the idCheckCreated event"
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[seq]
	switch {
	case !ok:
		return "", 0, "Unknown check_exchange_token: expected a chk_xchg_ token from the idCheckCreated event"
	case !t.exchanged.IsZero() && now.Sub(t.exchanged) > ExchangeGrace:
		return "", 0, "The check_exchange_token has expired: an exchanged token keeps working for 5 minutes only"
	case t.exchanged.IsZero() && now.Sub(t.created) > ExchangeWindow:
		return "", 0, "The check_exchange_token has expired: it must be exchanged within 2 hours of the ID Check's creation"
	}
	if t.exchanged.IsZero() {
		t.exchanged = now
	}
	return s.ids.encode(checkIDPrefix, kindCheck, uint64(t.check)), seq, ""
}
