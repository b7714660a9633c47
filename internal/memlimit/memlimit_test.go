package memlimit

import (
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
)

func TestSize(t *testing.T) {
	for _, tc := range []struct{ avail, want int64 }{
		{128 << 20, 64 << 20},  // tiny container: half of it
		{512 << 20, 256 << 20}, // the floor, which is half here
		{2 << 30, 512 << 20},   // a quarter
		{24 << 30, 1 << 30},    // the ceiling
	} {
		if got := Size(tc.avail); got != tc.want {
			t.Errorf("Size(%d MiB) = %d MiB, want %d MiB", tc.avail>>20, got>>20, tc.want>>20)
		}
	}
}

// Set leaves a GOMEMLIMIT from the environment alone, and otherwise sets a
// limit; each case runs in a child process, as the limit is process-wide.
func TestSet(t *testing.T) {
	if os.Getenv("MEMLIMIT_CHILD") == "1" {
		got := Set()
		if got != debug.SetMemoryLimit(-1) {
			t.Fatalf("Set returned %d, the runtime has %d", got, debug.SetMemoryLimit(-1))
		}
		os.Stdout.WriteString("limit=" + strconv.FormatInt(got, 10) + "\n")
		return
	}
	run := func(env ...string) int64 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSet$", "-test.v")
		cmd.Env = append(os.Environ(), append(env, "MEMLIMIT_CHILD=1")...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		i := strings.Index(string(out), "limit=")
		if i < 0 {
			t.Fatalf("no limit in %s", out)
		}
		v, _ := strconv.ParseInt(strings.Fields(string(out[i+6:]))[0], 10, 64)
		return v
	}
	if got := run("GOMEMLIMIT=300MiB"); got != 300<<20 {
		t.Fatalf("with GOMEMLIMIT=300MiB the limit is %d", got)
	}
	if avail := available(); avail > 0 {
		if got := run("GOMEMLIMIT="); got != Size(avail) {
			t.Fatalf("limit %d, want %d for %d bytes available", got, Size(avail), avail)
		}
	}
}

func TestLeanNests(t *testing.T) {
	t.Setenv("GOGC", "")
	old := debug.SetGCPercent(100)
	defer debug.SetGCPercent(old)
	r1 := Lean(25)
	r2 := Lean(25)
	if got := debug.SetGCPercent(25); got != 25 {
		t.Fatalf("GOGC %d while lean", got)
	}
	r1()
	r1() // twice is harmless
	if got := debug.SetGCPercent(25); got != 25 {
		t.Fatalf("GOGC %d after one of two phases ended", got)
	}
	r2()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GOGC %d after both ended, want 100 back", got)
	}
}
