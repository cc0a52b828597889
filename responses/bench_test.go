package responses_test

import (
	"context"
	"testing"

	"github.com/mcpbridge/mcpbridge/responses"
	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

var instantExec = responses.ExecutorFunc(func(context.Context, responses.Call) (responses.Output, error) {
	return responses.Output{Text: "42"}, nil
})

// BenchmarkRunOneCall measures one loop turn: Run with one function call of
// an instant executor against fakeapi (two HTTP round trips).
func BenchmarkRunOneCall(b *testing.B) {
	s := responsestest.New(responsestest.ToolCaller(responsestest.FunctionCall{Name: "get_weather", Arguments: `{"city":"Paris"}`}))
	s.SetRecording(false)
	s.SetValidation(false) // measure the client, not the fake's checks
	defer s.Close()
	c := s.Client()
	params := baseParams()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		res, err := responses.Run(ctx, &c.Responses, params, responses.Static(instantExec), responses.Options{})
		if err != nil || res.Iterations != 2 {
			b.Fatalf("run: %v, %+v", err, res)
		}
	}
}

// BenchmarkRunOneCallParallel runs many loops at once on one server.
func BenchmarkRunOneCallParallel(b *testing.B) {
	s := responsestest.New(responsestest.ToolCaller(responsestest.FunctionCall{Name: "get_weather", Arguments: `{"city":"Paris"}`}))
	s.SetRecording(false)
	s.SetValidation(false) // measure the client, not the fake's checks
	defer s.Close()
	c := s.Client()
	params := baseParams()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := responses.Run(context.Background(), &c.Responses, params, responses.Static(instantExec), responses.Options{})
			if err != nil || res.Iterations != 2 {
				b.Errorf("run: %v", err)
				return
			}
		}
	})
}
