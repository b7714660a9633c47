package gitops

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gitjira/gitjira/gitops/sshdtest"
	"github.com/go-git/go-git/v5/plumbing"
)

// writeLines writes a text file of n numbered lines, the k-th of which
// says what changed.
func writeLines(t *testing.T, path string, n, k int, what string) {
	t.Helper()
	var b strings.Builder
	for i := range n {
		if i == k {
			fmt.Fprintf(&b, "line %d: %s\n", i, what)
			continue
		}
		fmt.Fprintf(&b, "line %d of a file that deltas compress well, as source code does\n", i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// An incremental fetch from a real git-upload-pack behind a real sshd asks
// for a thin pack: the server sends the changed file as a delta against the
// blob the mirror already has, and the mirror completes the pack (as
// `git index-pack --fix-thin` does) into one git accepts.
func TestSSHDFetchThinPack(t *testing.T) {
	s := sshdtest.Start(t, sshdtest.Options{})
	repo := s.NewBareRepo("thin", 5)
	work := filepath.Join(t.TempDir(), "work")
	gitIn(t, ".", "clone", "--quiet", repo, work)
	big := filepath.Join(work, "big.txt")
	writeLines(t, big, 3000, -1, "")
	gitIn(t, work, "add", "big.txt")
	gitIn(t, work, "commit", "--quiet", "-m", "PROJ-1: a big file")
	gitIn(t, work, "push", "--quiet", "origin", "main")

	opts := sshdOptions(t, s, repo)
	dir := filepath.Join(t.TempDir(), "thin.git")
	if _, err := Clone(context.Background(), CloneOptions{ConnectOptions: opts, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		writeLines(t, big, 3000, 100*i+7, fmt.Sprintf("changed by PROJ-%d", i+2))
		gitIn(t, work, "commit", "--quiet", "-am", fmt.Sprintf("PROJ-%d: one line", i+2))
	}
	gitIn(t, work, "push", "--quiet", "origin", "main")

	res, err := Fetch(context.Background(), dir, opts, nil)
	if err != nil {
		t.Fatalf("%v\nsshd log:\n%s", err, s.Logs())
	}
	if res.ThinBases == 0 {
		t.Fatalf("the server sent a pack needing no base from the mirror (not thin): %+v", res)
	}
	// The whole file is 200 KB; three one-line changes as deltas are a few hundred bytes.
	if res.PackBytes > 8<<10 {
		t.Fatalf("the fetch received %d bytes for three one-line changes", res.PackBytes)
	}
	assertSameRepo(t, repo, dir)
	packs, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "pack-*.idx"))
	for _, p := range packs {
		gitOut(t, dir, "verify-pack", p)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "tmp_*")); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
}

// A thin pack made by git pack-objects --thin is completed into the same
// objects `git index-pack --fix-thin` makes of it; without the mirror's
// objects it is refused.
func TestReceiveThinPackLikeIndexPack(t *testing.T) {
	needGit(t)
	src := filepath.Join(t.TempDir(), "src")
	gitIn(t, ".", "init", "--quiet", "--initial-branch=main", src)
	f := filepath.Join(src, "big.txt")
	writeLines(t, f, 2000, -1, "")
	gitIn(t, src, "add", "big.txt")
	gitIn(t, src, "commit", "--quiet", "-m", "one")
	old := gitIn(t, src, "rev-parse", "HEAD")
	mirror := filepath.Join(t.TempDir(), "mirror.git")
	gitIn(t, ".", "clone", "--quiet", "--mirror", src, mirror)
	for i := range 4 {
		writeLines(t, f, 2000, 10+i*300, fmt.Sprintf("change %d", i))
		gitIn(t, src, "commit", "--quiet", "-am", fmt.Sprintf("change %d", i))
	}
	cmd := exec.Command("git", "pack-objects", "--revs", "--thin", "--stdout", "-q")
	cmd.Dir = src
	cmd.Stdin = strings.NewReader("HEAD\n^" + old + "\n")
	thin, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}

	// git's own completion, for reference.
	ref := filepath.Join(t.TempDir(), "ref.git")
	gitIn(t, ".", "clone", "--quiet", "--mirror", mirror, ref)
	cmd = exec.Command("git", "index-pack", "--stdin", "--fix-thin")
	cmd.Dir = ref
	cmd.Stdin = bytes.NewReader(thin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git index-pack --fix-thin: %v\n%s", err, out)
	}

	// Without bases: refused, nothing left.
	if _, err := receivePack(context.Background(), bytes.NewReader(thin), mirror, nil); err == nil || !strings.Contains(err.Error(), "have no base") {
		t.Fatalf("thin pack without bases: %v", err)
	}
	objs, err := openMirrorObjects(mirror)
	if err != nil {
		t.Fatal(err)
	}
	res, err := receiveThinPack(context.Background(), bytes.NewReader(thin), mirror, nil, objs)
	objs.close()
	if err != nil {
		t.Fatal(err)
	}
	if res.Thin == 0 || res.Received != int64(len(thin)) || res.Bytes <= res.Received {
		t.Fatalf("completion: %+v", res)
	}
	p := filepath.Join(mirror, "objects", "pack", "pack-"+res.Hash.String())
	gitOut(t, mirror, "verify-pack", p+".idx")
	list := func(dir, idx string) string {
		out := gitOut(t, dir, "verify-pack", "-v", idx)
		var ids []string
		for _, l := range strings.Split(out, "\n") {
			if fs := strings.Fields(l); len(fs) > 2 && len(fs[0]) == 40 {
				ids = append(ids, fs[0]+" "+fs[1])
			}
		}
		return strings.Join(ids, "\n")
	}
	refIdx, _ := filepath.Glob(filepath.Join(ref, "objects", "pack", "pack-*.idx"))
	var want string
	for _, x := range refIdx {
		if l := list(ref, x); strings.Count(l, "\n") < 20 { // the fetched pack, not the clone's
			want = l
		}
	}
	if got := list(mirror, p+".idx"); !sameLines(got, want) {
		t.Fatalf("objects differ from git index-pack --fix-thin:\nours:\n%s\ngit:\n%s", got, want)
	}
	gitOut(t, mirror, "update-ref", "refs/heads/main", gitIn(t, src, "rev-parse", "HEAD"))
	gitOut(t, mirror, "fsck", "--full", "--strict", "--no-dangling")
}

func sameLines(a, b string) bool {
	x, y := strings.Fields(a), strings.Fields(b)
	if len(x) != len(y) {
		return false
	}
	seen := map[string]int{}
	for _, s := range x {
		seen[s]++
	}
	for _, s := range y {
		seen[s]--
	}
	for _, v := range seen {
		if v != 0 {
			return false
		}
	}
	return true
}

// A fetch asks for a thin pack, and, when nobody watches its progress,
// for no progress messages (as `git fetch --quiet` does); a clone asks for
// neither. Capabilities the server lacks are never asked.
func TestWantLineCapabilities(t *testing.T) {
	all := capList{"multi_ack_detailed", "side-band-64k", "thin-pack", "no-progress", "ofs-delta", "agent=git/2.39"}
	h := plumbing.NewHash("29e149f4c3954b17010116180dc99a788adb3cd2")
	for _, tc := range []struct {
		thin, quiet bool
		caps        capList
		want        string
	}{
		{false, false, all, "multi_ack_detailed side-band-64k ofs-delta agent=gitjira/1"},
		{true, false, all, "multi_ack_detailed side-band-64k thin-pack ofs-delta agent=gitjira/1"},
		{true, true, all, "multi_ack_detailed side-band-64k no-progress thin-pack ofs-delta agent=gitjira/1"},
		{true, true, capList{"side-band-64k"}, "side-band-64k"},
	} {
		up := &uploadPack{adv: &advertisement{caps: tc.caps}, thin: tc.thin, quiet: tc.quiet}
		var buf bytes.Buffer
		up.wantLines(&buf, []plumbing.Hash{h})
		line := buf.String()
		if want := "want " + h.String() + " " + tc.want + "\n"; line[4:len(line)-4] != want {
			t.Errorf("thin %v quiet %v caps %v: %q, want %q", tc.thin, tc.quiet, tc.caps, line[4:len(line)-4], want)
		}
	}
}
