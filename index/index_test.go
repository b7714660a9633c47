package index

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gitjira/gitjira/internal/packfile"
	"github.com/gitjira/gitjira/store"
	"github.com/go-git/go-git/v5/plumbing"
)

// gitRepo drives the real git CLI on a work tree, with fixed identities and
// increasing dates so every run makes the same history.
type gitRepo struct {
	t    testing.TB
	dir  string
	tick int
}

func gitEnv() []string {
	return append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null", "HOME=/nonexistent",
		"GIT_AUTHOR_NAME=Ada Author", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Cy Committer", "GIT_COMMITTER_EMAIL=cy@example.com")
}

func runGit(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(gitEnv(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func newGitRepo(t testing.TB) *gitRepo {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is missing: run `make deps`")
	}
	dir := filepath.Join(t.TempDir(), "src")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	runGit(t, dir, nil, "init", "-q", "-b", "main")
	return &gitRepo{t: t, dir: dir}
}

func (g *gitRepo) git(args ...string) string {
	g.t.Helper()
	return runGit(g.t, g.dir, nil, args...)
}

// commit makes a commit with message msg (touching a file so trees differ)
// and returns its sha.
func (g *gitRepo) commit(msg string) string {
	g.t.Helper()
	g.tick++
	if err := os.WriteFile(filepath.Join(g.dir, "file.txt"), []byte(msg+"\n"), 0o644); err != nil {
		g.t.Fatal(err)
	}
	g.git("add", "file.txt")
	date := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(g.tick) * time.Hour).Format(time.RFC3339)
	runGit(g.t, g.dir, []string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date}, "commit", "-q", "--allow-empty", "-m", msg)
	return g.git("rev-parse", "HEAD")
}

func (g *gitRepo) merge(branch, msg string) string {
	g.t.Helper()
	g.tick++
	date := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(g.tick) * time.Hour).Format(time.RFC3339)
	runGit(g.t, g.dir, []string{"GIT_AUTHOR_DATE=" + date, "GIT_COMMITTER_DATE=" + date}, "merge", "-q", "--no-ff", "-s", "ours", "-m", msg, branch)
	return g.git("rev-parse", "HEAD")
}

// history is the generated repository's known commits.
type history struct {
	repo                                   *gitRepo
	c1, c2, c3, f1, f2, merge, w1, t1, sig string
}

// makeHistory builds:
//
//	c1 -- c2 -- c3 ------ merge -- sig      (main; feature branch deleted after the merge)
//	        \            /
//	         f1 ---- f2                      (reachable only through the merge's second parent)
//	c2 -- w1                                 (branch wip, never merged)
//	c3 -- t1                                 (only reachable from annotated tag v-only)
func makeHistory(t testing.TB) *history {
	g := newGitRepo(t)
	h := &history{repo: g}
	h.c1 = g.commit("PROJ-1 initial import")
	g.git("tag", "light", h.c1)
	h.c2 = g.commit("fix PROJ-7, not XPROJ-7 nor PROJ-70 nor proj_PROJ-7\n\nPROJ-7 again, and PROJ-7x")
	g.git("checkout", "-q", "-b", "feature")
	h.f1 = g.commit("feature work for PROJ-7")
	h.f2 = g.commit("more feature work\n\nSee OTHER-3.")
	g.git("checkout", "-q", "main")
	h.c3 = g.commit("subject without keys\n\nbody mentions OTHER-3 and PROJ-8")
	h.merge = g.merge("feature", "Merge branch 'feature'")
	g.git("branch", "-D", "feature")
	g.git("checkout", "-q", "-b", "wip", h.c2)
	h.w1 = g.commit("OTHER-9 work in progress")
	g.git("checkout", "-q", "--detach", h.c3)
	h.t1 = g.commit("PROJ-7 only reachable from a tag")
	g.git("tag", "-a", "-m", "tag message PROJ-99 is not a commit", "v-only")
	g.git("checkout", "-q", "main")
	// A multi-line subject, a CRLF and a tab in the subject, keys at the edges.
	h.sig = g.commit("PROJ-8\tfirst line\nsecond line of the subject\n\nlast: PROJ-9")
	return h
}

// mirror makes a bare mirror of the history's repository (packed, as a clone is).
func (h *history) mirror(t testing.TB) string {
	dir := filepath.Join(t.TempDir(), "mirror.git")
	runGit(t, "/", nil, "clone", "-q", "--mirror", "--no-local", h.repo.dir, dir)
	return dir
}

// withTypesFile writes the types file gitjira's indexer writes beside a
// pack into a mirror made by git (from a scan of its entry headers).
func withTypesFile(t testing.TB, dir string) string {
	packs, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.pack"))
	for _, path := range packs {
		p, err := packfile.OpenPack(path)
		if err != nil {
			t.Fatal(err)
		}
		types, err := p.Types()
		if err != nil {
			t.Fatal(err)
		}
		data := packfile.EncodeTypes(p.Index.PackID, len(types), func(i int) packfile.Type { return types[i] })
		p.Close()
		os.MkdirAll(filepath.Dir(packfile.TypesPath(path)), 0o755)
		if err := os.WriteFile(packfile.TypesPath(path), data, 0o444); err != nil {
			t.Fatal(err)
		}
		if p, _ = packfile.OpenPack(path); p == nil || !p.HasTypes() {
			t.Fatal("the types file is not used")
		}
		p.Close()
	}
	return dir
}

func revListAll(t testing.TB, dir string) []string {
	out := runGit(t, dir, nil, "rev-list", "--all")
	l := strings.Fields(out)
	sort.Strings(l)
	return l
}

func indexedCommits(t testing.TB, ix *Index, name string) []string {
	d, err := ix.load(name)
	if err != nil || d == nil {
		t.Fatalf("load index: %v %v", d, err)
	}
	var l []string
	for h := range d.seen {
		l = append(l, h.String())
	}
	sort.Strings(l)
	return l
}

func testPaths(t testing.TB) store.Paths {
	d := t.TempDir()
	return store.Paths{Config: filepath.Join(d, "config"), Data: filepath.Join(d, "data")}
}

func shas(refs []CommitRef) []string {
	var l []string
	for _, r := range refs {
		l = append(l, r.SHA)
	}
	return l
}

func TestIndexEqualsRevListAll(t *testing.T) {
	h := makeHistory(t)
	for _, tc := range []struct {
		name     string
		mirror   func() string
		parallel bool
	}{
		{"packed mirror", func() string { return h.mirror(t) }, false},
		{"packed mirror, parallel decode", func() string { return h.mirror(t) }, true},
		{"loose objects", func() string { return h.repo.dir }, false},
		{"loose objects, parallel decode", func() string { return h.repo.dir }, true},
		{"packed mirror with a types file, parallel decode", func() string { return withTypesFile(t, h.mirror(t)) }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func(old int) { predecodeMin = old }(predecodeMin)
			predecodeMin = 1 << 30
			if tc.parallel {
				predecodeMin = 0
			}
			dir := tc.mirror()
			p := testPaths(t)
			ix := Open(p)
			repo := store.Repository{Name: "r", Mirror: dir, Projects: []string{"ALL"}}
			res, err := ix.Update(repo)
			if err != nil {
				t.Fatal(err)
			}
			want := revListAll(t, dir)
			if got := indexedCommits(t, ix, "r"); !slices.Equal(got, want) {
				t.Fatalf("indexed commits differ from git rev-list --all:\n got %v\nwant %v", got, want)
			}
			if res.Commits != len(want) || res.New != len(want) || len(want) != 9 {
				t.Fatalf("counts: %+v, rev-list has %d", res, len(want))
			}
			// PROJ-1 PROJ-7 PROJ-70 PROJ-8 PROJ-9 OTHER-3 OTHER-9 (XPROJ-7 too: it is a key of project XPROJ)
			if res.IssueKeys != 8 {
				t.Fatalf("store.IssueKeys = %d, want 8", res.IssueKeys)
			}
			// Oldest first: newly indexed commits mentioning keys.
			wantAdded := map[string]bool{h.c1: true, h.c2: true, h.f1: true, h.f2: true, h.c3: true, h.w1: true, h.t1: true, h.sig: true}
			if len(res.Added) != len(wantAdded) {
				t.Fatalf("Added has %d commits, want %d: %v", len(res.Added), len(wantAdded), shas(res.Added))
			}
			for _, a := range res.Added {
				if !wantAdded[a.SHA] {
					t.Fatalf("unexpected Added commit %s", a.SHA)
				}
			}
			if err := store.OpenRepositoryList(p).Update(func([]store.Repository) ([]store.Repository, error) { return []store.Repository{repo}, nil }); err != nil {
				t.Fatal(err)
			}
			got, err := ix.Lookup("PROJ-7")
			if err != nil {
				t.Fatal(err)
			}
			// newest first: t1 (tick 7), f1 (tick 3), c2 (tick 2)
			if w := []string{h.t1, h.f1, h.c2}; !slices.Equal(shas(got), w) {
				t.Fatalf("Lookup(PROJ-7) = %v, want %v", shas(got), w)
			}
			if got[0].Author != "Ada Author" || got[0].Subject != "PROJ-7 only reachable from a tag" || got[0].Repository != "r" ||
				!got[0].Date.Equal(time.Date(2024, 1, 1, 8, 0, 0, 0, time.UTC)) {
				t.Fatalf("Lookup(PROJ-7)[0] = %+v", got[0])
			}
			for key, want := range map[string][]string{
				"PROJ-70": {h.c2}, "XPROJ-7": {h.c2}, "OTHER-3": {h.c3, h.f2}, "PROJ-8": {h.sig, h.c3},
				"PROJ-9": {h.sig}, "OTHER-9": {h.w1}, "PROJ-99": nil, "PROJ-1": {h.c1}, "NOPE-1": nil,
			} {
				got, err := ix.Lookup(key)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(shas(got), want) {
					t.Errorf("Lookup(%s) = %v, want %v", key, shas(got), want)
				}
			}
			sig, _ := ix.Lookup("PROJ-9")
			if len(sig) != 1 || sig[0].Subject != "PROJ-8 first line second line of the subject" {
				t.Errorf("subject of a multi-line first paragraph = %q", sig[0].Subject)
			}
		})
	}
}

func TestIndexIncremental(t *testing.T) {
	h := makeHistory(t)
	dir := h.mirror(t)
	p := testPaths(t)
	ix := Open(p)
	repo := store.Repository{Name: "r", Mirror: dir, Projects: []string{"ALL"}}
	if _, err := ix.Update(repo); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(ix.file("r"))
	if err != nil {
		t.Fatal(err)
	}
	// Nothing new: nothing indexed, file untouched.
	res, err := ix.Update(repo)
	if err != nil || res.New != 0 || len(res.Added) != 0 || res.Commits != 9 {
		t.Fatalf("second update: %+v %v", res, err)
	}
	if after, _ := os.ReadFile(ix.file("r")); string(after) != string(before) {
		t.Fatal("an update with nothing new rewrote the index")
	}
	// Three new commits on main, one on a new branch, then a fetch.
	g := h.repo
	n1 := g.commit("PROJ-10 new work")
	g.commit("no keys here")
	n3 := g.commit("OTHER-11 and PROJ-7")
	g.git("checkout", "-q", "-b", "later", h.c1)
	n4 := g.commit("PROJ-12 on a new branch")
	g.git("checkout", "-q", "main")
	// unpackLimit=1 keeps the fetched objects as a second pack (thin on the
	// wire, completed by index-pack), as a fetch of many commits would.
	runGit(t, dir, nil, "-c", "fetch.unpackLimit=1", "fetch", "-q", "--prune", "origin")
	if packs, _ := filepath.Glob(filepath.Join(dir, "objects", "pack", "*.idx")); len(packs) != 2 {
		t.Fatalf("want 2 packs after the fetch, have %d", len(packs))
	}

	res, err = ix.Update(repo)
	if err != nil {
		t.Fatal(err)
	}
	if res.New != 4 || res.Commits != 13 {
		t.Fatalf("incremental update: New=%d Commits=%d, want 4 and 13", res.New, res.Commits)
	}
	if got := shas(res.Added); len(got) != 3 || !slices.Contains(got, n1) || !slices.Contains(got, n3) || !slices.Contains(got, n4) {
		t.Fatalf("Added = %v, want n1 n3 n4", got)
	}
	if got := indexedCommits(t, ix, "r"); !slices.Equal(got, revListAll(t, dir)) {
		t.Fatal("after the fetch, the index differs from git rev-list --all")
	}
	// Rebuilt from scratch over both packs, decoded in parallel: the same.
	ix2 := Open(testPaths(t))
	func() {
		defer func(old int) { predecodeMin = old }(predecodeMin)
		predecodeMin = 0
		if r2, err := ix2.Update(repo); err != nil || r2.Commits != 13 || r2.New != 13 {
			t.Fatalf("rebuild over two packs: %+v %v", r2, err)
		}
	}()
	if got := indexedCommits(t, ix2, "r"); !slices.Equal(got, revListAll(t, dir)) {
		t.Fatal("rebuilt index differs from git rev-list --all")
	}
	// A force-push that drops n3: it stays in the index (documented).
	g.git("reset", "-q", "--hard", "HEAD~1")
	runGit(t, dir, nil, "fetch", "-q", "--prune", "--force", "origin")
	res, err = ix.Update(repo)
	if err != nil || res.New != 0 || res.Commits != 13 {
		t.Fatalf("after a force-push: %+v %v", res, err)
	}
}

func TestIndexRestrictedProjects(t *testing.T) {
	h := makeHistory(t)
	dir := h.mirror(t)
	p := testPaths(t)
	ix := Open(p)
	repo := store.Repository{Name: "r", Mirror: dir, Projects: []string{"OTHER"}}
	res, err := ix.Update(repo)
	if err != nil {
		t.Fatal(err)
	}
	if res.IssueKeys != 2 { // OTHER-3, OTHER-9
		t.Fatalf("store.IssueKeys = %d, want 2", res.IssueKeys)
	}
	if got := shas(res.Added); len(got) != 3 || !slices.Contains(got, h.w1) || !slices.Contains(got, h.c3) || !slices.Contains(got, h.f2) {
		t.Fatalf("Added = %v, want the 3 OTHER commits", got)
	}
	for _, a := range res.Added {
		for _, k := range a.Keys {
			if !strings.HasPrefix(k, "OTHER-") {
				t.Fatalf("Added carries key %s of a project not allowed", k)
			}
		}
	}
	if err := store.OpenRepositoryList(p).Update(func([]store.Repository) ([]store.Repository, error) { return []store.Repository{repo}, nil }); err != nil {
		t.Fatal(err)
	}
	if got, err := ix.Lookup("PROJ-7"); err != nil || len(got) != 0 {
		t.Fatalf("Lookup(PROJ-7) in a repository restricted to OTHER = %v, %v", shas(got), err)
	}
	if got, err := ix.Lookup("OTHER-3"); err != nil || len(got) != 2 {
		t.Fatalf("Lookup(OTHER-3) = %v, %v", shas(got), err)
	}
	// Allowing PROJ afterwards needs no re-indexing.
	repo.Projects = []string{"OTHER", "PROJ"}
	if err := store.OpenRepositoryList(p).Update(func([]store.Repository) ([]store.Repository, error) { return []store.Repository{repo}, nil }); err != nil {
		t.Fatal(err)
	}
	if got, err := ix.Lookup("PROJ-7"); err != nil || len(got) != 3 {
		t.Fatalf("Lookup(PROJ-7) after allowing PROJ = %v, %v", shas(got), err)
	}
	if c, k, err := ix.Stats(repo); err != nil || c != 9 || k != 7 {
		t.Fatalf("Stats = %d %d %v, want 9 7", c, k, err)
	}
}

func TestIndexMissingMirror(t *testing.T) {
	ix := Open(testPaths(t))
	_, err := ix.Update(store.Repository{Name: "r", Mirror: filepath.Join(t.TempDir(), "nope.git")})
	if err == nil || !strings.Contains(err.Error(), "missing or is not a git repository") {
		t.Fatalf("err = %v", err)
	}
}

// TestPackReaderReadsEverything checks that on a packed mirror every commit
// and tag is read from the packs, and that every object reads back as git
// shows it.
func TestPackReaderReadsEverything(t *testing.T) {
	h := makeHistory(t)
	dir := h.mirror(t)
	db, err := openObjectDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if len(db.packs) != 1 || db.packs[0].HasTypes() {
		t.Fatalf("%d packs; a mirror made by git has no types file", len(db.packs))
	}
	tips, _, err := db.refTips()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := db.walk(tips, map[plumbing.Hash]struct{}{}, func(plumbing.Hash, *commitMeta) { n++ }); err != nil {
		t.Fatal(err)
	}
	if n != 9 {
		t.Fatalf("walked %d commits (want 9)", n)
	}
	// The parallel pre-decoding finds (by scanning entry headers, without a
	// types file) and decodes all 9 commits of the pack.
	pre := db.predecode()
	if len(pre) != 9 {
		t.Fatalf("predecode decoded %d commits, want 9", len(pre))
	}
	if m := pre[plumbing.NewHash(h.merge)]; m == nil || len(m.parents) != 2 || m.author != "Ada Author" {
		t.Fatalf("predecoded merge = %+v", m)
	}
	// Every object of the pack, of every type, reads back as git cat-file shows it.
	for _, line := range strings.Split(runGit(t, dir, nil, "cat-file", "--batch-all-objects", "--batch-check"), "\n") {
		f := strings.Fields(line)
		typ, data, err := db.read(plumbing.NewHash(f[0]))
		if err != nil {
			t.Fatal(err)
		}
		if want := runGit(t, dir, nil, "cat-file", "-p", f[0]); f[1] != "tree" && strings.TrimSpace(string(data)) != want {
			t.Fatalf("object %s (%s) differs from git cat-file", f[0], f[1])
		}
		if typ.String() != f[1] || strconv.Itoa(len(data)) != f[2] {
			t.Fatalf("object %s: type %s size %d, git says %s %s", f[0], typ, len(data), f[1], f[2])
		}
		if ot, err := db.ObjectType(plumbing.NewHash(f[0])); err != nil || ot != typ {
			t.Fatalf("ObjectType(%s) = %s, %v; want %s", f[0], ot, err, typ)
		}
	}
}

// bigRepo is the benchmark repository made by scripts/make-bigrepo.sh.
func bigRepo(b *testing.B) string {
	dir := os.Getenv("GITJIRA_BIGREPO")
	if dir == "" {
		dir = "/tmp/gitjira-bigrepo/mirror.git"
	}
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err != nil {
		b.Skip("no benchmark repository: run scripts/make-bigrepo.sh first")
	}
	return dir
}

// cpuTime is the CPU time (user+system) used so far by this process and by
// its waited-for children. The machine is shared, so the benchmarks report
// it beside the wall time: it does not grow when other processes take the cores.
func cpuTime() time.Duration {
	var self, kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	tv := func(t syscall.Timeval) time.Duration { return time.Duration(t.Nano()) }
	return tv(self.Utime) + tv(self.Stime) + tv(kids.Utime) + tv(kids.Stime)
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkIndex indexes the whole benchmark repository from scratch (walk,
// issue keys, index file written), as after a clone.
func BenchmarkIndex(b *testing.B) {
	dir := bigRepo(b)
	want := len(strings.Fields(runGit(b, dir, nil, "rev-list", "--all")))
	var res UpdateResult
	start := cpuTime()
	for b.Loop() {
		b.StopTimer()
		p := testPaths(b)
		b.StartTimer()
		var err error
		res, err = Open(p).Update(store.Repository{Name: "big", Mirror: dir})
		if err != nil {
			b.Fatal(err)
		}
	}
	if res.Commits != want {
		b.Fatalf("indexed %d commits, git rev-list --all lists %d", res.Commits, want)
	}
	reportCPU(b, start)
	b.ReportMetric(float64(res.Commits), "commits")
	b.ReportMetric(float64(res.IssueKeys), "keys")
}

// BenchmarkIndexTypesFile is BenchmarkIndex on a copy of the mirror with
// the types file gitjira's pack indexer writes (as after a clone): the
// commits are found without scanning the pack's entry headers.
func BenchmarkIndexTypesFile(b *testing.B) {
	src := bigRepo(b)
	dir := filepath.Join(b.TempDir(), "mirror.git")
	runGit(b, "/", nil, "clone", "-q", "--mirror", "--no-local", "--no-hardlinks", src, dir)
	withTypesFile(b, dir)
	var res UpdateResult
	start := cpuTime()
	for b.Loop() {
		b.StopTimer()
		p := testPaths(b)
		b.StartTimer()
		var err error
		if res, err = Open(p).Update(store.Repository{Name: "big", Mirror: dir}); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
	b.ReportMetric(float64(res.Commits), "commits")
}

// BenchmarkIndexNoChange is a fetch that brought nothing: load the index,
// read the refs, stop.
func BenchmarkIndexNoChange(b *testing.B) {
	dir := bigRepo(b)
	ix := Open(testPaths(b))
	repo := store.Repository{Name: "big", Mirror: dir}
	if _, err := ix.Update(repo); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if res, err := ix.Update(repo); err != nil || res.New != 0 {
			b.Fatal(res, err)
		}
	}
}

// BenchmarkGitLogAll is the yardstick: `git log --all --format=%H%x00%B` on
// the same repository, its output parsed with the same key matcher into the
// same key -> commits map.
func BenchmarkGitLogAll(b *testing.B) {
	dir := bigRepo(b)
	var commits, keys int
	start := cpuTime()
	for b.Loop() {
		cmd := exec.Command("git", "log", "--all", "--format=%H%x00%B")
		cmd.Dir = dir
		cmd.Env = gitEnv()
		out, err := cmd.Output()
		if err != nil {
			b.Fatal(err)
		}
		// Records are "<sha>\x00<message>\n"; a message never holds NUL, so
		// every NUL ends a sha and the 40 bytes before each later NUL are the
		// next record's sha.
		byKey := map[string][]string{}
		commits = 0
		parts := strings.Split(string(out), "\x00")
		for i := 1; i < len(parts); i++ {
			msg := parts[i]
			if i < len(parts)-1 {
				msg = msg[:len(msg)-41]
			}
			sha := parts[i-1]
			sha = sha[len(sha)-40:]
			commits++
			for _, k := range store.IssueKeys(msg) {
				byKey[k] = append(byKey[k], sha)
			}
		}
		keys = len(byKey)
	}
	reportCPU(b, start)
	b.ReportMetric(float64(commits), "commits")
	b.ReportMetric(float64(keys), "keys")
}

// The commit parser reads what a remote sent (the mirror's commits).

func FuzzParseCommit(f *testing.F) {
	f.Add([]byte("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n" +
		"author A U Thor <a@example.com> 1700000000 +0130\ncommitter C <c@example.com> 1700000000 -0500\n" +
		"gpgsig -----BEGIN PGP SIGNATURE-----\n \n -----END PGP SIGNATURE-----\n\nPROJ-7 subject\n\nbody\n"))
	f.Add([]byte("author <> x y\n\n"))
	f.Add([]byte("parent zz\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c commitInfo
		if err := parseCommit(data, &c); err != nil {
			return
		}
		_ = c.subject()
		if len(c.parents)*47 > len(data) {
			t.Fatalf("%d parents from %d bytes", len(c.parents), len(data))
		}
	})
}

func FuzzIndexFile(f *testing.F) {
	f.Add([]byte(indexMagic + "\n{\"version\":1,\"repository\":\"r\",\"mirror\":\"/m\",\"tips\":{},\"commits\":1}\n" +
		strings.Repeat("a", 40) + "\t1700000000\t60\tPROJ-7,OTHER-1\tAda\tsubject\nseen 1\n" + strings.Repeat("\x01", 20)))
	f.Add([]byte(indexMagic + "\n{}\nseen 99999999999\n"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := store.Paths{Data: t.TempDir()}
		ix := Open(p)
		os.MkdirAll(p.IndexDir(), 0o700)
		if err := os.WriteFile(ix.file("r"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		ix.load("r")
		refs, err := ix.lookupRepo(store.Repository{Name: "r"}, "PROJ-7")
		if err == nil {
			for _, r := range refs {
				if len(r.SHA) != 40 {
					t.Fatalf("bad sha %q", r.SHA)
				}
			}
		}
	})
}

func TestIndexCorruptedFile(t *testing.T) {
	h := makeHistory(t)
	dir := h.mirror(t)
	p := testPaths(t)
	ix := Open(p)
	repo := store.Repository{Name: "r", Mirror: dir}
	if _, err := ix.Update(repo); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(ix.file("r"))
	bad := data[:len(data)-7] // truncated commit list
	os.WriteFile(ix.file("r"), bad, 0o600)
	_, err := ix.Update(repo)
	if err == nil || !strings.Contains(err.Error(), ix.file("r")) || !strings.Contains(err.Error(), "gitjira repos fetch r") {
		t.Fatalf("err = %v", err)
	}
	if got, _ := os.ReadFile(ix.file("r")); string(got) != string(bad) {
		t.Fatal("the corrupted index was changed")
	}
	// Removing it rebuilds it from the mirror.
	os.Remove(ix.file("r"))
	if res, err := ix.Update(repo); err != nil || res.Commits != 9 {
		t.Fatalf("rebuild: %+v %v", res, err)
	}
}

// BenchmarkLookup is `gitjira issue KEY` on the benchmark repository's index.
func BenchmarkLookup(b *testing.B) {
	dir := bigRepo(b)
	p := testPaths(b)
	repo := store.Repository{Name: "big", Mirror: dir, Projects: []string{"ALL"}}
	if _, err := Open(p).Update(repo); err != nil {
		b.Fatal(err)
	}
	if err := store.OpenRepositoryList(p).Update(func([]store.Repository) ([]store.Repository, error) { return []store.Repository{repo}, nil }); err != nil {
		b.Fatal(err)
	}
	ix := Open(p)
	var n int
	for b.Loop() {
		refs, err := ix.Lookup("PROJ-42")
		if err != nil {
			b.Fatal(err)
		}
		n = len(refs)
	}
	b.ReportMetric(float64(n), "commits")
}

func TestCondenseCommit(t *testing.T) {
	long := strings.Repeat("x", 100<<10)
	in := "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n" +
		"parent 1111111111111111111111111111111111111111\n" +
		"parent 2222222222222222222222222222222222222222\n" +
		"author Ada <a@example.com> 1700000000 +0100\n" +
		"committer Cy <c@example.com> 1700000000 +0100\n" +
		"gpgsig -----BEGIN PGP SIGNATURE-----\n " + long + "\n -----END PGP SIGNATURE-----\n" +
		"x-long " + long + "\n" +
		"\nPROJ-1 subject\n\n" + strings.Repeat("body line\n", 20000) + "LATE-2\n"
	out, err := condenseCommit(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var c commitInfo
	if err := parseCommit(out, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.parents) != 2 || c.author != "Ada" || c.when != 1700000000 || c.tzMin != 60 {
		t.Fatalf("parsed %+v", c)
	}
	if strings.Contains(string(out), "gpgsig") || strings.Contains(string(out), "x-long") || strings.Contains(string(out), long[:100]) {
		t.Fatal("skipped headers were kept")
	}
	if len(c.message) != maxMessageScan || !strings.HasPrefix(c.message, "PROJ-1 subject") {
		t.Fatalf("message of %d bytes", len(c.message))
	}
	if keys := store.IssueKeys(c.message); len(keys) != 1 || keys[0] != "PROJ-1" {
		t.Fatalf("keys %v", keys)
	}
	// A commit that is all headers, cut short.
	if out, err := condenseCommit(strings.NewReader("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a> 1 +0000")); err != nil || !strings.HasSuffix(string(out), "+0000") {
		t.Fatalf("%q %v", out, err)
	}
}

// Commits with messages longer than what is scanned for keys are indexed
// from the first 64 KiB of the message, whether they are read whole (up to
// packfile.BigObjectThreshold) or streamed, packed or loose.
func TestIndexBigCommits(t *testing.T) {
	g := newGitRepo(t)
	body := strings.Repeat("a line of a long message\n", 4000) // 100 KB
	small := g.commit("PROJ-1 first")
	big := g.commit("PROJ-2 long message\n\n" + body + "LATE-3 after the scanned part\n")
	last := g.commit("PROJ-4 last")
	mirror := h2mirror(t, g.dir)
	for _, threshold := range []int64{packfile.BigObjectThreshold, 1 << 10} {
		for _, dir := range []string{g.dir, mirror} {
			t.Run(fmt.Sprintf("threshold %d %s", threshold, filepath.Base(dir)), func(t *testing.T) {
				defer func(v int64) { packfile.BigObjectThreshold = v }(packfile.BigObjectThreshold)
				packfile.BigObjectThreshold = threshold
				ix := Open(testPaths(t))
				res, err := ix.Update(store.Repository{Name: "r", Mirror: dir, Projects: []string{"ALL"}})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, c := range res.Added {
					got = append(got, c.SHA[:7]+":"+strings.Join(c.Keys, ","))
				}
				want := []string{small[:7] + ":PROJ-1", big[:7] + ":PROJ-2", last[:7] + ":PROJ-4"}
				if !slices.Equal(got, want) {
					t.Fatalf("indexed %v, want %v", got, want)
				}
			})
		}
	}
}

func h2mirror(t testing.TB, src string) string {
	dir := filepath.Join(t.TempDir(), "mirror.git")
	runGit(t, "/", nil, "clone", "-q", "--mirror", "--no-local", src, dir)
	return dir
}

// FuzzCondenseCommit reads any bytes as a big commit: no panic, and what it
// keeps is never more than the headers and the scanned part of the message.
func FuzzCondenseCommit(f *testing.F) {
	f.Add([]byte("tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a> 1 +0000\n\nmsg"))
	f.Add([]byte("gpgsig x\n y\n\n"))
	f.Add([]byte("\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := condenseCommit(bytes.NewReader(data))
		if err != nil {
			return
		}
		if len(out) > len(data)+64 {
			t.Fatalf("%d bytes kept from %d", len(out), len(data))
		}
		var c commitInfo
		parseCommit(out, &c)
	})
}
