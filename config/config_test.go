package config

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"
)

func lookupFrom(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// got is the part of a Server a config file decides.
type got struct {
	Transport mcpclient.TransportKind
	Command   string
	Args      []string
	Env       map[string]string
	Dir       string
	URL       string
	Headers   map[string]string
	Allow     []string
	Deny      []string
	Approve   []string
	Timeout   time.Duration
	OAuth     *oauth.Config
}

func summarize(servers []bridge.Server) map[string]got {
	out := map[string]got{}
	for _, s := range servers {
		g := got{Transport: s.Transport.Kind(), Allow: s.AllowTools, Deny: s.DenyTools, Approve: s.AutoApprove, Timeout: s.CallTimeout}
		switch t := s.Transport.(type) {
		case *mcpclient.Stdio:
			g.Command, g.Args, g.Env, g.Dir = t.Command, t.Args, t.Env, t.Dir
		case *mcpclient.HTTP:
			g.URL, g.Headers, g.OAuth = t.URL, t.Headers, t.OAuth
		}
		out[s.Name] = g
	}
	return out
}

func warningKeys(ws []Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Server+":"+w.Key)
	}
	return out
}

// testEnv holds the variables the format snippets refer to. Every value is
// a "secret" that no error or warning may contain.
var testEnv = map[string]string{
	"HOME": "/home/me", "API_KEY": "sk-secret-1", "GITHUB_TOKEN": "ghp_secret2",
	"USERJOT_API_TOKEN": "uj_secret3", "FIGMA_TOKEN": "fig_secret4", "EXTERNAL_API_KEY": "ext_secret5",
	"DB_CONNECTION_STRING": "postgres://u:pw_secret6@db/x",
}

// The snippets below are written the way each tool's documentation shows
// its config file, so a user can point the bridge at the file they have.
func TestConfigFormats(t *testing.T) {
	cases := []struct {
		name   string
		file   string            // path of the config inside a temp dir
		files  map[string]string // other files (envFile targets)
		config string
		inputs map[string]string
		want   map[string]got
		warns  []string
	}{{
		name: "Claude Desktop",
		file: "claude_desktop_config.json",
		config: `{
		  "mcpServers": {
		    "filesystem": {
		      "command": "npx",
		      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/username/Desktop"]
		    },
		    "github": {
		      "command": "npx",
		      "args": ["-y", "@modelcontextprotocol/server-github"],
		      "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "${GITHUB_TOKEN}"}
		    }
		  }
		}`,
		want: map[string]got{
			"filesystem": {Transport: "stdio", Command: "npx", Args: []string{"-y", "@modelcontextprotocol/server-filesystem", "/Users/username/Desktop"}},
			"github":     {Transport: "stdio", Command: "npx", Args: []string{"-y", "@modelcontextprotocol/server-github"}, Env: map[string]string{"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_secret2"}},
		},
	}, {
		name: "Claude Code .mcp.json",
		file: ".mcp.json",
		config: `{
		  "mcpServers": {
		    "api-server": {
		      "type": "http",
		      "url": "${API_BASE_URL:-https://api.example.com}/mcp",
		      "headers": {"Authorization": "Bearer ${API_KEY}"},
		      "timeout": 30000
		    },
		    "local": {"type": "stdio", "command": "/path/to/server", "args": [], "env": {"CACHE_DIR": "${CACHE_DIR:-/tmp}"}},
		    "events": {"type": "sse", "url": "https://mcp.example.com/sse"},
		    "sso": {"type": "http", "url": "https://mcp.example.com/mcp", "oauth": {"clientId": "my-client", "callbackPort": 8080}}
		  }
		}`,
		want: map[string]got{
			"api-server": {Transport: "http", URL: "https://api.example.com/mcp", Headers: map[string]string{"Authorization": "Bearer sk-secret-1"}, Timeout: 30 * time.Second},
			"local":      {Transport: "stdio", Command: "/path/to/server", Env: map[string]string{"CACHE_DIR": "/tmp"}},
			"events":     {Transport: "sse", URL: "https://mcp.example.com/sse"},
			"sso":        {Transport: "http", URL: "https://mcp.example.com/mcp", OAuth: &oauth.Config{ClientID: "my-client", RedirectURL: "http://localhost:8080/callback"}},
		},
	}, {
		name:  "Cursor",
		file:  ".cursor/mcp.json",
		files: map[string]string{".cursor/.env": "# for the python server\nDB_URL=postgres://localhost/dev\nexport MODE='debug'\n"},
		config: `{
		  "mcpServers": {
		    "server-name": {"command": "npx", "args": ["-y", "mcp-server"], "env": {"API_KEY": "value"}},
		    "python": {"command": "python", "args": ["${workspaceFolder}/server.py"], "envFile": ".env", "env": {"MODE": "release"}},
		    "userjot": {"url": "https://api.userjot.com/v1/mcp", "headers": {"Authorization": "Bearer ${env:USERJOT_API_TOKEN}"}},
		    "linear": {"url": "https://mcp.linear.example/sse"}
		  }
		}`,
		want: map[string]got{
			"server-name": {Transport: "stdio", Command: "npx", Args: []string{"-y", "mcp-server"}, Env: map[string]string{"API_KEY": "value"}},
			"python":      {Transport: "stdio", Command: "python", Args: []string{"<dir>/server.py"}, Env: map[string]string{"DB_URL": "postgres://localhost/dev", "MODE": "release"}},
			"userjot":     {Transport: "http", URL: "https://api.userjot.com/v1/mcp", Headers: map[string]string{"Authorization": "Bearer uj_secret3"}},
			"linear":      {Transport: "sse", URL: "https://mcp.linear.example/sse"},
		},
	}, {
		name: "VS Code with inputs and comments",
		file: ".vscode/mcp.json",
		config: `{
		  // Inputs are asked of the user on first start.
		  "inputs": [
		    {"type": "promptString", "id": "perplexity-key", "description": "Perplexity API Key", "password": true}
		  ],
		  "servers": {
		    /* stdio server with a prompted key */
		    "Perplexity": {
		      "type": "stdio",
		      "command": "npx",
		      "args": ["-y", "server-perplexity-ask"],
		      "env": {"PERPLEXITY_API_KEY": "${input:perplexity-key}"}
		    },
		    "github": {"type": "http", "url": "https://api.githubcopilot.com/mcp/"},
		    "fetch": {"type": "stdio", "command": "uvx", "args": ["mcp-server-fetch"], "dev": {"watch": "src/**/*.py"}},
		  },
		}`,
		inputs: map[string]string{"perplexity-key": "pplx-secret7"},
		want: map[string]got{
			"Perplexity": {Transport: "stdio", Command: "npx", Args: []string{"-y", "server-perplexity-ask"}, Env: map[string]string{"PERPLEXITY_API_KEY": "pplx-secret7"}},
			"github":     {Transport: "http", URL: "https://api.githubcopilot.com/mcp/"},
			"fetch":      {Transport: "stdio", Command: "uvx", Args: []string{"mcp-server-fetch"}},
		},
		warns: []string{"fetch:dev"},
	}, {
		name: "Windsurf",
		file: "mcp_config.json",
		config: `{
		  "mcpServers": {
		    "github": {
		      "command": "npx",
		      "args": ["-y", "@modelcontextprotocol/server-github"],
		      "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": "${env:GITHUB_TOKEN}"},
		      "disabled": false
		    },
		    "figma": {"serverUrl": "https://mcp.figma.example/mcp", "headers": {"Authorization": "Bearer ${env:FIGMA_TOKEN}"}},
		    "old": {"command": "x", "disabled": true, "env": {"T": "${NOT_SET_BUT_DISABLED}"}}
		  }
		}`,
		want: map[string]got{
			"github": {Transport: "stdio", Command: "npx", Args: []string{"-y", "@modelcontextprotocol/server-github"}, Env: map[string]string{"GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_secret2"}},
			"figma":  {Transport: "http", URL: "https://mcp.figma.example/mcp", Headers: map[string]string{"Authorization": "Bearer fig_secret4"}},
		},
	}, {
		name: "Gemini CLI settings.json",
		file: ".gemini/settings.json",
		config: `{
		  "theme": "Dracula",
		  "mcpServers": {
		    "pythonTools": {
		      "command": "python",
		      "args": ["-m", "my_mcp_server", "--port", "8080"],
		      "cwd": "./mcp-servers/python",
		      "env": {"DATABASE_URL": "$DB_CONNECTION_STRING", "API_KEY": "${EXTERNAL_API_KEY}"},
		      "timeout": 15000,
		      "includeTools": ["safe_tool", "file_reader"]
		    },
		    "httpServer": {"httpUrl": "http://localhost:3000/mcp", "timeout": 5000, "description": "local"},
		    "sseServer": {"url": "http://localhost:8080/sse", "headers": {"X-Api-Key": "${API_KEY}"}},
		    "trusted": {"command": "node", "args": ["dist/server.js"], "trust": true, "excludeTools": ["dangerous_tool"]},
		    "discovered": {
		      "url": "https://api.example.com/sse",
		      "oauth": {
		        "enabled": true,
		        "clientId": "your-client-id",
		        "clientSecret": "${API_KEY}",
		        "authorizationUrl": "https://auth.example.com/authorize",
		        "tokenUrl": "https://auth.example.com/token",
		        "scopes": ["read", "write"]
		      }
		    }
		  }
		}`,
		warns: nil,
		want: map[string]got{
			"pythonTools": {Transport: "stdio", Command: "python", Args: []string{"-m", "my_mcp_server", "--port", "8080"}, Dir: "./mcp-servers/python",
				Env: map[string]string{"DATABASE_URL": "postgres://u:pw_secret6@db/x", "API_KEY": "ext_secret5"}, Timeout: 15 * time.Second, Allow: []string{"safe_tool", "file_reader"}},
			"httpServer": {Transport: "http", URL: "http://localhost:3000/mcp", Timeout: 5 * time.Second},
			"sseServer":  {Transport: "sse", URL: "http://localhost:8080/sse", Headers: map[string]string{"X-Api-Key": "sk-secret-1"}},
			"trusted":    {Transport: "stdio", Command: "node", Args: []string{"dist/server.js"}, Deny: []string{"dangerous_tool"}, Approve: []string{"*"}},
			"discovered": {Transport: "sse", URL: "https://api.example.com/sse", OAuth: &oauth.Config{
				ClientID: "your-client-id", ClientSecret: "sk-secret-1", Scopes: []string{"read", "write"},
				AuthorizationURL: "https://auth.example.com/authorize", TokenURL: "https://auth.example.com/token"}},
		},
	}, {
		name: "LiteLLM config.yaml",
		file: "config.yaml",
		config: `
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_key: os.environ/OPENAI_API_KEY

mcp_servers:
  github_mcp:
    url: "https://api.githubcopilot.com/mcp"
    transport: "http"
    auth_type: "bearer_token"
    auth_value: "os.environ/GITHUB_TOKEN"
  zapier_mcp:
    url: "https://actions.zapier.example/mcp/sse"
    transport: sse
    auth_type: api_key
    auth_value: os.environ/API_KEY
    description: "Zapier actions"
  basic_mcp:
    url: "https://basic.example/mcp"
    auth_type: basic
    auth_value: "admin:${API_KEY}"
  raw_mcp:
    url: "https://raw.example/mcp"
    auth_type: authorization
    auth_value: "Token ${API_KEY}"
  circleci_mcp:
    transport: "stdio"
    command: "npx"
    args: ["-y", "@circleci/mcp-server-circleci"]
    env:
      CIRCLECI_TOKEN: "os.environ/GITHUB_TOKEN"
    allowed_tools: ["get_build_failure_logs"]
    disallowed_tools: ["rerun_workflow"]
`,
		want: map[string]got{
			"github_mcp":   {Transport: "http", URL: "https://api.githubcopilot.com/mcp", Headers: map[string]string{"Authorization": "Bearer ghp_secret2"}},
			"zapier_mcp":   {Transport: "sse", URL: "https://actions.zapier.example/mcp/sse", Headers: map[string]string{"X-API-Key": "sk-secret-1"}},
			"basic_mcp":    {Transport: "http", URL: "https://basic.example/mcp", Headers: map[string]string{"Authorization": "Basic YWRtaW46c2stc2VjcmV0LTE="}},
			"raw_mcp":      {Transport: "http", URL: "https://raw.example/mcp", Headers: map[string]string{"Authorization": "Token sk-secret-1"}},
			"circleci_mcp": {Transport: "stdio", Command: "npx", Args: []string{"-y", "@circleci/mcp-server-circleci"}, Env: map[string]string{"CIRCLECI_TOKEN": "ghp_secret2"}, Allow: []string{"get_build_failure_logs"}, Deny: []string{"rerun_workflow"}},
		},
	}, {
		name: "Cline and Roo Code",
		file: "cline_mcp_settings.json",
		config: `{"mcpServers": {
		  "cline": {"command": "python3", "args": ["server.py"], "disabled": false, "autoApprove": ["*"], "timeout": 60},
		  "roo": {"command": "node", "args": ["/path/to/server.js"], "env": {"API_KEY": "your_api_key"}, "alwaysAllow": ["tool1", "tool2"], "disabled": false},
		  "kilo": {"type": "streamable-http", "url": "https://your-server.com/mcp", "headers": {"Authorization": "Bearer token"}}
		}}`,
		want: map[string]got{
			"cline": {Transport: "stdio", Command: "python3", Args: []string{"server.py"}, Approve: []string{"*"}, Timeout: 60 * time.Millisecond},
			"roo":   {Transport: "stdio", Command: "node", Args: []string{"/path/to/server.js"}, Env: map[string]string{"API_KEY": "your_api_key"}, Approve: []string{"tool1", "tool2"}},
			"kilo":  {Transport: "http", URL: "https://your-server.com/mcp", Headers: map[string]string{"Authorization": "Bearer token"}},
		},
		warns: []string{"cline:timeout"}, // 60 is read as ms: said out loud
	}, {
		name: "Copilot CLI",
		file: "mcp-config.json",
		config: `{"mcpServers": {
		  "playwright": {"type": "local", "command": "npx", "args": ["@playwright/mcp@latest"], "tools": ["*"]},
		  "docs": {"type": "http", "url": "https://docs.example/mcp", "tools": ["search"]}
		}}`,
		want: map[string]got{
			"playwright": {Transport: "stdio", Command: "npx", Args: []string{"@playwright/mcp@latest"}},
			"docs":       {Transport: "http", URL: "https://docs.example/mcp", Allow: []string{"search"}},
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, tc.file)
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
			require.NoError(t, os.WriteFile(path, []byte(tc.config), 0o600))
			for name, content := range tc.files {
				require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600))
			}
			servers, warns, err := Options{LookupEnv: lookupFrom(testEnv), Inputs: tc.inputs}.Load(path)
			require.NoError(t, err)
			for name, g := range tc.want {
				for i, a := range g.Args {
					g.Args[i] = filepath.FromSlash(replaceDir(a, dir))
				}
				tc.want[name] = g
			}
			assert.Equal(t, tc.want, summarize(servers))
			assert.Equal(t, tc.warns, warningKeys(warns))
			for _, w := range warns {
				assertNoSecret(t, w.String())
			}
		})
	}
}

func replaceDir(s, dir string) string {
	if len(s) >= 5 && s[:5] == "<dir>" {
		return dir + s[5:]
	}
	return s
}

func assertNoSecret(t *testing.T, msg string) {
	t.Helper()
	for _, v := range testEnv {
		if len(v) > 8 {
			assert.NotContains(t, msg, v, "a value leaked into a message")
		}
	}
	for _, s := range []string{"secret", "hunter2", "s3cr3t"} {
		assert.NotContains(t, msg, s, "a value leaked into a message")
	}
}

// A missing file is named as missing, in those words, not as an invalid
// config with the stat call's text.
func TestLoadConfigMissingFile(t *testing.T) {
	t.Chdir(t.TempDir())
	_, _, err := Load("mcp.json")
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorIs(t, err, os.ErrNotExist)
	assert.EqualError(t, err, "config file mcp.json does not exist")
}

func TestParseConfigSortsAndMerges(t *testing.T) {
	// A file may hold both the desktop and the VS Code key (hand-merged).
	servers, warns, err := Parse([]byte(`{"servers": {"b": {"command": "b"}}, "mcpServers": {"a": {"command": "a"}}}`))
	require.NoError(t, err)
	assert.Empty(t, warns)
	require.Len(t, servers, 2)
	assert.Equal(t, "a", servers[0].Name)
	assert.Equal(t, "b", servers[1].Name)

	_, _, err = Parse([]byte(`{"servers": {"a": {"command": "b"}}, "mcpServers": {"a": {"command": "a"}}}`))
	require.ErrorIs(t, err, ErrInvalid)
	assert.Contains(t, err.Error(), `server "a" is defined twice`)
}

func TestConfigWarnings(t *testing.T) {
	cfg := `{"mcpServers": {
	  "remote": {"url": "https://x.example/mcp", "args": ["--no"], "headersHelper": "/bin/get-headers", "colour": "blue",
	             "auth": {"type": "bearer", "token": "hunter2", "scope": "x"},
	             "oauth_unused": 1},
	  "local": {"command": "srv", "headers": {"A": "b"}, "trust": false, "env": {"PASSWORD": "$UNSET_PASSWORD_VAR"}}
	}}`
	servers, warns, err := Options{LookupEnv: lookupFrom(nil)}.Parse([]byte(cfg))
	require.NoError(t, err)
	require.Len(t, servers, 2)
	assert.Equal(t, []string{
		"local:env.PASSWORD", "local:headers",
		"remote:args", "remote:auth.scope", "remote:colour", "remote:headersHelper", "remote:oauth_unused",
	}, sortedWarningKeys(warns))
	for _, w := range warns {
		assertNoSecret(t, w.String())
		assert.NotEmpty(t, w.Message)
	}
	// The bare $VAR that is not set is kept as written, with the warning above.
	assert.Equal(t, "$UNSET_PASSWORD_VAR", servers[0].Transport.(*mcpclient.Stdio).Env["PASSWORD"])
}

func sortedWarningKeys(ws []Warning) []string {
	keys := warningKeys(ws)
	sort.Strings(keys)
	return keys
}

func TestConfigErrorType(t *testing.T) {
	_, _, err := Options{LookupEnv: lookupFrom(nil)}.Parse([]byte(`{"mcpServers":{"x":{"url":"http://b","headers":{"Authorization":"Bearer ${NOPE}"}}}}`))
	var ce *Error
	require.True(t, errors.As(err, &ce))
	assert.Equal(t, "x", ce.Server)
	assert.Equal(t, "headers.Authorization", ce.Key)
	assert.ErrorIs(t, err, ErrInvalid)
}

// A config file's per-server settings reach the bridge.
func TestConfigSettingsReachTheBridge(t *testing.T) {
	servers, warns, err := Parse([]byte(`{"mcpServers": {"s": {"command": "srv", "timeout": "2s", "alwaysAllow": ["read"], "denyTools": ["delete"]}}}`))
	require.NoError(t, err)
	assert.Empty(t, warns)
	require.Len(t, servers, 1)
	assert.Equal(t, 2*time.Second, servers[0].CallTimeout)
	assert.Equal(t, []string{"read"}, servers[0].AutoApprove)
	assert.Equal(t, []string{"delete"}, servers[0].DenyTools)
}

func TestConfigToolSearchKeys(t *testing.T) {
	servers, _, err := Parse([]byte(`{"mcpServers": {
		"a": {"command": "x", "description": "A's tools", "alwaysLoad": true},
		"b": {"command": "y", "alwaysLoad": ["one", "two"]}}}`))
	require.NoError(t, err)
	byName := map[string]bridge.Server{}
	for _, s := range servers {
		byName[s.Name] = s
	}
	assert.Equal(t, "A's tools", byName["a"].Description)
	assert.Equal(t, []string{"*"}, byName["a"].AlwaysLoad)
	assert.Equal(t, []string{"one", "two"}, byName["b"].AlwaysLoad)
}

// ${workspaceFolder} is an absolute path whatever path the file was given
// by: relative from inside .vscode, relative from the workspace, or a
// relative Options.WorkspaceFolder.
func TestWorkspaceFolderIsAbsolute(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(root, ".vscode"), 0o700))
	cfg := `{"servers": {"s": {"command": "node", "args": ["${workspaceFolder}/a.js", "${workspaceFolderBasename}"]}}}`
	require.NoError(t, os.WriteFile(filepath.Join(root, ".vscode", "mcp.json"), []byte(cfg), 0o600))
	want := []string{filepath.Join(root, "a.js"), filepath.Base(root)}

	t.Chdir(root)
	for _, path := range []string{".vscode/mcp.json", "./.vscode/mcp.json", filepath.Join(root, ".vscode", "mcp.json")} {
		servers, _, err := Load(path)
		require.NoError(t, err, path)
		assert.Equal(t, want, summarize(servers)["s"].Args, path)
	}
	t.Chdir(filepath.Join(root, ".vscode"))
	servers, _, err := Load("mcp.json")
	require.NoError(t, err)
	assert.Equal(t, want, summarize(servers)["s"].Args, "loaded from inside .vscode")

	t.Chdir(filepath.Dir(root))
	servers, _, err = Options{WorkspaceFolder: filepath.Base(root)}.Parse([]byte(cfg))
	require.NoError(t, err)
	assert.Equal(t, want, summarize(servers)["s"].Args, "a relative WorkspaceFolder")
}

// VS Code's user settings hold servers under "mcp" (or the flat
// "mcp.servers" key), with their inputs beside them; a settings.json is
// read like .vscode/mcp.json.
func TestVSCodeUserSettings(t *testing.T) {
	inputs := map[string]string{"key": "k-1"}
	for name, cfg := range map[string]string{
		"nested": `{
		  "editor.fontSize": 13,
		  "mcp": {
		    "inputs": [{"type": "promptString", "id": "key", "description": "API key", "password": true}],
		    "servers": {"wiki": {"type": "http", "url": "https://wiki.example/mcp", "headers": {"X-Key": "${input:key}"}}}
		  }
		}`,
		"flat": `{
		  "editor.fontSize": 13,
		  "mcp.inputs": [{"type": "promptString", "id": "key", "description": "API key", "password": true}],
		  "mcp.servers": {"wiki": {"type": "http", "url": "https://wiki.example/mcp", "headers": {"X-Key": "${input:key}"}}}
		}`,
	} {
		t.Run(name, func(t *testing.T) {
			servers, warns, err := Options{Inputs: inputs}.Parse([]byte(cfg))
			require.NoError(t, err)
			assert.Empty(t, warns)
			assert.Equal(t, map[string]string{"X-Key": "k-1"}, summarize(servers)["wiki"].Headers)

			_, _, err = Parse([]byte(cfg))
			assert.ErrorContains(t, err, `server "wiki": headers.X-Key: ${input:key} ("API key") is asked of the user by VS Code`)
		})
	}
	_, _, err := Parse([]byte(`{"mcp": {"servers": {"x": {"command": "a", "command": "b"}}}}`))
	assert.ErrorContains(t, err, `server "x": command: defined twice`)
	_, _, err = Parse([]byte(`{"mcp.servers": {"x": {"command": "a"}}, "mcp": {"servers": {"x": {"command": "b"}}}}`))
	assert.ErrorContains(t, err, `server "x" is defined twice`)
}

// A server's URL is checked when the file is read, before anything starts,
// with an error naming the server and the key but not the URL (it may
// carry a key in its query).
func TestConfigURLsChecked(t *testing.T) {
	for cfg, want := range map[string]string{
		`{"mcpServers": {"x": {"url": "not a url?key=s3cr3t"}}}`:            `server "x": url: want an absolute http:// or https:// URL, got one with no scheme`,
		`{"mcpServers": {"x": {"url": "ftp://h/mcp?key=s3cr3t"}}}`:          `server "x": url: want an absolute http:// or https:// URL, got scheme "ftp"`,
		`{"mcpServers": {"x": {"httpUrl": "https:///mcp?key=s3cr3t"}}}`:     `server "x": httpUrl: want an absolute http:// or https:// URL, got one with no host`,
		`{"mcpServers": {"x": {"serverUrl": "http://h:port/?key=s3cr3t"}}}`: `server "x": serverUrl: not a URL`,
		`{"mcpServers": {"x": {"url": "localhost:8080/mcp?key=s3cr3t"}}}`:   `server "x": url: want an absolute http:// or https:// URL, got a host and port with no scheme`,
		`{"mcpServers": {"x": {"url": "${HOST}/mcp"}}}`:                     `server "x": url: want an absolute http:// or https:// URL, got one with no scheme`,
	} {
		_, _, err := Options{LookupEnv: lookupFrom(map[string]string{"HOST": "wiki.example"})}.Parse([]byte(cfg))
		require.ErrorIs(t, err, ErrInvalid, cfg)
		assert.ErrorContains(t, err, want, cfg)
		assert.NotContains(t, err.Error(), "s3cr3t")
	}
}
