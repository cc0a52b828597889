package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

func TestAgentClientToolSearch(t *testing.T) {
	for _, namespaces := range []bool{false, true} {
		want := responsestest.LoadedTool{Name: "tools__add"}
		args := []string{"--tool-search", "client"}
		if namespaces {
			want = responsestest.LoadedTool{Namespace: "tools", Name: "add"}
			args = append(args, "--namespaces")
		}
		m := &responsestest.SearchModel{
			Query: func(string) string { return "add two numbers" },
			Pick: func(l []responsestest.LoadedTool) (responsestest.LoadedTool, bool) {
				for _, lt := range l {
					if lt == want {
						return lt, true
					}
				}
				return responsestest.LoadedTool{}, false
			},
			Arguments: `{"a":20,"b":22}`,
		}
		api, cfg := setup(t, m.Handler(), "")
		stdout, stderr, err := runAgent(t, append(args, "--config", cfg, "what is 20+22?")...)
		require.NoError(t, err, stderr)
		assert.Contains(t, stdout, "42")
		assert.Contains(t, stderr, "?? add two numbers -> ")
		name := "tools__add"
		if namespaces {
			name = "tools/add"
		}
		assert.Contains(t, stderr, "-> "+name+" ")
		reqs := api.Requests()
		require.Len(t, reqs, 3)
		require.Len(t, reqs[0].Tools, 1, "only the tool_search tool goes first")
		assert.Equal(t, "tool_search", reqs[0].Tools[0]["type"])
		for _, r := range reqs {
			require.NoError(t, r.ValidationErr)
		}
	}
}

func TestAgentToolSearchDefaultsToAuto(t *testing.T) {
	model := &responsestest.Model{Calls: []responsestest.FunctionCall{{Name: "tools__add", Arguments: `{"a":1,"b":2}`}}}
	api, cfg := setup(t, model.Handler(), "")
	_, stderr, err := runAgent(t, "--config", cfg, "x")
	require.NoError(t, err, stderr)
	for _, tool := range api.Requests()[0].Tools {
		assert.Equal(t, "function", tool["type"], "a small tool set is sent whole")
	}
}

func TestAgentToolSearchFlagIsChecked(t *testing.T) {
	_, stderr, err := runAgent(t, "--tool-search", "sometimes", "x")
	require.Error(t, err)
	assert.Contains(t, err.Error()+stderr, "want auto, client, hosted or off")
}
