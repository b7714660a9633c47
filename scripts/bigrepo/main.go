// Command bigrepo crafts the big and hostile repositories of issue 9 for
// scripts/bench-hostile.sh (the gitops tests craft the same ones, smaller):
//
//	bigrepo -kind tags|deltas|message -size N[KiB|MiB|GiB] -dir D
//
//	tags     a blob of N bytes, a commit holding it, 20 annotated tags to the blob
//	deltas   a blob of N bytes and four blobs stored as deltas copying it
//	message  a commit whose message is N bytes, and a commit stored as a delta on it
//
// The blobs compress about 1000:1, so a 1 GiB blob is about a megabyte on
// the wire. It is not part of gitjira.
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/gitjira/gitjira/internal/packfile/packtest"
)

func main() {
	kind := flag.String("kind", "", "tags, deltas or message")
	sizeFlag := flag.String("size", "1GiB", "object size: bytes, or a number with KiB, MiB or GiB")
	dir := flag.String("dir", "", "bare repository to create")
	flag.Parse()
	size, err := parseSize(*sizeFlag)
	if err == nil && *dir == "" {
		err = fmt.Errorf("-dir is required")
	}
	if err == nil {
		switch *kind {
		case "tags":
			_, err = packtest.MakeBlobTags(*dir, size, 20)
		case "deltas":
			_, err = packtest.MakeBlobDeltas(*dir, size)
		case "message":
			_, err = packtest.MakeHugeMessage(*dir, size)
		default:
			err = fmt.Errorf("-kind takes tags, deltas or message, not %q", *kind)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bigrepo:", err)
		os.Exit(1)
	}
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suf string
		m   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if strings.HasSuffix(s, u.suf) {
			s, mult = strings.TrimSuffix(s, u.suf), u.m
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad -size %q", s)
	}
	return n * mult, nil
}
