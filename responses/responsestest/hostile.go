package responsestest

import "encoding/json"

// RawOutput is an HTTP 200 completed response with the given id whose
// "output" field is output exactly as given: items are not completed with
// ids or call ids, and output need not even be an array. It plays a broken
// or hostile API for tests of what a client accepts.
func RawOutput(id string, output any) Reply {
	b, err := json.Marshal(map[string]any{
		"id":                  id,
		"object":              "response",
		"created_at":          1700000000,
		"status":              "completed",
		"model":               "responsestest",
		"output":              output,
		"parallel_tool_calls": true,
		"tool_choice":         "auto",
		"tools":               []any{},
		"usage": map[string]any{
			"input_tokens": 1, "output_tokens": 1, "total_tokens": 2,
			"input_tokens_details":  map[string]any{"cached_tokens": 0},
			"output_tokens_details": map[string]any{"reasoning_tokens": 0},
		},
	})
	if err != nil {
		panic("responsestest: RawOutput: " + err.Error())
	}
	return Reply{RawBody: b, ContentType: "application/json"}
}

// RawCall is a function_call output item with exactly the given fields:
// a nil value leaves the field out, any other value (an object for
// arguments, a number for call_id...) is sent as it is.
func RawCall(callID, name, arguments any) map[string]any {
	item := map[string]any{"type": "function_call", "id": "fc_raw", "status": "completed"}
	for k, v := range map[string]any{"call_id": callID, "name": name, "arguments": arguments} {
		if v != nil {
			item[k] = v
		}
	}
	return item
}
