package config_test

import (
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"

	"github.com/mcpbridge/mcpbridge/config"
	"github.com/mcpbridge/mcpbridge/mcpclient"
)

// Parse reads the server list a desktop client, an editor or a gateway
// already has. Keys it does not use come back as warnings, never silently
// dropped; in real use, call config.Load with the file's path.
func ExampleParse() {
	cfg := `{
	  // VS Code and Cursor allow comments.
	  "mcpServers": {
	    "files": {"command": "npx", "args": ["-y", "fs-server", "${HOME}/docs"]},
	    "wiki":  {"url": "https://wiki.example/mcp", "auth": {"type": "bearer", "token": "${WIKI_TOKEN}"},
	              "timeout": 30000, "colour": "blue"}
	  }
	}`
	env := map[string]string{"HOME": "/home/me", "WIKI_TOKEN": "example-token"}
	servers, warnings, err := config.Options{
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	}.Parse([]byte(cfg))
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range servers {
		switch t := s.Transport.(type) {
		case *mcpclient.Stdio:
			fmt.Println(s.Name, t.Kind(), t.Command, t.Args, s.CallTimeout)
		case *mcpclient.HTTP:
			fmt.Println(s.Name, t.Kind(), t.URL, s.CallTimeout)
		}
	}
	for _, w := range warnings {
		fmt.Println("warning:", w)
	}
	// Output:
	// files stdio npx [-y fs-server /home/me/docs] 0s
	// wiki http https://wiki.example/mcp 30s
	// warning: server "wiki": colour: unknown key; ignored
}

// Load reads a file by its path; a file in a .vscode directory gets that
// directory's parent as ${workspaceFolder}.
func ExampleLoad() {
	root, _ := os.MkdirTemp("", "project")
	defer os.RemoveAll(root)
	_ = os.Mkdir(filepath.Join(root, ".vscode"), 0o700)
	_ = os.WriteFile(filepath.Join(root, ".vscode", "mcp.json"), []byte(`{
	  "servers": {
	    "tasks": {"command": "node", "args": ["${workspaceFolder}/tools/tasks.js"]},
	    "old":   {"command": "legacy-server", "disabled": true}
	  }
	}`), 0o600)

	servers, warnings, err := config.Load(filepath.Join(root, ".vscode", "mcp.json"))
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range servers {
		st := s.Transport.(*mcpclient.Stdio)
		rel, _ := filepath.Rel(root, st.Args[0])
		fmt.Println(s.Name, st.Command, filepath.ToSlash(rel))
	}
	fmt.Println(len(warnings), "warnings")

	_, _, err = config.Load(filepath.Join(root, "mcp.json"))
	fmt.Println(errors.Is(err, fs.ErrNotExist))
	// Output:
	// tasks node tools/tasks.js
	// 0 warnings
	// true
}
