package bridgeotel_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	oai "github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/mcpbridge/mcpbridge/rigs/mcptest"
)

func TestMain(m *testing.M) { mcptest.VerifyTestMain(m) }

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// newRecorder returns a TracerProvider that keeps every ended span in memory.
func newRecorder(t *testing.T) (*sdktrace.TracerProvider, *tracetest.SpanRecorder) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tp, rec
}

func params() oai.ResponseNewParams {
	return oai.ResponseNewParams{
		Model: "gpt-5-mini",
		Input: oai.ResponseNewParamsInputUnion{OfString: openai.String("do it")},
	}
}

// traced splits ended spans into the run span, the turn spans in order
// and the call spans by function name.
type traced struct {
	run   sdktrace.ReadOnlySpan
	turns []sdktrace.ReadOnlySpan
	calls map[string]sdktrace.ReadOnlySpan
}

func split(t *testing.T, spans []sdktrace.ReadOnlySpan) traced {
	t.Helper()
	out := traced{calls: map[string]sdktrace.ReadOnlySpan{}}
	for _, s := range spans {
		switch {
		case strings.HasPrefix(s.Name(), "execute_tool "):
			out.calls[strings.TrimPrefix(s.Name(), "execute_tool ")] = s
		case strings.HasPrefix(s.Name(), "chat "):
			out.turns = append(out.turns, s)
		default:
			require.Nil(t, out.run, "one run span")
			out.run = s
		}
	}
	require.NotNil(t, out.run)
	return out
}

func attrs(s sdktrace.ReadOnlySpan) map[attribute.Key]any {
	out := map[attribute.Key]any{}
	for _, kv := range s.Attributes() {
		out[kv.Key] = kv.Value.AsInterface()
	}
	return out
}
