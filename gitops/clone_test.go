package gitops

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gitjira/gitjira/gitops/gitserver"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"golang.org/x/crypto/ssh"
)

// testHost is an in-process git server with one sample repository and a
// client key it trusts, recorded in a known_hosts file.
type testHost struct {
	srv      *gitserver.Server
	root     string
	repo     string // path of the bare repository on the server
	opts     ConnectOptions
	commits  int // commits in the sample repository in all
	repoName string
}

const sampleMainCommits = 60

func newTestHost(t testing.TB, o gitserver.Options) *testHost {
	t.Helper()
	root := t.TempDir()
	repo := filepath.Join(root, "demo.git")
	if err := gitserver.MakeSampleRepo(repo, sampleMainCommits); err != nil {
		t.Fatal(err)
	}
	o.Root = root
	srv, err := gitserver.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	srv.AuthorizeKey(signer.PublicKey())
	ep, err := ParseURL(srv.URL("demo.git"))
	if err != nil {
		t.Fatal(err)
	}
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := AddKnownHost(kh, ep, srv.HostKeys()[0]); err != nil {
		t.Fatal(err)
	}
	return &testHost{srv: srv, root: root, repo: repo, repoName: "demo.git",
		opts:    ConnectOptions{Endpoint: ep, Signer: signer, KnownHostsFile: kh, Timeout: 10 * time.Second},
		commits: gitserver.SampleCommits(sampleMainCommits)}
}

func needGit(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is not installed: run `make deps`")
	}
}

func gitOut(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+os.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func gitInt(t testing.TB, dir string, args ...string) int {
	t.Helper()
	n, err := strconv.Atoi(gitOut(t, dir, args...))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// collect gathers progress events until the returned stop is called.
func collect(ch chan Progress) (stop func() []Progress) {
	var mu sync.Mutex
	var got []Progress
	done := make(chan struct{})
	go func() {
		defer close(done)
		for p := range ch {
			mu.Lock()
			got = append(got, p)
			mu.Unlock()
		}
	}()
	return func() []Progress {
		close(ch)
		<-done
		return got
	}
}

// assertSameRepo checks the mirror with git itself: fsck, same refs, same commit count.
func assertSameRepo(t *testing.T, src, mirror string) {
	t.Helper()
	gitOut(t, mirror, "fsck", "--full", "--strict", "--no-dangling")
	if a, b := gitOut(t, src, "for-each-ref", "--format=%(objectname) %(refname)"), gitOut(t, mirror, "for-each-ref", "--format=%(objectname) %(refname)"); a != b {
		t.Fatalf("refs differ:\nsource:\n%s\nmirror:\n%s", a, b)
	}
	if a, b := gitInt(t, src, "rev-list", "--all", "--count"), gitInt(t, mirror, "rev-list", "--all", "--count"); a != b {
		t.Fatalf("rev-list --all --count: source %d, mirror %d", a, b)
	}
	if a, b := gitOut(t, src, "symbolic-ref", "HEAD"), gitOut(t, mirror, "symbolic-ref", "HEAD"); a != b {
		t.Fatalf("HEAD: source %s, mirror %s", a, b)
	}
}

// assertProgress checks the events: phases in order, monotonic within a
// phase, receiving and resolving reaching 100%.
func assertProgress(t *testing.T, events []Progress, wantObjects int64) {
	t.Helper()
	order := map[Phase]int{PhaseConnecting: 0, PhaseEnumerating: 1, PhaseCounting: 2, PhaseCompressing: 3,
		PhaseReceiving: 4, PhaseResolving: 5, PhaseUpdatingRef: 6, PhaseDone: 7}
	last := map[Phase]Progress{}
	prevOrder := -1
	for i, p := range events {
		o, ok := order[p.Phase]
		if !ok {
			t.Fatalf("event %d: unknown phase %q", i, p.Phase)
		}
		if o < prevOrder {
			t.Fatalf("event %d: phase %s after a later phase: %+v", i, p.Phase, events)
		}
		prevOrder = o
		if l, ok := last[p.Phase]; ok {
			if p.Current < l.Current || p.Bytes < l.Bytes {
				t.Fatalf("event %d: %s went backwards: %+v after %+v", i, p.Phase, p, l)
			}
			if l.Done {
				t.Fatalf("event %d: %s after its Done event", i, p.Phase)
			}
		}
		if p.Total > 0 && p.Current > p.Total {
			t.Fatalf("event %d: current > total: %+v", i, p)
		}
		last[p.Phase] = p
	}
	for _, ph := range []Phase{PhaseReceiving, PhaseResolving, PhaseUpdatingRef, PhaseDone} {
		l, ok := last[ph]
		if !ok || !l.Done {
			t.Fatalf("phase %s: no Done event (last %+v)", ph, l)
		}
		if l.Current != l.Total || l.Fraction() != 1 {
			t.Fatalf("phase %s did not reach 100%%: %+v", ph, l)
		}
	}
	if r := last[PhaseReceiving]; r.Total != wantObjects || r.Bytes <= 0 || r.BytesPerSec <= 0 {
		t.Fatalf("receiving: want %d objects, bytes and rate > 0; got %+v", wantObjects, r)
	}
}

// packedObjectCount is what `git count-objects -v` reports in-pack after a
// full repack of a copy of the source (the source itself is left as is).
func packedObjectCount(t *testing.T, src string) int64 {
	t.Helper()
	cp := filepath.Join(t.TempDir(), "copy.git")
	out, err := exec.Command("git", "clone", "--quiet", "--mirror", src, cp).CombinedOutput()
	if err != nil {
		t.Fatalf("git clone --mirror: %v\n%s", err, out)
	}
	gitOut(t, cp, "gc", "--quiet", "--prune=now")
	for _, line := range strings.Split(gitOut(t, cp, "count-objects", "-v"), "\n") {
		if v, ok := strings.CutPrefix(line, "in-pack: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Fatal("count-objects -v has no in-pack line")
	return 0
}

func TestCloneFromGitServer(t *testing.T) {
	needGit(t)
	for _, backend := range []gitserver.Backend{gitserver.BackendGit, gitserver.BackendGoGit} {
		t.Run(string(backend), func(t *testing.T) {
			h := newTestHost(t, gitserver.Options{Backend: backend})
			dir := filepath.Join(t.TempDir(), "mirrors", "demo.git") // parent does not exist yet
			ch := make(chan Progress)
			stop := collect(ch)
			var seen *RemoteInfo
			onRemote := func(info *RemoteInfo) error {
				if _, err := os.Stat(dir); err == nil {
					t.Error("OnRemote called after the mirror was made")
				}
				seen = info
				return nil
			}
			res, err := Clone(context.Background(), CloneOptions{ConnectOptions: h.opts, Dir: dir, Progress: ch, OnRemote: onRemote})
			events := stop()
			if err != nil {
				t.Fatal(err)
			}
			assertSameRepo(t, h.repo, dir)
			if seen == nil || res.Remote != seen || seen.DefaultBranch != "main" || seen.Refs.Len() != res.Refs ||
				seen.HostKeyFingerprint != res.HostKeyFingerprint || seen.Head != res.Head {
				t.Fatalf("remote info %+v (result %+v)", seen, res)
			}
			if res.Commits != h.commits || res.DefaultBranch != "main" || res.Dir != dir {
				t.Fatalf("result %+v, want %d commits on main in %s", res, h.commits, dir)
			}
			if want := gitOut(t, h.repo, "rev-parse", "refs/heads/main"); res.Head != want {
				t.Fatalf("Head %s, want %s", res.Head, want)
			}
			if want := len(strings.Split(gitOut(t, h.repo, "for-each-ref"), "\n")); res.Refs != want {
				t.Fatalf("Refs %d, want %d", res.Refs, want)
			}
			if res.HostKeyFingerprint != ssh.FingerprintSHA256(h.srv.HostKeys()[0]) {
				t.Fatalf("host key fingerprint %q", res.HostKeyFingerprint)
			}
			assertProgress(t, events, packedObjectCount(t, h.repo))
			if n := goGitCommitCount(t, dir); n != h.commits {
				t.Fatalf("go-git walks %d commits in the mirror, want %d", n, h.commits)
			}
			if backend == gitserver.BackendGit {
				// git's upload-pack reports its phases on the sideband.
				seen := map[Phase]bool{}
				for _, e := range events {
					seen[e.Phase] = true
				}
				if !seen[PhaseCounting] && !seen[PhaseEnumerating] {
					t.Fatalf("no server phase in %+v", events)
				}
			}
			// No leftovers beside the mirror.
			entries, _ := os.ReadDir(filepath.Dir(dir))
			if len(entries) != 1 {
				t.Fatalf("beside the mirror: %v", entries)
			}
		})
	}
}

func TestCloneDirExistsUntouched(t *testing.T) {
	h := newTestHost(t, gitserver.Options{})
	for _, tc := range []struct {
		name string
		make func(p string) error
	}{
		{"empty dir", func(p string) error { return os.Mkdir(p, 0o755) }},
		{"non-empty dir", func(p string) error {
			if err := os.Mkdir(p, 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(p, "keep"), []byte("mine"), 0o600)
		}},
		{"file", func(p string) error { return os.WriteFile(p, []byte("mine"), 0o600) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "demo.git")
			if err := tc.make(dir); err != nil {
				t.Fatal(err)
			}
			before := snapshot(t, parent)
			_, err := Clone(context.Background(), CloneOptions{ConnectOptions: h.opts, Dir: dir})
			var de *DirExistsError
			if !errors.As(err, &de) || !errors.Is(err, ErrDirExists) {
				t.Fatalf("err = %v, want *DirExistsError", err)
			}
			if after := snapshot(t, parent); after != before {
				t.Fatalf("directory changed:\n%s\n->\n%s", before, after)
			}
			if h.srv.Execs() != 0 {
				t.Fatal("the server was contacted")
			}
		})
	}
}

// snapshot lists every path under dir with its size.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, _ := d.Info()
		b.WriteString(p + " " + strconv.FormatInt(info.Size(), 10) + "\n")
		return nil
	})
	return b.String()
}

func TestCloneCancelMidReceiveLeavesNothing(t *testing.T) {
	for _, backend := range []gitserver.Backend{gitserver.BackendGit, gitserver.BackendGoGit} {
		t.Run(string(backend), func(t *testing.T) {
			if backend == gitserver.BackendGit {
				needGit(t)
			}
			// The server stalls after 2 KiB of output, so the clone is
			// certainly in the receiving phase when it is cancelled.
			h := newTestHost(t, gitserver.Options{Backend: backend, StallAfter: 2048})
			parent := filepath.Join(t.TempDir(), "home")
			if err := os.Mkdir(parent, 0o755); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(parent, "mirrors", "demo.git")
			cancelWhileReceiving(t, 20*time.Second, func(ctx context.Context, ch chan<- Progress) error {
				_, err := Clone(ctx, CloneOptions{ConnectOptions: h.opts, Dir: dir, Progress: ch})
				return err
			})
			entries, _ := os.ReadDir(parent)
			if len(entries) != 0 {
				t.Fatalf("left behind in %s: %v", parent, entries)
			}
		})
	}
}

func TestCloneErrors(t *testing.T) {
	h := newTestHost(t, gitserver.Options{})
	t.Run("missing repository", func(t *testing.T) {
		o := h.opts
		ep := *o.Endpoint
		ep.Path = "/nope.git"
		o.Endpoint = &ep
		parent := t.TempDir()
		_, err := Clone(context.Background(), CloneOptions{ConnectOptions: o, Dir: filepath.Join(parent, "x.git")})
		var nf *RepoNotFoundError
		if !errors.As(err, &nf) {
			t.Fatalf("err = %v (%T), want *RepoNotFoundError", err, err)
		}
		if entries, _ := os.ReadDir(parent); len(entries) != 0 {
			t.Fatalf("left behind: %v", entries)
		}
	})
	t.Run("OnRemote refuses", func(t *testing.T) {
		parent := t.TempDir()
		stopErr := errors.New("not this one")
		_, err := Clone(context.Background(), CloneOptions{ConnectOptions: h.opts, Dir: filepath.Join(parent, "x.git"),
			OnRemote: func(*RemoteInfo) error { return stopErr }})
		if err != stopErr {
			t.Fatalf("err = %v", err)
		}
		if entries, _ := os.ReadDir(parent); len(entries) != 0 {
			t.Fatalf("left behind: %v", entries)
		}
	})
	t.Run("no dir", func(t *testing.T) {
		if _, err := Clone(context.Background(), CloneOptions{ConnectOptions: h.opts}); !errors.Is(err, ErrNoDir) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestCloneEmptyRepository(t *testing.T) {
	needGit(t)
	for _, backend := range []gitserver.Backend{gitserver.BackendGit, gitserver.BackendGoGit} {
		t.Run(string(backend), func(t *testing.T) {
			h := newTestHost(t, gitserver.Options{Backend: backend})
			gitOut(t, h.root, "init", "--quiet", "--bare", "empty.git")
			o := h.opts
			ep := *o.Endpoint
			ep.Path = "/empty.git"
			o.Endpoint = &ep
			dir := filepath.Join(t.TempDir(), "empty.git")
			res, err := Clone(context.Background(), CloneOptions{ConnectOptions: o, Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if res.Commits != 0 || res.Refs != 0 || res.Head != "" || res.DefaultBranch != "" {
				t.Fatalf("result %+v", res)
			}
			gitOut(t, dir, "fsck", "--full")
			if out := gitOut(t, dir, "for-each-ref"); out != "" {
				t.Fatalf("refs: %q", out)
			}
			if got := gitOut(t, dir, "config", "--get", "core.bare"); got != "true" {
				t.Fatalf("core.bare = %q", got)
			}
		})
	}
}

// goGitCommitCount opens the mirror with go-git and counts the commits
// reachable from all refs: go-git must read what Clone writes.
func goGitCommitCount(t *testing.T, dir string) int {
	t.Helper()
	r, err := git.PlainOpen(dir)
	if err != nil {
		t.Fatal(err)
	}
	refs, err := r.References()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[plumbing.Hash]bool{}
	var stack []plumbing.Hash
	refs.ForEach(func(ref *plumbing.Reference) error {
		if ref.Type() != plumbing.HashReference {
			return nil
		}
		h := ref.Hash()
		if tag, err := r.TagObject(h); err == nil {
			h = tag.Target
		}
		stack = append(stack, h)
		return nil
	})
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[h] {
			continue
		}
		c, err := r.CommitObject(h)
		if err != nil {
			t.Fatalf("go-git reading commit %s: %v", h, err)
		}
		seen[h] = true
		stack = append(stack, c.ParentHashes...)
	}
	return len(seen)
}

// cancelWhileReceiving runs op (a Clone or a Fetch reporting to ch) and
// cancels its context at the first receiving event. It fails the test when
// op never reached the receiving phase, did not return within limit after
// an event, or returned anything but context.Canceled; it returns how long
// op took to return after the cancel.
func cancelWhileReceiving(t *testing.T, limit time.Duration, op func(ctx context.Context, ch chan<- Progress) error) time.Duration {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan Progress)
	errc := make(chan error, 1)
	go func() { errc <- op(ctx, ch) }()
	var err error
	var cancelledAt time.Time
loop:
	for {
		select {
		case p := <-ch:
			if p.Phase == PhaseReceiving && cancelledAt.IsZero() {
				cancel()
				cancelledAt = time.Now()
			}
		case err = <-errc:
			break loop
		case <-time.After(limit):
			t.Fatalf("did not return (cancelled: %v)", !cancelledAt.IsZero())
		}
	}
	if cancelledAt.IsZero() {
		t.Fatal("no receiving event before it returned")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	return time.Since(cancelledAt)
}
