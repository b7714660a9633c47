// Package gitdiff reads a commit and what it changed from a mirror, as
// `git show` prints it: the commit's header and message, the files changed
// (renames and copies found as git finds them by default, mode changes,
// binary files named), and each file's line diff in git's hunks. It reads
// objects through the project's own pack reader (an Objects), holds one
// file's contents at a time, and lets a caller take the first files and
// lines of a huge commit and the rest on demand. It has no UI code.
package gitdiff

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gitjira/gitjira/internal/packfile"
	"github.com/go-git/go-git/v5/plumbing"
)

// Objects reads objects of one repository (the index package's object
// database over internal/packfile satisfies it).
type Objects interface {
	// Object returns an object's type and whole content (an error wrapping
	// packfile.ErrBigObject when it is larger than
	// packfile.BigObjectThreshold).
	Object(id plumbing.Hash) (packfile.Type, []byte, error)
}

// Sentinel errors.
var (
	// ErrNotCommit: the id names an object that is not a commit.
	ErrNotCommit = errors.New("not a commit")
)

// Signature is an author or committer line.
type Signature struct {
	Name, Email string
	When        time.Time // in the signature's own time zone
}

// Commit is a parsed commit.
type Commit struct {
	ID        plumbing.Hash
	Tree      plumbing.Hash
	Parents   []plumbing.Hash
	Author    Signature
	Committer Signature
	// Message is the commit message, cut to MaxMessage bytes.
	Message string
	// MessageCut says the message was longer than MaxMessage.
	MessageCut bool
}

// MaxMessage bounds the message kept of a commit (1 MiB).
const MaxMessage = 1 << 20

// Subject is the first paragraph of the message on one line (git's %s).
func (c *Commit) Subject() string {
	msg := strings.TrimLeft(c.Message, "\n")
	if i := strings.Index(msg, "\n\n"); i >= 0 {
		msg = msg[:i]
	}
	lines := strings.Split(strings.TrimRight(msg, "\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, " ")
}

// ReadCommit reads and parses commit id.
func ReadCommit(db Objects, id plumbing.Hash) (*Commit, error) {
	t, data, err := db.Object(id)
	if err != nil {
		return nil, err
	}
	if t != packfile.Commit {
		return nil, fmt.Errorf("%s is a %s: %w", id, t, ErrNotCommit)
	}
	return ParseCommit(id, data)
}

// ParseCommit parses a commit object's content.
func ParseCommit(id plumbing.Hash, data []byte) (*Commit, error) {
	c := &Commit{ID: id}
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var line []byte
		if i < 0 {
			line, data = data, nil
		} else {
			line, data = data[:i], data[i+1:]
		}
		if len(line) == 0 {
			if len(data) > MaxMessage {
				data, c.MessageCut = data[:MaxMessage], true
			}
			c.Message = string(data)
			break
		}
		key, val, _ := bytes.Cut(line, []byte{' '})
		switch string(key) {
		case "tree":
			h, ok := parseHex(val)
			if !ok {
				return nil, fmt.Errorf("commit %s: bad tree line", id)
			}
			c.Tree = h
		case "parent":
			h, ok := parseHex(val)
			if !ok {
				return nil, fmt.Errorf("commit %s: bad parent line", id)
			}
			c.Parents = append(c.Parents, h)
		case "author":
			c.Author = parseSignature(val)
		case "committer":
			c.Committer = parseSignature(val)
		}
	}
	if c.Tree.IsZero() {
		return nil, fmt.Errorf("commit %s has no tree", id)
	}
	return c, nil
}

func parseHex(b []byte) (plumbing.Hash, bool) {
	if len(b) != 40 {
		return plumbing.ZeroHash, false
	}
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return plumbing.ZeroHash, false
		}
	}
	return plumbing.NewHash(string(b)), true
}

// parseSignature splits "Name <email> 1700000000 +0200".
func parseSignature(b []byte) Signature {
	var s Signature
	lt := bytes.IndexByte(b, '<')
	gt := bytes.LastIndexByte(b, '>')
	if lt < 0 || gt < lt {
		s.Name = strings.TrimSpace(string(b))
		return s
	}
	s.Name = strings.TrimSpace(string(b[:lt]))
	s.Email = string(b[lt+1 : gt])
	rest := strings.Fields(string(b[gt+1:]))
	var secs int64
	if len(rest) >= 1 {
		secs, _ = strconv.ParseInt(rest[0], 10, 64)
	}
	zone := time.FixedZone("", 0)
	if len(rest) >= 2 && len(rest[1]) == 5 && (rest[1][0] == '+' || rest[1][0] == '-') {
		h, err1 := strconv.Atoi(rest[1][1:3])
		m, err2 := strconv.Atoi(rest[1][3:5])
		if err1 == nil && err2 == nil {
			off := (h*60 + m) * 60
			if rest[1][0] == '-' {
				off = -off
			}
			zone = time.FixedZone("", off)
		}
	}
	s.When = time.Unix(secs, 0).In(zone)
	return s
}
