package gitops

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gitjira/gitjira/gitops/gitserver"
)

// Tests against a crafted server (gitserver handlers that misbehave): every
// case ends within the timeout with one safe line of error, or succeeds
// with a mirror git accepts; nothing is left beside the target.

const hostileTimeout = 1500 * time.Millisecond

// hostileHost is a test host with a short timeout.
func hostileHost(t *testing.T) *testHost {
	t.Helper()
	needGit(t)
	h := newTestHost(t, gitserver.Options{Backend: gitserver.BackendGit})
	h.opts.Timeout = hostileTimeout
	return h
}

// cloneTarget returns a target two levels below a fresh directory, and a
// check that nothing at all is left in that directory.
func cloneTarget(t *testing.T) (dir string, assertEmpty func(*testing.T)) {
	parent := t.TempDir()
	return filepath.Join(parent, "mirrors", "demo.git"), func(t *testing.T) {
		t.Helper()
		entries, err := os.ReadDir(parent)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 0 {
			t.Fatalf("left behind in %s: %v", parent, entries)
		}
	}
}

// assertOneSafeLine fails unless err is one line of printable text.
func assertOneSafeLine(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	assertSafeLine(t, err.Error())
}

// assertGitAccepts runs git fsck and git for-each-ref on a mirror.
func assertGitAccepts(t *testing.T, dir string) string {
	t.Helper()
	gitOut(t, dir, "fsck", "--full", "--strict", "--no-dangling")
	return gitOut(t, dir, "for-each-ref", "--format=%(objectname) %(refname)")
}

func TestHostileTimeouts(t *testing.T) {
	t.Parallel() // it mostly waits
	tests := []struct {
		name    string
		handler gitserver.Handler
		phase   string
	}{
		{"silent before the ref list", func(ctx context.Context, repo string, stdin io.Reader, stdout, stderr io.Writer) int {
			<-ctx.Done()
			return 128
		}, waitRefs},
		{"silent half way through the ref list", func(ctx context.Context, repo string, stdin io.Reader, stdout, stderr io.Writer) int {
			adv, _ := gitserver.Advertisement(repo)
			stdout.Write(adv[:len(adv)/2])
			<-ctx.Done()
			return 128
		}, waitRefs},
		{"silent after the request", func(ctx context.Context, repo string, stdin io.Reader, stdout, stderr io.Writer) int {
			adv, _ := gitserver.Advertisement(repo)
			stdout.Write(adv)
			gitserver.ReadRequest(stdin, nil)
			<-ctx.Done()
			return 128
		}, waitNegotiation},
		{"silent after NAK", gitserver.SilentAfterNAK(), waitPack},
		{"endless progress", gitserver.EndlessProgress(50 * time.Millisecond), waitPack},
	}
	// The cases only wait: run them at once, each against its own server.
	type outcome struct {
		err         error
		elapsed     time.Duration
		assertEmpty func(*testing.T)
	}
	outcomes := make([]outcome, len(tests))
	var wg sync.WaitGroup
	for i, tt := range tests {
		h := hostileHost(t)
		h.srv.SetHandler(tt.handler)
		dir, assertEmpty := cloneTarget(t)
		outcomes[i].assertEmpty = assertEmpty
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			_, err := Clone(context.Background(), CloneOptions{ConnectOptions: h.opts, Dir: dir})
			outcomes[i].err, outcomes[i].elapsed = err, time.Since(start)
		}()
	}
	h := hostileHost(t)
	h.srv.SetHandler(tests[0].handler)
	var checkErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, checkErr = Check(context.Background(), h.opts)
	}()
	wg.Wait()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err, elapsed := outcomes[i].err, outcomes[i].elapsed
			var te *TimeoutError
			if !errors.As(err, &te) || te.Phase != tt.phase || te.Idle != hostileTimeout {
				t.Fatalf("err = %v, want a *TimeoutError while %s", err, tt.phase)
			}
			assertOneSafeLine(t, err)
			if !strings.Contains(err.Error(), "for 1.5s while "+tt.phase+": check the server, or raise --timeout") {
				t.Fatalf("message %q", err)
			}
			if elapsed < hostileTimeout || elapsed > hostileTimeout+5*time.Second {
				t.Fatalf("returned after %v, want about %v", elapsed, hostileTimeout)
			}
			outcomes[i].assertEmpty(t)
		})
	}
	t.Run("check: silent before the ref list", func(t *testing.T) {
		var te *TimeoutError
		if !errors.As(checkErr, &te) || te.Phase != waitRefs {
			t.Fatalf("err = %v", checkErr)
		}
	})
}

// TestHostileFetchTimeouts: a repository whose server hangs during a fetch
// fails with a timeout and keeps its mirror as it was.
func TestHostileFetchTimeouts(t *testing.T) {
	t.Parallel() // it mostly waits
	h := hostileHost(t)
	dir := filepath.Join(t.TempDir(), "demo.git")
	if _, err := Clone(context.Background(), CloneOptions{ConnectOptions: h.opts, Dir: dir}); err != nil {
		t.Fatal(err)
	}
	addCommit(t, h.repo, "DEMO-1: new on the server")
	l, err := TryLockMirror(dir) // the lock file exists from now on
	if err != nil {
		t.Fatal(err)
	}
	l.Unlock()
	before := snapshot(t, dir)
	for name, handler := range map[string]gitserver.Handler{
		"silent after NAK": gitserver.SilentAfterNAK(),
		"endless progress": gitserver.EndlessProgress(50 * time.Millisecond),
	} {
		t.Run(name, func(t *testing.T) {
			h.srv.SetHandler(handler)
			start := time.Now()
			_, err := Fetch(context.Background(), dir, h.opts, nil)
			var te *TimeoutError
			if !errors.As(err, &te) || te.Phase != waitPack {
				t.Fatalf("err = %v, want a *TimeoutError while receiving objects", err)
			}
			if elapsed := time.Since(start); elapsed > hostileTimeout+5*time.Second {
				t.Fatalf("returned after %v", elapsed)
			}
			if after := snapshot(t, dir); after != before {
				t.Fatalf("mirror changed:\n%s\n->\n%s", before, after)
			}
		})
	}
	h.srv.SetHandler(nil)
	if _, err := Fetch(context.Background(), dir, h.opts, nil); err != nil {
		t.Fatal(err)
	}
	assertSameRepo(t, h.repo, dir)
}

// addCommit commits one change on the server's main branch.
func addCommit(t *testing.T, repo, msg string) {
	t.Helper()
	work := filepath.Join(t.TempDir(), "work")
	gitIn(t, ".", "clone", "--quiet", repo, work)
	if err := os.WriteFile(filepath.Join(work, "new.txt"), []byte(msg+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn(t, work, "add", "new.txt")
	gitIn(t, work, "commit", "--quiet", "-m", msg)
	gitIn(t, work, "push", "--quiet", "origin", "HEAD:main")
}

// TestHostileEndlessRefs: a ref list that never ends is refused at the
// limit, with memory bounded by the compact ref list; a million refs are
// fine.
func TestHostileEndlessRefs(t *testing.T) {
	h := hostileHost(t)
	h.opts.Timeout = 10 * time.Second
	h.srv.SetHandler(gitserver.EndlessRefs())
	dir, assertEmpty := cloneTarget(t)

	var err error
	start := time.Now()
	peak := sampleHeapPeak(func() {
		_, err = Clone(context.Background(), CloneOptions{ConnectOptions: h.opts, Dir: dir})
	})
	elapsed := time.Since(start)
	var le *LimitError
	if !errors.As(err, &le) || le.What != "number of refs" {
		t.Fatalf("err = %v, want the refs *LimitError", err)
	}
	assertOneSafeLine(t, err)
	t.Logf("refused after %v; peak heap in use %d MiB (%s)", elapsed, peak>>20, err)
	if peak > 200<<20 {
		t.Fatalf("peak heap in use %d MiB, want under 200 MiB", peak>>20)
	}
	assertEmpty(t)

	// A million refs are listed, in bounded memory.
	h.srv.SetHandler(gitserver.ManyRefs(1_000_000))
	var info *RemoteInfo
	start = time.Now()
	peak = sampleHeapPeak(func() { info, err = Check(context.Background(), h.opts) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("a million refs listed in %v; peak heap in use %d MiB", time.Since(start), peak>>20)
	if info.Refs.Len() != 1_000_000 || info.Branches != 1_000_000 || info.DefaultBranch != "main" {
		t.Fatalf("%d refs, %d branches, default %q", info.Refs.Len(), info.Branches, info.DefaultBranch)
	}
	if id, ok := info.Refs.Get("refs/heads/endless/999999"); !ok || id != strings.Repeat("1", 40) {
		t.Fatalf("refs/heads/endless/999999: %q %v", id, ok)
	}
	if peak > 200<<20 {
		t.Fatalf("peak heap in use %d MiB, want under 200 MiB", peak>>20)
	}
}

// sampleHeapPeak runs f and returns the largest heap in use seen meanwhile
// (sampled every 10 ms, after a GC).
func sampleHeapPeak(f func()) uint64 {
	runtime.GC()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	f()
	close(stop)
	wg.Wait()
	return peak.Load()
}

// TestHostileRefNames: bad names in the ref list are skipped with a
// warning; the clone succeeds and git accepts the mirror.
func TestHostileRefNames(t *testing.T) {
	h := hostileHost(t)
	mainID := gitOut(t, h.repo, "rev-parse", "refs/heads/main")
	tagID := gitOut(t, h.repo, "rev-parse", "refs/tags/"+gitserver.SampleTagLight)
	bidi := "refs/heads/\u202eevil"
	gitOut(t, h.repo, "update-ref", bidi, mainID) // valid for git: only shown sanitised
	tests := []struct {
		name     string
		rewrite  func([]string) []string
		warnings []string
		head     string
		lost     string // a server ref the rewrite made unreadable
	}{
		{"traversal, escapes, lock, space", func(l []string) []string {
			return append(l,
				mainID+" refs/heads/../../etc\n",
				mainID+" refs/heads/\x1b]0;pwned\x07\n",
				mainID+" refs/heads/\x1b[2Jclear\n",
				mainID+" refs/heads/x.lock\n",
				mainID+" refs/heads/two words\n",
				mainID+" refs/heads/tab\there\n",
				mainID+" .git/config\n",
			)
		}, []string{`../../etc`, `\x1b]0;pwned\a`, `\x1b[2Jclear`, `.lock`, `two words`, `tab\there`, `.git/config`}, "main", ""},
		{"injected ref via a newline", func(l []string) []string {
			for i, s := range l {
				if strings.HasSuffix(s, " refs/tags/"+gitserver.SampleTagLight+"\n") {
					// One pkt-line that reads as two refs if split on newlines.
					l[i] = tagID + " refs/tags/" + gitserver.SampleTagLight + "\n" + mainID + " refs/heads/injected\n"
				}
			}
			return l
		}, []string{"control character 0x0a"}, "main", "refs/tags/" + gitserver.SampleTagLight},
		{"newline in the first line", func(l []string) []string {
			name, caps, _ := strings.Cut(l[0], "\x00")
			l[0] = name + "\n" + mainID + " refs/heads/injected\x00" + caps
			return l
		}, []string{"control character 0x0a"}, "main", ""},
		{"default branch with a bidi override", func(l []string) []string {
			l[0] = strings.Replace(l[0], "symref=HEAD:refs/heads/main", "symref=HEAD:"+bidi, 1)
			return l
		}, nil, "evil", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.srv.SetHandler(gitserver.RewriteAdvertisement(tt.rewrite))
			dir, _ := cloneTarget(t)
			res, err := Clone(context.Background(), CloneOptions{ConnectOptions: h.opts, Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			refs := assertGitAccepts(t, dir)
			if strings.Contains(refs, "injected") || strings.Contains(refs, "..") || strings.Contains(refs, "\x1b") {
				t.Fatalf("a bad ref reached the mirror:\n%s", refs)
			}
			if res.DefaultBranch != tt.head {
				t.Fatalf("default branch %q, want %q", res.DefaultBranch, tt.head)
			}
			if len(res.Warnings) != len(tt.warnings) {
				t.Fatalf("warnings %q, want %d", res.Warnings, len(tt.warnings))
			}
			for i, w := range tt.warnings {
				assertSafeLine(t, res.Warnings[i])
				if !strings.Contains(res.Warnings[i], w) {
					t.Errorf("warning %q does not mention %q", res.Warnings[i], w)
				}
			}
			// The refs git sees are exactly the server's valid ones.
			want := gitOut(t, h.repo, "for-each-ref", "--format=%(objectname) %(refname)")
			if tt.lost != "" {
				var keep []string
				for _, l := range strings.Split(want, "\n") {
					if !strings.HasSuffix(l, " "+tt.lost) {
						keep = append(keep, l)
					}
				}
				want = strings.Join(keep, "\n")
			}
			if refs != want {
				t.Fatalf("refs:\n%s\nwant:\n%s", refs, want)
			}
		})
	}
}

// TestHostileHead: HEAD pointing outside refs/heads, or at a name git
// refuses, refuses the clone (and the check) with one line.
func TestHostileHead(t *testing.T) {
	h := hostileHost(t)
	for name, target := range map[string]string{
		"traversal":       "refs/heads/../../x",
		"escape sequence": "refs/heads/\x1b]0;title\x07",
		"a tag":           "refs/tags/v1.0",
		"outside refs":    "../../../etc/passwd",
	} {
		t.Run(name, func(t *testing.T) {
			h.srv.SetHandler(gitserver.RewriteAdvertisement(func(l []string) []string {
				l[0] = strings.Replace(l[0], "symref=HEAD:refs/heads/main", "symref=HEAD:"+target, 1)
				return l
			}))
			dir, assertEmpty := cloneTarget(t)
			_, err := Clone(context.Background(), CloneOptions{ConnectOptions: h.opts, Dir: dir})
			var pe *ProtocolError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), "HEAD points at") {
				t.Fatalf("err = %v, want a *ProtocolError about HEAD", err)
			}
			assertOneSafeLine(t, err)
			assertEmpty(t)
			if _, err := Check(context.Background(), h.opts); !errors.As(err, &pe) {
				t.Fatalf("check: %v", err)
			}
		})
	}
}

// TestHostileServerText: what the server says about errors reaches the
// user as one line without its escape sequences.
func TestHostileServerText(t *testing.T) {
	h := hostileHost(t)
	tests := []struct {
		name    string
		handler gitserver.Handler
		want    string
		check   func(error) bool
	}{
		{"sideband error", gitserver.SidebandError("\x1b[31mfatal: \x1b]0;owned\x07pack-objects died\x1b[0m\nsecond line\n"),
			"the server reported an error: fatal: pack-objects died", func(err error) bool { return errors.Is(err, errRemoteSide) }},
		{"stderr, not found", gitserver.StderrAndExit("\x1b[2J\x1b]0;x\x07fatal: '/demo.git' does not appear to be a git repository\n", 128),
			"(server said: fatal: '/demo.git' does not appear to be a git repository)", func(err error) bool {
				var nf *RepoNotFoundError
				return errors.As(err, &nf)
			}},
		{"stderr, no git", gitserver.StderrAndExit("\u009b31m\x1bPq#0;2;0;0;0\x1b\\bash: git-upload-pack: command not found\n", 127),
			"(bash: git-upload-pack: command not found)", func(err error) bool {
				var rc *RemoteCommandError
				return errors.As(err, &rc)
			}},
		{"ERR line", func(ctx context.Context, repo string, stdin io.Reader, stdout, stderr io.Writer) int {
			stdout.Write(gitserver.Pkt("ERR \x1b[5maccess denied\x07 or repository not exported"))
			return 128
		}, "(server said: access denied or repository not exported)", func(err error) bool {
			var nf *RepoNotFoundError
			return errors.As(err, &nf)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h.srv.SetHandler(tt.handler)
			dir, assertEmpty := cloneTarget(t)
			_, err := Clone(context.Background(), CloneOptions{ConnectOptions: h.opts, Dir: dir})
			assertOneSafeLine(t, err)
			if !tt.check(err) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v (%T), want %q", err, err, tt.want)
			}
			assertEmpty(t)
		})
	}
}
