package gitserver

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/format/pktline"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// goGitUploadPack serves one upload-pack conversation from repo with go-git.
//
// go-git's server (as its internal ServeUploadPack) decodes only the wants
// and ignores the client's haves, and fails on a have it does not know. Here
// haves are read, those the repository lacks are dropped (as git does), and
// a request whose wants are all had gets an empty pack.
func goGitUploadPack(ctx context.Context, repo string, in *bufio.Reader, out io.Writer) error {
	st := filesystem.NewStorage(osfs.New(repo), cache.NewObjectLRUDefault())
	srv := server.NewServer(singleLoader{st})
	sess, err := srv.NewUploadPackSession(&transport.Endpoint{Path: "/"}, nil)
	if err != nil {
		return err
	}
	defer sess.Close()
	ar, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return err
	}
	if err := ar.Encode(out); err != nil {
		return err
	}
	// A client that wants nothing sends a flush-pkt (or just closes).
	if peek, err := in.Peek(4); err != nil || string(peek) == "0000" {
		return nil
	}
	req := packp.NewUploadPackRequest()
	if err := req.UploadRequest.Decode(in); err != nil {
		return fmt.Errorf("reading the request: %w", err)
	}
	sc := pktline.NewScanner(in)
	for sc.Scan() {
		line := strings.TrimSpace(string(sc.Bytes()))
		if line == "done" {
			break
		}
		if h, ok := strings.CutPrefix(line, "have "); ok && plumbing.IsHash(h) {
			hash := plumbing.NewHash(h)
			if _, err := st.EncodedObject(plumbing.AnyObject, hash); err == nil {
				req.Haves = append(req.Haves, hash)
			}
		}
	}
	if req.IsEmpty() {
		var buf bytes.Buffer
		pktline.NewEncoder(&buf).Encodef("NAK\n")
		if _, err := packfile.NewEncoder(&buf, st, false).Encode(nil, 10); err != nil {
			return err
		}
		_, err := out.Write(buf.Bytes())
		return err
	}
	resp, err := sess.UploadPack(ctx, req)
	if err != nil {
		return err
	}
	return resp.Encode(out)
}

type singleLoader struct{ st storer.Storer }

func (l singleLoader) Load(*transport.Endpoint) (storer.Storer, error) { return l.st, nil }
