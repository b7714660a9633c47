package gitops

import (
	"errors"
	"fmt"
	"strings"
)

// CheckRefName checks a full ref name as git's check-ref-format does (git's
// refs.c check_refname_format, without --allow-onelevel or
// --refspec-pattern), and also requires it to be HEAD or to start with
// "refs/": the only names a git server may advertise and the only names
// gitjira writes into a mirror. A name that passes cannot climb out of the
// refs directory, split a packed-refs line, or carry terminal escape
// sequences (it has no control characters). The error says which rule the
// name breaks.
//
// The rules: no component starts with "." or ends with ".lock"; no "..", no
// "@{", no "//"; no control character (below 0x20, or DEL), space, "~", "^",
// ":", "?", "*", "[" or "\"; not empty, not "@", does not start or end with
// "/", does not end with ".".
func CheckRefName(name string) error {
	if name == "HEAD" {
		return nil
	}
	if err := checkRefFormat(name); err != nil {
		return err
	}
	if !strings.HasPrefix(name, "refs/") {
		return errRefNotUnderRefs
	}
	return nil
}

// Reasons CheckRefName gives; the texts complete "ref name ... ".
var (
	errRefEmpty        = errors.New("is empty")
	errRefNotUnderRefs = errors.New("is not HEAD and does not start with refs/")
	errRefAt           = errors.New(`is "@"`)
	errRefDotDot       = errors.New(`contains ".."`)
	errRefAtBrace      = errors.New(`contains "@{"`)
	errRefSlashes      = errors.New(`has an empty component (starts or ends with "/", or contains "//")`)
	errRefDotStart     = errors.New(`has a component starting with "."`)
	errRefLock         = errors.New(`has a component ending with ".lock"`)
	errRefDotEnd       = errors.New(`ends with "."`)
)

// checkRefFormat is git's check_refname_format(name, 0).
func checkRefFormat(name string) error {
	if name == "" {
		return errRefEmpty
	}
	if name == "@" {
		return errRefAt
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c < 0x20 || c == 0x7f:
			return fmt.Errorf("contains the control character 0x%02x", c)
		case c == ' ', c == '~', c == '^', c == ':', c == '?', c == '*', c == '[', c == '\\':
			return fmt.Errorf("contains %q", string(c))
		case c == '.' && i+1 < len(name) && name[i+1] == '.':
			return errRefDotDot
		case c == '@' && i+1 < len(name) && name[i+1] == '{':
			return errRefAtBrace
		}
	}
	for comp := range strings.SplitSeq(name, "/") {
		switch {
		case comp == "":
			return errRefSlashes
		case comp[0] == '.':
			return errRefDotStart
		case strings.HasSuffix(comp, ".lock"):
			return errRefLock
		}
	}
	if strings.HasSuffix(name, ".") {
		return errRefDotEnd
	}
	return nil
}

// checkHeadTarget checks where HEAD points (the symref=HEAD:<target>
// capability): a branch, refs/heads/<name>, with a valid name.
func checkHeadTarget(target string) error {
	if err := CheckRefName(target); err != nil {
		return err
	}
	if !strings.HasPrefix(target, "refs/heads/") || target == "refs/heads/" {
		return errors.New("is not a branch (refs/heads/...)")
	}
	return nil
}
