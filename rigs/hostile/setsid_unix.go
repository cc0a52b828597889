//go:build unix

package hostile

import (
	"os"
	"os/exec"
	"syscall"
)

// startSetsidChild starts this binary in linger mode in a session of its
// own, as a daemonising helper would, without waiting for it.
func startSetsidChild() error {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), EnvMode+"="+string(modeLinger))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Process.Release()
}
