package responsestest_test

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpbridge/mcpbridge/responses/responsestest"
)

// streamSchemaJSON is ResponseStreamEvent of the OpenAI OpenAPI document
// and every schema it references (MIT License, see
// testdata/LICENSE-openai-openapi), extracted by
// testdata/extract_schema.py.
//
//go:embed testdata/responses_stream_schema.json
var streamSchemaJSON []byte

func streamSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(streamSchemaJSON))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("stream.json", doc))
	sch, err := c.Compile("stream.json")
	require.NoError(t, err)
	return sch
}

type sseEvent struct {
	name string
	data map[string]any
	raw  []byte
}

// readStream posts body to the server and reads the raw server-sent events.
func readStream(t *testing.T, s *responsestest.Server, body string) (*http.Response, []sseEvent) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.URL+"/v1/responses", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Server.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var events []sseEvent
	sc := bufio.NewScanner(resp.Body)
	var ev sseEvent
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.raw != nil {
				require.NoError(t, json.Unmarshal(ev.raw, &ev.data))
				events = append(events, ev)
			}
			ev = sseEvent{}
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			ev.raw = []byte(strings.TrimPrefix(line, "data: "))
		}
	}
	require.NoError(t, sc.Err())
	return resp, events
}

// checkEvents validates every event against the document's schema and the
// framing rules: event name = type, sequence numbers 0, 1, 2...
func checkEvents(t *testing.T, sch *jsonschema.Schema, events []sseEvent) []string {
	t.Helper()
	var types []string
	for i, ev := range events {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(ev.raw))
		require.NoError(t, err)
		if err := sch.Validate(inst); err != nil {
			t.Errorf("event %d (%s) does not match ResponseStreamEvent: %v\n%s", i, ev.name, err, ev.raw)
		}
		assert.Equal(t, ev.name, ev.data["type"], "event name is the type")
		assert.Equal(t, float64(i), ev.data["sequence_number"])
		types = append(types, ev.name)
	}
	return types
}

const streamBody = `{"model":"gpt-test","input":"hi","stream":true}`

func TestStreamEventSequenceMatchesSchema(t *testing.T) {
	sch := streamSchema(t)
	s, _ := start(t, responsestest.Script(
		responsestest.Calls(responsestest.FunctionCall{Name: "add", Arguments: `{"a":1,"b":"a longer argument text"}`, CallID: "call_1"}).
			WithReasoning("Think first. Then act.").WithText("Adding now."),
		responsestest.Refusal("I cannot help with that."),
		responsestest.Failed("server_error", "boom"),
		responsestest.Incomplete("max_output_tokens").WithText("cut"),
	))
	resp, events := readStream(t, s, streamBody)
	assert.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
	types := checkEvents(t, sch, events)
	assert.Equal(t, []string{
		"response.created", "response.in_progress",
		"response.output_item.added",
		"response.reasoning_summary_part.added",
		"response.reasoning_summary_text.delta", "response.reasoning_summary_text.delta", "response.reasoning_summary_text.delta", "response.reasoning_summary_text.delta",
		"response.reasoning_summary_text.done", "response.reasoning_summary_part.done",
		"response.output_item.done",
		"response.output_item.added",
		"response.function_call_arguments.delta", "response.function_call_arguments.delta", "response.function_call_arguments.delta",
		"response.function_call_arguments.done",
		"response.output_item.done",
		"response.output_item.added", "response.content_part.added",
		"response.output_text.delta", "response.output_text.delta",
		"response.output_text.done", "response.content_part.done",
		"response.output_item.done",
		"response.completed",
	}, types)
	// Deltas add up to the final texts; indexes point at the right item.
	var summary, args, text strings.Builder
	for _, ev := range events {
		switch ev.name {
		case "response.reasoning_summary_text.delta":
			summary.WriteString(ev.data["delta"].(string))
			assert.Equal(t, float64(0), ev.data["output_index"])
		case "response.function_call_arguments.delta":
			args.WriteString(ev.data["delta"].(string))
			assert.Equal(t, float64(1), ev.data["output_index"])
		case "response.output_text.delta":
			text.WriteString(ev.data["delta"].(string))
			assert.Equal(t, float64(2), ev.data["output_index"])
			assert.Equal(t, float64(0), ev.data["content_index"])
		}
	}
	assert.Equal(t, "Think first. Then act.", summary.String())
	assert.Equal(t, `{"a":1,"b":"a longer argument text"}`, args.String())
	assert.Equal(t, "Adding now.", text.String())
	created := events[0].data["response"].(map[string]any)
	done := events[len(events)-1].data["response"].(map[string]any)
	assert.Equal(t, "in_progress", created["status"])
	assert.Equal(t, "completed", done["status"])
	assert.Equal(t, created["id"], done["id"])
	fc := events[16].data["item"].(map[string]any)
	assert.Equal(t, "call_1", fc["call_id"])
	assert.Equal(t, fc["id"], events[15].data["item_id"])

	_, events = readStream(t, s, streamBody)
	types = checkEvents(t, sch, events)
	assert.Contains(t, types, "response.refusal.delta")
	assert.Contains(t, types, "response.refusal.done")

	_, events = readStream(t, s, streamBody)
	types = checkEvents(t, sch, events)
	assert.Equal(t, []string{"response.created", "response.in_progress", "response.failed"}, types)

	_, events = readStream(t, s, streamBody)
	types = checkEvents(t, sch, events)
	assert.Equal(t, "response.incomplete", types[len(types)-1])
}

func TestStreamFaults(t *testing.T) {
	sch := streamSchema(t)
	two := responsestest.Calls(responsestest.FunctionCall{Name: "a"}, responsestest.FunctionCall{Name: "b"})
	s, _ := start(t, responsestest.Script(
		two.WithErrorEvent(1, "server_error", "the model broke"),
		two.WithDropAfter(1),
		responsestest.APIError(429, "rate_limit_exceeded", "slow down"),
	))
	_, events := readStream(t, s, streamBody)
	types := checkEvents(t, sch, events)
	assert.Equal(t, "error", types[len(types)-1])
	assert.Equal(t, "the model broke", events[len(events)-1].data["message"])
	assert.Equal(t, 1, count(types, "response.output_item.done"))

	_, events = readStream(t, s, streamBody)
	types = checkEvents(t, sch, events)
	assert.Equal(t, "response.output_item.done", types[len(types)-1], "cut without a terminal event")

	resp, _ := readStream(t, s, streamBody)
	assert.Equal(t, 429, resp.StatusCode, "HTTP errors come before any event")
}

func TestStreamDelaysPaceItems(t *testing.T) {
	// Each item is written only after its delay: the events of the first
	// item arrive before the second item's delay has passed. Shown with a
	// handler that blocks instead of a clock.
	s, c := start(t, responsestest.Script(responsestest.Calls(responsestest.FunctionCall{Name: "a"}, responsestest.FunctionCall{Name: "b"}).
		WithDelays(0, time.Hour)))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st := c.Responses.NewStreaming(ctx, params("x"))
	defer st.Close()
	for st.Next() {
		ev := st.Current()
		if ev.Type == "response.output_item.done" {
			assert.Equal(t, "a", ev.Item.Name)
			cancel() // the second item is an hour away; the server stops waiting
		}
	}
	assert.Error(t, st.Err())
	_ = s
}

func TestStreamDecodesInOpenAIGo(t *testing.T) {
	_, c := start(t, responsestest.Script(responsestest.Calls(responsestest.FunctionCall{Name: "add", Arguments: `{"a":1}`, CallID: "call_x"}).WithText("hi there")))
	st := c.Responses.NewStreaming(context.Background(), params("x"))
	defer st.Close()
	var text string
	var done bool
	for st.Next() {
		ev := st.Current()
		switch ev.Type {
		case "response.output_text.delta":
			text += ev.Delta
		case "response.completed":
			done = true
			assert.Equal(t, "hi there", ev.Response.OutputText())
			require.Len(t, ev.Response.Output, 2)
			assert.Equal(t, "call_x", ev.Response.Output[0].CallID)
			assert.NotZero(t, ev.Response.Usage.TotalTokens)
		}
	}
	require.NoError(t, st.Err())
	assert.True(t, done)
	assert.Equal(t, "hi there", text)
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

func TestStreamSchemaRejectsBrokenEvents(t *testing.T) {
	sch := streamSchema(t)
	for _, raw := range []string{
		`{"type":"response.output_text.delta","item_id":"m","output_index":0,"content_index":0,"delta":"x","sequence_number":1}`,                // no logprobs
		`{"type":"response.output_item.done","output_index":0,"sequence_number":1,"item":{"type":"function_call","name":"a","arguments":"{}"}}`, // no call_id
		`{"type":"response.nonsense","sequence_number":1}`,
	} {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(raw))
		require.NoError(t, err)
		assert.Error(t, sch.Validate(inst), raw)
	}
}
