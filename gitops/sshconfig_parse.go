package gitops

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gitjira/gitjira/internal/safefile"
)

// This file reads ssh_config(5) files the way OpenSSH 9's readconf.c does:
// one "keyword args" (or "keyword=args") line at a time, arguments split
// with OpenSSH's quoting rules, Host and Match lines opening blocks, and
// Include pulling other files in where it stands. Evaluation (which blocks
// apply to a host) is in sshconfig_resolve.go.

// maxConfigDepth is OpenSSH's READCONF_MAX_DEPTH: Includes nest at most this deep.
const maxConfigDepth = 16

// maxConfigSize bounds one config file: ~/.ssh/config is small text, and a
// file pointed at something endless must not exhaust memory.
const maxConfigSize = 4 << 20

// configLine is one non-blank, non-comment line of a config file.
type configLine struct {
	file    string
	num     int
	keyword string   // lower case
	args    []string // after OpenSSH's argv_split
	raw     string   // the rest of the line as written (ProxyCommand, ProxyJump take it whole)
}

// ConfigError is a config file OpenSSH would refuse too, or a directive
// gitjira cannot honour for the host being resolved. Its message is one
// line naming the file, the line and the directive.
type ConfigError struct {
	File    string
	Line    int
	Keyword string
	Reason  string
}

func (e *ConfigError) Error() string {
	where := e.File
	if e.Line > 0 {
		where = fmt.Sprintf("%s line %d", e.File, e.Line)
	}
	if e.Keyword != "" {
		return fmt.Sprintf("SSH config %s: %s: %s", where, e.Keyword, e.Reason)
	}
	return fmt.Sprintf("SSH config %s: %s", where, e.Reason)
}

// readConfigFile reads and splits one file. A missing file gives no lines
// and no error only when optional is set (~/.ssh/config, Includes); a file
// named with -F (SSHConfigFile) must exist, as with ssh -F.
func readConfigFile(path string, optional bool) ([]configLine, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() && optional {
		return nil, nil
	}
	data, err := safefile.Read(path, maxConfigSize)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) && optional {
			return nil, nil
		}
		return nil, &ConfigError{File: path, Reason: "cannot read it: " + oneLineErr(err)}
	}
	return parseConfig(data, path)
}

// parseConfig splits config text into lines (a UTF-8 byte-order mark is dropped).
func parseConfig(data []byte, path string) ([]configLine, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var lines []configLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxConfigSize+1)
	num := 0
	for sc.Scan() {
		num++
		l, ok, err := splitConfigLine(sc.Text())
		if err != nil {
			return nil, &ConfigError{File: path, Line: num, Reason: err.Error()}
		}
		if ok {
			l.file, l.num = path, num
			lines = append(lines, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, &ConfigError{File: path, Line: num + 1, Reason: oneLineErr(err)}
	}
	return lines, nil
}

// splitConfigLine is readconf.c's process_config_line front half: the
// keyword ends at whitespace or one '=', the rest is argv_split with
// comments ending the line. ok is false for blank and comment lines.
func splitConfigLine(s string) (l configLine, ok bool, err error) {
	s = strings.TrimRight(s, " \t\r\f\n")
	s = strings.TrimLeft(s, " \t")
	if s == "" || s[0] == '#' {
		return l, false, nil
	}
	// strdelim: the keyword ends at whitespace or '='; one '=' with
	// whitespace around it separates keyword and value.
	i := strings.IndexAny(s, " \t=")
	kw, rest := s, ""
	if i >= 0 {
		kw, rest = s[:i], s[i:]
		rest = strings.TrimLeft(rest, " \t")
		if strings.HasPrefix(rest, "=") {
			rest = strings.TrimLeft(rest[1:], " \t")
		}
	}
	if kw == "" {
		return l, false, fmt.Errorf("a line cannot start with '='")
	}
	l.keyword = strings.ToLower(kw)
	if rest == "" {
		return l, false, fmt.Errorf("no argument after keyword %q", kw)
	}
	l.raw = rest
	l.args, err = argvSplit(rest)
	if err != nil {
		return l, false, err
	}
	if len(l.args) == 0 {
		return l, false, fmt.Errorf("no argument after keyword %q", kw)
	}
	return l, true, nil
}

// argvSplit is OpenSSH's argv_split with terminate_on_comment set: words
// split at spaces and tabs, "..." and '...' group, a backslash escapes a
// quote, a backslash, or (outside quotes) a space, and an unquoted '#' at
// the start of a word ends the line.
func argvSplit(s string) ([]string, error) {
	var args []string
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			break
		}
		if s[i] == '#' {
			break
		}
		var b strings.Builder
		var quote byte
		for ; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '\\' && i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '"' || s[i+1] == '\\' || (quote == 0 && s[i+1] == ' ')):
				i++
				b.WriteByte(s[i])
				continue
			case quote == 0 && (c == ' ' || c == '\t'):
			case quote == 0 && (c == '"' || c == '\''):
				quote = c
				continue
			case quote != 0 && c == quote:
				quote = 0
				continue
			default:
				b.WriteByte(c)
				continue
			}
			break
		}
		if quote != 0 {
			return nil, errors.New("a quote is not closed")
		}
		args = append(args, b.String())
	}
	return args, nil
}

// includePaths expands one Include argument as OpenSSH does: ~ is the home
// directory, a relative path is under ~/.ssh (user config) or /etc/ssh
// (system config), and the result is a sorted glob. No match is no error.
func includePaths(arg string, system bool, home string) ([]string, error) {
	p := arg
	switch {
	case p == "~" || strings.HasPrefix(p, "~/"):
		p = filepath.Join(home, p[1:])
	case filepath.IsAbs(p):
	case system:
		p = filepath.Join("/etc/ssh", p)
	default:
		p = filepath.Join(home, ".ssh", p)
	}
	matches, err := filepath.Glob(p)
	if err != nil {
		return nil, fmt.Errorf("bad Include pattern %q", arg)
	}
	sort.Strings(matches)
	return matches, nil
}
