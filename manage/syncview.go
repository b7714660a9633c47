package manage

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/lifecycle"
)

// What a sync shows: the state column and the status line of a syncing
// row, and the message when a batch ends.

// rowProgress is what a syncing row shows.
type rowProgress struct {
	batch int
	stage string // "starting", "passphrase", "fetch", "index", "link"
	p     gitops.Progress
	// linked and toLink are the linking phase's progress (stage "link").
	linked, toLink int
}

// short is the state column: "connecting", "receiving 45%", "indexing".
func (r rowProgress) short() string {
	switch r.stage {
	case "starting":
		return "starting…"
	case "passphrase":
		return "locked key"
	case "index":
		return "indexing…"
	case "link":
		return fmt.Sprintf("linking %d/%d", r.linked, r.toLink)
	}
	p := r.p
	name := string(p.Phase)
	switch p.Phase {
	case "", gitops.PhaseConnecting:
		return "connecting…"
	case gitops.PhaseEnumerating, gitops.PhaseCounting, gitops.PhaseCompressing:
		name = "counting"
	case gitops.PhaseUpdatingRef:
		return "updating…"
	case gitops.PhaseDone:
		return "indexing…"
	}
	if p.Total > 0 {
		return fmt.Sprintf("%s %d%%", name, int(p.Fraction()*100))
	}
	return name + "…"
}

// long is the status line: "receiving objects 45% (120/260), 1.2 MiB at 3.0 MiB/s".
func (r rowProgress) long() string {
	switch r.stage {
	case "starting":
		return "loading its key…"
	case "passphrase":
		return "waiting for the passphrase of its key…"
	case "index":
		return "indexing the new commits…"
	case "link":
		return fmt.Sprintf("Linking in Jira %d/%d", r.linked, r.toLink)
	}
	p := r.p
	switch p.Phase {
	case "", gitops.PhaseConnecting:
		return "connecting…"
	case gitops.PhaseDone:
		return "indexing the new commits…"
	case gitops.PhaseReceiving:
		s := fmt.Sprintf("receiving objects %d%% (%d/%d), %s", int(p.Fraction()*100), p.Current, p.Total, byteSize(p.Bytes))
		if p.BytesPerSec > 0 {
			s += " at " + byteSize(int64(p.BytesPerSec)) + "/s"
		}
		return s
	case gitops.PhaseResolving:
		return fmt.Sprintf("resolving deltas %d%% (%d/%d)", int(p.Fraction()*100), p.Current, p.Total)
	}
	if p.Message != "" {
		return "server: " + oneLine(errors.New(p.Message))
	}
	if p.Total > 0 {
		return fmt.Sprintf("%s %d%% (%d/%d)", p.Phase, int(p.Fraction()*100), p.Current, p.Total)
	}
	return string(p.Phase) + "…"
}

// batchFlash is the status line when a batch ends.
func batchFlash(b *batch, results []lifecycle.SyncResult, err error) flash {
	if err != nil {
		return flash{text: "Sync failed: " + oneLine(err), err: true}
	}
	if len(results) == 1 {
		r := results[0]
		switch {
		case r.Err != nil:
			return flash{text: "Sync of " + r.Name + " failed: " + oneLine(r.Err), err: true}
		case r.LinkErr != nil:
			return flash{text: "Synced " + r.Name + ", but linking to Jira failed: " + oneLine(r.LinkErr), err: true}
		}
		return flash{text: fmt.Sprintf("Synced %s: %s, %s in all.", r.Name, plural(r.NewCommits, "new commit", "new commits"), plural(r.Commits, "commit", "commits"))}
	}
	var failed []string
	newCommits := 0
	for _, r := range results {
		if !r.OK() {
			failed = append(failed, r.Name)
		}
		newCommits += r.NewCommits
	}
	if len(failed) > 0 {
		return flash{text: fmt.Sprintf("Synced %d of %d repositories; failed: %s (see their rows).", len(results)-len(failed), len(results), strings.Join(failed, ", ")), err: true}
	}
	return flash{text: fmt.Sprintf("Synced %s: %s.", plural(len(results), "repository", "repositories"), plural(newCommits, "new commit", "new commits"))}
}
