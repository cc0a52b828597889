//go:build unix

package oauth

import (
	"context"
	"errors"
	"os"
	"syscall"
	"time"
)

// openLock opens the lock file path, created 0600 if needed; a symbolic
// link there is refused, not followed (it could point at a file of the
// user's that the lock would create or truncate).
func openLock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
}

// lockFile takes an flock on path, exclusive for writers and shared for
// readers, and returns its release.
func lockFile(path string, exclusive bool) (func(), error) {
	f, err := openLock(path)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}

// lockFileContext takes an exclusive flock on path, waiting until ctx
// ends (a refresh in another process can take a while).
func lockFileContext(ctx context.Context, path string) (func(), error) {
	f, err := openLock(path)
	if err != nil {
		return nil, err
	}
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			_ = f.Close()
			return nil, err
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}
