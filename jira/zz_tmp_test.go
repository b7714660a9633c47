package jira

import (
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
)

func BenchmarkTmpWalkOnly(b *testing.B) {
	dir := bigRepo(b)
	start := cpuTime()
	for b.Loop() {
		db, _ := openObjectDB(dir)
		tips, _ := db.refTips()
		n := 0
		db.walk(tips, map[plumbing.Hash]struct{}{}, func(id plumbing.Hash, c *commitInfo) { n++; IssueKeys(c.message) })
		db.Close()
	}
	reportCPU(b, start)
}

func BenchmarkTmpSaveOnly(b *testing.B) {
	dir := bigRepo(b)
	p := testPaths(b)
	ix := OpenIndex(p)
	ix.Update(Repository{Name: "big", Mirror: dir})
	d, _ := ix.load("big")
	start := cpuTime()
	t0 := time.Now()
	for b.Loop() {
		ix.save("big", d)
	}
	_ = t0
	reportCPU(b, start)
}
