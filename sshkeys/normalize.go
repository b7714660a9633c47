package sshkeys

import (
	"bytes"
	"strings"
)

// pemLineLen is the base64 line length Normalize writes (RFC 7468).
const pemLineLen = 64

// Normalize cleans up a pasted key so the parsers see what the tool wrote:
// CRLF or CR line ends, indentation, leading/trailing blank lines and spaces,
// a missing final newline, and a PEM/OpenSSH body pasted as one long line or
// with spaces instead of line breaks (re-wrapped between BEGIN and END, with
// PEM headers such as Proc-Type and DEK-Info kept), or with its line breaks
// written as the two characters \n (copied from JSON). PuTTY .ppk files keep
// their line structure. Input over MaxInputSize is refused with ErrTooLarge
// and input with nothing in it with ErrEmpty.
func Normalize(raw []byte) ([]byte, error) {
	if len(raw) > MaxInputSize {
		return nil, errTooLarge(len(raw))
	}
	s := string(raw)
	s = strings.TrimPrefix(s, "\ufeff") // a BOM from Windows editors
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if strings.TrimSpace(s) == "" {
		return nil, errEmpty()
	}
	lines := strings.Split(s, "\n")

	if first := strings.TrimSpace(lines[firstNonBlank(lines)]); strings.HasPrefix(first, "PuTTY-User-Key-File-") {
		return normalizePPK(lines), nil
	}
	if strings.Contains(s, "-----BEGIN ") {
		// A key copied out of JSON, YAML or an environment variable often
		// has its line breaks as the two characters \n. Base64 and PEM
		// headers never contain a backslash, so this cannot change a key;
		// any other backslash is dropped too (JSON's \/ and \" among them),
		// or joining the tokens around it could make a new \n.
		s = strings.NewReplacer(`\r\n`, "\n", `\n`, "\n", `\r`, "\n", `\`, "").Replace(s)
		return normalizePEM(s), nil
	}
	// Anything else (an authorized_keys line, an RFC 4716 block, garbage):
	// trimmed lines without blank ones, so detection sees clean lines.
	var out bytes.Buffer
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" {
			out.WriteString(l)
			out.WriteByte('\n')
		}
	}
	return out.Bytes(), nil
}

func firstNonBlank(lines []string) int {
	for i, l := range lines {
		if strings.TrimSpace(l) != "" {
			return i
		}
	}
	return 0
}

// normalizePPK removes indentation and blank lines. Trailing spaces are
// removed too, except on the Comment line: the comment is covered by the
// file's MAC, so a comment that really ends in a space must stay as it is.
func normalizePPK(lines []string) []byte {
	var out bytes.Buffer
	for _, l := range lines {
		l = strings.TrimLeft(l, " \t")
		if !strings.HasPrefix(l, "Comment: ") {
			l = strings.TrimRight(l, " \t")
		}
		if l == "" {
			continue
		}
		out.WriteString(l)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// normalizePEM rebuilds every -----BEGIN X----- ... -----END X----- block.
// The text is read as whitespace-separated tokens so that a block pasted on
// one line, or with its line breaks turned into spaces, comes out the same as
// the original file. Text outside the blocks (openssl's "Bag Attributes",
// a shell prompt) is dropped. A block without its END line is written
// without one, so the parser can say the key is truncated; an END line with
// another label is kept, so it can say they do not match.
func normalizePEM(s string) []byte {
	var out bytes.Buffer
	for {
		i := strings.Index(s, "-----BEGIN ")
		if i < 0 {
			break
		}
		s = s[i+len("-----BEGIN "):]
		j := strings.Index(s, "-----")
		if j < 0 {
			// "-----BEGIN" with nothing after it: keep it for the parser to report.
			out.WriteString("-----BEGIN " + strings.Join(strings.Fields(s), " ") + "\n")
			break
		}
		// A label never ends in '-' (RFC 7468), and one that did would not
		// read back the same from "-----BEGIN label-----".
		label := pemLabelText(s[:j])
		s = s[j+len("-----"):]
		end := "-----END " + label + "-----"
		body := s
		k := strings.Index(s, "-----END ")
		if k >= 0 {
			body = s[:k]
			rest := s[k:]
			if strings.HasPrefix(rest, end) {
				s = rest[len(end):]
			} else {
				// An END line with a different label: kept (normalized),
				// so the parser reports the mismatch, and a second
				// Normalize sees the same block boundaries.
				s = rest[len("-----END "):]
				end = ""
				if m := strings.Index(s, "-----"); m >= 0 {
					end = "-----END " + pemLabelText(s[:m]) + "-----"
					s = s[m+len("-----"):]
				}
			}
		} else {
			end = "" // truncated: no END line, so the parser can say so
		}
		out.WriteString("-----BEGIN " + label + "-----\n")
		writePEMBody(&out, body)
		if end != "" {
			out.WriteString(end + "\n")
		}
		if k < 0 {
			break
		}
	}
	return out.Bytes()
}

// pemLabelText is a BEGIN/END label as written back: spaces collapsed, and
// no trailing '-', since a label never ends in '-' (RFC 7468) and one that
// did would not read back the same from "-----BEGIN label-----".
func pemLabelText(label string) string {
	for l := ""; l != label; {
		l = label
		label = strings.Join(strings.Fields(strings.TrimRight(label, "-")), " ")
	}
	return label
}

// writePEMBody writes headers ("Name: value", RFC 1421: Proc-Type, DEK-Info)
// one per line, a blank line after them, then the base64 re-wrapped. Base64
// never contains ':', so a token with one is a header; its value is what
// follows the colon, or the next token when the colon ends the token.
// Headers come before the base64: a token with a colon after the base64 has
// started, or one that cannot be a header (no name, no value, a value with
// another colon), is dropped. Keeping it would not make the key readable,
// and Normalize could not give the same text back when run again (its
// output must be a fixed point: FuzzNormalize checks that).
func writePEMBody(out *bytes.Buffer, body string) {
	tokens := strings.Fields(body)
	var headers []string
	var b64 strings.Builder
	for i := 0; i < len(tokens); i++ {
		t := tokens[i]
		c := strings.IndexByte(t, ':')
		if c < 0 {
			b64.WriteString(t)
			continue
		}
		name, value := t[:c], t[c+1:]
		if value == "" && i+1 < len(tokens) && !strings.Contains(tokens[i+1], ":") && b64.Len() == 0 {
			i++
			value = tokens[i]
		}
		if name == "" || value == "" || strings.Contains(value, ":") || b64.Len() > 0 {
			continue
		}
		headers = append(headers, name+": "+value)
	}
	for _, h := range headers {
		out.WriteString(h + "\n")
	}
	if len(headers) > 0 {
		out.WriteString("\n")
	}
	data := b64.String()
	for len(data) > 0 {
		n := min(pemLineLen, len(data))
		out.WriteString(data[:n] + "\n")
		data = data[n:]
	}
}
