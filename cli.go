package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"
)

// keyPassphraseEnv is the environment variable a key's passphrase may come from (shared/CLI.md).
const keyPassphraseEnv = "GITJIRA_PASSPHRASE"

// IO is the command line's streams, so tests can run commands with buffers.
type IO struct {
	In       io.Reader
	Out, Err io.Writer

	stdinLines *bufio.Reader // shared reader: several secrets may come from stdin, one line each
}

// IsTerminal reports whether both stdin and stdout are terminals.
func (s *IO) IsTerminal() bool {
	in, ok1 := s.In.(*os.File)
	out, ok2 := s.Out.(*os.File)
	return ok1 && ok2 && term.IsTerminal(int(in.Fd())) && term.IsTerminal(int(out.Fd()))
}

// StdinIsTerminal reports whether stdin is a terminal.
func (s *IO) StdinIsTerminal() bool {
	in, ok := s.In.(*os.File)
	return ok && term.IsTerminal(int(in.Fd()))
}

// ReadLine reads one line from stdin without its line ending. Successive calls
// read successive lines (e.g. --passphrase-stdin then --new-passphrase-stdin).
func (s *IO) ReadLine() (string, error) {
	if s.stdinLines == nil {
		s.stdinLines = bufio.NewReader(s.In)
	}
	line, err := s.stdinLines.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", errors.New("stdin ended before a line was read")
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// Stdin returns a reader for the rest of stdin (after any lines read with ReadLine).
func (s *IO) Stdin() io.Reader {
	if s.stdinLines == nil {
		s.stdinLines = bufio.NewReader(s.In)
	}
	return s.stdinLines
}

// Secret gets a secret (passphrase) the way shared/CLI.md allows: from the first
// line of stdin when fromStdin, else the environment variable env when set,
// else a masked prompt on the terminal. Never from argv. ok is false when none
// of the three is available (no terminal and nothing given).
func (s *IO) Secret(fromStdin bool, env, prompt string) (secret []byte, ok bool, err error) {
	if fromStdin {
		line, err := s.ReadLine()
		if err != nil {
			return nil, false, fmt.Errorf("could not read the passphrase from stdin: %v", err)
		}
		return []byte(line), true, nil
	}
	if env != "" {
		if v, set := os.LookupEnv(env); set {
			return []byte(v), true, nil
		}
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, false, nil
	}
	defer tty.Close()
	if !term.IsTerminal(int(tty.Fd())) {
		return nil, false, nil
	}
	fmt.Fprint(tty, prompt)
	b, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	if err != nil {
		return nil, false, fmt.Errorf("could not read the passphrase from the terminal: %v", err)
	}
	return b, true, nil
}

// usageError marks bad usage: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, a ...any) error {
	return &usageError{msg: fmt.Sprintf(format, a...)}
}

// exitCode prints err (one line first; detail may follow) and maps it to the exit code.
func exitCode(stderr io.Writer, err error) int {
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "gitjira: %v\n", err)
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

// flagHelp remembers, per FlagSet, where -h prints and the usage line.
var flagHelp sync.Map // *flag.FlagSet -> flagUsage

type flagUsage struct {
	out   io.Writer
	usage string
}

// newFlagSet makes a quiet FlagSet for the command `gitjira NAME`: the flag
// package would print its error and the whole usage before our one-line
// error, so errors are reported once, by parseFlags, and the usage is printed
// only when asked for with -h (on stdout: help is asked-for data).
func newFlagSet(name string, s *IO) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	flagHelp.Store(fs, flagUsage{out: s.Out, usage: name + " [flags]"})
	return fs
}

// setUsage sets the usage text -h prints after "Usage: gitjira ".
func setUsage(fs *flag.FlagSet, usage string) {
	if u, ok := flagHelp.Load(fs); ok {
		fu := u.(flagUsage)
		fu.usage = usage
		flagHelp.Store(fs, fu)
	}
}

// parseFlags parses args with fs, allowing flags after positional arguments
// (`gitjira key inspect FILE --json`). -h prints the usage and returns
// flag.ErrHelp (exit 0); a bad flag is a one-line usage error (exit 2).
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printUsage(fs)
				return nil, err
			}
			return nil, usageErrorf("%s: %v (gitjira %s -h lists the flags)", fs.Name(), err, fs.Name())
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func printUsage(fs *flag.FlagSet) {
	u, ok := flagHelp.Load(fs)
	if !ok {
		return
	}
	fu := u.(flagUsage)
	fmt.Fprintf(fu.out, "Usage: gitjira %s\n\nFlags:\n", fu.usage)
	fs.SetOutput(fu.out)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// writeJSON prints one JSON document (indented, HTML characters kept as they are).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
