package jira

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/jira/jiratest"
	"github.com/gitjira/gitjira/store"
)

// fakeClock advances only when slept on (or by advance), and records every sleep.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	return nil
}

func (c *fakeClock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func (c *fakeClock) sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

func (c *fakeClock) total() time.Duration {
	var t time.Duration
	for _, d := range c.sleeps() {
		t += d
	}
	return t
}

// countingLimiter never waits; it counts.
type countingLimiter struct {
	mu sync.Mutex
	n  int
}

func (l *countingLimiter) Wait(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l.mu.Lock()
	l.n++
	l.mu.Unlock()
	return nil
}

func sha(i int) string { return fmt.Sprintf("%040x", 0xabc000+i) }

var linkRepo = store.Repository{ID: "a1b2c3d4e5f60718", Name: "app", URL: "git@github.com:acme/app.git", Projects: []string{"ALL"}}

// linkCommits: 5 (issue, commit) pairs, one of them on a missing issue.
func linkCommits() []index.CommitRef {
	d := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	return []index.CommitRef{
		{Repository: "app", SHA: sha(1), Author: "Ann", Date: d, Subject: "PROJ-1 fix login", Keys: []string{"PROJ-1"}},
		{Repository: "app", SHA: sha(2), Author: "Bob", Date: d, Subject: "PROJ-2 and OPS-3", Keys: []string{"PROJ-2", "OPS-3", "PROJ-2"}},
		{Repository: "app", SHA: sha(3), Author: "Ann", Date: d, Subject: "PROJ-999 does not exist", Keys: []string{"PROJ-999"}},
		{Repository: "app", SHA: sha(4), Author: "Cy", Date: d, Subject: "PROJ-1 again", Keys: []string{"PROJ-1"}},
		{Repository: "app", SHA: sha(5), Author: "Cy", Date: d, Subject: "no keys"},
	}
}

// linkCounts are a report's numbers, comparable.
type linkCounts struct{ Created, Updated, Skipped, NotVisible, Forbidden, Failed, Pending int }

func countsOf(r LinkReport) linkCounts {
	return linkCounts{r.Created, r.Updated, r.Skipped, r.NotVisible, r.Forbidden, r.Failed, r.Pending}
}

func newTestPusher(t *testing.T, srv *jiratest.Server) (*LinkPusher, *fakeClock, *countingLimiter) {
	t.Helper()
	clk, lim := newFakeClock(), &countingLimiter{}
	return &LinkPusher{Client: fakeClient(t, srv), Paths: clientTestPaths(t), Options: LinkOptions{Clock: clk, Limiter: lim}}, clk, lim
}

func stateExists(p store.Paths, r store.Repository) bool {
	_, err := os.Stat(LinkStateFile(p, r))
	return err == nil
}

func posts(srv *jiratest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == http.MethodPost {
			n++
		}
	}
	return n
}
