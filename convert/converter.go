package convert

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"sync/atomic"
)

// Converter is Convert with a per-tool cache: the schema work of a tool whose
// name, description and raw schema bytes are unchanged since the previous
// Convert of its server is reused. It is safe for concurrent use. The cache
// holds, per server, only the tools seen in the latest Convert of that
// server, so it never grows past the current tool lists.
type Converter struct {
	opts Options

	mu    sync.Mutex
	cache map[string]map[cacheKey]*prepared // server -> tool key -> work

	hits, misses atomic.Int64
}

type cacheKey [sha256.Size]byte

// NewConverter returns a Converter that converts with opts.
func NewConverter(opts Options) *Converter {
	return &Converter{opts: opts, cache: map[string]map[cacheKey]*prepared{}}
}

// Convert is like the package-level Convert with the Converter's options.
// The returned ToolSet shares schema maps with earlier results; treat them as
// read-only.
func (c *Converter) Convert(servers []ServerTools) (*ToolSet, error) {
	return convertWith(servers, c.opts, c)
}

// toolKey hashes what the schema work of a tool depends on.
func toolKey(t *Tool) cacheKey {
	h := sha256.New()
	var n [8]byte
	for _, s := range []string{t.Name, t.Description} {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	binary.LittleEndian.PutUint64(n[:], uint64(len(t.InputSchema)))
	h.Write(n[:])
	h.Write(t.InputSchema)
	h.Write(t.OutputSchema)
	var k cacheKey
	h.Sum(k[:0])
	return k
}

// prepareServer returns the prepared work for every tool of srv, in order,
// and replaces the server's cache with exactly these tools.
func (c *Converter) prepareServer(srv *ServerTools, strict bool) []*prepared {
	keys := make([]cacheKey, len(srv.Tools))
	for i := range srv.Tools {
		keys[i] = toolKey(&srv.Tools[i])
	}
	preps := make([]*prepared, len(srv.Tools))
	c.mu.Lock()
	old := c.cache[srv.Server]
	for i, k := range keys {
		preps[i] = old[k]
	}
	c.mu.Unlock()
	next := make(map[cacheKey]*prepared, len(keys))
	var hits, misses int64
	for i := range preps {
		if preps[i] == nil {
			if p, ok := next[keys[i]]; ok {
				preps[i] = p
			} else {
				preps[i] = prepareTool(&srv.Tools[i], strict)
				misses++
			}
		} else {
			hits++
		}
		next[keys[i]] = preps[i]
	}
	c.mu.Lock()
	c.cache[srv.Server] = next
	c.mu.Unlock()
	c.hits.Add(hits)
	c.misses.Add(misses)
	return preps
}
