package mcpclient

import "sync"

// ring keeps the last limit bytes written to it. Writes never block and
// never fail, so a chatty child can't stall on a full stderr pipe.
type ring struct {
	mu    sync.Mutex
	buf   []byte
	limit int
	start int // index of the oldest byte once full
	full  bool
}

func newRing(limit int) *ring {
	if limit <= 0 {
		limit = 1
	}
	return &ring{limit: limit}
}

func (r *ring) Write(p []byte) (int, error) {
	n := len(p)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(p) >= r.limit {
		r.buf = append(r.buf[:0], p[len(p)-r.limit:]...)
		r.start, r.full = 0, true
		return n, nil
	}
	if !r.full {
		room := r.limit - len(r.buf)
		if len(p) <= room {
			r.buf = append(r.buf, p...)
			r.full = len(r.buf) == r.limit
			return n, nil
		}
		r.buf = append(r.buf, p[:room]...)
		p = p[room:]
		r.full = true
	}
	for len(p) > 0 {
		c := copy(r.buf[r.start:], p)
		p = p[c:]
		r.start = (r.start + c) % r.limit
	}
	return n, nil
}

// String returns the kept bytes, oldest first.
func (r *ring) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.full {
		return string(r.buf)
	}
	out := make([]byte, 0, r.limit)
	out = append(out, r.buf[r.start:]...)
	out = append(out, r.buf[:r.start]...)
	return string(out)
}
