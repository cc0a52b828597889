package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every error names the server and the key, and none repeats a value: the
// environment holds secrets that appear in the configs below.
func TestConfigErrors(t *testing.T) {
	env := lookupFrom(map[string]string{"SECRET_VALUE": "s3cr3t", "EMPTY": ""})
	cases := map[string]struct{ cfg, want string }{
		"not json":           {`{"mcpServers": {`, "invalid MCP server config"},
		"top not object":     {`["mcpServers"]`, "want an object at the top, got a list"},
		"no servers":         {`{"other": {}}`, `no servers: want an object "mcpServers", "servers", "mcp_servers" or "mcp.servers"`},
		"servers not map":    {`{"mcpServers": ["a"]}`, `mcpServers: want an object of servers, got a list`},
		"entry not object":   {`{"mcpServers": {"x": "npx s3cr3t"}}`, `server "x": want an object, got a string`},
		"neither":            {`{"mcpServers": {"x": {}}}`, `server "x": needs "command" or "url"`},
		"both":               {`{"mcpServers": {"x": {"command": "a", "url": "http://b"}}}`, `server "x": command: has both "command" and "url"`},
		"two urls":           {`{"mcpServers": {"x": {"url": "http://a", "httpUrl": "http://b"}}}`, `server "x": httpUrl: has both "url" and "httpUrl"`},
		"bad type":           {`{"mcpServers": {"x": {"url": "http://b", "type": "carrier-pigeon"}}}`, `server "x": type: unknown transport "carrier-pigeon"`},
		"type vs transport":  {`{"mcpServers": {"x": {"url": "http://b", "type": "sse", "transport": "http"}}}`, `server "x": transport: disagrees with "type"`},
		"stdio with sse":     {`{"mcpServers": {"x": {"command": "a", "type": "sse"}}}`, `server "x": type: "sse" does not go with "command"`},
		"url with stdio":     {`{"mcpServers": {"x": {"url": "http://a", "type": "stdio"}}}`, `server "x": type: "stdio" does not go with "url"`},
		"httpUrl with sse":   {`{"mcpServers": {"x": {"httpUrl": "http://a", "type": "sse"}}}`, `server "x": type: "sse" does not go with "httpUrl"`},
		"args not list":      {`{"mcpServers": {"x": {"command": "a", "args": "s3cr3t"}}}`, `server "x": args: want a list of strings, got a string`},
		"arg not string":     {`{"mcpServers": {"x": {"command": "a", "args": ["-p", 8080]}}}`, `server "x": args[1]: want a string, got a number`},
		"env not object":     {`{"mcpServers": {"x": {"command": "a", "env": ["A=s3cr3t"]}}}`, `server "x": env: want an object, got a list`},
		"env value object":   {`{"mcpServers": {"x": {"command": "a", "env": {"A": {"v": "s3cr3t"}}}}}`, `server "x": env.A: want a string, got an object`},
		"header not string":  {`{"mcpServers": {"x": {"url": "http://a", "headers": {"X-Key": 12345}}}}`, `server "x": headers.X-Key: want a string, got a number`},
		"disabled string":    {`{"mcpServers": {"x": {"command": "a", "disabled": "yes"}}}`, `server "x": disabled: want true or false, got a string`},
		"timeout bad":        {`{"mcpServers": {"x": {"command": "a", "timeout": "soon"}}}`, `server "x": timeout: want milliseconds or a duration`},
		"timeout negative":   {`{"mcpServers": {"x": {"command": "a", "timeout": -5}}}`, `server "x": timeout: must not be negative`},
		"timeout object":     {`{"mcpServers": {"x": {"command": "a", "timeout": {}}}}`, `server "x": timeout: want a number of milliseconds or a duration string, got an object`},
		"tools not list":     {`{"mcpServers": {"x": {"command": "a", "allowTools": "read"}}}`, `server "x": allowTools: want a list of strings, got a string`},
		"missing var":        {`{"mcpServers": {"x": {"url": "http://b", "headers": {"Authorization": "Bearer ${NOPE} ${SECRET_VALUE}"}}}}`, `server "x": headers.Authorization: environment variable NOPE is not set`},
		"missing env: var":   {`{"mcpServers": {"x": {"command": "a", "args": ["${SECRET_VALUE}", "${env:NOPE}"]}}}`, `server "x": args[1]: environment variable NOPE is not set`},
		"missing in url":     {`{"mcpServers": {"x": {"url": "https://${HOST}/mcp"}}}`, `server "x": url: environment variable HOST is not set`},
		"missing in cmd":     {`{"mcpServers": {"x": {"command": "${BIN}"}}}`, `server "x": command: environment variable BIN is not set`},
		"missing os.environ": {`{"mcp_servers": {"x": {"url": "http://a", "auth_type": "bearer_token", "auth_value": "os.environ/NOPE"}}}`, `server "x": auth_value: environment variable NOPE is not set`},
		"unterminated":       {`{"mcpServers": {"x": {"command": "a", "env": {"T": "${SECRET_VALUE"}}}}`, `server "x": env.T: "${" without a closing "}"`},
		"unsupported kind":   {`{"mcpServers": {"x": {"command": "a", "env": {"T": "${command:s3cr3t}"}}}}`, `server "x": env.T: unsupported variable kind ${command:...}`},
		"malformed ref":      {`{"mcpServers": {"x": {"command": "a", "env": {"T": "${s3cr3t value}"}}}}`, `server "x": env.T: malformed ${...} reference`},
		"input missing": {`{"inputs": [{"type": "promptString", "id": "api-key", "description": "Service API key", "password": true}],
		                   "servers": {"x": {"type": "http", "url": "http://a", "headers": {"Key": "${input:api-key}"}}}}`,
			`server "x": headers.Key: ${input:api-key} ("Service API key") is asked of the user by VS Code; a program has to supply it in Options.Inputs`},
		"workspace unknown": {`{"servers": {"x": {"command": "node", "args": ["${workspaceFolder}/a.js"]}}}`, `server "x": args[0]: ${workspaceFolder} needs Options.WorkspaceFolder`},
		"inputs not list":   {`{"inputs": {"id": "x"}, "servers": {"x": {"command": "a"}}}`, `inputs: want a list of input objects, got an object`},
		"defined twice":     {`{"mcpServers": {"x": {"command": "a"}}, "mcp_servers": {"x": {"command": "b"}}}`, `mcp_servers: server "x" is defined twice`},
		"empty name":        {`{"mcpServers": {"": {"command": "a"}}}`, `empty server name`},
		"envFile missing":   {`{"mcpServers": {"x": {"command": "a", "envFile": "/nonexistent/.env"}}}`, `server "x": envFile: /nonexistent/.env does not exist`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			servers, _, err := Options{LookupEnv: env}.Parse([]byte(tc.cfg))
			require.Error(t, err)
			assert.Nil(t, servers)
			assert.True(t, errors.Is(err, ErrInvalid))
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "s3cr3t", "config errors must not echo values")
		})
	}
}

// All problems of a file are reported at once, one line each.
func TestConfigErrorsAreAllReported(t *testing.T) {
	cfg := `{"mcpServers": {
	  "a": {"command": "x", "env": {"T": "${NOPE_A}"}},
	  "b": {"url": "http://b", "headers": {"K": "${NOPE_B}"}, "timeout": "x"},
	  "c": {"command": "ok"}
	}}`
	path := filepath.Join(t.TempDir(), "mcp.json")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	_, _, err := Options{LookupEnv: lookupFrom(nil)}.Load(path)
	require.Error(t, err)
	lines := strings.Split(err.Error(), "\n")
	require.Len(t, lines, 3)
	assert.Equal(t, path+`: server "a": env.T: environment variable NOPE_A is not set`, lines[0])
	assert.Contains(t, lines[1], `server "b": headers.K: environment variable NOPE_B is not set`)
	assert.Contains(t, lines[2], `server "b": timeout:`)
}
