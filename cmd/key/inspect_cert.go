package key

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gitjira/gitjira/cmd/cmdutil"
	"github.com/gitjira/gitjira/internal/safefile"
	"github.com/gitjira/gitjira/sshkeys"
)

// certJSON is a certificate in `key inspect --json` (docs/CLI.md).
type certJSON struct {
	File           string   `json:"file,omitempty"`
	Type           string   `json:"type"` // "user" or "host"
	KeyID          string   `json:"key_id"`
	Serial         uint64   `json:"serial"`
	Principals     []string `json:"principals"`
	ValidAfter     string   `json:"valid_after"`
	ValidBefore    *string  `json:"valid_before"` // null: forever
	Validity       string   `json:"validity"`     // "valid until ...", "expired at ...", "not valid yet: ..."
	CAFingerprint  string   `json:"ca_fingerprint"`
	CAType         string   `json:"ca_type"`
	KeyFingerprint string   `json:"key_fingerprint"`
	Options        []string `json:"critical_options"`
	Extensions     []string `json:"extensions"`
}

func newCertJSON(file string, ci *sshkeys.CertificateInfo, now time.Time) certJSON {
	j := certJSON{File: file, Type: ci.Type, KeyID: ci.KeyID, Serial: ci.Serial, Principals: orEmpty(ci.Principals),
		ValidAfter: ci.ValidAfter.Format(time.RFC3339), Validity: ci.Validity(now), CAFingerprint: ci.CAFingerprint,
		CAType: ci.CAType, KeyFingerprint: ci.KeyFingerprint, Options: orEmpty(ci.Options), Extensions: orEmpty(ci.Extensions)}
	if !ci.ValidBefore.IsZero() {
		v := ci.ValidBefore.Format(time.RFC3339)
		j.ValidBefore = &v
	}
	return j
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// inspectCertificate answers `key inspect` for a certificate file
// (KEY-cert.pub); ok is false when raw is not one.
func inspectCertificate(opts *InspectOptions, raw []byte, name string) (ok bool, err error) {
	ci, err := sshkeys.InspectCertificate(raw)
	if err != nil {
		return false, nil
	}
	j := newCertJSON(name, ci, time.Now())
	if opts.JSON {
		return true, cmdutil.WriteJSON(opts.IO.Out, j)
	}
	printCertHuman(opts.IO.Out, j)
	return true, nil
}

// besideCertificate is the KEY-cert.pub next to a key file, if any.
func besideCertificate(file string) *certJSON {
	if file == "" || file == "-" {
		return nil
	}
	p := strings.TrimSuffix(file, ".pub") + "-cert.pub"
	data, err := safefile.Read(p, 1<<20)
	if err != nil {
		return nil
	}
	ci, err := sshkeys.InspectCertificate(data)
	if err != nil {
		return nil
	}
	j := newCertJSON(p, ci, time.Now())
	return &j
}

func printCertHuman(w io.Writer, j certJSON) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	if j.File != "" {
		row("Certificate", j.File)
	}
	row("Type", j.Type+" certificate")
	principals := strings.Join(j.Principals, ", ")
	if principals == "" {
		principals = "(any)"
	}
	row("Principals", principals)
	row("Validity", j.Validity)
	row("Signed by CA", j.CAFingerprint+" ("+j.CAType+")")
	row("Certified key", j.KeyFingerprint)
	row("Key ID", fmt.Sprintf("%s (serial %d)", j.KeyID, j.Serial))
	if len(j.Options) > 0 {
		row("Critical options", strings.Join(j.Options, ", "))
	}
	tw.Flush()
}
