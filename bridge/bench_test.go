package bridge

import (
	"context"
	"testing"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

// BenchmarkCall measures one routed tool call: name lookup, argument
// check, the in-process MCP round trip and result conversion.
func BenchmarkCall(b *testing.B) {
	ctx := context.Background()
	br, err := New(ctx, []Server{InProcess("s", mcptest.NewServer())})
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	b.ReportAllocs()
	for b.Loop() {
		out, err := br.Call(ctx, "s__echo", `{"text":"hello"}`)
		if err != nil || out.Text == "" {
			b.Fatalf("call: %v %+v", err, out)
		}
	}
}

// BenchmarkRunOneTurn measures Bridge.Run with one tool call: two requests
// to the fake Responses API and one in-process MCP call.
func BenchmarkRunOneTurn(b *testing.B) {
	ctx := context.Background()
	s := responsestest.New(responsestest.ToolCaller(responsestest.FunctionCall{Name: "s__echo", Arguments: `{"text":"hello"}`}))
	s.SetRecording(false)
	s.SetValidation(false) // measure the client, not the fake's checks
	defer s.Close()
	c := s.Client()
	br, err := New(ctx, []Server{InProcess("s", mcptest.NewServer())})
	if err != nil {
		b.Fatal(err)
	}
	defer br.Close()
	p := params("x")
	b.ReportAllocs()
	for b.Loop() {
		res, err := br.Run(ctx, &c.Responses, p)
		if err != nil || res.Iterations != 2 {
			b.Fatalf("run: %v", err)
		}
	}
}
