//go:build !unix

package oauth

import "context"

// lockFile is a no-op where flock is not available: the FileTokenStore's
// mutex still serializes the goroutines of this process, and the atomic
// rename keeps the file whole.
func lockFile(string, bool) (func(), error) { return func() {}, nil }

// lockFileContext is a no-op likewise.
func lockFileContext(context.Context, string) (func(), error) { return func() {}, nil }
