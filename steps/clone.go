package steps

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/progress"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/jira"
)

// remoteCheckedMsg is the result of the connection check before the clone.
type remoteCheckedMsg struct {
	run  int
	info *gitops.RemoteInfo
	err  error
}

// cloneStartedMsg says the clone runs; its events arrive on events.
type cloneStartedMsg struct {
	run    int
	name   string
	dir    string
	start  time.Time
	events <-chan tea.Msg
	err    error // the clone could not start (no free name, list unreadable)
}

// cloneProgressMsg is one progress event of the running clone.
type cloneProgressMsg struct {
	run int
	p   gitops.Progress
}

// cloneDoneMsg is the end of the clone.
type cloneDoneMsg struct {
	run int
	res *gitops.CloneResult
	err error
}

// cloneTickMsg refreshes the elapsed time.
type cloneTickMsg struct {
	run int
	t   time.Time
}

// mirrorRemovedMsg says a mirror of an earlier endpoint was removed.
type mirrorRemovedMsg struct {
	run int
	err error
}

func checkRemote(ctx context.Context, run int, o gitops.ConnectOptions) tea.Cmd {
	return func() tea.Msg {
		info, err := gitops.Check(ctx, o)
		return remoteCheckedMsg{run: run, info: info, err: err}
	}
}

// freeName picks the repository name: the endpoint's repository name, made
// valid, with -2, -3... appended while the list or the mirrors dir has it.
func freeName(p jira.Paths, base string) (string, error) {
	base = sanitizeName(base)
	repos, err := jira.OpenRepositoryList(p).Load()
	if err != nil {
		return "", err
	}
	taken := map[string]bool{}
	for _, r := range repos {
		taken[r.Name] = true
	}
	for i := 1; i < 10000; i++ {
		name := base
		if i > 1 {
			name = fmt.Sprintf("%s-%d", base, i)
		}
		if taken[name] {
			continue
		}
		if _, err := os.Lstat(p.MirrorDir(name)); errors.Is(err, fs.ErrNotExist) {
			return name, nil
		}
	}
	return "", fmt.Errorf("no free repository name like %q: remove unused repositories with gitjira repos remove", base)
}

// sanitizeName turns a repository path element into a valid list name.
func sanitizeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteRune('-')
		}
	}
	n := strings.TrimLeft(b.String(), ".-")
	if len(n) > 90 {
		n = n[:90]
	}
	if n == "" || jira.ValidName(n) != nil {
		n = "repository"
	}
	return n
}

// startClone picks the name and starts gitops.Clone in a goroutine. Its
// progress reaches the program through events, read by waitForClone (the
// bubbletea "realtime" pattern); the last message on it is cloneDoneMsg.
func startClone(ctx context.Context, run int, p jira.Paths, o gitops.ConnectOptions) tea.Cmd {
	return func() tea.Msg {
		name, err := freeName(p, o.Endpoint.RepoName())
		if err != nil {
			return cloneStartedMsg{run: run, err: err}
		}
		dir := p.MirrorDir(name)
		events := make(chan tea.Msg, 1)
		prog := make(chan gitops.Progress, 16)
		result := make(chan cloneDoneMsg, 1)
		go func() {
			res, err := gitops.Clone(ctx, gitops.CloneOptions{ConnectOptions: o, Dir: dir, Progress: prog})
			result <- cloneDoneMsg{run: run, res: res, err: err}
		}()
		go func() {
			// Clone never blocks on prog; the program reads events as fast as
			// it renders, so a slow terminal only delays progress lines.
			for {
				select {
				case ev := <-prog:
					events <- cloneProgressMsg{run: run, p: ev}
				case d := <-result:
				drain: // events Clone queued before it returned
					for {
						select {
						case ev := <-prog:
							events <- cloneProgressMsg{run: run, p: ev}
						default:
							break drain
						}
					}
					events <- d
					close(events)
					return
				}
			}
		}()
		return cloneStartedMsg{run: run, name: name, dir: dir, start: time.Now(), events: events}
	}
}

// waitForClone delivers the next event of the clone.
func waitForClone(events <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		msg, ok := <-events
		if !ok {
			return nil
		}
		return msg
	}
}

func cloneTick(run int) tea.Cmd {
	return tea.Tick(time.Second, func(t time.Time) tea.Msg { return cloneTickMsg{run: run, t: t} })
}

// removeMirror removes a mirror this wizard made for an endpoint the user
// has since changed (only that directory, which the wizard created).
func removeMirror(run int, dir string) tea.Cmd {
	return func() tea.Msg {
		return mirrorRemovedMsg{run: run, err: os.RemoveAll(dir)}
	}
}

// RemoveMirror is the command the wizard runs on quit to remove a mirror
// cloned in this session that was never added to the list.
func RemoveMirror(dir string) tea.Cmd { return removeMirror(-1, dir) }

type clonePhase int

const (
	cloneIdle clonePhase = iota
	cloneRemoving
	cloneChecking
	cloneRunning
	cloneFailed
	cloneDone
)

// Clone checks the connection, then clones the repository into a bare
// mirror with a progress bar per phase. esc asks before cancelling.
type Clone struct {
	env     *Env
	draft   *Draft
	width   int
	spin    spinner.Model
	bar     progress.Model
	phase   clonePhase
	run     int // counts the attempts; messages of older attempts are ignored
	cancel  context.CancelFunc
	confirm bool // "cancel the clone?" is asked
	events  <-chan tea.Msg

	remote    *gitops.RemoteInfo
	dir       string
	start     time.Time
	elapsed   time.Duration
	cur       gitops.Progress   // the current phase's latest event
	finished  []gitops.Progress // finished phases, in order
	err       error
	cancelled bool
}

// NewClone makes the clone step.
func NewClone(env *Env, d *Draft) Clone {
	bar := progress.New(progress.WithSolidFill("#9B8CFF"), progress.WithoutPercentage(), progress.WithColorProfile(env.Styles.Profile()))
	return Clone{env: env, draft: d, spin: spinner.New(spinner.WithSpinner(spinner.Line)), bar: bar}
}

// ID implements Step.
func (m Clone) ID() ID { return StepClone }

// Skip implements Step.
func (m Clone) Skip() bool { return false }

// Busy implements Step: a running clone must be cancelled and cleaned up.
func (m Clone) Busy() bool {
	return m.phase == cloneRunning || m.phase == cloneChecking || m.phase == cloneRemoving
}

// Cloning reports whether the clone itself runs (quitting needs a confirmation).
func (m Clone) Cloning() bool { return m.phase == cloneRunning }

// Typing implements Step.
func (m Clone) Typing() bool { return false }

// Cancel cancels the running clone; the step reports cloneDone when
// gitops.Clone has removed what it created.
func (m Clone) Cancel() Clone {
	if m.cancel != nil {
		m.cancel()
	}
	m.cancelled = true
	m.confirm = false
	return m
}

// Enter implements Step: clone, unless this endpoint is cloned already.
func (m Clone) Enter() (Step, tea.Cmd) {
	m.confirm = false
	ep := m.draft.EndpointString()
	if m.draft.Clone != nil && m.draft.CloneFor == ep {
		m.phase = cloneDone
		return m, nil
	}
	if old := m.draft.Clone; old != nil {
		// The location changed after a clone: remove the old mirror first.
		m.run++
		m.phase = cloneRemoving
		m.draft.Clone, m.draft.CloneFor, m.draft.Name = nil, "", ""
		return m, tea.Batch(removeMirror(m.run, old.Dir), m.spin.Tick)
	}
	return m.startCheck()
}

func (m Clone) startCheck() (Step, tea.Cmd) {
	m.run++
	m.phase = cloneChecking
	m.err, m.cancelled, m.remote = nil, false, nil
	m.finished, m.cur, m.elapsed, m.dir = nil, gitops.Progress{}, 0, ""
	ctx, cancel := context.WithCancel(m.env.ctx())
	m.cancel = cancel
	if known := m.draft.Remote; known != nil {
		// The host-key step has just listed the refs with this endpoint and
		// key (the draft forgets them when either changes): connecting once
		// more only to check again would cost a whole SSH handshake.
		run := m.run
		return m, func() tea.Msg { return remoteCheckedMsg{run: run, info: known} }
	}
	return m, tea.Batch(checkRemote(ctx, m.run, m.draft.connectOptions(m.env)), m.spin.Tick)
}

// Update implements Step.
func (m Clone) Update(msg tea.Msg) (Step, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width = msg.Width
		m.bar.Width = max(10, min(50, msg.Width-30))
		return m, nil
	case mirrorRemovedMsg:
		if msg.run != m.run || m.phase != cloneRemoving {
			return m, nil
		}
		if msg.err != nil {
			m.phase, m.err = cloneFailed, fmt.Errorf("could not remove the earlier mirror: %w", msg.err)
			return m, nil
		}
		return m.startCheck()
	case remoteCheckedMsg:
		if msg.run != m.run || m.phase != cloneChecking {
			return m, nil
		}
		if msg.err != nil {
			return m.fail(msg.err)
		}
		m.remote = msg.info
		m.draft.Remote = msg.info
		if m.cancelled {
			return m.fail(context.Canceled)
		}
		m.cancel() // the check's context is done with
		ctx, cancel := context.WithCancel(m.env.ctx())
		m.cancel = cancel
		return m, startClone(ctx, m.run, m.env.Paths, m.draft.connectOptions(m.env))
	case cloneStartedMsg:
		if msg.run != m.run {
			return m, nil
		}
		if msg.err != nil {
			return m.fail(msg.err)
		}
		m.phase = cloneRunning
		m.events = msg.events
		m.dir = msg.dir
		m.draft.Name = msg.name
		m.start = msg.start
		if m.cancelled { // cancelled while starting: the clone sees a done ctx
			m.cancel()
		}
		return m, tea.Batch(waitForClone(m.events), cloneTick(m.run), m.spin.Tick)
	case cloneProgressMsg:
		if msg.run != m.run {
			return m, nil
		}
		p := msg.p
		if m.cur.Phase != "" && p.Phase != m.cur.Phase && !m.cur.Done {
			m.finished = append(m.finished, m.cur)
		}
		if p.Done {
			m.finished = append(m.finished, p)
			m.cur = gitops.Progress{Phase: p.Phase, Done: true}
		} else {
			m.cur = p
		}
		return m, waitForClone(m.events)
	case cloneDoneMsg:
		if msg.run != m.run {
			return m, nil
		}
		m.events = nil
		if m.cancel != nil {
			m.cancel()
		}
		if msg.err != nil {
			return m.fail(msg.err)
		}
		m.phase = cloneDone
		m.draft.AuthErr, m.draft.HostKeyErr = nil, nil // whatever was refused before works now
		m.draft.Clone = msg.res
		m.draft.CloneFor = m.draft.EndpointString()
		if msg.res.HostKeyFingerprint != "" {
			m.draft.HostKeyFingerprint = msg.res.HostKeyFingerprint
		}
		return m, done(StepClone)
	case cloneTickMsg:
		if msg.run != m.run || m.phase != cloneRunning {
			return m, nil
		}
		m.elapsed = msg.t.Sub(m.start).Truncate(time.Second)
		return m, cloneTick(m.run)
	case spinner.TickMsg:
		return m, spin(&m.spin, m.Busy(), msg)
	case tea.KeyMsg:
		return m.updateKey(msg)
	}
	return m, nil
}

// fail maps an error to the step that fixes it, or shows it with retry/back.
func (m Clone) fail(err error) (Step, tea.Cmd) {
	if m.cancel != nil {
		m.cancel()
	}
	m.phase = cloneFailed
	var ae *gitops.AuthError
	var hk *gitops.HostKeyError
	switch {
	case m.cancelled || errors.Is(err, context.Canceled):
		m.cancelled = true
		m.err = nil
	case errors.As(err, &ae):
		m.draft.AuthErr = ae
		m.err = err
		return m, gotoStep(StepKey, err)
	case errors.As(err, &hk):
		m.draft.HostKeyErr = hk
		m.draft.HostChecked = false
		m.err = err
		return m, gotoStep(StepHostKey, err)
	default:
		m.err = err
	}
	return m, nil
}

func (m Clone) updateKey(msg tea.KeyMsg) (Step, tea.Cmd) {
	k := m.env.Keys
	if m.confirm {
		switch {
		case key.Matches(msg, k.Yes):
			return m.Cancel(), nil
		case key.Matches(msg, k.No), key.Matches(msg, k.Back):
			m.confirm = false
		}
		return m, nil
	}
	switch m.phase {
	case cloneChecking, cloneRunning:
		if key.Matches(msg, k.Back) && !m.cancelled {
			m.confirm = true
		}
	case cloneFailed:
		switch {
		case key.Matches(msg, k.Retry):
			return m.startCheck()
		case key.Matches(msg, k.Back):
			return m, back(StepClone)
		}
	case cloneDone:
		switch {
		case key.Matches(msg, k.Next):
			return m, done(StepClone)
		case key.Matches(msg, k.Back):
			return m, back(StepClone)
		}
	}
	return m, nil
}

var phaseNames = map[gitops.Phase]string{
	gitops.PhaseConnecting:  "Connecting",
	gitops.PhaseEnumerating: "Enumerating objects",
	gitops.PhaseCounting:    "Counting objects",
	gitops.PhaseCompressing: "Compressing objects",
	gitops.PhaseReceiving:   "Receiving objects",
	gitops.PhaseResolving:   "Resolving deltas",
	gitops.PhaseUpdatingRef: "Updating refs",
	gitops.PhaseDone:        "Done",
}

func phaseName(p gitops.Phase) string {
	if n, ok := phaseNames[p]; ok {
		return n
	}
	return string(p)
}

// View implements Step.
func (m Clone) View() string {
	st := m.env.Styles
	var b strings.Builder
	addr := m.draft.EndpointString()
	switch {
	case m.phase == cloneRemoving:
		b.WriteString(m.spin.View() + " Removing the mirror of the previous location…\n")
	case m.phase == cloneChecking:
		b.WriteString(wrap(st.Text, m.width, m.spin.View()+" Checking the connection to "+addr+"…"))
		b.WriteString("\n")
	case m.remote != nil:
		line := fmt.Sprintf("✓ Connected: %d branches, %d tags", m.remote.Branches, m.remote.Tags)
		if m.remote.DefaultBranch != "" {
			line += ", default branch " + m.remote.DefaultBranch
		}
		b.WriteString(wrap(st.Success, m.width, line))
		b.WriteString("\n")
	}
	if m.phase == cloneRunning || (m.phase == cloneFailed && m.dir != "") || m.phase == cloneDone {
		for _, p := range m.finished {
			if p.Phase == gitops.PhaseConnecting && m.remote != nil {
				continue // "✓ Connected" above says it
			}
			b.WriteString(st.Success.Render("✓ ") + m.phaseLine(p, true))
			b.WriteString("\n")
		}
		if m.phase == cloneRunning {
			switch {
			case m.cur.Phase == "" || m.cur.Done:
				b.WriteString(m.spin.View() + " Waiting for the server…\n")
			case m.cur.Total > 0 && (m.cur.Phase == gitops.PhaseReceiving || m.cur.Phase == gitops.PhaseResolving):
				b.WriteString("  " + m.phaseLine(m.cur, false) + "\n")
				b.WriteString("  " + m.bar.ViewAs(m.cur.Fraction()) + fmt.Sprintf(" %3.0f%%", 100*m.cur.Fraction()) + "\n")
			default:
				// the server counts: no total yet
				b.WriteString(m.spin.View() + " " + m.phaseLine(m.cur, false) + "\n")
			}
			b.WriteString(st.Hint.Render(fmt.Sprintf("Elapsed %s", m.elapsed)) + "\n")
		}
	}
	switch m.phase {
	case cloneDone:
		if c := m.draft.Clone; c != nil {
			line := fmt.Sprintf("✓ Cloned %s: %d commits", m.draft.Name, c.Commits)
			if c.DefaultBranch != "" {
				line += ", default branch " + c.DefaultBranch
			}
			b.WriteString(wrap(st.Success, m.width, line))
			b.WriteString("\n")
		}
	case cloneFailed:
		b.WriteString("\n")
		if m.cancelled {
			b.WriteString(wrap(st.Text, m.width, "Clone cancelled; nothing was left behind."))
		} else if m.err != nil {
			b.WriteString(wrap(st.Error, m.width, "✗ "+m.err.Error()))
		}
		b.WriteString("\n\n")
		b.WriteString(wrap(st.Hint, m.width, "Press r to try again, or esc to go back."))
	}
	if m.confirm {
		b.WriteString("\n")
		b.WriteString(wrap(st.Value, m.width, "Cancel the clone? (y/n)"))
	}
	return strings.TrimRight(b.String(), "\n")
}

func (m Clone) phaseLine(p gitops.Progress, finished bool) string {
	line := phaseName(p.Phase)
	switch {
	case p.Total > 0:
		line += fmt.Sprintf(": %d/%d", p.Current, p.Total)
	case p.Current > 0:
		line += fmt.Sprintf(": %d", p.Current)
	}
	if p.Phase == gitops.PhaseReceiving && p.Bytes > 0 {
		line += ", " + byteSize(p.Bytes)
		if !finished && p.BytesPerSec > 0 {
			line += " | " + byteSize(int64(p.BytesPerSec)) + "/s"
		}
	}
	return line
}

// byteSize formats n as git does: "1.50 KiB".
func byteSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Help implements Step.
func (m Clone) Help() help.KeyMap {
	k := m.env.Keys
	switch {
	case m.confirm:
		return newHelp(withHelp(k.Yes, "cancel the clone"), withHelp(k.No, "keep cloning"))
	case m.phase == cloneChecking || m.phase == cloneRunning:
		return newHelp(withHelp(k.Back, "cancel"))
	case m.phase == cloneFailed:
		return newHelp(k.Retry, k.Back)
	case m.phase == cloneDone:
		return newHelp(k.Next, k.Back)
	}
	return newHelp(k.Back)
}
