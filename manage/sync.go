package manage

import (
	"errors"
	"fmt"
	"sort"

	tea "github.com/charmbracelet/bubbletea"
	"golang.org/x/crypto/ssh"

	"github.com/gitjira/gitjira/gitops"
	"github.com/gitjira/gitjira/lifecycle"
	"github.com/gitjira/gitjira/sshkeys"
	"github.com/gitjira/gitjira/store"
)

// A sync goes: the keys of the selected repositories are loaded in a
// command (signersMsg); an encrypted one without a decrypted signer in the
// session is asked for on a passphrase page; then lifecycle.Manager.Sync runs
// in a command, and its Progress and Done callbacks, called from its
// goroutines, send messages on a channel that a re-armed command reads
// (Bubble Tea's `realtime` pattern), so the rows move while it runs.

// lockedKey is an encrypted stored key waiting for its passphrase.
type lockedKey struct {
	repo store.Repository
	raw  []byte
	key  *sshkeys.Key
}

// batch is one sync request (s: one repository, S: all).
type batch struct {
	id       int
	repos    []store.Repository
	resolved bool // the keys were loaded
	running  bool // lifecycle's Sync is under way
	signers  map[string]ssh.Signer
	errs     map[string]error
	locked   []lockedKey
}

// syncState is every sync of the session; shared by the model's copies.
type syncState struct {
	seq     int
	rows    map[string]*rowProgress
	batches map[int]*batch
	// gate, when set (tests), is called from Sync's goroutine with each
	// progress event before it is sent: a test holds a sync there to look
	// at the screen mid-way.
	gate func(name string, p gitops.Progress)
	// progressSeen counts the progress messages that reached the model.
	progressSeen int
}

func newSyncState() *syncState {
	return &syncState{rows: map[string]*rowProgress{}, batches: map[int]*batch{}}
}

func (s *syncState) row(name string) (rowProgress, bool) {
	if s == nil {
		return rowProgress{}, false
	}
	r, ok := s.rows[name]
	if !ok {
		return rowProgress{}, false
	}
	return *r, true
}

func (s *syncState) has(name string) bool { _, ok := s.rows[name]; return ok }

// active reports whether a sync is loading keys or running.
func (s *syncState) active() bool {
	for _, b := range s.batches {
		if b.running || !b.resolved {
			return true
		}
	}
	return false
}

// Messages of the sync.
type (
	signersMsg struct {
		batch   int
		signers map[string]ssh.Signer
		errs    map[string]error
		locked  []lockedKey
	}
	syncProgressMsg struct {
		batch int
		name  string
		p     gitops.Progress
		ch    <-chan tea.Msg
	}
	// syncLinkMsg is the linking phase's progress (lifecycle's
	// LinkProgress): done of total issues linked.
	syncLinkMsg struct {
		batch       int
		name        string
		done, total int
		ch          <-chan tea.Msg
	}
	syncRepoDoneMsg struct {
		batch int
		res   lifecycle.SyncResult
		ch    <-chan tea.Msg
	}
	syncBatchDoneMsg struct {
		batch   int
		results []lifecycle.SyncResult
		err     error
	}
	// passphraseDoneMsg is the end of a passphrase page: the decrypted
	// signer, or nil when the user gave up on that key.
	passphraseDoneMsg struct {
		batch  int
		name   string
		signer ssh.Signer
	}
)

// startSync syncs the named repositories (those not syncing already).
func (m *Model) startSync(names []string) tea.Cmd {
	if m.quitting {
		return nil
	}
	var todo []store.Repository
	for _, n := range names {
		if m.syncs.has(n) {
			continue
		}
		if r, ok := m.repos.get(n); ok {
			todo = append(todo, r)
		}
	}
	if len(todo) == 0 {
		if len(names) == 1 {
			m.flash = flash{text: names[0] + " is syncing already."}
		} else {
			m.flash = flash{text: "Nothing to sync: every repository is syncing already or disabled."}
		}
		return nil
	}
	s := m.syncs
	s.seq++
	b := &batch{id: s.seq, repos: todo}
	s.batches[b.id] = b
	for _, r := range todo {
		s.rows[r.Name] = &rowProgress{batch: b.id, stage: "starting"}
	}
	return resolveSigners(m.c, b.id, todo)
}

// resolveSigners loads the keys of a batch: the session's decrypted ones,
// else Config.Signer's or the stored key's.
func resolveSigners(c *shared, id int, repos []store.Repository) tea.Cmd {
	src, sess, mgr := c.cfg.Signer, c.sess, c.Manager
	return func() tea.Msg {
		msg := signersMsg{batch: id, signers: map[string]ssh.Signer{}, errs: map[string]error{}}
		for _, r := range repos {
			if s := sess.signer(r.Name); s != nil {
				msg.signers[r.Name] = s
				continue
			}
			s, lk, err := loadSigner(mgr, src, r)
			switch {
			case lk != nil:
				msg.locked = append(msg.locked, *lk)
			case err != nil:
				msg.errs[r.Name] = err
			default:
				msg.signers[r.Name] = s
			}
		}
		return msg
	}
}

// loadSigner gets a repository's signer from src, or (src nil) its key
// as lifecycle opens it. An encrypted key comes back as a lockedKey to ask
// the passphrase of.
func loadSigner(mgr *lifecycle.Manager, src func(store.Repository) (ssh.Signer, error), r store.Repository) (ssh.Signer, *lockedKey, error) {
	var s ssh.Signer
	var err error
	if src != nil {
		s, err = src(r)
	} else {
		var k *sshkeys.Key
		if k, err = mgr.OpenStoredKey(r, lifecycle.KeySource{}); err == nil {
			s = k.Signer
		}
	}
	var kle *lifecycle.KeyLockedError
	if errors.As(err, &kle) && len(kle.Raw) > 0 {
		k := kle.Missing.Key
		if k == nil {
			k = &sshkeys.Key{Encrypted: true}
		}
		return nil, &lockedKey{repo: r, raw: kle.Raw, key: k}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return s, nil, nil
}

// updateSync handles the sync's messages.
func (m *Model) updateSync(msg tea.Msg) tea.Cmd {
	s := m.syncs
	switch msg := msg.(type) {
	case signersMsg:
		b := s.batches[msg.batch]
		if b == nil {
			return nil
		}
		b.resolved, b.signers, b.errs, b.locked = true, msg.signers, msg.errs, msg.locked
		if m.quitting {
			m.dropBatch(b)
			return nil
		}
		for _, lk := range b.locked {
			if p := s.rows[lk.repo.Name]; p != nil {
				p.stage = "passphrase"
			}
		}
		return m.advanceSyncs()
	case passphraseDoneMsg:
		if pp, ok := m.page.(*passphrasePage); ok && pp.batch == msg.batch && pp.name == msg.name {
			m.page = nil
		}
		b := s.batches[msg.batch]
		if b == nil || len(b.locked) == 0 || b.locked[0].repo.Name != msg.name {
			return nil
		}
		b.locked = b.locked[1:]
		if msg.signer != nil {
			b.signers[msg.name] = msg.signer
			m.c.sess.setSigner(msg.name, msg.signer)
			if p := s.rows[msg.name]; p != nil {
				p.stage = "starting"
			}
		} else {
			m.dropRepo(b, msg.name)
			m.flash = flash{text: "Sync of " + msg.name + " skipped: its key stays locked."}
		}
		if m.quitting {
			m.dropBatch(b)
			return nil
		}
		return m.advanceSyncs()
	case syncProgressMsg:
		if p := s.rows[msg.name]; p != nil && p.batch == msg.batch {
			p.stage, p.p = "fetch", msg.p
		}
		s.progressSeen++
		return waitFor(msg.ch)
	case syncLinkMsg:
		if p := s.rows[msg.name]; p != nil && p.batch == msg.batch {
			p.stage, p.linked, p.toLink = "link", msg.done, msg.total
		}
		return waitFor(msg.ch)
	case syncRepoDoneMsg:
		m.syncResult(msg.batch, msg.res)
		return waitFor(msg.ch)
	case syncBatchDoneMsg:
		b := s.batches[msg.batch]
		delete(s.batches, msg.batch)
		for _, res := range msg.results {
			m.syncResult(msg.batch, res)
		}
		for name, p := range s.rows {
			if p.batch == msg.batch {
				delete(s.rows, name)
			}
		}
		if b != nil && !m.quitting {
			m.flash = batchFlash(b, msg.results, msg.err)
		}
		return m.repos.load(false)
	}
	return nil
}

// syncResult records one repository's outcome (once per batch).
func (m *Model) syncResult(batch int, res lifecycle.SyncResult) {
	if p := m.syncs.rows[res.Name]; p != nil && p.batch == batch {
		delete(m.syncs.rows, res.Name)
	}
	m.repos.results[res.Name] = pendingResult{res: res, seq: m.c.loadSeq}
	m.repos.lastRun[res.Name] = res
}

// advanceSyncs asks the next passphrase (one page at a time) and starts
// the batches whose keys are all there.
func (m *Model) advanceSyncs() tea.Cmd {
	s := m.syncs
	ids := make([]int, 0, len(s.batches))
	for id := range s.batches {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	var cmds []tea.Cmd
	for _, id := range ids {
		b := s.batches[id]
		switch {
		case !b.resolved || b.running:
		case len(b.locked) > 0:
			if m.page == nil {
				cmds = append(cmds, m.open(newPassphrasePage(m.c, b.id, b.locked[0])))
			}
		default:
			cmds = append(cmds, m.launch(b))
		}
	}
	return tea.Batch(cmds...)
}

func (m *Model) dropRepo(b *batch, name string) {
	for i, r := range b.repos {
		if r.Name == name {
			b.repos = append(b.repos[:i], b.repos[i+1:]...)
			break
		}
	}
	if p := m.syncs.rows[name]; p != nil && p.batch == b.id {
		delete(m.syncs.rows, name)
	}
}

func (m *Model) dropBatch(b *batch) {
	delete(m.syncs.batches, b.id)
	for name, p := range m.syncs.rows {
		if p.batch == b.id {
			delete(m.syncs.rows, name)
		}
	}
}

// launch runs lifecycle's Sync for a batch whose keys are ready.
func (m *Model) launch(b *batch) tea.Cmd {
	if len(b.repos) == 0 {
		m.dropBatch(b)
		return nil
	}
	b.running = true
	names := make([]string, len(b.repos))
	for i, r := range b.repos {
		names[i] = r.Name
		if p := m.syncs.rows[r.Name]; p != nil {
			p.stage = "fetch"
		}
	}
	ctx, mgr, id, gate := m.c.Ctx, m.c.Manager, b.id, m.syncs.gate
	signers, errs := b.signers, b.errs
	ch := make(chan tea.Msg, 64)
	o := lifecycle.SyncOptions{
		Names: names,
		Signer: func(r store.Repository) (ssh.Signer, error) {
			if s, ok := signers[r.Name]; ok {
				return s, nil
			}
			if err, ok := errs[r.Name]; ok {
				return nil, err
			}
			return nil, fmt.Errorf("no key loaded for %s", r.Name)
		},
		Link: m.c.cfg.Link,
		Progress: func(name string, p gitops.Progress) {
			if gate != nil {
				gate(name, p)
			}
			// Progress is only for the eye: when the screen lags, drop it
			// rather than slow the fetch down.
			select {
			case ch <- syncProgressMsg{batch: id, name: name, p: p, ch: ch}:
			default:
			}
		},
		LinkProgress: func(name string, done, total int) {
			// For the eye too: dropped when the screen lags.
			select {
			case ch <- syncLinkMsg{batch: id, name: name, done: done, total: total, ch: ch}:
			default:
			}
		},
		Done: func(res lifecycle.SyncResult) {
			select {
			case ch <- syncRepoDoneMsg{batch: id, res: res, ch: ch}:
			case <-ctx.Done():
			}
		},
	}
	run := func() tea.Msg {
		results, err := mgr.Sync(ctx, o)
		close(ch) // Sync calls Progress and Done only before it returns
		return syncBatchDoneMsg{batch: id, results: results, err: err}
	}
	return tea.Batch(run, waitFor(ch))
}

// waitFor reads the next message of a running sync; it is re-armed by each
// message it returns, and ends with the channel.
func waitFor(ch <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return nil
		}
		return msg
	}
}
