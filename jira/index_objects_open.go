package jira

import (
	"github.com/gitjira/gitjira/internal/packfile"
	"github.com/go-git/go-git/v5/plumbing"
)

// Objects is a mirror's object database for readers other than the index
// (the diff engine, gitdiff): commits, trees and blobs read through
// internal/packfile, as the index reads them. Not safe for concurrent use.
type Objects struct{ db *objectDB }

// OpenObjects opens the objects of the repository at dir (bare or not).
func OpenObjects(dir string) (*Objects, error) {
	db, err := openObjectDB(dir)
	if err != nil {
		return nil, err
	}
	return &Objects{db: db}, nil
}

// Object returns an object's type and content (an error wrapping
// packfile.ErrBigObject past packfile.BigObjectThreshold).
func (o *Objects) Object(id plumbing.Hash) (packfile.Type, []byte, error) { return o.db.Object(id) }

// Count is the number of packed objects (git sizes abbreviated ids by it).
func (o *Objects) Count() int { return o.db.packedObjects() }

// Close unmaps the packs.
func (o *Objects) Close() { o.db.Close() }
