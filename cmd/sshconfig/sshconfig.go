// Package sshconfig is `gitjira ssh-config LOCATION`: how a repository
// location resolves with the OpenSSH client configuration, to compare with
// `ssh -G`.
package sshconfig

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/internal/safefile"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/sshkeys"
)

// Options are the arguments and flags of `gitjira ssh-config`.
type Options struct {
	IO            *cmdutil.IOStreams
	Location      string
	SSHConfigFile string // --ssh-config, else the Factory's
	KnownHosts    string // --known-hosts ("" when not given)
	JSON          bool
}

// NewCmdSSHConfig builds `gitjira ssh-config LOCATION`. runF, when not
// nil, is called with the parsed options instead of the command's own run.
func NewCmdSSHConfig(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{}
	cmd := &cobra.Command{
		Use:   "ssh-config LOCATION",
		Short: "Show how a repository location resolves with the SSH config",
		Long: `Show how a repository location resolves with the OpenSSH client configuration
(~/.ssh/config, then /etc/ssh/ssh_config): the user, host and port logged in
to, the identity files and certificates, the jump hosts or proxy command, the
known_hosts files and the host key name. Compare it with ` + "`ssh -G HOST`" + `.

A directive gitjira cannot honour for this host is reported with its file and
line, as connect and fetch would report it.`,
		Example: "  gitjira ssh-config gitsrv:team/app.git\n  gitjira ssh-config ssh://git@bastioned.example/app.git --json",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.IO = f.IOStreams
			opts.Location = args[0]
			if !cmd.Flags().Changed("ssh-config") && f.SSHConfigFile != nil {
				opts.SSHConfigFile = f.SSHConfigFile()
			}
			if runF != nil {
				return runF(opts)
			}
			return run(opts)
		},
	}
	cmd.Flags().StringVar(&opts.SSHConfigFile, "ssh-config", "", "read this `FILE` only (as ssh -F; \"none\" for no file)")
	cmd.Flags().StringVar(&opts.KnownHosts, "known-hosts", "", "known_hosts `FILE` that connect and fetch would be given (it wins over the config)")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print one JSON object")
	return cmd
}

// Hop is one jump host as it resolves.
type Hop struct {
	As   string `json:"as_written"`
	User string `json:"user,omitempty"`
	Host string `json:"host,omitempty"`
	Port int    `json:"port,omitempty"`
	Err  string `json:"error,omitempty"`
}

// Cert is a user certificate the connection would use.
type Cert struct {
	File       string   `json:"file"`
	Principals []string `json:"principals"`
	Validity   string   `json:"validity"`
	CA         string   `json:"ca_fingerprint"`
}

// Resolved is the `ssh-config --json` object (docs/CLI.md).
type Resolved struct {
	Location         string   `json:"location"`
	User             string   `json:"user"`
	Host             string   `json:"host"`
	Port             int      `json:"port"`
	Path             string   `json:"path"`
	Alias            string   `json:"alias,omitempty"`
	IdentityFiles    []string `json:"identity_files"`
	Certificates     []Cert   `json:"certificates"`
	IdentitiesOnly   bool     `json:"identities_only"`
	IdentityAgent    string   `json:"identity_agent"`
	ProxyJump        []Hop    `json:"proxy_jump"`
	ProxyCommand     string   `json:"proxy_command,omitempty"`
	KnownHostsFiles  []string `json:"known_hosts_files"`
	KnownHostsWrite  string   `json:"known_hosts_write"`
	HostKeyName      string   `json:"host_key_name"`
	StrictHostKey    string   `json:"strict_host_key_checking"`
	ConnectTimeout   string   `json:"connect_timeout,omitempty"`
	Canonicalized    bool     `json:"canonicalized"`
	ConfigFiles      []string `json:"config_files"`
	RepositoryString string   `json:"url"`
}

func run(o *Options) error {
	ep, err := gitops.ParseURLWithConfig(o.Location, o.SSHConfigFile)
	if err != nil {
		return err
	}
	r := Resolve(ep, o.KnownHosts)
	if o.JSON {
		return cmdutil.WriteJSON(o.IO.Out, r)
	}
	print(o.IO.Out, r)
	return nil
}

// Resolve describes ep (from ParseURLWithConfig) for people and JSON.
func Resolve(ep *gitops.Endpoint, knownHostsFlag string) Resolved {
	rt := ep.Route
	r := Resolved{
		Location: termtext.OneLine(ep.Original), User: ep.User, Host: ep.Host, Port: ep.Port, Path: ep.Path, Alias: ep.Alias,
		IdentityFiles: nonNil(ep.IdentityFiles), Certificates: []Cert{}, ProxyJump: []Hop{}, HostKeyName: ep.KnownHostsName(),
		RepositoryString: ep.String(), IdentityAgent: "$SSH_AUTH_SOCK",
	}
	r.KnownHostsFiles, r.KnownHostsWrite = gitops.KnownHostsFiles(ep, knownHostsFlag)
	if rt == nil {
		return r
	}
	r.IdentitiesOnly, r.ProxyCommand, r.StrictHostKey, r.Canonicalized = rt.IdentitiesOnly, rt.ProxyCommand, rt.StrictHostKeyChecking, rt.Canonicalized
	r.ConfigFiles = nonNil(rt.ConfigFiles)
	if rt.IdentityAgent != "" {
		r.IdentityAgent = rt.IdentityAgent
	}
	if rt.ConnectTimeout > 0 {
		r.ConnectTimeout = rt.ConnectTimeout.String()
	}
	for _, h := range rt.ProxyJump {
		hop := Hop{As: h}
		if hep, err := gitops.ParseURLWithConfig("ssh://"+strings.TrimPrefix(h, "ssh://")+"/-", rt.ConfigArg); err != nil {
			hop.Err = err.Error()
		} else {
			hop.User, hop.Host, hop.Port = hep.User, hep.Host, hep.Port
		}
		r.ProxyJump = append(r.ProxyJump, hop)
	}
	// Certificates: CertificateFile lines, and KEY-cert.pub beside each
	// identity file (the config's, then the default ones).
	files := gitops.CertificateFiles(ep, "")
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f] {
			continue
		}
		seen[f] = true
		data, err := safefile.Read(f, 1<<20)
		if err != nil {
			continue
		}
		ci, err := sshkeys.InspectCertificate(data)
		if err != nil {
			continue
		}
		r.Certificates = append(r.Certificates, Cert{File: f, Principals: nonNil(ci.Principals), Validity: ci.Validity(time.Now()), CA: ci.CAFingerprint})
	}
	return r
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func print(w io.Writer, r Resolved) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, termtext.OneLine(v)) }
	orNone := func(list []string) string {
		if len(list) == 0 {
			return "(none)"
		}
		return strings.Join(list, ", ")
	}
	row("location", r.Location)
	row("user", r.User)
	row("host", r.Host)
	row("port", strconv.Itoa(r.Port))
	row("path", r.Path)
	row("url", r.RepositoryString)
	switch {
	case len(r.ProxyJump) > 0:
		var hops []string
		for _, h := range r.ProxyJump {
			if h.Err != "" {
				hops = append(hops, h.As+" (does not resolve: "+h.Err+")")
			} else {
				hops = append(hops, fmt.Sprintf("%s (%s@%s:%d)", h.As, h.User, h.Host, h.Port))
			}
		}
		row("jump hosts", strings.Join(hops, " -> "))
	case r.ProxyCommand != "":
		row("proxy command", r.ProxyCommand)
	default:
		row("connection", "direct")
	}
	row("identity files", orNone(r.IdentityFiles)+" (connect and fetch sign with the repository's key)")
	var certs []string
	for _, c := range r.Certificates {
		certs = append(certs, fmt.Sprintf("%s (principals %s; %s; CA %s)", c.File, orNone(c.Principals), c.Validity, c.CA))
	}
	row("certificates", orNone(certs))
	row("identity agent", r.IdentityAgent)
	if r.IdentitiesOnly {
		row("identities only", "yes")
	}
	row("known_hosts", strings.Join(r.KnownHostsFiles, ", ")+" (new keys go to "+r.KnownHostsWrite+")")
	row("host key name", r.HostKeyName)
	row("strict host keys", orNone([]string{r.StrictHostKey}))
	if r.ConnectTimeout != "" {
		row("connect timeout", r.ConnectTimeout)
	}
	if r.Canonicalized {
		row("canonicalized", "yes")
	}
	row("config files", orNone(r.ConfigFiles))
	tw.Flush()
}
