package serve

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// checkListen refuses a listen address that would expose the console
// beyond this machine unless the operator said so: the console shows
// personal data, and on a bastion the usual way in is an SSH tunnel or a
// firewall-scoped port chosen on purpose.
func checkListen(addr string, allowRemote bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: expected host:port, e.g. 127.0.0.1:2222: %w", addr, err)
	}
	if port == "" {
		return fmt.Errorf("listen address %q: expected a port, e.g. 127.0.0.1:2222", addr)
	}
	if allowRemote || isLoopbackHost(host) {
		return nil
	}
	what := host
	if host == "" {
		what = "every interface"
	}
	return fmt.Errorf("listen address %q is not loopback (%s): expected 127.0.0.1, ::1 or localhost, or pass --allow-remote to listen there on purpose", addr, what)
}

func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
