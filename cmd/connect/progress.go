package connect

import (
	"fmt"
	"strings"
	"time"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/gitops"
)

// printProgress prints plain progress lines: the first and the last event of
// each phase, and at most one a second in between, so logs stay readable
// without a terminal.
func printProgress(s *cmdutil.IOStreams, ch <-chan gitops.Progress) {
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
