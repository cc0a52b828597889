package corpus_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/rigs/corpus"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		corpus.RemoveBuilt()
		os.Exit(code)
	}))
}

// loadCorpus reads every recorded server named in testdata/manifest.json.
func loadCorpus(t *testing.T) []corpus.Dump {
	t.Helper()
	dumps, err := corpus.Load("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return dumps
}

// TestManifestMatchesDumps keeps the manifest honest: every dump is listed,
// with its real tool count and size, a package, a version and a license.
func TestManifestMatchesDumps(t *testing.T) {
	dumps := loadCorpus(t)
	listed := map[string]bool{}
	total := 0
	for _, d := range dumps {
		listed[d.File] = true
		tools, err := corpus.Tools(d.Result)
		if err != nil {
			t.Errorf("server %s: %v", d.Name, err)
			continue
		}
		total += len(tools)
		if len(tools) != d.Tools || len(d.Result) != d.Bytes {
			t.Errorf("server %s: manifest says %d tools in %d bytes, %s has %d tools in %d bytes", d.Name, d.Tools, d.Bytes, d.File, len(tools), len(d.Result))
		}
		if d.Package == "" || d.Version == "" || d.License == "" || d.Started == "" || d.Date == "" {
			t.Errorf("server %s: manifest entry lacks package, version, license, how it was started or date: %+v", d.Name, d.Entry)
		}
		names := map[string]bool{}
		for i, raw := range tools {
			var tool struct {
				Name string `json:"name"`
			}
			if err := json.Unmarshal(raw, &tool); err != nil || tool.Name == "" {
				t.Errorf("server %s: tool %d has no name", d.Name, i)
			}
			if names[tool.Name] {
				t.Errorf("server %s: tool %q recorded twice", d.Name, tool.Name)
			}
			names[tool.Name] = true
		}
	}
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if base := filepath.Base(f); base != "manifest.json" && !listed[base] {
			t.Errorf("%s is not in testdata/manifest.json", f)
		}
	}
	t.Logf("%d servers, %d tools", len(dumps), total)
}

// TestReplayServesTheRecording lists every recorded server through the
// replay server with mcpclient, whole and in pages, and checks the tools
// come back exactly as recorded.
func TestReplayServesTheRecording(t *testing.T) {
	bin := corpus.BuildReplay(t)
	for _, d := range loadCorpus(t) {
		for _, page := range []int{0, 7} {
			t.Run(d.Name+"/page="+strconv.Itoa(page), func(t *testing.T) {
				c, err := mcpclient.Connect(t.Context(), mcpclient.Config{
					Name: d.Name, Transport: &mcpclient.Stdio{Command: bin, Args: []string{"-page", strconv.Itoa(page), d.Path}},
				})
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = c.Close() }()
				tools, err := c.ListTools(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				got, err := corpus.EncodeToolsList(tools)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, d.Result) {
					t.Errorf("server %s: tools listed through the replay differ from %s", d.Name, d.File)
				}
				res, err := c.CallTool(t.Context(), tools[0].Name, nil)
				if err != nil {
					t.Fatal(err)
				}
				if res.IsError || len(res.Content) != 1 {
					t.Errorf("server %s: tools/call %s: %+v", d.Name, tools[0].Name, res)
				}
			})
		}
	}
}

// TestEncodeToolsListKeepsRawBytes checks that a dump keeps the server's
// schema bytes (numbers, key order, escapes) and drops a title that only
// repeats annotations.title.
func TestEncodeToolsListKeepsRawBytes(t *testing.T) {
	schema := `{"type":"object","properties":{"n":{"type":"integer","minimum":0,"maximum":1e3,"default":1.50}},"z":"\u00e9<"}`
	got, err := corpus.EncodeToolsList([]mcpclient.Tool{{
		Name: "t", Title: "T", Description: "d <b>", InputSchema: json.RawMessage(schema),
		Annotations: json.RawMessage(`{"title":"T"}`),
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := "{\"tools\":[\n{\"name\":\"t\",\"description\":\"d <b>\",\"inputSchema\":" + schema + ",\"annotations\":{\"title\":\"T\"}}\n]}\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if !strings.Contains(string(got), `"minimum":0`) {
		t.Error("numbers were not kept")
	}
}
