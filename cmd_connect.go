package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/wizard"
)

// connectOptions are the flags of `gitjira connect` (shared/CLI.md).
type connectOptions struct {
	URL             string
	Key             string
	PassphraseStdin bool
	Name            string
	KnownHosts      string
	TrustHost       string
	AllProjects     bool
	Projects        string
	Yes             bool
	JSON            bool

	// set by `gitjira demo`, not by flags
	paths    *jira.Paths
	timeout  time.Duration
	lister   wizard.ProjectLister
	banner   string
	sshDir   string
	sshConfg string
}

func runConnect(s *IO, args []string) error {
	var o connectOptions
	fs := newFlagSet("connect", s)
	fs.StringVar(&o.URL, "url", "", "repository location: ssh://[user@]host[:port]/path or [user@]host:path")
	fs.StringVar(&o.Key, "key", "", "private key file, or - for stdin")
	fs.BoolVar(&o.PassphraseStdin, "passphrase-stdin", false, "read the key's passphrase from the first line of stdin")
	fs.StringVar(&o.Name, "name", "", "repository name in the list (default: last path element without .git)")
	fs.StringVar(&o.KnownHosts, "known-hosts", "", "known_hosts file to check and extend")
	fs.StringVar(&o.TrustHost, "trust-host", "", "accept an unknown host only if its key has this fingerprint (SHA256:...)")
	fs.BoolVar(&o.AllProjects, "all-projects", false, "associate with all Jira projects (default)")
	fs.StringVar(&o.Projects, "projects", "", "restrict to these Jira projects (KEY[,KEY...])")
	fs.BoolVar(&o.Yes, "yes", false, "never prompt; fail with the missing flag named instead")
	fs.BoolVar(&o.JSON, "json", false, "print the new repository as JSON")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageErrorf("connect: unexpected argument %q: pass the location with --url", rest[0])
	}
	return connect(s, o)
}

func connect(s *IO, o connectOptions) error {
	if o.AllProjects && o.Projects != "" {
		return usageErrorf("connect: --all-projects and --projects exclude each other: pass one")
	}
	if o.TrustHost != "" && !strings.HasPrefix(o.TrustHost, "SHA256:") {
		return usageErrorf("connect: --trust-host takes a SHA256 fingerprint such as SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8")
	}
	projects, err := parseProjects(o.Projects)
	if err != nil {
		return err
	}
	paths := jira.DefaultPaths()
	if o.paths != nil {
		paths = *o.paths
	}
	knownHosts := o.KnownHosts
	if knownHosts == "" {
		knownHosts = gitops.DefaultKnownHostsFile()
	}
	home, _ := os.UserHomeDir()
	sshDir := o.sshDir
	if sshDir == "" {
		sshDir = filepath.Join(home, ".ssh")
	}
	sshConfig := o.sshConfg
	if sshConfig == "" {
		sshConfig = filepath.Join(sshDir, "config")
	}

	if !o.Yes && !o.JSON && s.IsTerminal() {
		cfg := wizard.Config{
			Paths:          paths,
			KnownHostsFile: knownHosts,
			SSHConfigFile:  sshConfig,
			SSHDir:         sshDir,
			URL:            o.URL,
			KeyPath:        o.Key,
			Banner:         o.banner,
			Projects:       o.lister,
			Timeout:        o.timeout,
		}
		if cfg.Projects == nil {
			cfg.Projects = configuredProjectLister(paths)
		}
		repo, err := wizard.Run(cfg, s.In, s.Out)
		if errors.Is(err, wizard.ErrCancelled) {
			fmt.Fprintln(s.Err, "gitjira: cancelled; nothing was added")
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprint(s.Out, wizard.Summary(repo))
		return nil
	}

	// Without a terminal (or with --yes/--json): every answer comes from flags.
	if o.URL == "" {
		return usageErrorf("connect: --url is required without a terminal (e.g. --url git@host:group/repo.git)")
	}
	if o.Key == "" {
		return usageErrorf("connect: --key is required without a terminal (a private key file, or - for stdin)")
	}
	ep, err := gitops.ParseURLWithConfig(o.URL, sshConfig)
	if err != nil {
		return err
	}
	name := o.Name
	if name == "" {
		name = ep.RepoName()
	}
	list := jira.OpenRepositoryList(paths)
	existing, err := list.Load()
	if err != nil {
		return err
	}
	for _, r := range existing {
		if r.Name == name {
			return fmt.Errorf("a repository named %q is already in the list: choose another with --name, or remove it with `gitjira repos remove %s`", name, name)
		}
	}

	raw, key, err := loadConnectKey(s, o.Key, o.PassphraseStdin)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	copts := gitops.ConnectOptions{
		Endpoint:         ep,
		Signer:           key.Signer,
		KnownHostsFile:   knownHosts,
		TrustFingerprint: o.TrustHost,
		Timeout:          o.timeout,
	}
	fmt.Fprintf(s.Err, "connecting to %s as %s with key %s\n", ep.Addr(), ep.User, key.Fingerprint)
	info, err := gitops.Check(ctx, copts)
	if err != nil {
		return connectError(err)
	}
	fmt.Fprintf(s.Err, "host key %s verified; %d branches, %d tags, default branch %s\n", info.HostKeyFingerprint, info.Branches, info.Tags, info.DefaultBranch)

	progress := make(chan gitops.Progress, 64)
	printed := make(chan struct{})
	go func() {
		defer close(printed)
		printProgress(s, progress)
	}()
	mirror := filepath.Join(paths.MirrorsDir(), name+".git")
	res, err := gitops.Clone(ctx, gitops.CloneOptions{ConnectOptions: copts, Dir: mirror, Progress: progress})
	close(progress)
	<-printed
	if err != nil {
		return connectError(err)
	}
	repo := jira.Repository{
		Name:               name,
		URL:                o.URL,
		Projects:           projects,
		KeyFingerprint:     key.Fingerprint,
		HostKeyFingerprint: res.HostKeyFingerprint,
		Mirror:             res.Dir,
		DefaultBranch:      res.DefaultBranch,
		Enabled:            true,
	}
	added, err := jira.AddRepository(paths, repo, raw)
	if err != nil {
		os.RemoveAll(res.Dir) // we created it a moment ago
		return err
	}
	if o.JSON {
		return writeJSON(s.Out, toRepoJSON(added))
	}
	fmt.Fprint(s.Out, wizard.Summary(&added))
	return nil
}

// parseProjects turns --projects into the list's projects field (["ALL"] when empty).
func parseProjects(flag string) ([]string, error) {
	if strings.TrimSpace(flag) == "" {
		return []string{"ALL"}, nil
	}
	var keys []string
	seen := map[string]bool{}
	for _, k := range strings.Split(flag, ",") {
		k = strings.ToUpper(strings.TrimSpace(k))
		if k == "" || seen[k] {
			continue
		}
		if !jira.ValidProjectKey(k) {
			return nil, usageErrorf("connect: %q is not a Jira project key (letters, digits and _ starting with a letter, e.g. PROJ)", k)
		}
		seen[k] = true
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, usageErrorf("connect: --projects names no project key: pass e.g. --projects PROJ,OPS or leave it out for all projects")
	}
	return keys, nil
}

// connectError adds the flag that fixes a host-key problem to gitops' message.
func connectError(err error) error {
	var hk *gitops.HostKeyError
	if errors.As(err, &hk) && hk.Unknown() {
		return fmt.Errorf("host %s is not known: its %s key has fingerprint %s; check it with the host's admin, then pass --trust-host %s",
			hk.Host, hk.KeyType, hk.OfferedFingerprint, hk.OfferedFingerprint)
	}
	return err
}

// printProgress prints plain progress lines: the first and the last event of
// each phase, and at most one a second in between, so logs stay readable
// without a terminal.
func printProgress(s *IO, ch <-chan gitops.Progress) {
	var printed, pending gitops.Progress
	var printedAt time.Time
	havePending := false
	flush := func(p gitops.Progress) {
		fmt.Fprintln(s.Err, progressLine(p))
		printed, printedAt, havePending = p, time.Now(), false
	}
	for p := range ch {
		if p.Phase == gitops.PhaseDone {
			continue
		}
		switch {
		case p.Phase != printed.Phase:
			if havePending && pending.Phase == printed.Phase {
				flush(pending)
			}
			flush(p)
		case p.Current == printed.Current && p.Total == printed.Total && p.Bytes == printed.Bytes:
			// nothing new to say (e.g. the end of a phase without counts)
		case p.Done || time.Since(printedAt) >= time.Second:
			flush(p)
		default:
			pending, havePending = p, true
		}
	}
	if havePending {
		flush(pending)
	}
}

func progressLine(p gitops.Progress) string {
	var b strings.Builder
	b.WriteString(string(p.Phase))
	if p.Total > 0 {
		fmt.Fprintf(&b, ": %3.0f%% (%d/%d)", 100*p.Fraction(), p.Current, p.Total)
	} else if p.Current > 0 {
		fmt.Fprintf(&b, ": %d", p.Current)
	}
	if p.Bytes > 0 {
		fmt.Fprintf(&b, ", %s", humanBytes(p.Bytes))
		if p.BytesPerSec > 0 {
			fmt.Fprintf(&b, " | %s/s", humanBytes(int64(p.BytesPerSec)))
		}
	}
	return b.String()
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// loadConnectKey reads the private key for a non-interactive connect and
// decrypts it with the passphrase from --passphrase-stdin (the first line of
// stdin, before a key given as "-") or GITJIRA_PASSPHRASE. It never prompts.
func loadConnectKey(s *IO, file string, passphraseStdin bool) ([]byte, *sshkeys.Key, error) {
	var pass []byte
	defer func() { clear(pass) }()
	if passphraseStdin {
		line, err := stdinSecretLine(s, "--passphrase-stdin")
		if err != nil {
			return nil, nil, err
		}
		pass = []byte(line)
	}
	raw, name, err := readKeyInput(s, file)
	if err != nil {
		return nil, nil, err
	}
	// No prompt: without a terminal (or with --yes) connect never asks.
	k, locked, err := openKey(s, raw, name, pass, "")
	if err != nil {
		return nil, nil, err
	}
	if locked != nil {
		fp := ""
		if locked.Key != nil && locked.Key.Fingerprint != "" {
			fp = " (" + locked.Key.Fingerprint + ")"
		}
		return nil, nil, fmt.Errorf("%s%s is encrypted: pass its passphrase with --passphrase-stdin or %s", name, fp, keyPassphraseEnv)
	}
	return raw, k, nil
}

// configuredProjectLister is the Jira client of the configured site, or nil
// when none is configured (the permissions step then takes typed keys).
func configuredProjectLister(p jira.Paths) wizard.ProjectLister {
	site, err := jira.LoadSite(p)
	if err != nil || site == nil {
		return nil
	}
	c, err := site.Client()
	if err != nil {
		return nil
	}
	return c
}
