package jira

import (
	"context"
	"fmt"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/gitjira/gitjira/index"
	"github.com/gitjira/gitjira/jira/jiratest"
	"github.com/gitjira/gitjira/store"
)

// BenchmarkLinkThroughput measures links per second against a Jira
// stand-in that answers every request after 100 ms (issue 16's target: at
// least 30/s at the default concurrency 4), at concurrency 1, 4 and 16,
// with the default process-wide pacing (DefaultRate, DefaultBurst). Each
// iteration links 64 issues of a fresh repository (one aggregate POST
// each). It also reports, from the measured rate, the minutes a first
// push of a 20,000-commit repository takes: apache/kafka's history
// mentions 7,537 issues in 14,054 commits (trunk), so 20,000 commits mean
// about 10,700 issues, one request each in the default style.
//
//	go test ./jira/ -run '^$' -bench LinkThroughput -benchtime 2x
func BenchmarkLinkThroughput(b *testing.B) {
	srv := jiratest.NewServer(b)
	srv.SetAnyIssueExists(true)
	srv.SetDelay(100 * time.Millisecond)
	c, err := NewClient(srv.URL, jiratest.DefaultToken)
	if err != nil {
		b.Fatal(err)
	}
	const issues = 64
	commits := make([]index.CommitRef, issues)
	for i := range commits {
		commits[i] = index.CommitRef{SHA: sha(i), Subject: "work", Author: "Ann", Date: time.Now(), Keys: []string{fmt.Sprintf("PROJ-%d", i+1)}}
	}
	for _, conc := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			d := b.TempDir()
			lp := &LinkPusher{Client: c, Paths: store.Paths{Config: d, Data: d},
				Options: LinkOptions{Concurrency: conc, Limiter: rate.NewLimiter(DefaultRate, DefaultBurst)}}
			n := 0
			start := time.Now()
			for b.Loop() {
				n++
				repo := store.Repository{ID: fmt.Sprint(n), Name: "bench", URL: fmt.Sprintf("git@git.example.com:team/bench%d-%d.git", conc, n), Projects: []string{"ALL"}}
				rep, err := lp.Push(context.Background(), repo, commits)
				if err != nil || rep.Created != issues {
					b.Fatalf("%+v, %v", rep, err)
				}
			}
			perSec := float64(n*issues) / time.Since(start).Seconds()
			b.ReportMetric(perSec, "links/s")
			b.ReportMetric(10700/perSec/60, "min/20k-commits")
			b.ReportMetric(EstimateLinking(10700, conc).Minutes(), "estimate-min/20k-commits")
		})
	}
}
