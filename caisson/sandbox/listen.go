package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Listen serves the sandbox on addr, which must be a loopback address
// ("127.0.0.1:0", "[::1]:8080", "localhost:0"): the sandbox accepts a key
// anyone can read and serves made-up personal data, so it never listens on
// a network. It returns the base URL to give a client and a function that
// stops the server.
func (s *Server) Listen(addr string) (baseURL string, stop func() error, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", nil, fmt.Errorf("sandbox listen address %q: expected host:port on loopback, such as 127.0.0.1:0: %w", addr, err)
	}
	if host == "localhost" {
		host = "127.0.0.1"
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return "", nil, fmt.Errorf("sandbox listen address %q: refusing a non-loopback host; expected 127.0.0.1, ::1 or localhost", addr)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(ip.String(), port))
	if err != nil {
		return "", nil, fmt.Errorf("sandbox listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	stop = func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err := srv.Shutdown(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			// Slow bodies and long latencies would hold a graceful stop.
			err = srv.Close()
		}
		if serveErr := <-done; !errors.Is(serveErr, http.ErrServerClosed) {
			return fmt.Errorf("sandbox server: %w", serveErr)
		}
		return err
	}
	return "http://" + ln.Addr().String(), stop, nil
}
