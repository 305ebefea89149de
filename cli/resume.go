package cli

import (
	"context"
	"fmt"

	"github.com/caisson-review/caisson-review/caisson"
	"github.com/caisson-review/caisson-review/sanitize"
	"github.com/caisson-review/caisson-review/service"
	"github.com/caisson-review/caisson-review/store"
)

// service is the work layer over st as this command's reviewer, reaching
// Caisson when the API is configured; otherwise it works offline and,
// asked to reach Caisson, says why (how to give a key).
func (a *app) service(st *store.Store) (*service.Service, error) {
	client, err := a.client()
	if err != nil {
		return a.serviceWith(st, nil, err)
	}
	return a.serviceWith(st, client, nil)
}

// serviceWith is the work layer over st and client; offline says why
// client is nil.
func (a *app) serviceWith(st *store.Store, client *caisson.Client, offline error) (*service.Service, error) {
	reviewer, err := a.reviewer()
	if err != nil {
		return nil, err
	}
	o := service.Options{Reviewer: reviewer, Offline: offline, Now: now}
	if key, err := a.apiKey(); err == nil {
		// Offline for want of nothing but the network: notes are still
		// checked against the key.
		o.Key = key
	}
	if client == nil {
		// Never a nil *Client in the interface: it would look online.
		return service.New(st, nil, o), nil
	}
	return service.New(st, client, o), nil
}

// onlineService is what exchange and refresh start with: an API client
// (an error without one), the database (which must exist when
// mustExist), the work layer over both, and the exchanges an earlier run
// left unfinished, finished first. The caller closes the store.
func (a *app) onlineService(ctx context.Context, mustExist bool) (*service.Service, *store.Store, error) {
	client, err := a.client()
	if err != nil {
		return nil, nil, err
	}
	st, err := a.openStoreAt(ctx, mustExist)
	if err != nil {
		return nil, nil, err
	}
	svc, err := a.serviceWith(st, client, nil)
	if err == nil {
		err = a.resumeExchanges(ctx, svc)
	}
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return svc, st, nil
}

// resumeExchanges finishes the token exchanges an earlier run recorded but
// did not complete, and says what became of each on stderr. It runs
// wherever a command has an API client anyway.
func (a *app) resumeExchanges(ctx context.Context, svc *service.Service) error {
	resumed, err := svc.ResumeExchanges(ctx)
	a.reportResumed(resumed)
	return err
}

func (a *app) reportResumed(resumed []service.Resumed) {
	for _, r := range resumed {
		fmt.Fprintf(a.stderr, "%s: %s\n", progName, sanitize.Line(r.Text(timeText)))
	}
}
