package config

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParse parses configs of up to 1 MiB, ordinary and hostile, and
// the largest files accepted and refused. Every one is meant to take under
// 100 ms: cpu-ms/op is the CPU time the process spent per parse (all
// threads, the garbage collector's included), which a loaded machine
// inflates less than ns/op.
//
//	go test -run '^$' -bench Parse -benchtime 5x ./config
func BenchmarkParse(b *testing.B) {
	env := lookupFrom(map[string]string{"TOKEN": "t", "A": "a"})
	for _, c := range benchConfigs() {
		b.Run(c.name, func(b *testing.B) {
			data := c.data()
			b.SetBytes(int64(len(data)))
			start := cpuTime()
			for b.Loop() {
				_, _, err := Options{LookupEnv: env}.Parse(data)
				if (err != nil) != c.fails {
					b.Fatalf("error %v, want failure %v", err, c.fails)
				}
			}
			b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}

type benchConfig struct {
	name  string
	fails bool
	data  func() []byte
}

func benchConfigs() []benchConfig {
	const mib = 1 << 20
	return []benchConfig{
		{"json-1MiB-servers", false, func() []byte { return jsonServers(mib) }},
		{"yaml-1MiB-servers", false, func() []byte { return yamlServers(mib) }},
		{"yaml-1MiB-alias-bomb", true, func() []byte { return aliasBomb(3000, mib) }},
		{"yaml-1MiB-string-bomb", true, func() []byte { return stringBomb(64<<10, mib) }},
		{"yaml-1MiB-one-mapping", false, func() []byte {
			// yaml.v3's decoder compares every key of a mapping with every other.
			var b strings.Builder
			b.WriteString("mcp_servers: {}\nother:\n")
			for i := 0; b.Len() < mib; i++ {
				fmt.Fprintf(&b, "  k%d: v\n", i)
			}
			return []byte(b.String())
		}},
		{"json-1MiB-nested-defaults", false, func() []byte {
			n := mib / 10
			return []byte(`{"mcpServers": {"s": {"command": "x", "args": ["` + strings.Repeat("${NOPE:-", n) + "x" + strings.Repeat("}", n) + `"]}}}`)
		}},
		{"json-1MiB-references", false, func() []byte {
			return []byte(`{"mcpServers": {"s": {"command": "x", "args": ["` + strings.Repeat("${A}", mib/4) + `"]}}}`)
		}},
		{"json-1MiB-deep-lists", true, func() []byte {
			return []byte(`{"mcpServers": {"s": {"command": "x", "args": ` + strings.Repeat("[", mib/2) + strings.Repeat("]", mib/2) + `}}}`)
		}},
		{"yaml-deep-mappings", true, func() []byte {
			// yaml.v3 stops at 10,000 levels; each level's path must not be copied.
			n := 9000
			return []byte("mcp_servers: {s: {command: x, env: " + strings.Repeat("{a: ", n) + "b" + strings.Repeat("}", n) + "}}\n")
		}},
		{"json-deep-objects", true, func() []byte {
			n := 9000 // encoding/json stops at 10,000 levels
			return []byte(`{"mcpServers": {"s": {"command": "x", "env": ` + strings.Repeat(`{"a": `, n) + `"b"` + strings.Repeat("}", n) + `}}}`)
		}},
		{"json-1MiB-one-object", false, func() []byte {
			var b strings.Builder
			b.WriteString(`{"mcpServers": {"s": {"command": "x", "env": {`)
			for i := 0; b.Len() < mib-100; i++ {
				fmt.Fprintf(&b, `"K%d": "v",`, i)
			}
			b.WriteString(`"LAST": "v"}}}}`)
			return []byte(b.String())
		}},
		{"json-32MiB-settings", false, func() []byte {
			// A settings file with history, as ~/.claude.json grows to.
			var b strings.Builder
			b.WriteString(`{"mcpServers": {"s": {"command": "x"}}, "history": [`)
			for b.Len() < maxConfigBytes-200 {
				b.WriteString(`{"display": "a prompt someone typed", "pastedContents": {}},`)
			}
			b.WriteString(`{}]}`)
			return []byte(b.String())
		}},
		{"yaml-4MiB-servers", false, func() []byte { return yamlServers(maxYAMLBytes - 200) }},
		{"json-64MiB", true, func() []byte { return jsonServers(64 * mib) }},
		{"yaml-64MiB", true, func() []byte { return yamlServers(64 * mib) }},
	}
}

func jsonServers(size int) []byte {
	var b strings.Builder
	b.WriteString(`{"mcpServers": {`)
	for i := 0; b.Len() < size-200; i++ {
		fmt.Fprintf(&b, `"s%d": {"url": "https://x.example/mcp/%d", "headers": {"Authorization": "Bearer ${TOKEN}"}, "allowTools": ["a", "b"], "timeout": "30s"},`, i, i)
	}
	b.WriteString(`"last": {"command": "x"}}}`)
	return []byte(b.String())
}

func yamlServers(size int) []byte {
	var b strings.Builder
	b.WriteString("mcp_servers:\n")
	for i := 0; b.Len() < size-200; i++ {
		fmt.Fprintf(&b, "  s%d:\n    url: https://x.example/mcp/%d\n    transport: http\n    auth_type: bearer_token\n    auth_value: os.environ/TOKEN\n    allowed_tools: [a, b, c]\n", i, i)
	}
	return []byte(b.String())
}
