package cmdutil

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// IOStreams is where a command reads and writes: stdin, stdout and stderr,
// the environment, and the controlling terminal for masked prompts. Tests
// make one with buffers (Test) so commands run without a terminal, without
// touching the process environment, and in parallel.
type IOStreams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer

	// LookupEnv reads the environment (os.LookupEnv; tests inject a map).
	// Secrets such as GITJIRA_PASSPHRASE and JIRA_TOKEN and settings such
	// as GITJIRA_TIMEOUT come from here.
	LookupEnv func(key string) (string, bool)

	// OpenTTY opens the controlling terminal for a masked prompt (default
	// /dev/tty). Nil means there is none: a prompt is never shown.
	OpenTTY func() (*os.File, error)

	stdinLines *bufio.Reader // shared reader: several secrets may come from stdin, one line each
}

// System is the process' own streams, environment and terminal.
func System() *IOStreams {
	return &IOStreams{
		In:        os.Stdin,
		Out:       os.Stdout,
		Err:       os.Stderr,
		LookupEnv: os.LookupEnv,
		OpenTTY:   func() (*os.File, error) { return os.OpenFile("/dev/tty", os.O_RDWR, 0) },
	}
}

// Test is IOStreams for tests: stdin holds the given text, stdout and stderr
// are the returned buffers, the environment is env (nothing else), and there
// is no terminal.
func Test(stdin string, env map[string]string) (ios *IOStreams, stdout, stderr *bytes.Buffer) {
	stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
	ios = &IOStreams{
		In:  strings.NewReader(stdin),
		Out: stdout,
		Err: stderr,
		LookupEnv: func(key string) (string, bool) {
			v, ok := env[key]
			return v, ok
		},
	}
	return ios, stdout, stderr
}

// Getenv is LookupEnv's value, "" when unset (or when LookupEnv is nil).
func (s *IOStreams) Getenv(key string) (string, bool) {
	if s.LookupEnv == nil {
		return "", false
	}
	return s.LookupEnv(key)
}

// IsTerminal reports whether both stdin and stdout are terminals: the
// condition for anything interactive (the wizard).
func (s *IOStreams) IsTerminal() bool {
	return isTerminal(s.In) && isTerminal(s.Out)
}

// StdinIsTerminal reports whether stdin is a terminal: the condition for a
// masked prompt, so scripts and tests never block on /dev/tty.
func (s *IOStreams) StdinIsTerminal() bool { return isTerminal(s.In) }

func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// ReadLine reads one line from stdin without its line ending. Successive calls
// read successive lines (e.g. --passphrase-stdin then --new-passphrase-stdin).
func (s *IOStreams) ReadLine() (string, error) {
	line, err := s.Stdin().(*bufio.Reader).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", errors.New("stdin ended before a line was read")
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// Stdin returns a reader for the rest of stdin (after any lines read with ReadLine).
func (s *IOStreams) Stdin() io.Reader {
	if s.stdinLines == nil {
		s.stdinLines = bufio.NewReader(s.In)
	}
	return s.stdinLines
}

// Secret gets a secret (passphrase, token) the way docs/CLI.md allows: from
// the first line of stdin when fromStdin, else the environment variable env
// when set, else a masked prompt on the terminal. Never from argv. ok is false
// when none of the three is available (no terminal and nothing given). A
// prompt ends when ctx does (a signal), with the terminal's echo restored.
func (s *IOStreams) Secret(ctx context.Context, fromStdin bool, env, prompt string) (secret []byte, ok bool, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if fromStdin {
		line, err := s.ReadLine()
		if err != nil {
			return nil, false, fmt.Errorf("could not read the passphrase from stdin: %v", err)
		}
		return []byte(line), true, nil
	}
	if env != "" {
		if v, set := s.Getenv(env); set {
			return []byte(v), true, nil
		}
	}
	if s.OpenTTY == nil {
		return nil, false, nil
	}
	tty, err := s.OpenTTY()
	if err != nil {
		return nil, false, nil
	}
	defer tty.Close()
	if !term.IsTerminal(int(tty.Fd())) {
		return nil, false, nil
	}
	fmt.Fprint(tty, prompt)
	b, err := readPassword(ctx, tty)
	fmt.Fprintln(tty)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, false, fmt.Errorf("could not read the passphrase from the terminal: %v", err)
	}
	return b, true, nil
}

// readPassword is term.ReadPassword that gives up when ctx ends. The read
// itself cannot be interrupted, so it is left to finish in its goroutine (the
// process is about to exit); the terminal state saved before is restored
// here, since ReadPassword would only restore it when the read returns.
func readPassword(ctx context.Context, tty *os.File) ([]byte, error) {
	fd := int(tty.Fd())
	state, _ := term.GetState(fd)
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := term.ReadPassword(fd)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		return r.b, r.err
	case <-ctx.Done():
		if state != nil {
			term.Restore(fd, state)
		}
		return nil, ctx.Err()
	}
}
