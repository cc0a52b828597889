//go:build unix

package config

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Load reads at most maxConfigBytes from a pipe, whose size it cannot know
// before reading (before the bound it read until the writer stopped).
func TestLoadFromPipeBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mcp.json")
	require.NoError(t, syscall.Mkfifo(path, 0o600))
	var written atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		chunk := []byte(strings.Repeat("x", 64<<10))
		_, _ = f.WriteString(`{"mcpServers": {}, "pad": "`)
		for written.Load() < 40<<20 {
			n, err := f.Write(chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
		}
	}()
	_, _, err := Load(path)
	require.ErrorIs(t, err, ErrInvalid)
	assert.ErrorContains(t, err, "larger than 32 MiB")
	<-done // the writer stops when Load closes its end
	assert.Less(t, written.Load(), int64(maxConfigBytes+1<<20))
}
