package root

import (
	"context"
	"errors"
	"io"

	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/jira"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/manage"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/wizard"
)

// hasRepositories reports whether the repositories list has an entry (an
// unreadable list counts as none: the wizard then says what is wrong).
func hasRepositories(m *lifecycle.Manager) bool {
	repos, err := m.Repositories()
	return err == nil && len(repos) > 0
}

// runManage opens the Manage repositories screen; `c` there runs the wizard.
func runManage(ctx context.Context, f *cmdutil.Factory) error {
	s := f.IOStreams
	mgr := f.Manager()
	// On the screen, not on stderr under it: Manage shows what its repairs
	// cleaned up (lifecycle.Listing.Recovered).
	mgr.Notify = nil
	paths := mgr.Paths
	var lister manage.ProjectLister
	client, err := f.JiraClient()
	if err == nil {
		lister = client
	}
	agentSocket, _ := s.Getenv("SSH_AUTH_SOCK")
	cfg := manage.Config{
		Manager: mgr,
		// The same key source as repos fetch: ssh-agent, GITJIRA_PASSPHRASE,
		// else the screen asks for the passphrase itself.
		Signer: func(r store.Repository) (ssh.Signer, error) {
			k, err := cmdutil.StoredKey(ctx, s, mgr, r, nil, agentSocket, false)
			if err != nil {
				return nil, err
			}
			return k.Signer, nil
		},
		Projects: lister,
		SSHDir:   f.SSHDir(),
		Context:  ctx,
		Connect: func(in io.Reader, out io.Writer) (*store.Repository, error) {
			r, err := wizard.Run(ctx, wizard.Config{Paths: paths, KnownHostsFile: mgr.KnownHostsFile, SSHConfigFile: mgr.SSHConfigFile,
				Lifecycle: mgr, SSHDir: f.SSHDir(), Projects: lister, InManage: true}, in, out)
			if errors.Is(err, wizard.ErrCancelled) {
				return nil, nil
			}
			return r, err
		},
	}
	// A Development panel site (OAuth only) has no REST client but links.
	if site, err := f.JiraSite(); err == nil && site != nil {
		cfg.Link = func(ctx context.Context, r store.Repository, added []index.CommitRef) (*jira.LinkReport, error) {
			if !jira.LinkingEnabled(r, true) {
				return nil, nil
			}
			rep, err := jira.PushCommitLinks(ctx, paths, r, added)
			return &rep, err
		}
		cfg.Unlink = func(ctx context.Context, r store.Repository) error {
			_, err := jira.Unlink(ctx, paths, *site, r)
			return err
		}
	}
	return manage.Run(cfg, s.In, s.Out)
}
