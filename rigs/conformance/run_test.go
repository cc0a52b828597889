package conformance_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcpbridge/mcpbridge/rigs/conformance"
)

// These tests check Run's own logic against mcp-go servers over real
// streamable HTTP; they need no Node.js.

// newHTTPServer serves s over streamable HTTP on an httptest listener and
// returns its URL.
func newHTTPServer(t *testing.T, s *server.MCPServer) string {
	t.Helper()
	h := server.NewStreamableHTTPServer(s)
	ts := httptest.NewServer(h)
	t.Cleanup(func() {
		_ = h.Shutdown(context.Background())
		ts.Close()
	})
	return ts.URL
}

// addNumbersServer mimics the suite's tools_call server and counts calls.
func addNumbersServer(calls *atomic.Int32, result func(a, b float64) *mcp.CallToolResult) *server.MCPServer {
	s := server.NewMCPServer("add-numbers", "1.0.0", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("add_numbers",
		mcp.WithNumber("a", mcp.Required()),
		mcp.WithNumber("b", mcp.Required()),
	), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		calls.Add(1)
		a, b := req.GetFloat("a", 0), req.GetFloat("b", 0)
		return result(a, b), nil
	})
	return s
}

func TestRunToolsCall(t *testing.T) {
	var calls atomic.Int32
	url := newHTTPServer(t, addNumbersServer(&calls, func(a, b float64) *mcp.CallToolResult {
		return mcp.NewToolResultText(strconv.FormatFloat(a+b, 'g', -1, 64))
	}))
	if err := conformance.Run(t.Context(), conformance.ScenarioToolsCall, url, nil); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := calls.Load(); got != 1 {
		t.Fatalf("add_numbers called %d times, want 1", got)
	}
}

func TestRunToolsCallWrongAnswer(t *testing.T) {
	var calls atomic.Int32
	url := newHTTPServer(t, addNumbersServer(&calls, func(a, b float64) *mcp.CallToolResult {
		return mcp.NewToolResultText("seven")
	}))
	err := conformance.Run(t.Context(), conformance.ScenarioToolsCall, url, nil)
	if !errors.Is(err, conformance.ErrCheck) {
		t.Fatalf("Run = %v, want ErrCheck", err)
	}
}

func TestRunToolsCallToolError(t *testing.T) {
	var calls atomic.Int32
	url := newHTTPServer(t, addNumbersServer(&calls, func(a, b float64) *mcp.CallToolResult {
		return mcp.NewToolResultError("cannot add")
	}))
	err := conformance.Run(t.Context(), conformance.ScenarioToolsCall, url, nil)
	if !errors.Is(err, conformance.ErrCheck) {
		t.Fatalf("Run = %v, want ErrCheck", err)
	}
}

func TestRunInitializeAndMissingTool(t *testing.T) {
	s := server.NewMCPServer("empty", "1.0.0", server.WithToolCapabilities(false))
	url := newHTTPServer(t, s)
	if err := conformance.Run(t.Context(), conformance.ScenarioInitialize, url, nil); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	for _, sc := range []string{conformance.ScenarioToolsCall, conformance.ScenarioSSERetry} {
		err := conformance.Run(t.Context(), sc, url, nil)
		if !errors.Is(err, conformance.ErrCheck) {
			t.Errorf("%s without its tool: Run = %v, want ErrCheck", sc, err)
		}
	}
}

func TestRunRejectsUnknownAndUnsupported(t *testing.T) {
	// Neither needs a server: Run must refuse before connecting.
	url := "http://127.0.0.1:1/never-dialled"
	if err := conformance.Run(t.Context(), "auth/no-such-scenario", url, nil); !errors.Is(err, conformance.ErrUnknownScenario) {
		t.Errorf("unknown auth scenario: Run = %v, want ErrUnknownScenario", err)
	}
	if err := conformance.Run(t.Context(), "no-such-scenario", url, nil); !errors.Is(err, conformance.ErrUnknownScenario) {
		t.Errorf("unknown scenario: Run = %v, want ErrUnknownScenario", err)
	}
	for sc := range conformance.Unsupported {
		if err := conformance.Run(t.Context(), sc, url, nil); !errors.Is(err, conformance.ErrUnsupported) {
			t.Errorf("%s: Run = %v, want ErrUnsupported", sc, err)
		}
	}
}

func TestIsAuth(t *testing.T) {
	for name, want := range map[string]bool{
		"auth/basic-cimd": true, "auth/scope-step-up": true,
		"initialize": false, "tools_call": false, "sse-retry": false,
	} {
		if got := conformance.IsAuth(name); got != want {
			t.Errorf("IsAuth(%q) = %v, want %v", name, got, want)
		}
	}
}
