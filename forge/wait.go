package forge

import (
	"context"
	"errors"
	"time"

	"github.com/gitjira/gitjira/gitops"
)

// DefaultWait is how long WaitForAccess keeps trying by default: hosts
// usually accept a new key within seconds, rarely after a minute.
const DefaultWait = 90 * time.Second

// Access says how the re-test after an authorization went.
type Access struct {
	Remote *gitops.RemoteInfo
	// Tries is the number of logins; After the time from the first to the
	// one that worked (0 when the first did).
	Tries int
	After time.Duration
}

// WaitForAccess logs in with the key and lists the repository's refs
// (gitops.Check), again while the host still refuses the key (*gitops.AuthError:
// some hosts take a few seconds to let a new key in), until wait has passed
// or ctx ends. Any other failure (host key, network, repository not found)
// returns at once. onRetry, when not nil, is told of each refusal.
func WaitForAccess(ctx context.Context, o gitops.ConnectOptions, wait time.Duration, onRetry func(tries int, elapsed time.Duration)) (Access, error) {
	if wait <= 0 {
		wait = DefaultWait
	}
	start := time.Now()
	pause := 500 * time.Millisecond
	for tries := 1; ; tries++ {
		info, err := gitops.Check(ctx, o)
		if err == nil {
			a := Access{Remote: info, Tries: tries}
			if tries > 1 {
				a.After = time.Since(start)
			}
			return a, nil
		}
		var ae *gitops.AuthError
		if !errors.As(err, &ae) || time.Since(start)+pause > wait {
			return Access{Tries: tries}, err
		}
		if onRetry != nil {
			onRetry(tries, time.Since(start))
		}
		select {
		case <-ctx.Done():
			return Access{Tries: tries}, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(pause*2, 5*time.Second)
	}
}
