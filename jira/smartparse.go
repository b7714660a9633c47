package jira

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gitjira/gitjira/internal/termtext"
)

// Smart commit commands (issue 16 item 6), in the syntax of Jira's smart
// commits: on one line, issue keys followed by commands, each running to
// the next command or the end of the line:
//
//	PROJ-7 #comment Fixed the parser
//	PROJ-7 PROJ-8 #time 1w 2d 4h 30m Reviewed the tests
//	PROJ-7 #resolve #comment Done
//
// #comment TEXT adds a comment; #time adds a worklog of the given weeks,
// days, hours and minutes with an optional text; any other #word is a
// transition whose name starts with word (hyphens stand for spaces, so
// #start-progress is "Start Progress").

// Smart command kinds.
const (
	SmartComment    = "comment"
	SmartTime       = "time"
	SmartTransition = "transition"
)

// SmartCommand is one command for one issue.
type SmartCommand struct {
	Issue      string `json:"issue"`
	Kind       string `json:"kind"`
	Text       string `json:"text,omitempty"`       // comment text, worklog comment
	Seconds    int    `json:"seconds,omitempty"`    // #time
	Transition string `json:"transition,omitempty"` // the word after #
	// Error is why the command cannot be applied as written (e.g. #time
	// without a duration); such commands are reported, not sent.
	Error string `json:"error,omitempty"`
}

// Bounds: a commit message is outside input.
const (
	maxSmartCommands = 20   // per commit
	maxSmartText     = 2000 // runes per comment
	maxSmartLine     = 8192 // bytes of a line considered
)

var (
	smartKeyRe  = regexp.MustCompile(`(?:^|[^A-Za-z0-9_\-])([A-Z][A-Z0-9_]+-[1-9][0-9]{0,8})\b`)
	smartCmdRe  = regexp.MustCompile(`(?:^|\s)#([A-Za-z][A-Za-z0-9_-]{0,60})`)
	smartTimeRe = regexp.MustCompile(`^(\d{1,4}(?:\.\d{1,2})?)([wdhm])$`)
)

// ParseSmartCommits returns the commands of a commit message, at most 20.
// allowed, when set, filters the issue keys (the repository's projects).
func ParseSmartCommits(message string, allowed func(issue string) bool) []SmartCommand {
	var out []SmartCommand
	for line := range strings.SplitSeq(message, "\n") {
		if len(line) > maxSmartLine {
			line = line[:maxSmartLine]
		}
		cmds := smartCmdRe.FindAllStringSubmatchIndex(line, -1)
		if len(cmds) == 0 {
			continue
		}
		var keys []string
		seen := map[string]bool{}
		for _, m := range smartKeyRe.FindAllStringSubmatch(line[:cmds[0][0]], -1) {
			k := m[1]
			if !seen[k] && (allowed == nil || allowed(k)) {
				seen[k] = true
				keys = append(keys, k)
			}
		}
		if len(keys) == 0 {
			continue
		}
		for i, m := range cmds {
			word := strings.ToLower(line[m[2]:m[3]])
			end := len(line)
			if i+1 < len(cmds) {
				end = cmds[i+1][0]
			}
			args := strings.TrimSpace(line[m[1]:end])
			c := SmartCommand{}
			switch word {
			case SmartComment:
				c.Kind, c.Text = SmartComment, termtext.Field(args, maxSmartText)
				if c.Text == "" {
					c.Error = "#comment without text"
				}
			case SmartTime:
				c.Kind = SmartTime
				secs, rest, err := parseWorkTime(args)
				c.Seconds, c.Text = secs, termtext.Field(rest, maxSmartText)
				if err != nil {
					c.Error = err.Error()
				}
			default:
				c.Kind, c.Transition = SmartTransition, word
			}
			for _, k := range keys {
				if len(out) == maxSmartCommands {
					return out
				}
				c.Issue = k
				out = append(out, c)
			}
		}
	}
	return out
}

// parseWorkTime reads "1w 2d 4h 30m rest" (a week is 5 days of 8 hours, as
// Jira's defaults): the seconds and the rest of the text.
func parseWorkTime(s string) (int, string, error) {
	fields := strings.Fields(s)
	total := 0.0
	n := 0
	for n < len(fields) {
		m := smartTimeRe.FindStringSubmatch(strings.ToLower(fields[n]))
		if m == nil {
			break
		}
		v, _ := strconv.ParseFloat(m[1], 64)
		switch m[2] {
		case "w":
			v *= 5 * 8 * 3600
		case "d":
			v *= 8 * 3600
		case "h":
			v *= 3600
		case "m":
			v *= 60
		}
		total += v
		n++
	}
	rest := s
	for i := 0; i < n; i++ {
		rest = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), fields[i]))
	}
	if n == 0 || total < 60 {
		return 0, rest, fmt.Errorf("#time needs a duration such as 1w 2d 4h 30m")
	}
	if total > 4*365*8*3600 {
		return 0, rest, fmt.Errorf("#time duration is implausibly long")
	}
	return int(total), rest, nil
}
