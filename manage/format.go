package manage

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/common"
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

// shortSHA is a commit id's first 8 hex digits.
func shortSHA(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}

// The UI layer's helpers, written once (ui/common).
var (
	byteSize = common.ByteSize
	oneLine  = common.OneLine
	plural   = common.Plural
	truncate = common.Truncate
)
