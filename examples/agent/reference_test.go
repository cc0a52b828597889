package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/interop"
)

// quotedNumberKeyword finds a numeric JSON Schema keyword whose value went
// out as a string ("minimum": "0"): what the agent sent before schema
// numbers were kept as numbers, and what the API refuses.
var quotedNumberKeyword = regexp.MustCompile(`"(minimum|maximum|exclusiveMinimum|exclusiveMaximum|minItems|maxItems|minLength|maxLength|multipleOf|minProperties|maxProperties)":"`)

// The agent as a new user runs it: the reference servers from npm behind
// it, the fake Responses API checking every request as the API does. Every
// schema it sends is valid, numbers are numbers, and calls reach both
// servers.
func TestAgentWithReferenceServers(t *testing.T) {
	node := interop.Node(t)
	dir := t.TempDir()
	root := interop.FilesystemRoot(t, dir)
	require.NoError(t, os.WriteFile(filepath.Join(root, "note.txt"), []byte("twelve"), 0o600))
	servers := map[string]any{"mcpServers": map[string]any{
		"everything": map[string]any{"command": node, "args": []string{interop.EverythingScript(t), "stdio"}},
		"filesystem": map[string]any{"command": node, "args": []string{interop.Script(t, "@modelcontextprotocol/server-filesystem", "dist/index.js"), root}},
	}}
	data, err := json.Marshal(servers)
	require.NoError(t, err)
	cfg := filepath.Join(t.TempDir(), "mcp.json")
	require.NoError(t, os.WriteFile(cfg, data, 0o600))

	model := responsestest.Script(
		responsestest.Calls(
			responsestest.FunctionCall{Name: "everything__get-sum", Arguments: `{"a":2,"b":3}`},
			responsestest.FunctionCall{Name: "filesystem__read_text_file", Arguments: fmt.Sprintf(`{"path":%q}`, filepath.Join(root, "note.txt"))},
		),
		responsestest.Text("The sum is 5 and the note says twelve."),
	)
	api := responsestest.New(model)
	api.SetValidation(true)
	t.Cleanup(api.Close)
	t.Setenv("OPENAI_BASE_URL", api.URL+"/v1/")
	t.Setenv("OPENAI_API_KEY", responsestest.FakeAPIKey)
	t.Setenv("OPENAI_MAX_RETRIES", "0")

	stdout, stderr, err := runAgent(t, "--config", cfg, "add 2 and 3, then read note.txt")
	require.NoError(t, err, stderr)
	assert.Contains(t, stdout, "The sum is 5")
	assert.Contains(t, stderr, "<- everything__get-sum")
	assert.Contains(t, stderr, "<- filesystem__read_text_file")

	reqs := api.Requests()
	require.Len(t, reqs, 2)
	for _, r := range reqs {
		require.NoError(t, responsestest.Validate(r), "request %d", r.Index)
		assert.Nil(t, quotedNumberKeyword.Find(r.Raw), "request %d has a schema number sent as a string", r.Index)
	}
	assert.Contains(t, string(reqs[0].Raw), `"minItems":1`, "read_multiple_files' paths keep minItems as a number")
	outs := reqs[1].Outputs()
	require.Len(t, outs, 2)
	assert.Contains(t, outs[0].Output, "5")
	assert.Contains(t, outs[1].Output, "twelve")
}
