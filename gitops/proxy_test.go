package gitops

import (
	"strings"
	"testing"
)

func TestParseJumpSpec(t *testing.T) {
	for _, tc := range []struct {
		in, user, host string
		port           int
		bad            bool
	}{
		{in: "bastion", host: "bastion"},
		{in: "alice@bastion:2200", user: "alice", host: "bastion", port: 2200},
		{in: "ssh://bob@10.0.0.1:22", user: "bob", host: "10.0.0.1", port: 22},
		{in: "[::1]:2222", host: "::1", port: 2222},
		{in: "al@[fe80::1]", user: "al", host: "fe80::1"},
		{in: "h:0", bad: true},
		{in: "h:x", bad: true},
		{in: "-oProxyCommand=x", bad: true},
		{in: "@h", bad: true},
		{in: "[::1", bad: true},
	} {
		u, h, p, err := parseJumpSpec(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("%q accepted", tc.in)
			}
			continue
		}
		if err != nil || u != tc.user || h != tc.host || p != tc.port {
			t.Errorf("%q: %q %q %d %v", tc.in, u, h, p, err)
		}
	}
}

// FuzzParseJumpSpec: a ProxyJump entry from a config either parses to a
// host that cannot be read as an option, or fails with one line.
func FuzzParseJumpSpec(f *testing.F) {
	for _, s := range []string{"bastion", "alice@bastion:2200", "ssh://b@[::1]:22", "[x", "a@b@c:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, h, p, err := parseJumpSpec(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") && !strings.Contains(s, "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		if h == "" || strings.HasPrefix(h, "-") || strings.HasPrefix(u, "-") || p < 0 || p > 65535 {
			t.Fatalf("%q -> %q %q %d", s, u, h, p)
		}
	})
}
