package cmdutil

import (
	"time"

	"github.com/spf13/cobra"
)

// TimeoutEnv names the environment variable that sets --timeout's default.
const TimeoutEnv = "GITJIRA_TIMEOUT"

// DefaultTimeout is --timeout's default when TimeoutEnv is not set.
const DefaultTimeout = 60 * time.Second

// AddTimeoutFlag defines --timeout DURATION on cmd, stored in *d. Call
// ResolveTimeout in the command's RunE to apply TimeoutEnv when the flag was
// not given.
func AddTimeoutFlag(cmd *cobra.Command, d *time.Duration) {
	cmd.Flags().DurationVar(d, "timeout", DefaultTimeout,
		"`DURATION` allowed for TCP connect, SSH handshake and authentication, e.g. 30s or 2m (default $"+TimeoutEnv+", else 60s)")
	// The usage says the default; pflag would add "(default 1m0s)" as well.
	cmd.Flags().Lookup("timeout").DefValue = "0s"
}

// ResolveTimeout settles --timeout: the flag when given, else TimeoutEnv when
// set, else DefaultTimeout. A value that is not a positive Go duration is a
// usage error naming where it came from.
func ResolveTimeout(cmd *cobra.Command, s *IOStreams, d *time.Duration) error {
	if !cmd.Flags().Changed("timeout") {
		*d = DefaultTimeout
		if v, ok := s.Getenv(TimeoutEnv); ok && v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t <= 0 {
				return UsageErrorf("%s: %s=%q is not a duration: use e.g. 30s or 2m", commandName(cmd), TimeoutEnv, v)
			}
			*d = t
		}
		return nil
	}
	if *d <= 0 {
		return UsageErrorf("%s: --timeout must be more than 0, e.g. 30s or 2m", commandName(cmd))
	}
	return nil
}
