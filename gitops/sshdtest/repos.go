package sshdtest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// RepoProject is the Jira project key that NewBareRepo's commit messages mention.
const RepoProject = "PROJ"

// NewBareRepo creates ReposDir/<name>.git with the real git: a bare
// repository whose branch main has the given number of commits (made with
// git fast-import, so thousands take well under a second), each message
// mentioning a key PROJ-n (n = 1 + i%50), touching one of a few files, and a
// lightweight tag v0.N on every tenth commit. HEAD points at main. It
// returns the absolute path of the repository, for Server.URL.
func (s *Server) NewBareRepo(name string, commits int) string {
	s.t.Helper()
	dir := filepath.Join(s.ReposDir, strings.TrimSuffix(name, ".git")+".git")
	s.git("", "init", "--quiet", "--bare", "--initial-branch=main", dir)
	s.addCommits(dir, commits, true)
	return dir
}

// AddCommits adds n commits to branch main of a bare repository made by
// NewBareRepo (continuing its history and numbering), e.g. to test fetch.
func (s *Server) AddCommits(repo string, n int) {
	s.t.Helper()
	s.addCommits(repo, n, false)
}

func (s *Server) addCommits(repo string, n int, fresh bool) {
	s.t.Helper()
	if n <= 0 {
		return
	}
	start := 0
	var parent string
	// A fresh repository has nothing to continue from (saves two git runs).
	if !fresh {
		if out, err := s.gitOut(repo, "rev-parse", "--verify", "--quiet", "refs/heads/main"); err == nil {
			parent = strings.TrimSpace(out)
			countOut, _ := s.gitOut(repo, "rev-list", "--count", "refs/heads/main")
			fmt.Sscanf(strings.TrimSpace(countOut), "%d", &start)
		}
	}
	var b bytes.Buffer
	for i := start; i < start+n; i++ {
		msg := fmt.Sprintf("%s-%d: change %d\n\nTouches file%d.txt.\n", RepoProject, 1+i%50, i+1, i%7)
		content := fmt.Sprintf("line written by commit %d\n", i+1)
		when := 1700000000 + int64(i)*60
		fmt.Fprintf(&b, "commit refs/heads/main\nmark :%d\n", i+1)
		fmt.Fprintf(&b, "author Ada Tester <ada@example.com> %d +0000\n", when)
		fmt.Fprintf(&b, "committer Ada Tester <ada@example.com> %d +0000\n", when)
		fmt.Fprintf(&b, "data %d\n%s\n", len(msg), msg)
		if i == start && parent != "" {
			fmt.Fprintf(&b, "from %s\n", parent)
		}
		fmt.Fprintf(&b, "M 644 inline file%d.txt\ndata %d\n%s\n", i%7, len(content), content)
		if (i+1)%10 == 0 {
			fmt.Fprintf(&b, "reset refs/tags/v0.%d\nfrom :%d\n\n", (i+1)/10, i+1)
		}
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir = repo
	cmd.Env = gitEnv()
	cmd.Stdin = &b
	if out, err := cmd.CombinedOutput(); err != nil {
		s.t.Fatalf("sshdtest: git fast-import in %s: %v: %s", repo, err, out)
	}
}

// git runs a git command in dir (or the current directory when dir is "").
func (s *Server) git(dir string, args ...string) string {
	s.t.Helper()
	out, err := s.gitOut(dir, args...)
	if err != nil {
		s.t.Fatalf("sshdtest: git %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return out
}

func (s *Server) gitOut(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Git runs a git command in dir and returns its output, failing the test on
// error; for arranging repositories beyond NewBareRepo (branches, tags).
func (s *Server) Git(dir string, args ...string) string {
	s.t.Helper()
	return s.git(dir, args...)
}

// gitEnv isolates git from the user's and the system's configuration.
func gitEnv() []string {
	env := []string{
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Ada Tester", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Ada Tester", "GIT_COMMITTER_EMAIL=ada@example.com",
	}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "TMPDIR=") {
			env = append(env, kv)
		}
	}
	return env
}
