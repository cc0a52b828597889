package bridgetemporal_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"

	"github.com/mcpbridge/mcpbridge/bridge/bridgetemporal"
)

// Temporal's OpenTelemetry interceptor, given to the worker (and the
// client), traces a durable run: the workflow, and each model request,
// listing and tool call as an activity span, in the tracer the program
// already uses.
func TestOpenTelemetryInterceptorTracesTheRun(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	tracing, err := temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{Tracer: tp.Tracer("test")})
	require.NoError(t, err)

	e := newEnv(t, shopModel(), bridgetemporal.WorkerOptions{})
	e.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{tracing}, DeadlockDetectionTimeout: 10 * time.Second}) // as testEnv
	e.ExecuteWorkflow(bridgetemporal.Workflow, input(t, params("buy tea"), bridgetemporal.RunOptions{}))
	require.NoError(t, e.GetWorkflowError())

	names := map[string]int{}
	for _, s := range rec.Ended() {
		names[s.Name()]++
	}
	assert.Equal(t, 2, names["RunActivity:mcpbridge.ModelRequest"], "%v", names)
	// lookup (read-only) runs inside the first model request, as the model
	// writes it; charge (side effects) is an activity of its own.
	assert.Equal(t, 1, names["RunActivity:mcpbridge.CallTool"], "%v", names)
}
