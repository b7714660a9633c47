package gitdiff

// Myers' O(ND) difference algorithm as git's xdiff runs it (xdiffi.c:
// xdl_recs_cmp and xdl_split), ported so the lines marked changed are the
// ones git marks: the same middle snake is found, and on costly inputs the
// same heuristics cut the search (a "good enough" snake after 256 edits,
// the furthest-reaching path after sqrt(N) edits).

const (
	maxCostMin  = 256
	heurMinCost = 256
	snakeCnt    = 20
	kHeur       = 4
	lineMax     = int(^uint(0) >> 1)
)

type myers struct {
	x, y               []int32
	changedX, changedY []bool
	kvdf, kvdb         []int // indexed by diagonal + off
	off                int
	mxcost             int
}

func newMyers(x, y []int32) *myers {
	ndiags := len(x) + len(y) + 3
	m := &myers{x: x, y: y, changedX: make([]bool, len(x)), changedY: make([]bool, len(y))}
	m.kvdf = make([]int, 2*ndiags+2)
	m.kvdb = make([]int, 2*ndiags+2)
	m.off = len(y) + 1
	m.mxcost = max(bogosqrt(ndiags), maxCostMin)
	return m
}

func (m *myers) compare(off1, lim1, off2, lim2 int, needMin bool) {
	for off1 < lim1 && off2 < lim2 && m.x[off1] == m.y[off2] {
		off1++
		off2++
	}
	for off1 < lim1 && off2 < lim2 && m.x[lim1-1] == m.y[lim2-1] {
		lim1--
		lim2--
	}
	switch {
	case off1 == lim1:
		for ; off2 < lim2; off2++ {
			m.changedY[off2] = true
		}
	case off2 == lim2:
		for ; off1 < lim1; off1++ {
			m.changedX[off1] = true
		}
	default:
		i1, i2, minLo, minHi := m.split(off1, lim1, off2, lim2, needMin)
		m.compare(off1, i1, off2, i2, minLo)
		m.compare(i1, lim1, i2, lim2, minHi)
	}
}

func (m *myers) split(off1, lim1, off2, lim2 int, needMin bool) (int, int, bool, bool) {
	x, y := m.x, m.y
	o := m.off
	kvdf, kvdb := m.kvdf, m.kvdb
	dmin, dmax := off1-lim2, lim1-off2
	fmid, bmid := off1-off2, lim1-lim2
	odd := (fmid-bmid)&1 != 0
	fmin, fmax := fmid, fmid
	bmin, bmax := bmid, bmid

	kvdf[o+fmid] = off1
	kvdb[o+bmid] = lim1

	for ec := 1; ; ec++ {
		gotSnake := false
		if fmin > dmin {
			fmin--
			kvdf[o+fmin-1] = -1
		} else {
			fmin++
		}
		if fmax < dmax {
			fmax++
			kvdf[o+fmax+1] = -1
		} else {
			fmax--
		}
		for d := fmax; d >= fmin; d -= 2 {
			var i1 int
			if kvdf[o+d-1] >= kvdf[o+d+1] {
				i1 = kvdf[o+d-1] + 1
			} else {
				i1 = kvdf[o+d+1]
			}
			prev1 := i1
			i2 := i1 - d
			for i1 < lim1 && i2 < lim2 && x[i1] == y[i2] {
				i1++
				i2++
			}
			if i1-prev1 > snakeCnt {
				gotSnake = true
			}
			kvdf[o+d] = i1
			if odd && bmin <= d && d <= bmax && kvdb[o+d] <= i1 {
				return i1, i2, true, true
			}
		}

		if bmin > dmin {
			bmin--
			kvdb[o+bmin-1] = lineMax
		} else {
			bmin++
		}
		if bmax < dmax {
			bmax++
			kvdb[o+bmax+1] = lineMax
		} else {
			bmax--
		}
		for d := bmax; d >= bmin; d -= 2 {
			var i1 int
			if kvdb[o+d-1] < kvdb[o+d+1] {
				i1 = kvdb[o+d-1]
			} else {
				i1 = kvdb[o+d+1] - 1
			}
			prev1 := i1
			i2 := i1 - d
			for i1 > off1 && i2 > off2 && x[i1-1] == y[i2-1] {
				i1--
				i2--
			}
			if prev1-i1 > snakeCnt {
				gotSnake = true
			}
			kvdb[o+d] = i1
			if !odd && fmin <= d && d <= fmax && i1 <= kvdf[o+d] {
				return i1, i2, true, true
			}
		}

		if needMin {
			continue
		}

		if gotSnake && ec > heurMinCost {
			best, s1, s2 := 0, 0, 0
			for d := fmax; d >= fmin; d -= 2 {
				dd := d - fmid
				if dd < 0 {
					dd = -dd
				}
				i1 := kvdf[o+d]
				i2 := i1 - d
				v := (i1 - off1) + (i2 - off2) - dd
				if v > kHeur*ec && v > best &&
					off1+snakeCnt <= i1 && i1 < lim1 &&
					off2+snakeCnt <= i2 && i2 < lim2 {
					for k := 1; x[i1-k] == y[i2-k]; k++ {
						if k == snakeCnt {
							best, s1, s2 = v, i1, i2
							break
						}
					}
				}
			}
			if best > 0 {
				return s1, s2, true, false
			}
			best = 0
			for d := bmax; d >= bmin; d -= 2 {
				dd := d - bmid
				if dd < 0 {
					dd = -dd
				}
				i1 := kvdb[o+d]
				i2 := i1 - d
				v := (lim1 - i1) + (lim2 - i2) - dd
				if v > kHeur*ec && v > best &&
					off1 < i1 && i1 <= lim1-snakeCnt &&
					off2 < i2 && i2 <= lim2-snakeCnt {
					for k := 0; x[i1+k] == y[i2+k]; k++ {
						if k == snakeCnt-1 {
							best, s1, s2 = v, i1, i2
							break
						}
					}
				}
			}
			if best > 0 {
				return s1, s2, false, true
			}
		}

		if ec >= m.mxcost {
			fbest, fbest1 := -1, -1
			for d := fmax; d >= fmin; d -= 2 {
				i1 := min(kvdf[o+d], lim1)
				i2 := i1 - d
				if lim2 < i2 {
					i1 = lim2 + d
					i2 = lim2
				}
				if fbest < i1+i2 {
					fbest = i1 + i2
					fbest1 = i1
				}
			}
			bbest, bbest1 := lineMax, lineMax
			for d := bmax; d >= bmin; d -= 2 {
				i1 := max(off1, kvdb[o+d])
				i2 := i1 - d
				if i2 < off2 {
					i1 = off2 + d
					i2 = off2
				}
				if i1+i2 < bbest {
					bbest = i1 + i2
					bbest1 = i1
				}
			}
			if (lim1+lim2)-bbest < fbest-(off1+off2) {
				return fbest1, fbest - fbest1, true, false
			}
			return bbest1, bbest - bbest1, false, true
		}
	}
}
