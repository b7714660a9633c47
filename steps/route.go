package steps

import (
	"errors"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/store"
)

// route finds the step that fixes err (a failure of the connection check,
// the clone or the commit) and records in the draft what that step shows.
// It returns false for an error no earlier step can fix (the caller shows
// it with retry and back).
func route(d *Draft, err error) (ID, bool) {
	var (
		ae  *gitops.AuthError
		hk  *gitops.HostKeyError
		nf  *gitops.RepoNotFoundError
		ne  *gitops.NetError
		rc  *gitops.RemoteCommandError
		ue  *gitops.URLError
		de  *gitops.DirExistsError
		ace *lifecycle.AlreadyConnectedError
	)
	switch {
	case errors.As(err, &ae):
		// The key is refused: authorize it on the host (or choose another).
		d.AuthErr = ae
		return StepAuthorize, true
	case errors.As(err, &hk):
		d.HostKeyErr = hk
		d.HostChecked = false
		if !hk.Unknown() {
			d.TrustFingerprint = ""
		}
		return StepHostKey, true
	case errors.As(err, &nf), errors.As(err, &ne), errors.As(err, &rc), errors.As(err, &ue),
		errors.As(err, &de), errors.As(err, &ace),
		errors.Is(err, store.ErrNameTaken), errors.Is(err, lifecycle.ErrBusy), errors.Is(err, lifecycle.ErrInvalid):
		// Wrong path, host, port or name: all typed on the location step.
		d.LocationErr = err
		return StepLocation, true
	}
	return "", false
}
