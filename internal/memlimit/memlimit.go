// Package memlimit gives the Go runtime a soft memory limit sized to the
// machine, so that gitjira's heap stays well below what the machine (or its
// container) can hold: past the limit the garbage collector works harder
// instead of letting the heap grow to twice its live size.
package memlimit

import (
	"bufio"
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
)

// Bounds of the limit Set chooses.
const (
	minLimit = 256 << 20
	maxLimit = 1 << 30
)

// Set sets the soft memory limit (debug.SetMemoryLimit) to a quarter of the
// memory available to the process, between 256 MiB and 1 GiB (and never more
// than half of what is available), unless GOMEMLIMIT is set, which the
// runtime has already applied. The available memory is the cgroup's limit
// when there is one, else the machine's. It returns the limit in effect, 0
// when it could not tell the machine's memory and left the runtime's default.
// The command line calls it once at start.
func Set() int64 {
	if v := os.Getenv("GOMEMLIMIT"); v != "" {
		return debug.SetMemoryLimit(-1)
	}
	avail := available()
	if avail <= 0 {
		return 0
	}
	limit := Size(avail)
	debug.SetMemoryLimit(limit)
	return limit
}

// Size returns the limit Set chooses for avail bytes of memory.
func Size(avail int64) int64 {
	return min(max(avail/4, minLimit), maxLimit, max(avail/2, 64<<20))
}

// available returns the memory the process may use: the cgroup v2 or v1
// limit when one is set and lower than the machine's, else MemTotal.
func available() int64 {
	total := memTotal()
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(data))
		if s == "max" {
			continue
		}
		if v, err := strconv.ParseInt(s, 10, 64); err == nil && v > 0 && (total <= 0 || v < total) {
			return v
		}
	}
	return total
}

// memTotal reads MemTotal from /proc/meminfo (Linux); 0 elsewhere.
func memTotal() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

var lean struct {
	sync.Mutex
	n     int
	saved int
}

// Lean lowers the garbage collector's target (GOGC) to percent for a phase
// whose live heap is large and mostly pointer-free, such as indexing a pack,
// where the default (100: the heap may grow to twice the live size between
// collections) would double the peak while collections cost little. It does
// nothing when GOGC is set in the environment. Overlapping phases share the
// setting: the last one to end restores the previous value.
func Lean(percent int) (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	lean.Lock()
	if lean.n == 0 {
		lean.saved = debug.SetGCPercent(percent)
	}
	lean.n++
	lean.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			lean.Lock()
			if lean.n--; lean.n == 0 {
				debug.SetGCPercent(lean.saved)
			}
			lean.Unlock()
		})
	}
}
