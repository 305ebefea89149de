package serve

import (
	"strings"
	"testing"
)

func TestListenAddress(t *testing.T) {
	tests := []struct {
		name        string
		addr        string
		allowRemote bool
		wantErr     string // "" when accepted
	}{
		{"IPv4 loopback is accepted", "127.0.0.1:2222", false, ""},
		{"any 127/8 address is accepted", "127.0.0.2:2222", false, ""},
		{"IPv6 loopback is accepted", "[::1]:2222", false, ""},
		{"localhost is accepted", "localhost:2222", false, ""},
		{"port 0 is accepted (tests)", "127.0.0.1:0", false, ""},
		{"every interface is refused", ":2222", false, "every interface"},
		{"0.0.0.0 is refused", "0.0.0.0:2222", false, "--allow-remote"},
		{"a LAN address is refused", "10.1.2.3:2222", false, "not loopback"},
		{"a host name is refused", "bastion.example:2222", false, "not loopback"},
		{"a LAN address is accepted with allow-remote", "10.1.2.3:2222", true, ""},
		{"every interface is accepted with allow-remote", ":2222", true, ""},
		{"a missing port is refused", "127.0.0.1", false, "expected host:port"},
		{"an empty port is refused", "127.0.0.1:", false, "expected a port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkListen(tt.addr, tt.allowRemote)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("checkListen(%q) = %v, expected it accepted", tt.addr, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("checkListen(%q) = %v, expected an error saying %q", tt.addr, err, tt.wantErr)
			}
		})
	}
}
