package gitops

import (
	"bufio"
	"fmt"
	"strings"
	"testing"
)

// pkt frames s as a pkt-line.
func pkt(s string) string { return fmt.Sprintf("%04x%s", len(s)+4, s) }

// advStream frames lines as an advertisement ending with a flush-pkt.
func advStream(lines ...string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(pkt(l))
	}
	b.WriteString("0000")
	return b.String()
}

func parseAdv(s string) (*advertisement, error) {
	return readAdvertisement(newPktReader(bufio.NewReader(strings.NewReader(s))))
}

func infoOf(t *testing.T, s string) *RemoteInfo {
	t.Helper()
	adv, err := parseAdv(s)
	if err != nil {
		t.Fatal(err)
	}
	return (&uploadPack{adv: adv}).remoteInfo()
}

var (
	hashA = strings.Repeat("a", 40)
	hashB = strings.Repeat("b", 40)
	hashC = strings.Repeat("c", 40)
)

func TestRemoteInfo(t *testing.T) {
	a, b, c := hashA, hashB, hashC
	t.Run("symref", func(t *testing.T) {
		info := infoOf(t, advStream(
			a+" HEAD\x00multi_ack side-band-64k symref=HEAD:refs/heads/trunk agent=git/2.39\n",
			b+" refs/heads/main\n",
			a+" refs/heads/trunk\n",
			c+" refs/tags/v1\n",
			a+" refs/tags/v1^{}\n",
			b+" refs/pull/1/head\n",
		))
		if info.DefaultBranch != "trunk" || info.Branches != 2 || info.Tags != 1 || info.Head != a {
			t.Fatalf("%+v", info)
		}
		if id, _ := info.Refs.Get("refs/pull/1/head"); id != b || info.Refs.Len() != 4 {
			t.Fatalf("refs %v", info.Refs)
		}
		if _, ok := info.Refs.Get("refs/tags/v1^{}"); ok {
			t.Fatal("a peeled entry is listed as a ref")
		}
		if p, ok := info.Refs.peeledAt(3); !ok || p.String() != a || info.Refs.Name(3) != "refs/tags/v1" {
			t.Fatalf("peeled value of refs/tags/v1: %v %v", p, ok)
		}
	})
	t.Run("no symref: the branch HEAD points at", func(t *testing.T) {
		info := infoOf(t, advStream(b+" HEAD\x00side-band-64k\n", a+" refs/heads/main\n", b+" refs/heads/zeta\n", b+" refs/heads/alpha\n"))
		if info.DefaultBranch != "alpha" {
			t.Fatalf("default branch %q, want alpha (first by name)", info.DefaultBranch)
		}
	})
	t.Run("no symref: main, then master preferred", func(t *testing.T) {
		info := infoOf(t, advStream(a+" HEAD\x00side-band-64k\n", a+" refs/heads/alpha\n", a+" refs/heads/main\n", a+" refs/heads/master\n"))
		if info.DefaultBranch != "main" {
			t.Fatalf("default branch %q, want main", info.DefaultBranch)
		}
		info = infoOf(t, advStream(a+" HEAD\x00side-band-64k\n", a+" refs/heads/alpha\n", a+" refs/heads/master\n", a+" refs/heads/zeta\n"))
		if info.DefaultBranch != "master" {
			t.Fatalf("default branch %q, want master", info.DefaultBranch)
		}
	})
	t.Run("empty repository", func(t *testing.T) {
		for _, s := range []string{advStream(strings.Repeat("0", 40) + " capabilities^{}\x00side-band-64k\n"), "0000"} {
			info := infoOf(t, s)
			if info.DefaultBranch != "" || info.Branches != 0 || info.Refs.Len() != 0 || info.Head != "" {
				t.Fatalf("%+v", info)
			}
		}
	})
	t.Run("unsorted and repeated refs", func(t *testing.T) {
		info := infoOf(t, advStream(a+" refs/heads/zeta\x00side-band-64k\n", b+" refs/heads/alpha\n", c+" refs/heads/zeta\n", c+" refs/tags/t\n"))
		var got []string
		for name, id := range info.Refs.All() {
			got = append(got, name+"="+id[:1])
		}
		if strings.Join(got, " ") != "refs/heads/alpha=b refs/heads/zeta=a refs/tags/t=c" {
			t.Fatalf("refs %v", got)
		}
		if len(info.Warnings) != 1 || !strings.Contains(info.Warnings[0], "more than once") {
			t.Fatalf("warnings %q", info.Warnings)
		}
	})
}

// TestAdvertisementHostile: what a crafted server may put in a ref list.
func TestAdvertisementHostile(t *testing.T) {
	a, b := hashA, hashB
	first := a + " HEAD\x00side-band-64k multi_ack_detailed symref=HEAD:refs/heads/main\n"
	tests := []struct {
		name     string
		stream   string
		refs     []string // names kept, in order
		warnings []string // substrings, one per warning
		err      string   // substring of the error; "" for success
	}{
		{"bad names skipped", advStream(first, a+" refs/heads/main\n", b+" refs/heads/../../etc\n",
			b+" refs/heads/a\x1b[2Jb\n", b+" refs/heads/x.lock\n", b+" refs/heads/sp ace\n", b+" FETCH_HEAD\n", b+" refs/tags/ok\n"),
			[]string{"refs/heads/main", "refs/tags/ok"},
			[]string{`"refs/heads/../../etc": its name contains ".."`, `"refs/heads/a\x1b[2Jb": its name contains the control character 0x1b`,
				`".lock"`, `" "`, `"FETCH_HEAD": its name is not HEAD and does not start with refs/`}, ""},
		{"a newline in the first line injects nothing", advStream(a+" refs/heads/main\n"+b+" refs/heads/evil\x00side-band-64k\n", a+" refs/heads/dev\n"),
			[]string{"refs/heads/dev"}, []string{`"refs/heads/main\n` + b + ` refs/heads/evil": its name contains the control character 0x0a`}, ""},
		{"a newline in a later line injects nothing", advStream(first, a+" refs/heads/main\n"+b+" refs/heads/evil\n"),
			nil, []string{`control character 0x0a`}, ""},
		{"peeled line of a skipped ref is ignored", advStream(first, a+" refs/heads/main\n", b+" refs/tags/bad..tag\n", a+" refs/tags/bad..tag^{}\n"),
			[]string{"refs/heads/main"}, []string{`contains ".."`}, ""},
		{"HEAD traversal refused", advStream(a+" HEAD\x00symref=HEAD:refs/heads/../../x side-band-64k\n", a+" refs/heads/main\n"),
			nil, nil, `its HEAD points at "refs/heads/../../x", which contains ".."`},
		{"HEAD outside refs/heads refused", advStream(a + " HEAD\x00symref=HEAD:refs/tags/v1\n"),
			nil, nil, "is not a branch"},
		{"HEAD with an escape sequence refused", advStream(a + " HEAD\x00symref=HEAD:refs/heads/\x1b]0;pwned\x07\n"),
			nil, nil, `"refs/heads/\x1b]0;pwned\a", which contains the control character 0x1b`},
		{"ERR line", advStream("ERR access denied \x1b[31mor repository not exported"), nil, nil, "access denied or repository not exported"},
		{"bad object id", advStream(strings.Repeat("g", 40) + " refs/heads/x\x00\n"), nil, nil, "bad object id"},
		{"short line", advStream("hello"), nil, nil, `pkt-line 1 is not "<object id> <ref name>"`},
		{"bad pkt-line length", "00zz", nil, nil, `bad pkt-line length "00zz"`},
		{"pkt-line over git's limit", "fff1" + strings.Repeat("x", 100), nil, nil, "more than 65520 bytes in a pkt-line"},
		{"protocol v2", advStream("version 2\n", "agent=git/2.45\n"), nil, nil, "git protocol 2"},
		{"sha256", advStream(a + " HEAD\x00object-format=sha256\n"), nil, nil, "object format \"sha256\""},
		{"truncated", "004" + "1" + a, nil, nil, "unexpected EOF"},
		{"nothing at all", "", nil, nil, "without listing refs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			adv, err := parseAdv(tt.stream)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				assertSafeLine(t, err.Error())
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for i := range adv.refs.Len() {
				names = append(names, adv.refs.Name(i))
			}
			if strings.Join(names, ",") != strings.Join(tt.refs, ",") {
				t.Fatalf("refs %q, want %q", names, tt.refs)
			}
			if len(adv.warnings) != len(tt.warnings) {
				t.Fatalf("warnings %q, want %d", adv.warnings, len(tt.warnings))
			}
			for i, w := range tt.warnings {
				// Warnings show names quoted, with control characters escaped.
				want := strings.NewReplacer("\x1b", `\x1b`, "\n", `\n`, "\a", `\a`).Replace(w)
				if !strings.Contains(adv.warnings[i], want) {
					t.Errorf("warning %q does not contain %q", adv.warnings[i], want)
				}
				assertSafeLine(t, adv.warnings[i])
			}
		})
	}
}

// assertSafeLine fails when s has a line break or a control character.
func assertSafeLine(t *testing.T, s string) {
	t.Helper()
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			t.Fatalf("%q contains control character %U", s, r)
		}
	}
}

func TestAdvertisementManyWarnings(t *testing.T) {
	lines := []string{hashA + " refs/heads/main\x00side-band-64k\n"}
	for i := range 25 {
		lines = append(lines, fmt.Sprintf("%s refs/heads/bad%d..x\n", hashB, i))
	}
	adv, err := parseAdv(advStream(lines...))
	if err != nil {
		t.Fatal(err)
	}
	if len(adv.warnings) != maxWarnings+1 || adv.warnings[maxWarnings] != "15 more refs skipped" {
		t.Fatalf("warnings %q", adv.warnings)
	}
}

func FuzzAdvertisement(f *testing.F) {
	f.Add([]byte(advStream(hashA+" HEAD\x00multi_ack side-band-64k symref=HEAD:refs/heads/main\n", hashA+" refs/heads/main\n", hashB+" refs/tags/v1\n", hashA+" refs/tags/v1^{}\n")))
	f.Add([]byte(advStream(strings.Repeat("0", 40) + " capabilities^{}\x00side-band-64k\n")))
	f.Add([]byte(advStream(hashA+" refs/heads/main\n"+hashB+" refs/heads/evil\x00\n", hashB+" refs/heads/../x\n")))
	f.Add([]byte("0000"))
	f.Add([]byte(advStream("ERR no")))
	f.Fuzz(func(t *testing.T, data []byte) {
		adv, err := readAdvertisement(newPktReader(bufio.NewReader(strings.NewReader(string(data)))))
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\x1b") {
				t.Fatalf("error %q is not one safe line", err)
			}
			return
		}
		var prev string
		for i := range adv.refs.Len() {
			name := adv.refs.Name(i)
			if err := CheckRefName(name); err != nil || name == "HEAD" {
				t.Fatalf("kept ref %q: %v", name, err)
			}
			if i > 0 && name <= prev {
				t.Fatalf("refs not sorted and unique: %q after %q", name, prev)
			}
			if id, ok := adv.refs.Get(name); !ok || id != adv.refs.ID(i) {
				t.Fatalf("Get(%q) = %q, %v", name, id, ok)
			}
			prev = name
		}
		if adv.headTarget != "" && checkHeadTarget(adv.headTarget) != nil {
			t.Fatalf("HEAD target %q kept", adv.headTarget)
		}
		for _, w := range adv.warnings {
			if strings.ContainsAny(w, "\n\x1b\r") {
				t.Fatalf("warning %q", w)
			}
		}
		info := (&uploadPack{adv: adv}).remoteInfo()
		if strings.ContainsAny(info.DefaultBranch, "\n\x1b\r") {
			t.Fatalf("default branch %q", info.DefaultBranch)
		}
	})
}
