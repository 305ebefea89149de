package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/caisson-review/caisson-review/serve"
)

func init() {
	commandHelp["serve"] = `
Serves the console over SSH, so a team on a bastion shares one database
and one API key without shell accounts. Public-key authentication only,
against --authorized-keys (OpenSSH format, re-read when it changes); every
decision is stored as "user (SHA256:fingerprint, key comment)". A key whose
comment contains the word caisson-review:read-only gets the read-only
console. The host key (ed25519) is created with mode 0600 on first start
and its fingerprint logged: give it to the reviewers. Connections, refusals
and decisions are logged on standard error (never the API key, notes or
personal data). SIGTERM or Ctrl-C stops accepting, tells every console,
waits for decisions being saved, and exits.

  caisson-review serve --host-key /var/lib/caisson-review/host_key \
      --authorized-keys /etc/caisson-review/authorized_keys
  ssh -p 2222 alice@bastion`
}

func wireServe(a *app, c *cobra.Command) runFunc {
	cfg := serve.Config{Log: a.stderr}
	c.Flags().StringVar(&cfg.Listen, "listen", serve.DefaultListen, "ADDR to listen on; loopback unless --allow-remote")
	c.Flags().BoolVar(&cfg.AllowRemote, "allow-remote", false, "allow a non-loopback listen address (prefer a tunnel or a firewall-scoped port)")
	c.Flags().StringVar(&cfg.HostKeyPath, "host-key", "", "the server's ed25519 host key PATH, created (0600) on first start")
	c.Flags().StringVar(&cfg.AuthorizedKeysPath, "authorized-keys", "", "the reviewers' OpenSSH authorized_keys PATH")
	c.Flags().DurationVar(&cfg.IdleTimeout, "idle-timeout", serve.DefaultIdleTimeout, "close a console after this long without a key press")
	c.Flags().IntVar(&cfg.MaxSessions, "max-sessions", serve.DefaultMaxSessions, "consoles open at once")
	c.Flags().DurationVar(&cfg.ShutdownGrace, "shutdown-grace", serve.DefaultShutdownGrace, "on SIGTERM, how long to wait for sessions to end")
	a.pollFlags.wire(c)
	c.ValidArgsFunction = cobra.NoFileCompletions
	return func(ctx context.Context, pos []string) error { return cmdServe(ctx, a, cfg, pos) }
}

func cmdServe(ctx context.Context, a *app, cfg serve.Config, pos []string) error {
	switch {
	case len(pos) > 0:
		return usageErrorf("serve", "serve takes no arguments")
	case cfg.HostKeyPath == "":
		return usageErrorf("serve", "--host-key PATH is required (it is created on first start)")
	case cfg.AuthorizedKeysPath == "":
		return usageErrorf("serve", "--authorized-keys PATH is required: the reviewers' public keys, OpenSSH format")
	case cfg.MaxSessions < 1:
		return usageErrorf("serve", "--max-sessions %d: expected at least 1", cfg.MaxSessions)
	case cfg.IdleTimeout <= 0 || cfg.ShutdownGrace <= 0:
		return usageErrorf("serve", "--idle-timeout and --shutdown-grace must be positive durations")
	}
	// Checked before anything starts: a mistyped setting is said at once.
	pc, err := a.pollConfig()
	if err != nil {
		return err
	}
	cfg.APILabel = "offline: no API key"
	// The server's configuration file gives every console its defaults.
	if err := a.applyConsoleSettings(&cfg.Console); err != nil {
		return err
	}
	client, err := a.client()
	switch {
	case errors.Is(err, errNoKey):
		// As with the console: the team can still review from the store.
		fmt.Fprintln(a.stderr, progName+" serve: the consoles cannot refresh: "+errNoKey.Error())
	case err != nil:
		return err
	default:
		cfg.API = client // never a nil *Client in the interface
		cfg.APILabel = apiLabel(client.BaseURL())
	}
	st, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	// Run returns only once no session can touch the store.
	defer st.Close()
	// Every session's console shows personal data, which an unfinished
	// copy cannot record an access to.
	if err := st.ShowsPersonalData(ctx); err != nil {
		return err
	}
	cfg.Store = st
	// One poller for the server, whatever its sessions: they all see
	// each answer, and the header says when it stopped.
	cfg.Console.StaleAfter = pc.staleAfter
	if cfg.API != nil {
		if cfg.Poller, err = a.poller(st, pc); err != nil {
			return err
		}
	}
	if err := serve.Run(ctx, cfg); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}
