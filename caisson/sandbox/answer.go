package sandbox

// Answer ends the wait of a check that answers PENDING_REVIEW or
// NOT_VERIFIED: from now on its GET answers its result, as Caisson's does
// once its own reviewers (or the person) have finished. It reports false
// for an id that is not one of the data set's checks.
func (s *Server) Answer(checkID string) bool {
	kind, i, ok := s.ids.decode(checkIDPrefix, checkID)
	if !ok || kind != kindCheck || i >= uint64(s.n) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.answered == nil {
		s.answered = map[int]bool{}
	}
	s.answered[int(i)] = true
	return true
}

// outcome is the error check i's GET answers now, or "" for a result.
func (s *Server) outcome(i int) string {
	code := outcomeOf(i)
	if code == "" {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.answered[i] {
		return ""
	}
	return code
}
