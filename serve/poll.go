package serve

import (
	"context"
	"errors"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/tui"
)

// poll runs the server's poller until ctx ends: every answer is read
// onto every console (as another session's decision is), an answer that
// ends a wait is logged, and polling stopping for good is logged once and
// shown in every header.
func (s *Server) poll(ctx context.Context) {
	err := s.cfg.Poller.Run(ctx, func(r service.Result) {
		s.storeChangedBy(nil)
		switch {
		case r.NotRecorded != nil:
			s.log.Warn("poll not recorded", "check", r.CheckID, "error", sanitize.Line(r.NotRecorded.Error()))
		case !r.NotReady():
			s.log.Info("poll answered", "check", r.CheckID, "outcome", pollOutcome(r))
		}
	})
	switch {
	case errors.Is(err, caisson.ErrKeyRefused):
		s.log.Warn("polling stopped: Caisson refused the API key; restart serve with a valid key to poll again")
		s.storeChangedBy(nil)
	case err != nil && ctx.Err() == nil:
		s.log.Warn("polling stopped", "error", sanitize.Line(err.Error()))
		s.storeChangedBy(nil)
	}
}

func pollOutcome(r service.Result) string {
	if r.Err == nil {
		return "result"
	}
	return sanitize.Line(string(caisson.CodeOf(r.Err)))
}

// pollStatus is the server's poller for a console's header, nil (no
// notice ever) when the server does not poll.
func (s *Server) pollStatus() tui.PollStatus {
	if s.cfg.Poller == nil {
		return nil
	}
	return s.cfg.Poller
}
