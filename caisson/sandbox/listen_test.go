package sandbox

import (
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestListenRefusesAnythingButLoopback(t *testing.T) {
	s := New(Options{})
	cases := []struct {
		addr string
		want string
	}{
		{"0.0.0.0:0", "non-loopback"},
		{":0", "non-loopback"},
		{"[::]:0", "non-loopback"},
		{"8.8.8.8:0", "non-loopback"},
		{"192.168.1.10:8080", "non-loopback"},
		{"example.com:0", "non-loopback"},
		{"127.0.0.1", "expected host:port"},
	}
	for _, tc := range cases {
		t.Run(tc.addr, func(t *testing.T) {
			base, stop, err := s.Listen(tc.addr)
			if err == nil {
				_ = stop()
				t.Fatalf("Listen(%q) served at %s, want a refusal", tc.addr, base)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "127.0.0.1") {
				t.Errorf("error %q: want it to say %q and what is expected", err, tc.want)
			}
		})
	}
}

func TestListenServesOnLoopbackUntilStopped(t *testing.T) {
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0"} {
		t.Run(addr, func(t *testing.T) {
			if strings.HasPrefix(addr, "[::1]") {
				if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
					t.Skipf("no IPv6 loopback here: %v", err)
				} else {
					ln.Close()
				}
			}
			s := New(Options{})
			base, stop, err := s.Listen(addr)
			if err != nil {
				t.Fatalf("Listen(%q): %v", addr, err)
			}
			if !strings.HasPrefix(base, "http://127.0.0.1:") && !strings.HasPrefix(base, "http://[::1]:") {
				t.Errorf("base URL %q, want http on a loopback address", base)
			}
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
			req, _ := http.NewRequest(http.MethodGet, base+pathIDCheck, nil)
			req.Header.Set("Authorization", "Caisson "+s.Key())
			req.Header.Set(headerCheckID, s.CheckID(0))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("GET: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if err := stop(); err != nil {
				t.Fatalf("stop: %v", err)
			}
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
				t.Fatal("still answering after stop")
			}
		})
	}
}
