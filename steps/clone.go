package steps

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gitjira/gitjira/ui/common"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/gitjira/gitjira/ui/components/progress"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/lifecycle"
)

// cloneStartedMsg says the clone runs; its events arrive on events.
type cloneStartedMsg struct {
	run    int
	start  time.Time
	events <-chan tea.Msg
}

// cloneProgressMsg is one progress event of the running clone.
type cloneProgressMsg struct {
	run int
	p   gitops.Progress
}

// cloneDoneMsg is the end of the clone: a staged mirror, or why not.
type cloneDoneMsg struct {
	run    int
	staged *lifecycle.Staged
	err    error
}

// cloneTickMsg refreshes the elapsed time.
type cloneTickMsg struct {
	run int
	t   time.Time
}

// abortedMsg says a staged clone was aborted (mirror deleted, name released).
type abortedMsg struct {
	run int
	err error
}

// startClone runs lifecycle.Manager.Clone in a goroutine. Its progress
// reaches the program through events, read by waitForClone (the bubbletea
// "realtime" pattern); the last message on it is cloneDoneMsg.
func startClone(ctx context.Context, run int, mgr *lifecycle.Manager, p *lifecycle.Plan, o lifecycle.CloneOptions) tea.Cmd {
	return func() tea.Msg {
		events := make(chan tea.Msg, 1)
		prog := make(chan gitops.Progress, 16)
		o.Progress = prog
		result := make(chan cloneDoneMsg, 1)
		go func() {
			st, err := mgr.Clone(ctx, p, o)
			result <- cloneDoneMsg{run: run, staged: st, err: err}
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
		return cloneStartedMsg{run: run, start: time.Now(), events: events}
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

// abortClone deletes a staged clone and releases its name.
func abortClone(run int, mgr *lifecycle.Manager, s *lifecycle.Staged) tea.Cmd {
	return func() tea.Msg {
		return abortedMsg{run: run, err: mgr.Abort(s)}
	}
}

// AbortStaged is the command the wizard runs on quit: the clone staged in
// this session, never added to the list, is deleted (lifecycle.Manager.Abort).
func AbortStaged(env *Env, s *lifecycle.Staged) tea.Cmd { return abortClone(-1, env.manager(), s) }

type clonePhase int

const (
	cloneIdle clonePhase = iota
	cloneAborting
	cloneRunning
	cloneFailed
	cloneDone
)

// Clone clones the planned repository into a staged mirror (lifecycle:
// under the name's lock, with an intent journal) with a progress bar per
// phase. esc asks before cancelling; esc after the clone deletes it.
type Clone struct {
	env            *Env
	draft          *Draft
	width          int
	prog           *progress.Model
	phase          clonePhase
	run            int // counts the attempts; messages of older attempts are ignored
	cancel         context.CancelFunc
	confirm        bool // "cancel the clone?" is asked
	events         <-chan tea.Msg
	backAfterAbort bool // esc after the clone: go back once it is deleted

	start     time.Time
	elapsed   time.Duration
	err       error
	cancelled bool
}

// NewClone makes the clone step.
func NewClone(env *Env, d *Draft) Clone {
	return Clone{env: env, draft: d, prog: progress.New(env.Common())}
}

// ID implements Step.
func (m Clone) ID() ID { return StepClone }

// Skip implements Step.
func (m Clone) Skip() bool { return false }

// Busy implements Step: a running clone must be cancelled and cleaned up.
func (m Clone) Busy() bool { return m.phase == cloneRunning || m.phase == cloneAborting }

// Cloning reports whether the clone itself runs (quitting needs a confirmation).
func (m Clone) Cloning() bool { return m.phase == cloneRunning }

// Typing implements Step.
func (m Clone) Typing() bool { return false }

// Cancel cancels the running clone; lifecycle removes what it created and
// the step reports the end as cancelled.
func (m Clone) Cancel() Clone {
	if m.cancel != nil {
		m.cancel()
	}
	m.cancelled = true
	m.confirm = false
	return m
}

// Enter implements Step: clone, unless this plan and key are cloned already.
func (m Clone) Enter() (Step, tea.Cmd) {
	m.confirm = false
	m.backAfterAbort = false
	if m.draft.Staged != nil && m.draft.StagedFor == m.draft.stageKey() {
		m.phase = cloneDone
		return m, nil
	}
	if old := m.draft.Staged; old != nil {
		// The location, name or key changed after a clone: delete it first.
		m.run++
		m.phase = cloneAborting
		m.draft.Staged, m.draft.StagedFor = nil, ""
		return m, tea.Batch(abortClone(m.run, m.env.manager(), old), m.prog.Tick())
	}
	return m.startClone()
}

func (m Clone) startClone() (Step, tea.Cmd) {
	m.run++
	m.err, m.cancelled = nil, false
	m.prog.Reset()
	m.elapsed = 0
	if m.draft.Plan == nil || m.draft.Key == nil || m.draft.Key.Signer == nil {
		m.phase = cloneFailed
		m.err = errors.New("the location or the key is missing: go back and choose them")
		return m, nil
	}
	m.phase = cloneRunning
	m.start = time.Now()
	ctx, cancel := context.WithCancel(m.env.ctx())
	m.cancel = cancel
	o := lifecycle.CloneOptions{Signer: m.draft.Key.Signer, TrustFingerprint: m.draft.TrustFingerprint}
	return m, tea.Batch(startClone(ctx, m.run, m.env.manager(), m.draft.Plan, o), cloneTick(m.run), m.prog.Tick())
}

// Update implements Step.
func (m Clone) Update(msg tea.Msg) (Step, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width = msg.Width
		m.prog.SetSize(msg.Width, msg.Height)
		return m, nil
	case abortedMsg:
		if msg.run != m.run || m.phase != cloneAborting {
			return m, nil
		}
		if msg.err != nil {
			m.phase, m.err = cloneFailed, fmt.Errorf("could not delete the earlier clone: %w", msg.err)
			return m, nil
		}
		if m.cancelled {
			m.phase = cloneFailed
			return m, nil
		}
		if m.backAfterAbort {
			m.phase = cloneIdle
			return m, back(StepClone)
		}
		return m.startClone()
	case cloneStartedMsg:
		if msg.run != m.run {
			return m, nil
		}
		m.events = msg.events
		m.start = msg.start
		if m.cancelled { // cancelled while starting: the clone sees a done ctx
			m.cancel()
		}
		return m, waitForClone(m.events)
	case cloneProgressMsg:
		if msg.run != m.run {
			return m, nil
		}
		m.prog.Set(msg.p)
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
		if m.cancelled {
			// Cancelled too late: the clone finished. Keep nothing.
			m.phase = cloneAborting
			m.run++
			return m, abortClone(m.run, m.env.manager(), msg.staged)
		}
		d := m.draft
		d.AuthErr = nil // whatever was refused before works now
		if hk := d.HostKeyErr; hk != nil && !(hk.Unknown() && d.TrustFingerprint == hk.OfferedFingerprint) {
			d.HostKeyErr = nil
		} // else it says which host key the clone recorded, for the review
		d.HostChecked = true
		d.Staged, d.StagedFor = msg.staged, d.stageKey()
		if r := msg.staged.Result; r != nil {
			if r.HostKeyFingerprint != "" {
				d.HostKeyFingerprint = r.HostKeyFingerprint
			}
			if r.Remote != nil {
				d.Remote = r.Remote
			}
		}
		return m, done(StepClone)
	case cloneTickMsg:
		if msg.run != m.run || m.phase != cloneRunning {
			return m, nil
		}
		m.elapsed = msg.t.Sub(m.start).Truncate(time.Second)
		return m, cloneTick(m.run)
	case spinner.TickMsg:
		if !m.Busy() {
			return m, nil // an idle screen does not redraw
		}
		_, cmd := m.prog.Update(msg)
		return m, cmd
	case tea.KeyMsg:
		return m.updateKey(msg)
	}
	return m, nil
}

// fail sends an error to the step that fixes it, or shows it with retry/back.
func (m Clone) fail(err error) (Step, tea.Cmd) {
	m.phase = cloneFailed
	if m.cancelled || errors.Is(err, context.Canceled) {
		m.cancelled = true
		m.err = nil
		return m, nil
	}
	m.err = err
	if to, ok := route(m.draft, err); ok {
		return m, gotoStep(to, err)
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
	case cloneRunning:
		if key.Matches(msg, k.Back) && !m.cancelled {
			m.confirm = true
		}
	case cloneFailed, cloneIdle:
		switch {
		case key.Matches(msg, k.Retry):
			return m.startClone()
		case key.Matches(msg, k.Back):
			return m, back(StepClone)
		}
	case cloneDone:
		switch {
		case key.Matches(msg, k.Next):
			return m, done(StepClone)
		case key.Matches(msg, k.Back):
			// Going back before the repository is added: delete the clone,
			// so nothing is left if the user changes their mind.
			if s := m.draft.Staged; s != nil {
				m.run++
				m.phase = cloneAborting
				m.backAfterAbort = true
				m.draft.Staged, m.draft.StagedFor = nil, ""
				return m, tea.Batch(abortClone(m.run, m.env.manager(), s), m.prog.Tick())
			}
			return m, back(StepClone)
		}
	}
	return m, nil
}

// View implements Step.
func (m Clone) View() Screen {
	st := m.env.Styles
	top, body, bottom := common.NewLines(m.width), common.NewLines(m.width), common.NewLines(m.width)
	addr := m.draft.EndpointString()
	mirror := ""
	if m.draft.Plan != nil {
		mirror = m.env.Display(m.draft.Plan.Mirror)
	}
	switch m.phase {
	case cloneAborting:
		top.Add(m.prog.Spinner() + " Deleting the earlier clone…")
	case cloneDone:
		top.Text(st.Success, "✓ Cloned "+addr)
	default:
		top.Text(st.Text, "Cloning "+addr+" into "+mirror)
	}
	if note := m.draft.KeyNote(); note != "" {
		body.Text(st.Success, "✓ "+note)
	}
	if r := m.draft.Remote; r != nil {
		line := fmt.Sprintf("✓ Connected: %s, %s", common.Plural(r.Branches, "branch", "branches"), common.Plural(r.Tags, "tag", "tags"))
		if r.DefaultBranch != "" {
			line += ", default branch " + r.DefaultBranch
		}
		body.Text(st.Success, line)
	}
	if m.phase == cloneRunning || m.phase == cloneFailed || m.phase == cloneDone {
		m.prog.Skip = ""
		if m.draft.Remote != nil {
			m.prog.Skip = gitops.PhaseConnecting // "✓ Connected" above says it
		}
		for _, l := range m.prog.Lines(m.phase == cloneRunning) {
			body.Add(l)
		}
		if m.phase == cloneRunning {
			bottom.Text(st.Hint, fmt.Sprintf("Elapsed %s", m.elapsed))
		}
	}
	switch m.phase {
	case cloneDone:
		if s := m.draft.Staged; s != nil && s.Result != nil {
			line := fmt.Sprintf("✓ %s into %s", common.Plural(s.Result.Commits, "commit", "commits"), mirror)
			if s.Result.DefaultBranch != "" {
				line += ", default branch " + s.Result.DefaultBranch
			}
			body.Text(st.Success, line)
		}
		bottom.Text(st.Hint, "Press enter to continue, or esc to delete the clone and go back.")
	case cloneFailed:
		if m.cancelled {
			bottom.Text(st.Text, "Clone cancelled; nothing was left behind.")
		} else if m.err != nil {
			bottom.Text(st.Error, "✗ "+common.ErrText(m.err))
		}
		bottom.Text(st.Hint, "Press r to try again, or esc to go back.")
	}
	if m.confirm {
		bottom.Text(st.Value, "Cancel the clone? (y/n)")
	}
	return Screen{Top: top.String(), Body: body.String(), Bottom: bottom.String(), Focus: -1}
}

// Help implements Step.
func (m Clone) Help() help.KeyMap {
	k := m.env.Keys
	switch {
	case m.confirm:
		return common.NewHelp(common.WithDesc(k.Yes, "cancel the clone"), common.WithDesc(k.No, "keep cloning"))
	case m.phase == cloneRunning:
		return common.NewHelp(common.WithDesc(k.Back, "cancel"))
	case m.phase == cloneFailed:
		return common.NewHelp(k.Retry, k.Back)
	case m.phase == cloneDone:
		return common.NewHelp(k.Next, common.WithDesc(k.Back, "delete the clone, back"))
	}
	return common.NewHelp(k.Back)
}
