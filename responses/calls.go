package responses

import (
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	oai "github.com/openai/openai-go/v3/responses"
)

// maxCallIDLen is the longest call_id a function_call_output may carry.
const maxCallIDLen = 64

// functionCalls collects every function_call item of a response, in order,
// from the response's raw JSON: the SDK decodes an output array with one
// ill-shaped item as no items at all, and an arguments object as "".
//
// An error means the response cannot be answered (an output that is not a
// list of typed items; a call_id missing, not a string, too long or
// repeated) and no call may run. A call that can be answered but not run
// (no name; arguments missing or not a string) comes back with malformed
// set, and the loop answers it with an error output.
func functionCalls(resp *oai.Response) ([]Call, error) {
	raw := resp.JSON.Output.Raw()
	if raw == "" && resp.RawJSON() == "" {
		return structCalls(resp) // built in Go, not decoded: nothing raw to check
	}
	var items []json.RawMessage
	if raw == "" || raw == "null" || json.Unmarshal([]byte(raw), &items) != nil {
		return nil, errors.New("output is not a list of items")
	}
	if len(items) != len(resp.Output) {
		return nil, fmt.Errorf("%d output items, of which the SDK could decode %d", len(items), len(resp.Output))
	}
	var calls []Call
	seen := make(map[string]bool)
	for i, rawItem := range items {
		c, isCall, err := callItem(rawItem, i, seen)
		if err != nil {
			return nil, err
		}
		if isCall {
			calls = append(calls, c)
		}
	}
	boundApprovals(calls)
	return calls, nil
}

// callItem reads output item i as a function call; isCall is false for
// an item of another type. seen, when not nil, holds the call ids of the
// items before it.
func callItem(rawItem json.RawMessage, i int, seen map[string]bool) (c Call, isCall bool, err error) {
	var item map[string]json.RawMessage
	if json.Unmarshal(rawItem, &item) != nil || item == nil {
		return Call{}, false, fmt.Errorf("output item %d is not an object", i)
	}
	var typ string
	if json.Unmarshal(item["type"], &typ) != nil || typ == "" {
		return Call{}, false, fmt.Errorf("output item %d has no type", i)
	}
	if typ == approvalType { // a hosted call to approve: hosted.go
		c, err := approvalCall(item, i, seen)
		return c, true, err
	}
	if typ != "function_call" {
		return Call{}, false, nil
	}
	c = Call{ItemID: rawString(item["id"])}
	c.Namespace, _ = jsonString(item["namespace"])
	var ok bool
	if c.CallID, ok = jsonString(item["call_id"]); !ok || c.CallID == "" {
		return Call{}, true, fmt.Errorf("function_call item %d has no call_id string", i)
	}
	if seen != nil {
		if err := checkCallID(c.CallID, seen); err != nil {
			return Call{}, true, fmt.Errorf("function_call item %d: %w", i, err)
		}
	}
	c.Name, ok = jsonString(item["name"])
	switch {
	case !ok || c.Name == "":
		c.Name = ""
		c.malformed = "the function_call item has no function name"
	default:
		if c.Arguments, ok = jsonString(item["arguments"]); !ok {
			c.malformed = fmt.Sprintf("the arguments of %s were not a JSON-encoded string (got %s)", c.Name, kindOf(item["arguments"]))
		}
	}
	return c, true, nil
}

// structCalls is functionCalls for a response made in Go rather than
// decoded from JSON.
func structCalls(resp *oai.Response) ([]Call, error) {
	var calls []Call
	seen := make(map[string]bool)
	for i, item := range resp.Output {
		if item.Type == approvalType {
			b, err := json.Marshal(item)
			var m map[string]json.RawMessage
			if err == nil {
				err = json.Unmarshal(b, &m)
			}
			if err != nil {
				return nil, fmt.Errorf("output item %d: %w", i, err)
			}
			c, err := approvalCall(m, i, seen)
			if err != nil {
				return nil, err
			}
			calls = append(calls, c)
			continue
		}
		if item.Type != "function_call" {
			continue
		}
		c := Call{CallID: item.CallID, Name: item.Name, Namespace: item.Namespace, Arguments: item.Arguments.OfString, ItemID: item.ID}
		if c.CallID == "" {
			return nil, fmt.Errorf("function_call item %d has no call_id", i)
		}
		if err := checkCallID(c.CallID, seen); err != nil {
			return nil, fmt.Errorf("function_call item %d: %w", i, err)
		}
		switch {
		case c.Name == "":
			c.malformed = "the function_call item has no function name"
		case item.Arguments.OfResponseToolSearchCallArguments != nil:
			c.Arguments = ""
			c.malformed = "the arguments of " + c.Name + " were not a JSON-encoded string"
		}
		calls = append(calls, c)
	}
	boundApprovals(calls)
	return calls, nil
}

func checkCallID(id string, seen map[string]bool) error {
	if n := utf8.RuneCountInString(id); n > maxCallIDLen {
		return fmt.Errorf("call_id of %d characters (the API accepts at most %d)", n, maxCallIDLen)
	}
	if seen[id] {
		return fmt.Errorf("call_id %q used twice", id)
	}
	seen[id] = true
	return nil
}

// jsonString decodes a JSON string; ok is false for anything else,
// including a missing field and null.
func jsonString(raw json.RawMessage) (s string, ok bool) {
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	return s, json.Unmarshal(raw, &s) == nil
}

func rawString(raw json.RawMessage) string {
	s, _ := jsonString(raw)
	return s
}

// kindOf names the JSON kind of raw for error messages.
func kindOf(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '"':
		return "a string"
	}
	return "a number"
}
