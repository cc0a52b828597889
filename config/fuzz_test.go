package config

import (
	"strings"
	"testing"
)

// FuzzParse: whatever a file holds, Parse returns (no panic, no hang: the
// bounds hold), and no error or warning repeats the value of a variable.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"mcpServers": {"x": {"command": "a", "args": ["${SECRET}"], "env": {"K": "${NOPE:-${SECRET}}"}}}}`,
		`{"servers": {"x": {"url": "https://h/${SECRET}", "headers": {"A": "${env:SECRET}"}}}, "inputs": [{"id": "i"}]}`,
		"mcp_servers:\n  x: &a {url: 'http://h', auth_type: bearer_token, auth_value: os.environ/SECRET}\n  y: *a\n",
		"a: &x [*x]\n",
		`{"mcp": {"servers": {"x": {"command": "${SECRET", "command": "b"}}}}`,
		"mcp_servers: {x: {<<: {command: a}, command: b}}\n",
	} {
		f.Add([]byte(seed))
	}
	env := lookupFrom(map[string]string{"SECRET": "sekret-value-42"})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, warns, err := Options{LookupEnv: env}.Parse(data)
		if err != nil && strings.Contains(err.Error(), "sekret-value-42") {
			t.Fatalf("an error repeats a variable's value: %v", err)
		}
		for _, w := range warns {
			if strings.Contains(w.String(), "sekret-value-42") {
				t.Fatalf("a warning repeats a variable's value: %v", w)
			}
		}
	})
}
