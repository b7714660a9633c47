package index

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gitjira/gitjira/internal/safefile"

	"github.com/gitjira/gitjira/store"
)

// IndexedCommits returns every indexed commit of r that mentions an issue
// key r's projects allow, with only those keys, oldest first (author date;
// commits of one date in reverse index order, which is parents before
// children). It is what a backfill links. It reads the index file as
// it is on disk (store.Paths.IndexDir()/<name>.idx: a magic line, a JSON header
// line, one line per commit that mentions keys, then the "seen" section,
// which it does not read), so it needs nothing of Index's internals; the
// file is replaced atomically, so a concurrent update is never seen half
// done. A repository without an index has no commits.
func IndexedCommits(p store.Paths, r store.Repository) ([]CommitRef, error) {
	if err := store.ValidName(r.Name); err != nil {
		return nil, err
	}
	path := filepath.Join(p.IndexDir(), r.Name+".idx")
	f, _, err := safefile.Open(path, MaxFileSize)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the index %s: %v", path, err)
	}
	defer f.Close()
	corrupt := func(why string) error {
		return fmt.Errorf("the index %s is corrupted (%s): remove it and run `gitjira repos fetch %s` to rebuild it", path, why, r.Name)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	var out []CommitRef
	for n := 0; sc.Scan(); n++ {
		line := sc.Bytes()
		switch {
		case n == 0:
			if string(line) != "gitjira-index 1" {
				return nil, corrupt("bad first line")
			}
			continue
		case n == 1:
			continue // the JSON header
		case bytes.HasPrefix(line, []byte("seen ")):
			// The index lists each update's commits from the tips down.
			slices.Reverse(out)
			slices.SortStableFunc(out, func(a, b CommitRef) int { return a.Date.Compare(b.Date) })
			return out, nil
		}
		c, ok := parseIndexLine(line)
		if !ok {
			return nil, corrupt("bad entry line")
		}
		var keys []string
		for k := range strings.SplitSeq(c.keys, ",") {
			if store.ValidIssueKey(k) && r.AllowsIssue(k) {
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			continue
		}
		out = append(out, CommitRef{Repository: r.Name, SHA: c.sha, Author: c.author, Date: c.date, Subject: c.subject, Keys: keys})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the index %s: %v", path, err)
	}
	return nil, corrupt("truncated")
}

type indexLine struct {
	sha, keys, author, subject string
	date                       time.Time
}

// parseIndexLine reads "sha \t unix-seconds \t tz-offset-minutes \t KEY,KEY
// \t author \t subject".
func parseIndexLine(line []byte) (indexLine, bool) {
	parts := strings.SplitN(string(line), "\t", 7) // a 7th field: the matching lines
	if len(parts) < 6 || !ValidSHA(parts[0]) {
		return indexLine{}, false
	}
	when, err1 := strconv.ParseInt(parts[1], 10, 64)
	tz, err2 := strconv.Atoi(parts[2])
	if err1 != nil || err2 != nil || tz < -24*60 || tz > 24*60 {
		return indexLine{}, false
	}
	date := time.Unix(when, 0).UTC()
	if tz != 0 {
		date = date.In(time.FixedZone("", tz*60))
	}
	return indexLine{sha: parts[0], keys: parts[3], author: parts[4], subject: parts[5], date: date}, true
}

// ValidSHA reports whether s is a full commit id as the index stores it:
// 40 lower-case hex digits.
func ValidSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
