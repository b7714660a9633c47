package manage

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gitjira/gitjira/store"
	"github.com/gitjira/gitjira/ui/uitest"
	"github.com/gitjira/gitjira/wizard"
)

// syncBuffer is the programs' output, written by Bubble Tea and read by the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) text() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return uitest.Plain(b.buf.String())
}

// runner drives Run through a pipe, the way a terminal would.
type runner struct {
	t    *testing.T
	in   *io.PipeWriter
	out  *syncBuffer
	pos  int
	done chan error
}

func startRun(t *testing.T, cfg Config) *runner {
	inR, inW := io.Pipe()
	r := &runner{t: t, in: inW, out: &syncBuffer{}, done: make(chan error, 1)}
	go func() { r.done <- Run(cfg, inR, r.out) }()
	t.Cleanup(func() { inW.Close() })
	return r
}

func (r *runner) send(s string) {
	r.t.Helper()
	if _, err := r.in.Write([]byte(s)); err != nil {
		r.t.Fatal(err)
	}
}

func (r *runner) waitFor(text string) {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		all := r.out.text()
		if i := strings.Index(all[min(r.pos, len(all)):], text); i >= 0 {
			r.pos += i + len(text)
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	all := r.out.text()
	r.t.Fatalf("the screen never showed %q; last output:\n%s", text, all[max(0, len(all)-3000):])
}

var stepRE = regexp.MustCompile(`Step (\d+) of \d+`)

// lastStep is the wizard step last drawn ("" before the wizard).
func (r *runner) lastStep() string {
	m := stepRE.FindAllString(r.out.text(), -1)
	if len(m) == 0 {
		return ""
	}
	return m[len(m)-1]
}

// TestRunConnectsWithTheWizardAndComesBack presses c on the list, goes
// through the real Connect wizard (location and key prefilled, host known:
// enter on every step), and is back on the list with the new repository
// selected; the next key (q) reaches the new screen, not the ended wizard.
func TestRunConnectsWithTheWizardAndComesBack(t *testing.T) {
	w := newWorld(t)
	w.connect("api", 10, keyEd25519)
	url := w.repo("newrepo", 7)
	keyPath := filepath.Join(w.sshDir, "id_ed25519")
	if err := os.WriteFile(keyPath, readKey(t, keyEd25519), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := w.cfg()
	calls := 0
	cfg.Connect = func(in io.Reader, out io.Writer) (*store.Repository, error) {
		calls++
		return wizard.Run(context.Background(), wizard.Config{Paths: w.mgr.Paths, KnownHostsFile: w.mgr.KnownHostsFile,
			SSHConfigFile: filepath.Join(w.sshDir, "config"), SSHDir: w.sshDir, URL: url, KeyPath: keyPath, Timeout: 10 * time.Second, InManage: true}, in, out)
	}
	r := startRun(t, cfg)
	r.waitFor("api")
	r.waitFor("a add (connect)")
	r.send("a")
	r.waitFor("Step 1 of")
	// Inside Manage, quitting the wizard returns to Manage, and its hints
	// say so (issue 15, defect 4).
	r.waitFor("ctrl+c back to Manage")
	for i := 0; i < 15 && !strings.Contains(r.out.text(), "Connected newrepo"); i++ {
		before := r.lastStep()
		r.send("\r")
		for j := 0; j < 100 && r.lastStep() == before && !strings.Contains(r.out.text(), "Connected newrepo"); j++ {
			time.Sleep(50 * time.Millisecond)
		}
	}
	r.waitFor("› newrepo")
	r.waitFor("Connected newrepo")
	// The Finish step's hint and help (the renderer may skip a frame of
	// the two when the steps go by fast, not both).
	if flat := uitest.Flat(r.out.text()); !strings.Contains(flat, "Press enter to go back to Manage") && !strings.Contains(flat, "enter back to Manage") {
		t.Error("the Finish step inside Manage does not say enter goes back to Manage")
	}
	r.send("q")
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("Run did not end after q; last output:\n%s", r.out.text()[max(0, len(r.out.text())-2000):])
	}
	if calls != 1 {
		t.Errorf("Connect called %d times", calls)
	}
	if _, ok := w.get("newrepo"); !ok {
		t.Errorf("newrepo not in the list: %+v", w.list())
	}
}

// TestRunConnectCancelledComesBack: a wizard left without adding anything
// brings the list back with "cancelled", and keys still reach the screen.
func TestRunConnectCancelledComesBack(t *testing.T) {
	w := newWorld(t)
	w.connect("api", 5, keyEd25519)
	cfg := w.cfg()
	reading := make(chan struct{})
	cfg.Connect = func(in io.Reader, out io.Writer) (*store.Repository, error) {
		// A stand-in for the wizard that reads one key, as the wizard would
		// until the user quits.
		close(reading)
		b := make([]byte, 1)
		if _, err := in.Read(b); err != nil {
			return nil, err
		}
		return nil, wizard.ErrCancelled
	}
	r := startRun(t, cfg)
	r.waitFor("a add (connect)")
	r.send("a")
	<-reading
	r.send("x") // read by the stand-in wizard, not by the ended screen
	r.waitFor("Connect cancelled")
	r.send("q")
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("Run did not end after q; last output:\n%s", r.out.text())
	}
}

// TestRunWizardQuitReturnsToManage: ctrl+c in the wizard opened from
// Manage says and does "back to Manage".
func TestRunWizardQuitReturnsToManage(t *testing.T) {
	w := newWorld(t)
	w.connect("api", 10, keyEd25519)
	cfg := w.cfg()
	cfg.Connect = func(in io.Reader, out io.Writer) (*store.Repository, error) {
		return wizard.Run(context.Background(), wizard.Config{Paths: w.mgr.Paths, KnownHostsFile: w.mgr.KnownHostsFile,
			SSHConfigFile: filepath.Join(w.sshDir, "config"), SSHDir: w.sshDir, Timeout: 10 * time.Second, InManage: true}, in, out)
	}
	r := startRun(t, cfg)
	r.waitFor("a add (connect)")
	r.send("a")
	r.waitFor("Step 1 of")
	r.waitFor("ctrl+c back to Manage")
	if strings.Contains(r.out.text()[strings.LastIndex(r.out.text(), "Step 1 of"):], "ctrl+c quit") {
		t.Error("the wizard inside Manage says ctrl+c quits")
	}
	r.send("\x03")
	r.waitFor("Connect cancelled")
	r.send("q")
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not end after q")
	}
}
