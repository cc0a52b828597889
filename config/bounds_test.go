package config

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allocated returns the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// aliasBomb is a YAML file of about size bytes whose aliases expand it
// many times: one anchored list of items referred to from every server.
// yaml.v3's own check stops this shape once aliases make most of the
// nodes decoded.
func aliasBomb(items, size int) []byte {
	var b strings.Builder
	b.WriteString("common: &big [")
	for i := 0; i < items; i++ {
		fmt.Fprintf(&b, "item-%04d, ", i)
	}
	b.WriteString("]\nmcp_servers:\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "  s%d: {command: x, args: *big}\n", i)
	}
	return []byte(b.String())
}

// stringBomb is a YAML file of about size bytes whose aliases refer to one
// long string: few nodes, so yaml.v3's check lets it through, and every
// alias is the whole string again once the document is used.
func stringBomb(value, size int) []byte {
	var b strings.Builder
	b.WriteString("common: &big " + strings.Repeat("x", value) + "\nmcp_servers:\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "  s%d: {command: *big}\n", i)
	}
	return []byte(b.String())
}

// A YAML file's aliases may not expand it past its budget: the parse stops
// with an error that says why, having allocated about what the budget
// allows instead of what the aliases ask for. Before the bound the 64 KiB
// string bomb allocated 253 MB (and 256 KiB took 1.2 GB and 15 s); the
// list bomb 23 MB before yaml.v3's own check stopped it.
func TestYAMLAliasesBounded(t *testing.T) {
	for _, data := range [][]byte{stringBomb(16<<10, 64<<10), aliasBomb(400, 64<<10)} {
		var err error
		n := allocated(func() { _, _, err = Parse(data) })
		require.ErrorIs(t, err, ErrInvalid)
		assert.ErrorContains(t, err, "aliases expand the document past")
		assert.Less(t, n, uint64(8<<20), "bytes allocated for a %d-byte file", len(data))
	}
}

// The budget itself: a document whose aliases expand to just under it is
// read, one just over is refused.
func TestYAMLBudgetIsExact(t *testing.T) {
	doc := []byte("a: &x [aaaa, bbbb]\nb: *x\nc: *x\n")
	v, _, err := decodeYAML(doc, 1000)
	require.NoError(t, err)
	assert.Equal(t, []any{"aaaa", "bbbb"}, v["c"])
	cost := yamlCost(t, doc)
	_, _, err = decodeYAML(doc, cost)
	require.NoError(t, err, "a budget of exactly the cost is enough")
	_, _, err = decodeYAML(doc, cost-1)
	require.ErrorContains(t, err, fmt.Sprintf("aliases expand the document past %d bytes", cost-1))
}

// yamlCost finds the smallest budget that reads doc.
func yamlCost(t *testing.T, doc []byte) int {
	lo, hi := 0, 1000
	for lo < hi {
		mid := (lo + hi) / 2
		if _, _, err := decodeYAML(doc, mid); err == nil {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// Merge keys (<<) are read as YAML defines them: keys of the mapping win
// over merged ones, earlier merged mappings over later ones.
func TestYAMLMergeKeys(t *testing.T) {
	servers, _, err := Options{LookupEnv: lookupFrom(map[string]string{"T": "tok"})}.Parse([]byte(`
x-remote: &remote {transport: http, auth_type: bearer_token, auth_value: os.environ/T, timeout: 5000}
x-slow: &slow {timeout: 60000, allowed_tools: [search]}
mcp_servers:
  wiki: {<<: [*slow, *remote], url: "https://wiki.example/mcp"}
  docs:
    <<: *remote
    url: https://docs.example/mcp
    timeout: 1000
`))
	require.NoError(t, err)
	got := summarize(servers)
	assert.Equal(t, "https://wiki.example/mcp", got["wiki"].URL)
	assert.Equal(t, "Bearer tok", got["wiki"].Headers["Authorization"])
	assert.Equal(t, []string{"search"}, got["wiki"].Allow)
	assert.Equal(t, "1m0s", got["wiki"].Timeout.String(), "the first merged mapping wins")
	assert.Equal(t, "1s", got["docs"].Timeout.String(), "the mapping's own key wins")
}

// A key given twice in what the bridge reads is an error naming where, in
// JSON (where the last one silently won) and YAML alike; duplicates in the
// rest of a settings file are not the bridge's business.
func TestDuplicateKeys(t *testing.T) {
	cases := map[string]struct{ cfg, want string }{
		"json key in a server": {`{"mcpServers": {"x": {"command": "a", "args": [], "command": "b"}}}`, `server "x": command: defined twice`},
		"json nested key":      {`{"mcpServers": {"x": {"url": "http://a", "headers": {"K": "1", "K": "2"}}}}`, `server "x": headers.K: defined twice`},
		"json server":          {`{"mcpServers": {"x": {"command": "a"}, "x": {"command": "b"}}}`, `mcpServers: server "x" is defined twice`},
		"json server map":      {`{"mcpServers": {"x": {"command": "a"}}, "mcpServers": {"y": {"command": "b"}}}`, `mcpServers: defined twice`},
		"json in a list":       {`{"mcpServers": {"x": {"command": "a", "roots": [{"uri": "file:///a", "uri": "file:///b"}]}}}`, `server "x": roots[0].uri: defined twice`},
		"json inputs":          {`{"inputs": [{"id": "a", "id": "b"}], "servers": {"x": {"command": "a"}}}`, `inputs[0].id: defined twice`},
		"yaml key in a server": {"mcp_servers:\n  x:\n    url: http://a\n    url: http://b\n", `server "x": url: defined twice`},
		"yaml server":          {"mcp_servers:\n  x: {command: a}\n  x: {command: b}\n", `mcp_servers: server "x" is defined twice`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := Parse([]byte(tc.cfg))
			require.ErrorIs(t, err, ErrInvalid)
			assert.ErrorContains(t, err, tc.want)
		})
	}
	servers, _, err := Parse([]byte(`{"editor.fontSize": 12, "editor.fontSize": 13, "other": {"a": 1, "a": 2}, "mcpServers": {"x": {"command": "a"}}}`))
	require.NoError(t, err, "duplicates outside the servers are left to the file's owner")
	assert.Len(t, servers, 1)
}

// Nested ${A:-...} defaults are expanded in one pass: the bytes the
// resolver examines grow with the string, not with its square (300 KB of
// nesting took 10 s before).
func TestNestedDefaultsLinear(t *testing.T) {
	for _, depth := range []int{1000, 50000} {
		s := strings.Repeat("${NOPE:-", depth) + "x" + strings.Repeat("}", depth)
		r := &resolver{lookupEnv: lookupFrom(nil), budget: maxExpandedBytes}
		got, err := r.expand(s, nil)
		require.NoError(t, err)
		assert.Equal(t, "x", got)
		assert.LessOrEqual(t, r.work, 2*len(s), "bytes examined for %d nested defaults", depth)

		// The same with the variable set: the defaults are skipped, once.
		r = &resolver{lookupEnv: lookupFrom(map[string]string{"NOPE": "v"}), budget: maxExpandedBytes}
		got, err = r.expand(s, nil)
		require.NoError(t, err)
		assert.Equal(t, "v", got)
		assert.LessOrEqual(t, r.work, 2*len(s))
	}
}

// Variables may add at most maxExpandedBytes to a file, in all: a 64 KiB
// value referred to 300 times is refused with an error naming the bound,
// after about the bound's worth of allocation.
func TestVariableExpansionBounded(t *testing.T) {
	big := strings.Repeat("v", 64<<10)
	args := strings.TrimSuffix(strings.Repeat(`"${BIG}",`, 300), ",")
	cfg := `{"mcpServers": {"x": {"command": "a", "args": [` + args + `]}, "y": {"command": "b", "args": [` + args + `]}}}`
	var err error
	n := allocated(func() {
		_, _, err = Options{LookupEnv: lookupFrom(map[string]string{"BIG": big})}.Parse([]byte(cfg))
	})
	require.ErrorIs(t, err, ErrInvalid)
	assert.ErrorContains(t, err, "variables expand to more than 16 MiB")
	assert.Equal(t, 1, strings.Count(err.Error(), "variables expand"), "reported once, then parsing stops")
	assert.Less(t, n, uint64(3*maxExpandedBytes))
}

// Every server may name the same large envFile: it is read once, and what
// its variables add to the servers counts against the same bound.
func TestEnvFilesBounded(t *testing.T) {
	dir := t.TempDir()
	var env strings.Builder
	for i := 0; env.Len() < 900<<10; i++ {
		fmt.Fprintf(&env, "VAR_%d=%s\n", i, strings.Repeat("x", 100))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "big.env"), []byte(env.String()), 0o600))
	var cfg strings.Builder
	cfg.WriteString(`{"mcpServers": {`)
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&cfg, `"s%d": {"command": "a", "envFile": "big.env"},`, i)
	}
	cfg.WriteString(`}}`)
	var err error
	n := allocated(func() { _, _, err = Options{Dir: dir}.Parse([]byte(cfg.String())) })
	require.ErrorIs(t, err, ErrInvalid)
	assert.ErrorContains(t, err, "variables expand to more than 16 MiB")
	assert.Less(t, n, uint64(3*maxExpandedBytes))

	_, _, err = Parse([]byte(`{"mcpServers": {"s": {"command": "a", "envFile": "/dev/zero"}}}`))
	assert.ErrorContains(t, err, `server "s": envFile: /dev/zero is not a regular file`)
}

// A file is bounded before it is read: Parse refuses more than
// maxConfigBytes (JSON) or maxYAMLBytes (YAML) at once, and Load reads no
// more than that from a file whose size it cannot know in advance (a pipe).
func TestFileSizeBounded(t *testing.T) {
	huge := make([]byte, 64<<20)
	copy(huge, `{"mcpServers": {}}`)
	var err error
	n := allocated(func() { _, _, err = Parse(huge) })
	require.ErrorIs(t, err, ErrInvalid)
	assert.ErrorContains(t, err, "larger than 32 MiB")
	assert.Less(t, n, uint64(1<<20))

	yml := []byte("mcp_servers: {}\n" + strings.Repeat("# padding\n", (maxYAMLBytes/10)+1))
	_, _, err = Parse(yml)
	assert.ErrorContains(t, err, "larger than 4 MiB")
}

// An alias inside the node it refers to would make the document infinite.
func TestYAMLAliasCycle(t *testing.T) {
	_, _, err := Parse([]byte("mcp_servers: &x {s: {command: a, args: *x}}\n"))
	require.ErrorIs(t, err, ErrInvalid)
	assert.ErrorContains(t, err, "alias *x refers to the node that contains it")
}
