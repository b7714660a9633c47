package gitserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// Handlers that make the server misbehave, as a broken or hostile git host
// would, for tests of clients (Options.Handler, Server.SetHandler). Each
// speaks enough of the protocol to bring the client to the point of
// misbehaviour.

// Advertisement returns the ref advertisement the real `git upload-pack`
// sends for repo (pkt-lines up to and including the flush-pkt).
func Advertisement(repo string) ([]byte, error) {
	cmd := exec.Command("git", "upload-pack", "--strict", "--advertise-refs", repo)
	cmd.Env = append(os.Environ(), "GIT_PROTOCOL=")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git upload-pack --advertise-refs %s: %w", repo, err)
	}
	return out, nil
}

// ReadPkt reads one pkt-line: its payload, or flush = true for "0000".
func ReadPkt(r io.Reader) (payload []byte, flush bool, err error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, false, err
	}
	n, err := strconv.ParseUint(string(hdr[:]), 16, 16)
	if err != nil {
		return nil, false, fmt.Errorf("bad pkt-line length %q", hdr[:])
	}
	if n == 0 {
		return nil, true, nil
	}
	if n < 4 {
		return nil, false, fmt.Errorf("bad pkt-line length %d", n)
	}
	payload = make([]byte, n-4)
	_, err = io.ReadFull(r, payload)
	return payload, false, err
}

// Pkt frames payload as a pkt-line.
func Pkt(payload string) []byte {
	return []byte(fmt.Sprintf("%04x%s", len(payload)+4, payload))
}

// Sideband frames data as one sideband packet on channel band (1 pack
// data, 2 progress, 3 fatal error).
func Sideband(band byte, data string) []byte {
	return Pkt(string([]byte{band}) + data)
}

// ReadRequest reads a client's upload-pack request up to "done": its wants
// and haves. A client that sends a flush-pkt before any want wants nothing
// (io.EOF). After each flush-pkt that ends a round of haves, answer is
// called (nil: no answer), as a server without multi_ack behaves.
func ReadRequest(r io.Reader, answer func(round int) error) (wants, haves []string, err error) {
	round := 0
	for {
		line, flush, err := ReadPkt(r)
		if err != nil {
			return wants, haves, err
		}
		s := strings.TrimSuffix(string(line), "\n")
		switch {
		case flush && len(wants) == 0:
			return nil, nil, io.EOF
		case flush:
			if len(haves) > 0 && answer != nil {
				if err := answer(round); err != nil {
					return wants, haves, err
				}
				round++
			}
		case s == "done":
			return wants, haves, nil
		case strings.HasPrefix(s, "want "):
			wants = append(wants, strings.Fields(s)[1])
		case strings.HasPrefix(s, "have "):
			haves = append(haves, strings.TrimPrefix(s, "have "))
		}
	}
}

// nakEachRound answers every round of haves with a NAK, as multi_ack
// servers do when they have none of them.
func nakEachRound(w io.Writer) func(int) error {
	return func(int) error {
		_, err := w.Write(Pkt("NAK\n"))
		return err
	}
}

// advertiseAndRead sends repo's real advertisement and reads the request.
func advertiseAndRead(repo string, stdin io.Reader, stdout io.Writer) error {
	adv, err := Advertisement(repo)
	if err != nil {
		return err
	}
	if _, err := stdout.Write(adv); err != nil {
		return err
	}
	_, _, err = ReadRequest(stdin, nakEachRound(stdout))
	return err
}

// SilentAfterNAK advertises repo's refs, reads the request, says NAK and
// then sends nothing, keeping the connection open, until the client leaves.
func SilentAfterNAK() Handler {
	return func(ctx context.Context, repo string, stdin io.Reader, stdout, stderr io.Writer) int {
		if err := advertiseAndRead(repo, stdin, stdout); err != nil {
			return 128
		}
		stdout.Write(Pkt("NAK\n"))
		<-ctx.Done()
		return 128
	}
}

// EndlessProgress advertises repo's refs, reads the request, says NAK and
// then sends "Counting objects" progress (sideband channel 2) every
// interval, and never a byte of pack, until the client leaves.
func EndlessProgress(interval time.Duration) Handler {
	return func(ctx context.Context, repo string, stdin io.Reader, stdout, stderr io.Writer) int {
		if err := advertiseAndRead(repo, stdin, stdout); err != nil {
			return 128
		}
		if _, err := stdout.Write(Pkt("NAK\n")); err != nil {
			return 128
		}
		t := time.NewTicker(interval)
		defer t.Stop()
		for n := 1; ; n++ {
			if _, err := stdout.Write(Sideband(2, fmt.Sprintf("Counting objects: %d\r", n))); err != nil {
				return 128
			}
			select {
			case <-ctx.Done():
				return 128
			case <-t.C:
			}
		}
	}
}

// EndlessRefs sends a ref advertisement that never ends: a first line with
// the usual capabilities, then refs/heads/endless/N for N = 1, 2, ... as
// fast as the client reads, until it leaves.
func EndlessRefs() Handler { return ManyRefs(0) }

// ManyRefs advertises n refs (refs/heads/endless/1 to n, all at one made-up
// commit; n <= 0: without end), then waits for the client to say it wants
// nothing. Enough for a client to list refs, not to fetch them.
func ManyRefs(n int) Handler {
	return func(ctx context.Context, repo string, stdin io.Reader, stdout, stderr io.Writer) int {
		const id = "1111111111111111111111111111111111111111"
		w := bufio.NewWriterSize(stdout, 64<<10)
		w.Write(Pkt(id + " HEAD\x00multi_ack_detailed side-band-64k ofs-delta symref=HEAD:refs/heads/main agent=git/2.39\n"))
		line := []byte("0000" + id + " refs/heads/endless/")
		for i := 1; (n <= 0 || i <= n) && ctx.Err() == nil; i++ {
			b := strconv.AppendInt(line, int64(i), 10)
			b = append(b, '\n')
			copy(b, fmt.Sprintf("%04x", len(b)))
			if _, err := w.Write(b); err != nil {
				return 128
			}
		}
		w.WriteString("0000")
		if err := w.Flush(); err != nil {
			return 128
		}
		ReadRequest(stdin, nil)
		return 0
	}
}

// RewriteAdvertisement serves repo with the real `git upload-pack`, with
// the payloads of its ref advertisement passed through rewrite first (one
// string per pkt-line, the flush-pkt not included). What follows the
// advertisement is passed on unchanged.
func RewriteAdvertisement(rewrite func(lines []string) []string) Handler {
	return func(ctx context.Context, repo string, stdin io.Reader, stdout, stderr io.Writer) int {
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			var lines []string
			for {
				line, flush, err := ReadPkt(pr)
				if err != nil {
					done <- err
					pr.CloseWithError(err)
					return
				}
				if flush {
					break
				}
				lines = append(lines, string(line))
			}
			var b bytes.Buffer
			for _, l := range rewrite(lines) {
				b.Write(Pkt(l))
			}
			b.WriteString("0000")
			if _, err := stdout.Write(b.Bytes()); err != nil {
				done <- err
				pr.CloseWithError(err)
				return
			}
			_, err := io.Copy(stdout, pr)
			pr.CloseWithError(err)
			done <- err
		}()
		code := RunUploadPack(ctx, repo, stdin, pw, stderr)
		pw.Close()
		if err := <-done; err != nil && !errors.Is(err, io.EOF) {
			return 128
		}
		return code
	}
}

// SidebandError advertises repo's refs, reads the request, says NAK and
// sends msg as a fatal error on sideband channel 3, as upload-pack does
// when pack-objects dies.
func SidebandError(msg string) Handler {
	return func(ctx context.Context, repo string, stdin io.Reader, stdout, stderr io.Writer) int {
		if err := advertiseAndRead(repo, stdin, stdout); err != nil {
			return 128
		}
		stdout.Write(Pkt("NAK\n"))
		stdout.Write(Sideband(3, msg))
		return 128
	}
}

// StderrAndExit writes msg on stderr and exits with code before saying
// anything on stdout, as a git host does for a repository it will not serve.
func StderrAndExit(msg string, code int) Handler {
	return func(ctx context.Context, repo string, stdin io.Reader, stdout, stderr io.Writer) int {
		io.WriteString(stderr, msg)
		return code
	}
}
