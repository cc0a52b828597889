package config

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/mcpclient"
)

func TestExpandVariables(t *testing.T) {
	r := &resolver{
		lookupEnv: lookupFrom(map[string]string{"A": "alpha", "EMPTY": "", "HOME": "/home/me", "B_2": "beta"}),
		inputs:    map[string]string{"key": "k-1"},
		workspace: filepath.FromSlash("/work/proj"),
		budget:    maxExpandedBytes,
	}
	fileEnv := map[string]string{"FROM_FILE": "file", "A": "shadowed"}
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{"cost: $5", "cost: $5"}, // a lone $ is text
		{"${A}", "alpha"},
		{"x-${A}-${B_2}-y", "x-alpha-beta-y"},
		{"${env:A}", "alpha"},
		{"${A:-def}", "alpha"},
		{"${NOPE:-def}", "def"},
		{"${NOPE:-}", ""},
		{"${EMPTY:-def}", "def"}, // like the shell's :-, empty takes the default
		{"${EMPTY}", ""},         // set but empty is not missing
		{"${NOPE:-${A}}", "alpha"},
		{"${NOPE:-${NOPE2:-deep}}", "deep"},
		{"${NOPE:-http://host:80/x}", "http://host:80/x"},
		{"$A", "alpha"},           // whole-value bare reference (Gemini CLI)
		{"$A/docs", "$A/docs"},    // not whole-value: text
		{"$lower", "$lower"},      // bare references are upper-case names only
		{"os.environ/A", "alpha"}, // LiteLLM
		{"prefix os.environ/A", "prefix os.environ/A"},
		{"${input:key}", "k-1"},
		{"${userHome}/x", "/home/me/x"},
		{"${workspaceFolder}", filepath.FromSlash("/work/proj")},
		{"${workspaceFolderBasename}", "proj"},
		{"a${/}b", "a" + string(filepath.Separator) + "b"},
		{"${FROM_FILE}", "file"}, // envFile is consulted after the environment
		{"${A}", "alpha"},        // and the environment wins
	}
	for _, tc := range cases {
		got, err := r.expand(tc.in, fileEnv)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}

	for in, want := range map[string]string{
		"${NOPE}":           "environment variable NOPE is not set",
		"${env:NOPE}":       "environment variable NOPE is not set",
		"${env:}":           "empty variable name",
		"${A":               `"${" without a closing "}"`,
		"${NOPE:-${A}":      `"${" without a closing "}"`,
		"${}":               "malformed",
		"${config:editor}":  "unsupported variable kind ${config:...}",
		"${input:other}":    "${input:other} is asked of the user",
		"os.environ/NOPE":   "environment variable NOPE is not set",
		"${NOPE:-${NOPE2}}": "environment variable NOPE2 is not set",
	} {
		_, err := r.expand(in, nil)
		require.Error(t, err, in)
		assert.Contains(t, err.Error(), want, in)
	}
	_, err := r.expand("$NOT_SET", nil)
	assert.ErrorIs(t, err, errBareUnset)
}

func TestParseDotenv(t *testing.T) {
	env, err := parseDotenv([]byte("# comment\n\nA=1\nexport B = two words \nC=\"quoted # not a comment\\nnext\"\nD='single $X'\nE=value # comment\nF=\nG=a=b\n"))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{
		"A": "1", "B": "two words", "C": "quoted # not a comment\nnext", "D": "single $X", "E": "value", "F": "", "G": "a=b",
	}, env)

	for in, want := range map[string]string{
		"A=1\nnot a pair s3cr3t\n": "line 2: want KEY=VALUE",
		"1A=x\n":                   "line 1: want KEY=VALUE",
		"K=\"s3cr3t\n":             "line 1 (K): unterminated double quote",
		"K='s3cr3t\n":              "line 1 (K): unterminated single quote",
	} {
		_, err := parseDotenv([]byte(in))
		require.Error(t, err)
		assert.Equal(t, want, err.Error())
		assert.NotContains(t, err.Error(), "s3cr3t")
	}
}

func TestStripJSONC(t *testing.T) {
	in := "\ufeff{\n  // line comment with \"quotes\"\n  \"a\": \"not // a comment\", /* block\n comment */ \"b\": [1, 2,],\n  \"c\": \"x,}\", \"d\": \"\\\"/*\",\n}"
	var v map[string]any
	require.NoError(t, json.Unmarshal(stripJSONC([]byte(in)), &v))
	assert.Equal(t, map[string]any{"a": "not // a comment", "b": []any{1.0, 2.0}, "c": "x,}", "d": "\"/*"}, v)
	// Newlines are kept, so error offsets still find the line.
	assert.Equal(t, countLines([]byte(in)), countLines(stripJSONC([]byte(in))))
}

func countLines(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}

// envFile variables resolve references in the same entry, also for a
// server reached by URL, after the process environment.
func TestEnvFileResolvesReferences(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "wiki.env"), []byte("WIKI_TOKEN=from-file\nHOST=wiki.example\n"), 0o600))
	path := filepath.Join(dir, "mcp.json")
	require.NoError(t, os.WriteFile(path, []byte(`{"mcpServers": {"wiki": {"url": "https://${HOST}/mcp", "envFile": "wiki.env",
		"auth": {"type": "bearer", "token": "${WIKI_TOKEN}"}}}}`), 0o600))
	servers, warns, err := Options{LookupEnv: lookupFrom(map[string]string{"HOST": "env.example"})}.Load(path)
	require.NoError(t, err)
	assert.Empty(t, warns)
	require.Len(t, servers, 1)
	require.IsType(t, &mcpclient.HTTP{}, servers[0].Transport, "a URL server has no process environment")
	remote := servers[0].Transport.(*mcpclient.HTTP)
	assert.Equal(t, "https://env.example/mcp", remote.URL, "the environment wins over the file")
	assert.Equal(t, "Bearer from-file", remote.Headers["Authorization"])
}
