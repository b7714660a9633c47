// Command benchclone is the Go half of scripts/bench-clone.sh.
//
//	benchclone gen -commits N -files F      writes a git fast-import stream on stdout
//	benchclone clone -url U -key K -known-hosts H -dir D
//	                                         clones with gitops.Clone and prints a summary
//
// It is not part of gitjira's command line: it exists so the benchmark
// measures exactly the library code the wizard runs.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/gitjira/gitjira/gitops"
	"golang.org/x/crypto/ssh"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: benchclone gen|clone [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "clone":
		err = clone(os.Args[2:])
	default:
		fmt.Fprintf(os.Stderr, "benchclone: unknown command %q (want gen or clone)\n", os.Args[1])
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchclone:", err)
		os.Exit(1)
	}
}

// gen writes a deterministic history: `commits` commits on main over
// `files` text files in 20 directories, each commit rewriting a line in 1-3
// files (and now and then appending one); a lightweight tag every 500
// commits, an annotated tag every 2500, a release branch every 5000 commits
// and a 40-commit feature branch every 10000.
func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	commits := fs.Int("commits", 1000, "commits on main")
	nfiles := fs.Int("files", 100, "files in the tree")
	fs.Parse(args)
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon phi chi psi omega")
	line := func() string {
		n := 6 + rng.IntN(6)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = words[rng.IntN(len(words))]
		}
		return strings.Join(parts, " ")
	}
	paths := make([]string, *nfiles)
	content := make([][]string, *nfiles)
	for i := range paths {
		paths[i] = fmt.Sprintf("src/mod%02d/file%03d.txt", i%20, i)
		lines := make([]string, 30+rng.IntN(30))
		for j := range lines {
			lines[j] = line()
		}
		content[i] = lines
	}
	mark := 0
	when := int64(1600000000)
	writeCommit := func(ref string, from int, msg string, touched []int) int {
		mark++
		when += 60
		fmt.Fprintf(w, "commit %s\nmark :%d\n", ref, mark)
		fmt.Fprintf(w, "author Ada Bench <ada@example.com> %d +0000\ncommitter Ada Bench <ada@example.com> %d +0000\n", when, when)
		fmt.Fprintf(w, "data %d\n%s\n", len(msg), msg)
		if from > 0 {
			fmt.Fprintf(w, "from :%d\n", from)
		}
		for _, f := range touched {
			data := strings.Join(content[f], "\n") + "\n"
			fmt.Fprintf(w, "M 644 inline %s\ndata %d\n%s\n", paths[f], len(data), data)
		}
		return mark
	}
	change := func() []int {
		k := 1 + rng.IntN(3)
		touched := make([]int, 0, k)
		for range k {
			f := rng.IntN(len(paths))
			c := content[f]
			c[rng.IntN(len(c))] = line()
			if rng.IntN(8) == 0 {
				content[f] = append(c, line())
			}
			touched = append(touched, f)
		}
		return touched
	}
	all := make([]int, len(paths))
	for i := range all {
		all[i] = i
	}
	prev := writeCommit("refs/heads/main", 0, "PROJ-1: initial import\n", all)
	for i := 1; i < *commits; i++ {
		msg := fmt.Sprintf("PROJ-%d: change %d\n\nTouches a few files.\n", 1+i%500, i)
		prev = writeCommit("refs/heads/main", prev, msg, change())
		if i%500 == 0 {
			fmt.Fprintf(w, "reset refs/tags/v0.%d\nfrom :%d\n\n", i/500, prev)
		}
		if i%2500 == 0 {
			msg := fmt.Sprintf("Release %d\n", i/2500)
			fmt.Fprintf(w, "tag v%d.0\nfrom :%d\ntagger Ada Bench <ada@example.com> %d +0000\ndata %d\n%s\n", i/2500, prev, when, len(msg), msg)
		}
		if i%5000 == 0 {
			fmt.Fprintf(w, "reset refs/heads/release/%d\nfrom :%d\n\n", i/5000, prev)
		}
		if i%10000 == 0 {
			// A feature branch: its commits are interleaved with main's, so
			// restore main's file contents afterwards.
			saved := make([][]string, len(content))
			for j := range content {
				saved[j] = append([]string(nil), content[j]...)
			}
			fprev := prev
			for j := range 40 {
				fprev = writeCommit(fmt.Sprintf("refs/heads/feature/%d", i/10000), fprev, fmt.Sprintf("PROJ-%d: feature work %d\n", 900+i/10000, j), change())
			}
			content = saved
		}
	}
	return nil
}

func clone(args []string) error {
	fs := flag.NewFlagSet("clone", flag.ExitOnError)
	url := fs.String("url", "", "ssh:// URL")
	keyFile := fs.String("key", "", "unencrypted private key")
	kh := fs.String("known-hosts", "", "known_hosts file")
	dir := fs.String("dir", "", "mirror directory (must not exist)")
	progress := fs.Bool("progress", false, "print progress phase ends on stderr")
	fs.Parse(args)
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
	ch := make(chan gitops.Progress, 16)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for p := range ch {
			if *progress && p.Done {
				fmt.Fprintf(os.Stderr, "%-12s %d/%d %d bytes %.1f MiB/s\n", p.Phase, p.Current, p.Total, p.Bytes, p.BytesPerSec/(1<<20))
			}
		}
	}()
	start := time.Now()
	res, err := gitops.Clone(context.Background(), gitops.CloneOptions{
		ConnectOptions: gitops.ConnectOptions{Endpoint: ep, Signer: signer, KnownHostsFile: *kh},
		Dir:            *dir, Progress: ch})
	close(ch)
	<-done
	if err != nil {
		return err
	}
	fmt.Printf("gitjira: %d commits, %d refs, %d objects, %.1f MiB pack in %.2fs\n",
		res.Commits, res.Refs, res.Objects, float64(res.PackBytes)/(1<<20), time.Since(start).Seconds())
	return nil
}
