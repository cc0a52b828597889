package convert

import (
	"strings"
	"testing"
)

func BenchmarkZZCaret(b *testing.B) {
	p := "D(())(" + strings.Repeat("^", 1000000)
	for i := 0; i < b.N; i++ {
		if checkPattern(p) == nil {
			ecmaToRE2(p)
		}
	}
}
