package gitops

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gitjira/gitjira/internal/termtext"
)

// SSHRoute is how OpenSSH's client would reach a host: the result of
// evaluating ssh_config(5) for it (Host and Match blocks, Include, first
// value wins, tokens, CanonicalizeHostname with its second pass).
type SSHRoute struct {
	OriginalHost string // the host as typed (alias)
	HostName     string // what is dialled (after HostName and canonicalization)
	User         string
	Port         int

	IdentityFiles    []string // IdentityFile lines (expanded); none means the key given to gitjira
	CertificateFiles []string // CertificateFile lines (expanded)
	IdentitiesOnly   bool
	// IdentityAgent is "" for $SSH_AUTH_SOCK, "none" for no agent, else a socket path.
	IdentityAgent string

	// ProxyJump lists the jump hosts as written ("[user@]host[:port]" or
	// ssh:// URLs), first hop first; nil for a direct connection.
	ProxyJump []string
	// ProxyCommand is the command as written (tokens expanded when run); "" for none.
	ProxyCommand string

	// UserKnownHostsFiles and GlobalKnownHostsFiles are the configured
	// files (expanded); nil means the defaults.
	UserKnownHostsFiles   []string
	GlobalKnownHostsFiles []string
	HostKeyAlias          string
	// StrictHostKeyChecking is "yes", "no", "ask" (the default) or "accept-new".
	StrictHostKeyChecking string

	ConnectTimeout time.Duration // 0: none set
	AddressFamily  string        // "any" (default), "inet" or "inet6"

	Canonicalized bool     // CanonicalizeHostname changed or confirmed the name
	ConfigFiles   []string // the files read, in order
	// ConfigArg is the configuration argument it was resolved with ("",
	// "none" or a file): jump hosts are resolved with the same.
	ConfigArg string
}

// sshResolver evaluates ssh_config files for one host.
type sshResolver struct {
	userFile   string // "" for none
	systemFile string // "" for none
	home       string
	localUser  string
	// lookup resolves a name for CanonicalizeHostname (net.LookupHost by default).
	lookup func(string) error
	// shell runs Match exec commands: $SHELL, else /bin/sh, as in OpenSSH.
	shell string
}

// sshOptions are the values collected while reading: the first value of
// each keyword wins; IdentityFile and CertificateFile accumulate.
type sshOptions struct {
	vals  map[string][]string
	lines map[string]configLine // where each value came from
	files []string
}

func (o *sshOptions) get(kw string) string {
	if v := o.vals[kw]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (o *sshOptions) has(kw string) bool { _, ok := o.vals[kw]; return ok }

// accumulating keywords: every line adds its value.
var accumulating = map[string]bool{"identityfile": true, "certificatefile": true}

func (o *sshOptions) set(l configLine) {
	if accumulating[l.keyword] {
		o.vals[l.keyword] = append(o.vals[l.keyword], l.args[0])
		return
	}
	if _, ok := o.vals[l.keyword]; ok {
		return
	}
	// ProxyJump and ProxyCommand exclude each other: the first one read
	// wins, "none" included (readconf.c).
	if (l.keyword == "proxyjump" && o.has("proxycommand")) || (l.keyword == "proxycommand" && o.has("proxyjump")) {
		return
	}
	o.vals[l.keyword] = l.args
	o.lines[l.keyword] = l
}

// evalState is the state of one pass over the files.
type evalState struct {
	r         *sshResolver
	opts      *sshOptions
	host      string // matched by Host lines
	original  string // as typed
	finalPass bool
	wantFinal bool
	cmdUser   string // user from the location (ssh -l)
	cmdPort   int
}

func newSSHResolver(configFile string) *sshResolver {
	r := &sshResolver{lookup: func(h string) error { _, err := net.LookupHost(h); return err }}
	r.home, _ = os.UserHomeDir()
	if r.shell = os.Getenv("SHELL"); r.shell == "" {
		r.shell = "/bin/sh"
	}
	if u, err := user.Current(); err == nil {
		r.localUser = u.Username
	}
	switch configFile {
	case "none":
	case "", DefaultSSHConfigFile():
		// ~/.ssh/config, named or not, is ssh without -F: the system file follows.
		if r.home != "" {
			r.userFile = filepath.Join(r.home, ".ssh", "config")
		}
		r.systemFile = systemSSHConfig
	default:
		r.userFile = configFile
	}
	return r
}

// systemSSHConfig is read after the user's file, as ssh does, when no
// explicit config file is given.
var systemSSHConfig = "/etc/ssh/ssh_config"

// LocalUser returns the local login name (the user ssh logs in as when
// neither the location nor the config names one).
func LocalUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return os.Getenv("USER")
}

// ResolveSSHHost evaluates the OpenSSH client configuration for host as
// `ssh [-l user] [-p port] host` would: configFile "" means ~/.ssh/config
// then /etc/ssh/ssh_config, "none" means no file, anything else that one
// file (as ssh -F). user and port, when set, win over the config (as on
// ssh's command line).
func ResolveSSHHost(host, user string, port int, configFile string) (*SSHRoute, error) {
	r, err := newSSHResolver(configFile).resolve(host, user, port)
	if r != nil {
		r.ConfigArg = configFile
	}
	return r, err
}

func (r *sshResolver) resolve(hostArg, cmdUser string, cmdPort int) (*SSHRoute, error) {
	opts := &sshOptions{vals: map[string][]string{}, lines: map[string]configLine{}}
	st := &evalState{r: r, opts: opts, host: hostArg, original: hostArg, cmdUser: cmdUser, cmdPort: cmdPort}
	if err := st.pass(); err != nil {
		return nil, err
	}
	host := hostArg
	if hn := opts.get("hostname"); hn != "" {
		host = expandPercent(hn, map[byte]string{'h': hostArg})
	}
	if net.ParseIP(host) == nil {
		host = strings.ToLower(host)
	}
	route := &SSHRoute{OriginalHost: hostArg}
	canon := strings.ToLower(opts.get("canonicalizehostname"))
	switch canon {
	case "", "no", "false":
		canon = "no"
	case "yes", "true":
		canon = "yes"
	case "always":
	default:
		return nil, opts.bad("canonicalizehostname", "expected yes, no or always")
	}
	proxied := (opts.has("proxycommand") && !strings.EqualFold(opts.get("proxycommand"), "none")) ||
		(opts.has("proxyjump") && !strings.EqualFold(opts.get("proxyjump"), "none"))
	if canon == "always" || (canon == "yes" && !proxied) {
		if v := opts.get("canonicalizepermittedcnames"); v != "" && !strings.EqualFold(v, "none") {
			return nil, opts.refuse("canonicalizepermittedcnames", "following CNAMEs is not supported; remove it (gitjira canonicalizes with CanonicalDomains only)")
		}
		h, ok, err := r.canonicalize(host, opts)
		if err != nil {
			return nil, err
		}
		host, route.Canonicalized = h, ok
	}
	if canon != "no" || st.wantFinal {
		// The second pass: Host lines now match the canonical name, and
		// "Match canonical" / "Match final" blocks apply.
		opts.vals["hostname"] = []string{host}
		st.host = host
		st.finalPass = true
		if err := st.pass(); err != nil {
			return nil, err
		}
	}
	return r.fill(route, host, st)
}

// pass reads the user file then the system file once.
func (st *evalState) pass() error {
	files := []struct {
		path   string
		system bool
	}{{st.r.userFile, false}, {st.r.systemFile, true}}
	for _, f := range files {
		if f.path == "" {
			continue
		}
		active := true
		if err := st.file(f.path, f.system, 0, &active, false); err != nil {
			return err
		}
	}
	return nil
}

// file processes one file; active is the current block's state (Include
// passes it in and restores it after), neverMatch marks an Include from an
// inactive block.
func (st *evalState) file(path string, system bool, depth int, active *bool, neverMatch bool) error {
	if depth > maxConfigDepth {
		return &ConfigError{File: path, Keyword: "Include", Reason: fmt.Sprintf("nested more than %d deep", maxConfigDepth)}
	}
	lines, err := readConfigFile(path, true)
	if err != nil {
		return err
	}
	if _, err := os.Stat(path); err == nil && !st.finalPass && !containsStr(st.opts.files, path) {
		st.opts.files = append(st.opts.files, path)
	}
	for _, l := range lines {
		switch l.keyword {
		case "host":
			*active = !neverMatch && hostLineMatches(l.args, st.host)
		case "match":
			m, err := st.match(l)
			if err != nil {
				return err
			}
			*active = !neverMatch && m
		case "include":
			for _, arg := range l.args {
				paths, err := includePaths(arg, system, st.r.home)
				if err != nil {
					return &ConfigError{File: l.file, Line: l.num, Keyword: "Include", Reason: err.Error()}
				}
				for _, p := range paths {
					saved := *active
					if err := st.file(p, system, depth+1, active, neverMatch || !saved); err != nil {
						return err
					}
					*active = saved
				}
			}
		default:
			if err := st.checkKeyword(l); err != nil {
				return err
			}
			if *active {
				st.opts.set(l)
			}
		}
	}
	return nil
}

// hostLineMatches is a Host line: any pattern matches and no negated one does.
func hostLineMatches(patterns []string, host string) bool {
	matched := false
	for _, p := range patterns {
		neg := strings.HasPrefix(p, "!")
		if neg {
			p = p[1:]
		}
		if wildMatch(p, host) {
			if neg {
				return false
			}
			matched = true
		}
	}
	return matched
}

// wildMatch is OpenSSH's match_pattern: '*' any run, '?' one character.
func wildMatch(pattern, s string) bool {
	ok, _ := filepath.Match(escapeGlob(pattern), s)
	return ok
}

// escapeGlob keeps only * and ? special, as in ssh_config patterns.
func escapeGlob(p string) string {
	var b strings.Builder
	for _, c := range p {
		switch c {
		case '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// patternListMatches is match_pattern_list: comma-separated patterns, a
// negated one that matches makes the whole list fail.
func patternListMatches(s, list string, fold bool) bool {
	if fold {
		s = strings.ToLower(s)
	}
	matched := false
	for _, p := range strings.Split(list, ",") {
		if fold {
			p = strings.ToLower(p)
		}
		neg := strings.HasPrefix(p, "!")
		if neg {
			p = p[1:]
		}
		if wildMatch(p, s) {
			if neg {
				return false
			}
			matched = true
		}
	}
	return matched
}

// match evaluates a Match line as match_cfg_line does.
func (st *evalState) match(l configLine) (bool, error) {
	bad := func(reason string) (bool, error) {
		return false, &ConfigError{File: l.file, Line: l.num, Keyword: "Match", Reason: reason}
	}
	args := l.args
	if len(args) == 0 {
		return bad("no criteria after Match")
	}
	// What the criteria see: the host so far, the user so far.
	host := st.original
	if st.finalPass {
		host = st.opts.get("hostname")
	} else if hn := st.opts.get("hostname"); hn != "" {
		host = expandPercent(hn, map[byte]string{'h': st.original})
	}
	ruser := st.cmdUser
	if ruser == "" {
		ruser = st.opts.get("user")
	}
	if ruser == "" {
		ruser = st.r.localUser
	}
	result := true
	n := 0
	for i := 0; i < len(args); i++ {
		attr := args[i]
		n++
		neg := strings.HasPrefix(attr, "!")
		if neg {
			attr = attr[1:]
		}
		a := strings.ToLower(attr)
		switch a {
		case "all":
			if n > 1 && !(n == 2 && (strings.EqualFold(args[0], "canonical") || strings.EqualFold(args[0], "final"))) || i+1 < len(args) {
				return bad("'all' cannot be combined with other Match criteria")
			}
			if neg {
				result = false
			}
			return result, nil
		case "canonical", "final":
			if a == "final" {
				st.wantFinal = true
			}
			if st.finalPass == neg {
				result = false
			}
			continue
		case "host", "originalhost", "user", "localuser", "exec":
		default:
			return bad(fmt.Sprintf("unsupported Match criterion %q (gitjira evaluates all, canonical, final, exec, host, originalhost, user and localuser)", attr))
		}
		if i+1 >= len(args) || args[i+1] == "" {
			return bad(fmt.Sprintf("missing argument for Match %s", attr))
		}
		i++
		arg := args[i]
		var r bool
		switch a {
		case "host":
			r = patternListMatches(host, arg, true)
		case "originalhost":
			r = patternListMatches(st.original, arg, true)
		case "user":
			r = patternListMatches(ruser, arg, false)
		case "localuser":
			r = patternListMatches(st.r.localUser, arg, false)
		case "exec":
			if !result {
				continue // OpenSSH skips exec when an earlier criterion failed
			}
			port := st.port()
			cmd := expandPercent(arg, st.r.tokens(host, st.original, ruser, port, st.opts.get("hostkeyalias")))
			ok, err := runMatchExec(st.r.shell, cmd)
			if err != nil {
				return bad(fmt.Sprintf("exec %q: %s", termtext.Field(cmd, 100), err))
			}
			r = ok
		}
		if r == neg {
			result = false
		}
	}
	return result, nil
}

func (st *evalState) port() int {
	if st.cmdPort > 0 {
		return st.cmdPort
	}
	if p, err := strconv.Atoi(st.opts.get("port")); err == nil && p > 0 {
		return p
	}
	return DefaultPort
}

// matchExecTimeout bounds a Match exec command (OpenSSH waits forever).
const matchExecTimeout = 30 * time.Second

// runMatchExec runs cmd with the user's shell (-c), stdin and stdout on
// /dev/null, as OpenSSH does; true when it exits 0.
func runMatchExec(shell, cmd string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), matchExecTimeout)
	defer cancel()
	c := exec.CommandContext(ctx, shell, "-c", cmd)
	err := c.Run()
	if ctx.Err() != nil {
		return false, fmt.Errorf("did not finish within %s", matchExecTimeout)
	}
	if err == nil {
		return true, nil
	}
	if _, ok := err.(*exec.ExitError); ok {
		return false, nil
	}
	return false, fmt.Errorf("cannot run it with %s: %s", shell, oneLineErr(err))
}

// tokens are the ssh_config(5) TOKENS for the host being resolved.
func (r *sshResolver) tokens(host, original, ruser string, port int, hostKeyAlias string) map[byte]string {
	lhost, _ := os.Hostname()
	short := lhost
	if i := strings.IndexByte(short, '.'); i >= 0 {
		short = short[:i]
	}
	ps := strconv.Itoa(port)
	sum := sha1.Sum([]byte(lhost + host + ps + ruser))
	k := hostKeyAlias
	if k == "" {
		k = original
	}
	return map[byte]string{
		'%': "%", 'C': hex.EncodeToString(sum[:]), 'd': r.home, 'h': host, 'i': strconv.Itoa(os.Getuid()),
		'k': k, 'L': short, 'l': lhost, 'n': original, 'p': ps, 'r': ruser, 'u': r.localUser,
	}
}

// expandPercent replaces %X tokens found in vals; %% is '%'. An unknown
// token is kept as written.
func expandPercent(s string, vals map[byte]string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		if s[i] == '%' {
			b.WriteByte('%')
			continue
		}
		if v, ok := vals[s[i]]; ok {
			b.WriteString(v)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(s[i])
	}
	return b.String()
}

// canonicalize is resolve_canonicalize: an address or an anchored name
// ("host.") is final; a name with at most CanonicalizeMaxDots dots gets
// each CanonicalDomains suffix in turn until one resolves.
func (r *sshResolver) canonicalize(host string, opts *sshOptions) (string, bool, error) {
	if net.ParseIP(host) != nil {
		return host, true, nil
	}
	if strings.HasSuffix(host, ".") {
		// Looked up with its dot, as OpenSSH does (glibc then skips /etc/hosts).
		if r.lookup(host) == nil {
			return strings.TrimSuffix(host, "."), true, nil
		}
	} else {
		maxDots := 1
		if v := opts.get("canonicalizemaxdots"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return "", false, opts.bad("canonicalizemaxdots", "expected a number")
			}
			maxDots = n
		}
		if strings.Count(host, ".") > maxDots {
			return host, false, nil
		}
		for _, d := range opts.vals["canonicaldomains"] {
			if strings.EqualFold(d, "none") {
				break
			}
			full := host + "." + d
			if r.lookup(full+".") == nil {
				return strings.ToLower(full), true, nil
			}
		}
	}
	fb := strings.ToLower(opts.get("canonicalizefallbacklocal"))
	if fb == "no" || fb == "false" {
		return "", false, &ConfigError{File: opts.lines["canonicalizefallbacklocal"].file, Line: opts.lines["canonicalizefallbacklocal"].num,
			Keyword: "CanonicalizeFallbackLocal", Reason: fmt.Sprintf("cannot canonicalize host name %q with CanonicalDomains, and falling back is off (ssh says: Could not resolve host)", host)}
	}
	return host, false, nil
}

// fill applies the defaults and expands tokens, as ssh does once the
// configuration is complete.
func (r *sshResolver) fill(route *SSHRoute, host string, st *evalState) (*SSHRoute, error) {
	o := st.opts
	route.HostName = host
	route.ConfigFiles = o.files
	route.User = st.cmdUser
	if route.User == "" {
		route.User = o.get("user")
	}
	if route.User == "" {
		route.User = r.localUser
	}
	route.Port = st.cmdPort
	if route.Port == 0 && o.has("port") {
		n, err := strconv.Atoi(o.get("port"))
		if err != nil || n < 1 || n > 65535 {
			return nil, o.bad("port", fmt.Sprintf("%q is not a port number", o.get("port")))
		}
		route.Port = n
	}
	if route.Port == 0 {
		route.Port = DefaultPort
	}
	route.HostKeyAlias = o.get("hostkeyalias")
	tok := r.tokens(host, route.OriginalHost, route.User, route.Port, route.HostKeyAlias)
	file := func(s string) string { return expandHomeIn(expandPercent(s, tok), r.home) }
	for _, f := range o.vals["identityfile"] {
		if strings.EqualFold(f, "none") {
			continue
		}
		if p := file(f); !containsStr(route.IdentityFiles, p) {
			route.IdentityFiles = append(route.IdentityFiles, p)
		}
	}
	for _, f := range o.vals["certificatefile"] {
		if strings.EqualFold(f, "none") {
			continue
		}
		if p := file(f); !containsStr(route.CertificateFiles, p) {
			route.CertificateFiles = append(route.CertificateFiles, p)
		}
	}
	if v, ok := o.vals["userknownhostsfile"]; ok && !strings.EqualFold(v[0], "none") {
		for _, f := range v {
			route.UserKnownHostsFiles = append(route.UserKnownHostsFiles, file(f))
		}
	} else if ok {
		route.UserKnownHostsFiles = []string{}
	}
	if v, ok := o.vals["globalknownhostsfile"]; ok && !strings.EqualFold(v[0], "none") {
		for _, f := range v {
			route.GlobalKnownHostsFiles = append(route.GlobalKnownHostsFiles, file(f))
		}
	} else if ok {
		route.GlobalKnownHostsFiles = []string{}
	}
	var err error
	if route.IdentitiesOnly, err = o.flag("identitiesonly"); err != nil {
		return nil, err
	}
	if v := o.get("identityagent"); v != "" {
		switch {
		case strings.EqualFold(v, "none"):
			route.IdentityAgent = "none"
		case v == "SSH_AUTH_SOCK":
			route.IdentityAgent = ""
		case strings.HasPrefix(v, "$"):
			route.IdentityAgent = os.Getenv(strings.Trim(v[1:], "{}"))
			if route.IdentityAgent == "" {
				route.IdentityAgent = "none"
			}
		default:
			route.IdentityAgent = file(v)
		}
	}
	switch {
	case o.has("proxyjump"):
		if v := o.lines["proxyjump"].raw; !strings.EqualFold(v, "none") {
			for _, h := range strings.Split(v, ",") {
				if h = strings.TrimSpace(h); h == "" {
					return nil, o.bad("proxyjump", "empty jump host")
				}
				route.ProxyJump = append(route.ProxyJump, h)
			}
		}
	case o.has("proxycommand"):
		if v := o.lines["proxycommand"].raw; !strings.EqualFold(v, "none") {
			route.ProxyCommand = v
		}
	}
	switch v := strings.ToLower(o.get("stricthostkeychecking")); v {
	case "", "ask":
		route.StrictHostKeyChecking = "ask"
	case "yes", "true":
		route.StrictHostKeyChecking = "yes"
	case "no", "off", "false":
		route.StrictHostKeyChecking = "no"
	case "accept-new":
		route.StrictHostKeyChecking = "accept-new"
	default:
		return nil, o.bad("stricthostkeychecking", "expected yes, no, ask or accept-new")
	}
	if v := o.get("connecttimeout"); v != "" && !strings.EqualFold(v, "none") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, o.bad("connecttimeout", "expected a number of seconds")
		}
		route.ConnectTimeout = time.Duration(n) * time.Second
	}
	switch v := strings.ToLower(o.get("addressfamily")); v {
	case "", "any":
		route.AddressFamily = "any"
	case "inet", "inet6":
		route.AddressFamily = v
	default:
		return nil, o.bad("addressfamily", "expected any, inet or inet6")
	}
	if err := o.checkUnsupported(); err != nil {
		return nil, err
	}
	return route, nil
}

func indexStr(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func (o *sshOptions) bad(kw, reason string) error {
	l := o.lines[kw]
	return &ConfigError{File: l.file, Line: l.num, Keyword: displayKeyword(kw), Reason: reason}
}

func (o *sshOptions) refuse(kw, reason string) error {
	l := o.lines[kw]
	return &ConfigError{File: l.file, Line: l.num, Keyword: displayKeyword(kw),
		Reason: "gitjira cannot honour it for this host: " + reason}
}

func (o *sshOptions) flag(kw string) (bool, error) {
	switch strings.ToLower(o.get(kw)) {
	case "", "no", "false":
		return false, nil
	case "yes", "true":
		return true, nil
	}
	return false, o.bad(kw, "expected yes or no")
}

// expandHomeIn turns a leading ~ or ~/ into home.
func expandHomeIn(p, home string) string {
	if home != "" && (p == "~" || strings.HasPrefix(p, "~/")) {
		return filepath.Join(home, p[1:])
	}
	return p
}

func containsStr(list []string, s string) bool { return indexStr(list, s) >= 0 }

func oneLineErr(err error) string { return termtext.OneLine(err.Error()) }

func contains(list []string, s string) bool { return containsStr(list, s) }

// before reports whether line a was read before line b (for messages).
func before(a, b configLine, files []string) bool {
	ia, ib := indexStr(files, a.file), indexStr(files, b.file)
	if ia != ib {
		return ia < ib
	}
	return a.num < b.num
}
