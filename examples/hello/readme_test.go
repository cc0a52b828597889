package main

import (
	"os"
	"strings"
	"testing"
)

// The README's first screen shows this program; CI compiles it here. The
// two must not drift apart.
func TestREADMEShowsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```go\n")
	if !ok {
		t.Fatal("README has no Go block")
	}
	block, _, _ = strings.Cut(block, "```")
	_, program, _ := strings.Cut(string(src), "package main")
	if strings.TrimSpace(block) != strings.TrimSpace("package main"+program) {
		t.Errorf("the README's first Go block is not examples/hello/main.go (from package main on):\n%s", block)
	}
}
