package config

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// ErrInvalid is wrapped by every error Parse and Load return.
var ErrInvalid = errors.New("invalid MCP server config")

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
	var read *readError
	isRead := errors.As(e.Err, &read)
	if isRead && errors.Is(read.err, fs.ErrNotExist) {
		return fmt.Sprintf("config file %s does not exist", e.Path)
	}
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	if e.Server == "" && e.Key == "" && !isRead {
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

// readError is a file that could not be read; the message is the
// system's reason without the path, which Error names once.
type readError struct{ err error }

func newReadError(err error) *readError {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &readError{fmt.Errorf("cannot read it: %w", pe.Err)}
	}
	return &readError{err}
}

func (r *readError) Error() string { return r.err.Error() }
func (r *readError) Unwrap() error { return r.err }

// Unwrap returns ErrInvalid and the cause.
func (e *Error) Unwrap() []error { return []error{ErrInvalid, e.Err} }
