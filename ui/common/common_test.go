package common

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestTruncate(t *testing.T) {
	for _, c := range []struct {
		in    string
		width int
		want  string
	}{
		{"abcdef", 10, "abcdef"},
		{"abcdef", 6, "abcdef"},
		{"abcdef", 4, "abc…"},
		{"日本語テキスト", 5, "日本…"},
		{"abc", 0, "abc"},
	} {
		if got := Truncate(c.in, c.width); got != c.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", c.in, c.width, got, c.want)
		}
	}
}

func TestTruncateLeft(t *testing.T) {
	for _, c := range []struct {
		in    string
		width int
		want  string
	}{
		{"~/.ssh/id_ed25519", 40, "~/.ssh/id_ed25519"},
		{"~/.ssh/gitjira/app_ed25519", 12, "…app_ed25519"},
		{"abc", 1, "…"},
	} {
		got := TruncateLeft(c.in, c.width)
		if got != c.want {
			t.Errorf("TruncateLeft(%q, %d) = %q, want %q", c.in, c.width, got, c.want)
		}
		if c.width > 1 && len([]rune(got)) > c.width {
			t.Errorf("TruncateLeft(%q, %d) = %q: too wide", c.in, c.width, got)
		}
	}
}

func TestByteSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 512: "512 B", 1536: "1.5 KiB", 12 << 20: "12 MiB", 3 << 30: "3.0 GiB"} {
		if got := ByteSize(n); got != want {
			t.Errorf("ByteSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestOneLine(t *testing.T) {
	if got := OneLine(errors.New("a\nb\x1b[31mc")); strings.ContainsAny(got, "\n\x1b") {
		t.Errorf("OneLine = %q", got)
	}
	if OneLine(nil) != "" {
		t.Error("OneLine(nil) not empty")
	}
}

func TestRequests(t *testing.T) {
	var r Requests
	a := r.New("key/paste")
	if !r.Current(a) || !r.Pending("key/paste") {
		t.Fatal("a new request is not current")
	}
	b := r.New("key/paste")
	if r.Current(a) {
		t.Error("an older request of the same owner is still current")
	}
	c := r.New("location")
	if !r.Current(b) || !r.Current(c) {
		t.Error("another owner's request made one stale")
	}
	r.Cancel("location")
	if r.Current(c) || r.Pending("location") {
		t.Error("a cancelled request is still current")
	}
	r.Done(b)
	if r.Pending("key/paste") {
		t.Error("an answered request is still pending")
	}
	if !r.Current(Request{}) {
		t.Error("an untracked reply is dropped")
	}
}

func TestCopy(t *testing.T) {
	var out bytes.Buffer
	msg := Copy(&out, "ssh-ed25519 AAAA", "public key")().(CopiedMsg)
	if !strings.HasPrefix(out.String(), "\x1b]52;c;") || !strings.Contains(msg.Text, "public key") {
		t.Errorf("Copy wrote %q, said %q", out.String(), msg.Text)
	}
	msg = Copy(nil, "x", "command")().(CopiedMsg)
	if !strings.Contains(msg.Text, "select it with the mouse") {
		t.Errorf("Copy without a terminal said %q", msg.Text)
	}
}

func TestDisplayPath(t *testing.T) {
	for in, want := range map[string]string{"/home/a/.ssh/k": "~/.ssh/k", "/home/a": "~", "/home/ab/k": "/home/ab/k", "": ""} {
		if got := DisplayPath("/home/a/", in); got != want {
			t.Errorf("DisplayPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRequestsContext(t *testing.T) {
	var r Requests
	q1, ctx1 := r.Start(context.Background(), "hostkey")
	_, ctx2 := r.Start(context.Background(), "hostkey")
	if ctx1.Err() == nil {
		t.Error("a newer request did not cancel the older one's context")
	}
	if ctx2.Err() != nil {
		t.Error("the newest request's context is cancelled")
	}
	p, ctxP := r.Start(context.Background(), "key/paste")
	r.Cancel("key")
	if ctxP.Err() == nil || r.Current(p) {
		t.Error("cancelling a screen left its slot's request running")
	}
	if r.Current(q1) {
		t.Error("stale request current")
	}
	if p.Screen() != "key" {
		t.Errorf("Screen() = %q", p.Screen())
	}
}
