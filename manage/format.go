package manage

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/internal/termtext"
	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/store"
)

// relTime says how long ago t was, the short way a list shows it:
// "just now", "5 min ago", "3 h ago", "yesterday", "4 days ago", then the
// date. The zero time is "never".
func relTime(t, now time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < 0:
		if d > -time.Minute {
			return "just now" // a clock a little ahead
		}
		return t.Local().Format("2006-01-02")
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%d min ago", int(d/time.Minute))
	case d < 24*time.Hour:
		return fmt.Sprintf("%d h ago", int(d/time.Hour))
	case d < 48*time.Hour:
		return "yesterday"
	case d < 30*24*time.Hour:
		return fmt.Sprintf("%d days ago", int(d/(24*time.Hour)))
	}
	return t.Local().Format("2006-01-02")
}

// byteSize is n bytes the way du -h says it: "512 B", "1.5 KiB", "12 MiB".
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, u := float64(n)/unit, 0
	for v >= unit && u < 4 {
		v /= unit
		u++
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB"}
	if v < 10 {
		return fmt.Sprintf("%.1f %s", v, units[u])
	}
	return fmt.Sprintf("%.0f %s", v, units[u])
}

// hostOf is the host of a stored (resolved) URL, with the port when it is
// not 22: "git.example.com", "127.0.0.1:2222". It parses without reading
// ~/.ssh/config: stored URLs are resolved already.
func hostOf(url string) string {
	ep, err := gitops.ParseURL(url)
	if err != nil {
		return "?"
	}
	if ep.Port != 0 && ep.Port != 22 {
		if strings.Contains(ep.Host, ":") {
			return "[" + ep.Host + "]:" + strconv.Itoa(ep.Port)
		}
		return ep.Host + ":" + strconv.Itoa(ep.Port)
	}
	return ep.Host
}

// projectsText is the projects column: "all" or the keys.
func projectsText(r store.Repository) string {
	if r.AllProjects() {
		return "all"
	}
	return strings.Join(r.Projects, ",")
}

// oneLine is an error (or any text from outside) as one sanitised line.
func oneLine(err error) string {
	if err == nil {
		return ""
	}
	return termtext.Field(err.Error(), 500)
}

// keyTypeLabel is a key's type as people say it: "ED25519", "RSA 3072",
// "ECDSA 256".
func keyTypeLabel(typ string, bits int) string {
	var name string
	switch {
	case typ == "ssh-ed25519":
		return "ED25519"
	case typ == "ssh-rsa":
		name = "RSA"
	case strings.HasPrefix(typ, "ecdsa-sha2-"):
		name = "ECDSA"
	case typ == "ssh-dss":
		name = "DSA"
	case strings.HasPrefix(typ, "sk-"):
		name = "SK"
	case typ == "":
		return "?"
	default:
		name = strings.ToUpper(strings.TrimPrefix(typ, "ssh-"))
	}
	if bits > 0 {
		return fmt.Sprintf("%s %d", name, bits)
	}
	return name
}

func keyLabel(k *sshkeys.Key) string {
	if k == nil {
		return "?"
	}
	return keyTypeLabel(k.Type, k.Bits)
}

// plural is "1 commit" / "3 commits".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// shortSHA is a commit id's first 8 hex digits.
func shortSHA(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}
