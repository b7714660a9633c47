// Command benchfetch is the Go half of scripts/bench-fetch.sh.
//
//	benchfetch gen -commits N -refs R        writes a git fast-import stream on stdout:
//	                                          N commits on main and about R refs
//	benchfetch grow -commits N -from HASH    writes a stream adding N commits on main after HASH
//	benchfetch fetch -url U -key K -known-hosts H -dir D
//	                                          fetches with gitops.Fetch, reads the new
//	                                          commits' messages (what `git log` prints),
//	                                          and prints a summary
//	benchfetch index -home H -name N -mirror M
//	                                          lists the bare mirror M as repository N
//	                                          in the gitjira home H and indexes it (what
//	                                          connect does after its clone), for
//	                                          bench-issue.sh
//	benchfetch consolidate -dir D              consolidates the packs of mirror D into one
//	                                          (gitops.Consolidate) and prints what it did
//
// It is not part of gitjira's command line: it exists so the benchmark
// measures exactly the library code `gitjira repos fetch` runs.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/store"
	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"golang.org/x/crypto/ssh"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchfetch gen|grow|fetch|index|consolidate [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "grow":
		err = grow(os.Args[2:])
	case "fetch":
		err = fetch(os.Args[2:])
	case "index":
		err = indexMirror(os.Args[2:])
	case "consolidate":
		err = consolidate(os.Args[2:])
	default:
		fmt.Fprintf(os.Stderr, "benchfetch: unknown command %q (want gen, grow, fetch, index or consolidate)\n", os.Args[1])
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchfetch:", err)
		os.Exit(1)
	}
}

// gen writes a history shaped like a busy project with its pull-request
// refs (kafka's mirror has 21k commits and 23k refs): `commits` commits on
// main, a lightweight tag every 50 commits, and the rest of `refs` as
// refs/pull/N/head, each one commit on top of a main commit, spread over
// the history.
func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	commits := fs.Int("commits", 20000, "commits on main")
	refs := fs.Int("refs", 20000, "refs in all")
	fs.Parse(args)
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	when := int64(1600000000)
	mark := 0
	commit := func(ref string, from int, msg, file, content string) int {
		mark++
		when += 60
		fmt.Fprintf(w, "commit %s\nmark :%d\n", ref, mark)
		fmt.Fprintf(w, "author Ada Bench <ada@example.com> %d +0000\ncommitter Ada Bench <ada@example.com> %d +0000\n", when, when)
		fmt.Fprintf(w, "data %d\n%s\n", len(msg), msg)
		if from > 0 {
			fmt.Fprintf(w, "from :%d\n", from)
		}
		fmt.Fprintf(w, "M 644 inline %s\ndata %d\n%s\n", file, len(content), content)
		return mark
	}
	tags := *commits / 50
	pulls := max(*refs-tags-1, 0)
	prev, next := 0, 1 // next pull request to write
	for i := 1; i <= *commits; i++ {
		prev = commit("refs/heads/main", prev, fmt.Sprintf("PROJ-%d: change %d\n", 1+i%500, i),
			fmt.Sprintf("src/file%03d.txt", i%200), fmt.Sprintf("line written by change %d\n", i))
		if i%50 == 0 {
			fmt.Fprintf(w, "reset refs/tags/v%d\nfrom :%d\n\n", i/50, prev)
		}
		for ; next <= pulls && next*(*commits)/pulls <= i; next++ {
			commit(fmt.Sprintf("refs/pull/%d/head", next), prev, fmt.Sprintf("PROJ-%d: pull request %d\n", 1+next%500, next),
				fmt.Sprintf("pr/%d.txt", next), fmt.Sprintf("pull request %d\n", next))
		}
	}
	return nil
}

// grow writes a stream of n new commits on main, after the commit from.
func grow(args []string) error {
	fs := flag.NewFlagSet("grow", flag.ExitOnError)
	n := fs.Int("commits", 100, "new commits")
	from := fs.String("from", "", "current tip of main")
	fs.Parse(args)
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	when := time.Now().Unix()
	for i := 1; i <= *n; i++ {
		msg := fmt.Sprintf("PROJ-%d: new work %d\n", 1+i%500, i)
		fmt.Fprintf(w, "commit refs/heads/main\nmark :%d\n", i)
		fmt.Fprintf(w, "author Ada Bench <ada@example.com> %d +0000\ncommitter Ada Bench <ada@example.com> %d +0000\n", when+int64(i), when+int64(i))
		fmt.Fprintf(w, "data %d\n%s\n", len(msg), msg)
		if i == 1 {
			fmt.Fprintf(w, "from %s\n", *from)
		}
		content := fmt.Sprintf("new line %d\n", i)
		fmt.Fprintf(w, "M 644 inline src/new%02d.txt\ndata %d\n%s\n", i%20, len(content), content)
	}
	return nil
}

func fetch(args []string) error {
	fs := flag.NewFlagSet("fetch", flag.ExitOnError)
	url := fs.String("url", "", "ssh:// URL")
	keyFile := fs.String("key", "", "unencrypted private key")
	kh := fs.String("known-hosts", "", "known_hosts file")
	dir := fs.String("dir", "", "mirror directory")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the fetch to this file")
	log := fs.Bool("log", true, "read the new commits afterwards, as `git log old..new` does")
	fs.Parse(args)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	ep, err := gitops.ParseURL(*url)
	if err != nil {
		return err
	}
	pem, err := os.ReadFile(*keyFile)
	if err != nil {
		return err
	}
	signer, err := ssh.ParsePrivateKey(pem)
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := gitops.Fetch(context.Background(), *dir,
		gitops.ConnectOptions{Endpoint: ep, Signer: signer, KnownHostsFile: *kh}, nil)
	if err != nil {
		return err
	}
	fetched := time.Since(start)
	// What `git log old..new` does for the new commits: read each one.
	repo, err := git.PlainOpen(*dir)
	if err != nil {
		return err
	}
	logged := 0
	for _, ids := range res.Updated {
		if ids[1] == "" || !*log {
			continue
		}
		stop := plumbing.NewHash(ids[0])
		c, err := repo.CommitObject(plumbing.NewHash(ids[1]))
		for err == nil && c.Hash != stop {
			_ = c.Message // read, as git log does
			logged++
			if c.NumParents() == 0 {
				break
			}
			c, err = c.Parent(0)
		}
		if err != nil && err != object.ErrParentNotFound {
			return err
		}
	}
	fmt.Printf("gitjira: %d refs updated, %d objects, %d haves, %d new commits read; pack %d bytes, %d thin bases; fetch %.3fs, total %.3fs\n",
		len(res.Updated), res.Objects, res.Haves, logged, res.PackBytes, res.ThinBases, fetched.Seconds(), time.Since(start).Seconds())
	return nil
}

func indexMirror(args []string) error {
	fs := flag.NewFlagSet("index", flag.ExitOnError)
	home := fs.String("home", "", "gitjira home")
	name := fs.String("name", "", "repository name")
	mirror := fs.String("mirror", "", "bare mirror")
	fs.Parse(args)
	p := store.Paths{Config: *home, Data: *home}
	abs, err := filepath.Abs(*mirror)
	if err != nil {
		return err
	}
	repo := store.Repository{Name: *name, URL: "ssh://bench.invalid/" + *name, Mirror: abs, Projects: []string{store.AllProjectsValue}, Enabled: true}
	if err := os.MkdirAll(*home, 0o700); err != nil {
		return err
	}
	if err := store.OpenRepositoryList(p).Update(func(l []store.Repository) ([]store.Repository, error) {
		return append(l, repo), nil
	}); err != nil {
		return err
	}
	start := time.Now()
	res, err := index.Open(p).Update(repo)
	if err != nil {
		return err
	}
	fmt.Printf("indexed %d commits, %d issue keys in %.2fs\n", res.Commits, res.IssueKeys, time.Since(start).Seconds())
	return nil
}

func consolidate(args []string) error {
	fs := flag.NewFlagSet("consolidate", flag.ExitOnError)
	dir := fs.String("dir", "", "mirror directory")
	fs.Parse(args)
	lock, err := gitops.TryLockMirror(*dir)
	if err != nil {
		return err
	}
	defer lock.Unlock()
	start := time.Now()
	res, err := gitops.Consolidate(context.Background(), *dir)
	if err != nil {
		return err
	}
	fmt.Printf("consolidated %d packs into one of %d objects, %d bytes, in %.2fs\n", res.Packs, res.Objects, res.Bytes, time.Since(start).Seconds())
	return nil
}
