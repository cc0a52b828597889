package config

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalid is wrapped by every error Parse and Load return.
var ErrInvalid = errors.New("invalid MCP server config")

// Options supplies what a config file may refer to but not contain.
// The zero value reads variables from the process environment.
type Options struct {
	// LookupEnv resolves ${VAR}, ${env:VAR}, $VAR and os.environ/VAR
	// (default os.LookupEnv).
	LookupEnv func(name string) (string, bool)
	// Inputs answers ${input:ID} references (VS Code prompts the user for
	// them; a program has to supply them). A reference with no value here
	// is an error naming the server, the key and the input.
	Inputs map[string]string
	// WorkspaceFolder answers ${workspaceFolder}. When empty, a config file
	// inside a .vscode or .cursor directory uses that directory's parent.
	WorkspaceFolder string
	// Dir is the directory that relative envFile paths start from.
	// Load sets it to the config file's directory when empty.
	Dir string
}

// Warning reports something in a config file that was not used: a key the
// bridge does not understand, or one that has no effect on this kind of
// server. It never contains a value from the file.
type Warning struct {
	Server  string // the server entry, empty for the file as a whole
	Key     string // the key, as a path: "headers", "auth.scope", "oauth.tokenParamName"
	Message string
}

// String renders the warning on one line, naming the server and the key.
func (w Warning) String() string {
	if w.Server == "" {
		return fmt.Sprintf("%s: %s", w.Key, w.Message)
	}
	return fmt.Sprintf("server %q: %s: %s", w.Server, w.Key, w.Message)
}

// Error reports one problem in a config file, naming the server and
// the key. It never contains a value from the file (tokens, passwords and
// headers stay out of errors), only names. errors.Is(err, ErrInvalid) holds
// for every Error.
type Error struct {
	Path   string // the file, when read by Load
	Server string // the server entry, empty for the file as a whole
	Key    string // the key, as a path: "headers.Authorization", "args[2]", "auth.token"
	Err    error
}

// Error names the file, the server and the key, never a value.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	if e.Server == "" && e.Key == "" {
		b.WriteString(ErrInvalid.Error() + ": ")
	}
	if e.Server != "" {
		fmt.Fprintf(&b, "server %q: ", e.Server)
	}
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns ErrInvalid and the cause.
func (e *Error) Unwrap() []error { return []error{ErrInvalid, e.Err} }
