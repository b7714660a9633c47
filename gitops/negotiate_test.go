package gitops

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gitjira/gitjira/gitops/gitserver"
	"golang.org/x/crypto/ssh"
)

func TestNextFlush(t *testing.T) {
	// git's rounds: 16, 16, 32, 32, ... haves.
	var got []int
	for at := initialFlush; len(got) < 6; at = nextFlush(at) {
		got = append(got, at)
	}
	if fmt.Sprint(got) != "[16 32 64 96 128 160]" {
		t.Fatalf("flush points %v", got)
	}
}

// manyRefsRepo makes a bare repository with `commits` commits on main, a
// tag on every third commit and a branch on every tenth, with git
// fast-import.
func manyRefsRepo(t *testing.T, dir string, commits int) {
	t.Helper()
	gitIn(t, ".", "init", "--quiet", "--bare", "--initial-branch=main", dir)
	var b bytes.Buffer
	for i := 1; i <= commits; i++ {
		msg := fmt.Sprintf("DEMO-%d: change %d\n", i%40+1, i)
		fmt.Fprintf(&b, "commit refs/heads/main\nmark :%d\ncommitter T <t@example.invalid> %d +0000\ndata %d\n%s", i, 1700000000+i*60, len(msg), msg)
		if i > 1 {
			fmt.Fprintf(&b, "from :%d\n", i-1)
		}
		fmt.Fprintf(&b, "M 644 inline f%d.txt\ndata 8\nchange%d\n", i%9, i%10)
		if i%3 == 0 {
			fmt.Fprintf(&b, "reset refs/tags/t%d\nfrom :%d\n\n", i, i)
		}
		if i%10 == 0 {
			fmt.Fprintf(&b, "reset refs/heads/b%d\nfrom :%d\n\n", i, i)
		}
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = dir
	cmd.Stdin = &b
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fast-import: %v: %s", err, out)
	}
}

// TestNegotiationLikeGit: a fetch into a mirror with many refs tells the
// server about as many commits as git fetch does (a few dozen), not every
// ref, and both end with the server's refs.
func TestNegotiationLikeGit(t *testing.T) {
	needGit(t)
	root := t.TempDir()
	repo := filepath.Join(root, "many.git")
	manyRefsRepo(t, repo, 1000) // 333 tags, 100 branches
	srv, err := gitserver.Start(gitserver.Options{Root: root, Backend: gitserver.BackendGit})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := ssh.NewSignerFromKey(priv)
	srv.AuthorizeKey(signer.PublicKey())
	ep, err := ParseURL(srv.URL("many.git"))
	if err != nil {
		t.Fatal(err)
	}
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := AddKnownHost(kh, ep, srv.HostKeys()[0]); err != nil {
		t.Fatal(err)
	}
	o := ConnectOptions{Endpoint: ep, Signer: signer, KnownHostsFile: kh, Timeout: 10 * time.Second}
	ours := filepath.Join(t.TempDir(), "ours.git")
	if _, err := Clone(context.Background(), CloneOptions{ConnectOptions: o, Dir: ours}); err != nil {
		t.Fatal(err)
	}
	theirs := filepath.Join(t.TempDir(), "theirs.git")
	if out, err := exec.Command("cp", "-a", ours, theirs).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}

	// fastImport adds n commits on branch, starting from from.
	fastImport := func(branch, from string, n int) {
		var b bytes.Buffer
		for i := range n {
			msg := fmt.Sprintf("DEMO-%d: new on %s %d\n", i+1, branch, i)
			fmt.Fprintf(&b, "commit %s\ncommitter T <t@example.invalid> %d +0000\ndata %d\n%s", branch, time.Now().Unix()+int64(i), len(msg), msg)
			if i == 0 {
				fmt.Fprintf(&b, "from %s\n", from)
			}
			fmt.Fprintf(&b, "M 644 inline new.txt\ndata %d\n%s\n", len(msg), msg)
		}
		cmd := exec.Command("git", "fast-import", "--quiet")
		cmd.Dir, cmd.Stdin = repo, &b
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("fast-import: %v: %s", err, out)
		}
	}
	for _, step := range []struct {
		name     string
		change   func()
		maxHaves int
	}{
		{"20 new commits on main", func() {
			fastImport("refs/heads/main", gitOut(t, repo, "rev-parse", "main"), 20)
		}, 2 * initialFlush},
		{"a branch from an old commit, a rewritten branch, deleted tags", func() {
			fastImport("refs/heads/topic", gitOut(t, repo, "rev-parse", "main~500"), 3)
			gitOut(t, repo, "update-ref", "refs/heads/b1000", "refs/heads/topic")
			gitOut(t, repo, "update-ref", "-d", "refs/tags/t3")
			gitOut(t, repo, "update-ref", "-d", "refs/tags/t6")
		}, 0},
	} {
		t.Run(step.name, func(t *testing.T) {
			step.change()
			res, err := Fetch(context.Background(), ours, o, nil)
			if err != nil {
				t.Fatal(err)
			}
			assertSameRepo(t, repo, ours)

			trace := filepath.Join(t.TempDir(), "trace")
			cmd := exec.Command("git", "-C", theirs, "-c", "protocol.version=0", "fetch", "--quiet", "--prune", "file://"+repo, "+refs/*:refs/*")
			cmd.Env = append(os.Environ(), "GIT_TRACE_PACKET="+trace)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("git fetch: %v %s", err, out)
			}
			assertSameRepo(t, repo, theirs)
			data, _ := os.ReadFile(trace)
			gitHaves := len(regexp.MustCompile(`(?m)packet: +fetch> have `).FindAll(data, -1))
			t.Logf("haves sent: gitjira %d, git %d (%d refs)", res.Haves, gitHaves, strings.Count(gitOut(t, repo, "for-each-ref"), "\n")+1)
			// git's count, give or take a round (git reads the answers a
			// round late, so where it stops depends on timing).
			if gitHaves == 0 || res.Haves > gitHaves+pipesafeFlush || res.Haves < gitHaves-pipesafeFlush {
				t.Fatalf("gitjira sent %d haves, git %d", res.Haves, gitHaves)
			}
			if step.maxHaves > 0 && res.Haves > step.maxHaves {
				t.Fatalf("gitjira sent %d haves, want at most %d", res.Haves, step.maxHaves)
			}
		})
	}
}
