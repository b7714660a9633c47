package gitops

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
)

// pkt frames s as a pkt-line.
func pkt(s string) string { return fmt.Sprintf("%04x%s", len(s)+4, s) }

func decodeAdv(t *testing.T, lines ...string) *packp.AdvRefs {
	t.Helper()
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(pkt(l))
	}
	b.WriteString("0000")
	adv := packp.NewAdvRefs()
	if err := adv.Decode(bytes.NewBufferString(b.String())); err != nil {
		t.Fatal(err)
	}
	return adv
}

func TestRemoteInfoFromAdvRefs(t *testing.T) {
	a, b, c := strings.Repeat("a", 40), strings.Repeat("b", 40), strings.Repeat("c", 40)
	t.Run("symref", func(t *testing.T) {
		adv := decodeAdv(t,
			a+" HEAD\x00multi_ack side-band-64k symref=HEAD:refs/heads/trunk agent=git/2.39\n",
			b+" refs/heads/main\n",
			a+" refs/heads/trunk\n",
			c+" refs/tags/v1\n",
			a+" refs/tags/v1^{}\n",
			b+" refs/pull/1/head\n",
		)
		info := RemoteInfoFromAdvRefs(adv)
		if info.DefaultBranch != "trunk" || info.Branches != 2 || info.Tags != 1 {
			t.Fatalf("%+v", info)
		}
		if info.Refs["HEAD"] != a || info.Refs["refs/pull/1/head"] != b || len(info.Refs) != 5 {
			t.Fatalf("refs %v", info.Refs)
		}
	})
	t.Run("no symref: the branch HEAD points at", func(t *testing.T) {
		adv := decodeAdv(t,
			b+" HEAD\x00side-band-64k\n",
			a+" refs/heads/main\n",
			b+" refs/heads/zeta\n",
			b+" refs/heads/alpha\n",
		)
		if got := RemoteInfoFromAdvRefs(adv).DefaultBranch; got != "alpha" {
			t.Fatalf("default branch %q, want alpha (first by name)", got)
		}
	})
	t.Run("no symref: main preferred", func(t *testing.T) {
		adv := decodeAdv(t,
			a+" HEAD\x00side-band-64k\n",
			a+" refs/heads/main\n",
			a+" refs/heads/alpha\n",
		)
		if got := RemoteInfoFromAdvRefs(adv).DefaultBranch; got != "main" {
			t.Fatalf("default branch %q, want main", got)
		}
	})
	t.Run("empty repository", func(t *testing.T) {
		adv := decodeAdv(t, strings.Repeat("0", 40)+" capabilities^{}\x00side-band-64k\n")
		info := RemoteInfoFromAdvRefs(adv)
		if info.DefaultBranch != "" || info.Branches != 0 || len(info.Refs) != 0 {
			t.Fatalf("%+v", info)
		}
	})
}
