//go:build !unix

package hostile

import "errors"

func startSetsidChild() error { return errors.New("setsid needs a unix system") }
