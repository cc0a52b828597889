package mcpclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// Tool is one tool as the server listed it. The JSON fields hold the
// server's bytes unchanged (every top-level key of the schemas included);
// they are nil when the server left the field out or sent null.
type Tool struct {
	Name string
	// Title is the tool's title, or annotations.title when it has none.
	Title       string
	Description string
	// InputSchema is the inputSchema exactly as sent.
	InputSchema json.RawMessage
	// OutputSchema is the outputSchema exactly as sent.
	OutputSchema json.RawMessage
	// Annotations is the annotations object exactly as sent.
	Annotations json.RawMessage
	// Meta is the _meta object exactly as sent.
	Meta json.RawMessage
	// TaskSupport is the tool's execution.taskSupport: "required" (it runs
	// only as a task: call it with AsTask), "optional", or "" when the
	// server left it out (which means "forbidden").
	TaskSupport mcp.TaskSupport
	// Icons are the tool's icons as listed (nil when it has none, or when
	// its icons field is not a list of icons).
	Icons []mcp.Icon
}

// SkippedTool is an entry of tools/list that ListTools could not return.
type SkippedTool struct {
	Index  int    // position in the whole listing, over all pages, from 0
	Name   string // the tool's name, if it had one
	Reason string // why it was skipped
}

// ListOption changes one ListTools call.
type ListOption func(*listOptions)

type listOptions struct {
	skipped func(SkippedTool)
	ttl     func(time.Duration)
}

// ReportTTL passes to fn how long the listing may be kept before it is
// fetched again, when the server said (ttlMs, 2026-07-28; the smallest of
// its pages; 0 means it is stale at once), once the listing succeeded.
func ReportTTL(fn func(ttl time.Duration)) ListOption {
	return func(o *listOptions) { o.ttl = fn }
}

// maxTTL caps a page's ttlMs so that it converts to a Duration.
const maxTTL = 100 * 365 * 24 * time.Hour

// ttlOf reads a listing page's ttlMs.
func ttlOf(raw json.RawMessage) (time.Duration, bool) {
	var page struct {
		TTLMs *float64 `json:"ttlMs"`
	}
	if json.Unmarshal(raw, &page) != nil || page.TTLMs == nil {
		return 0, false
	}
	ms := max(*page.TTLMs, 0)
	if ms >= float64(maxTTL/time.Millisecond) {
		return maxTTL, true
	}
	return time.Duration(ms * float64(time.Millisecond)), true
}

// ReportSkipped passes every entry ListTools skipped to fn, once the
// listing succeeded, so that callers can report them (the bridge shows
// them in its Diagnostics).
func ReportSkipped(fn func(SkippedTool)) ListOption {
	return func(o *listOptions) { o.skipped = fn }
}

// indexedTool is a tool with its position in the listing.
type indexedTool struct {
	Tool
	index int
}

type wireTool struct {
	Name         string          `json:"name"`
	Title        string          `json:"title"`
	Description  string          `json:"description"`
	InputSchema  json.RawMessage `json:"inputSchema"`
	OutputSchema json.RawMessage `json:"outputSchema"`
	Annotations  json.RawMessage `json:"annotations"`
	Meta         json.RawMessage `json:"_meta"`
	Execution    json.RawMessage `json:"execution"`
	Icons        json.RawMessage `json:"icons"`
}

func orNil(raw json.RawMessage) json.RawMessage {
	if !present(raw) {
		return nil
	}
	return raw
}

// parseToolsPage decodes one raw tools/list result whose first entry is
// number first of the listing. Entries that are not tool objects with a
// name are skipped and reported in skipped.
func parseToolsPage(raw json.RawMessage, first int) (tools []indexedTool, next string, skipped []SkippedTool, err error) {
	var page struct {
		Tools      []json.RawMessage `json:"tools"`
		NextCursor *string           `json:"nextCursor"`
	}
	if err := json.Unmarshal(raw, &page); err != nil {
		return nil, "", nil, fmt.Errorf("decode tools/list result: %w", err)
	}
	for i, entry := range page.Tools {
		var w wireTool
		if err := json.Unmarshal(entry, &w); err != nil {
			skipped = append(skipped, SkippedTool{Index: first + i, Reason: fmt.Sprintf("tools/list entry %d is not a tool object", first+i)})
			continue
		}
		if w.Name == "" {
			skipped = append(skipped, SkippedTool{Index: first + i, Reason: fmt.Sprintf("tools/list entry %d has no name", first+i)})
			continue
		}
		t := Tool{
			Name:         w.Name,
			Title:        w.Title,
			Description:  w.Description,
			InputSchema:  orNil(w.InputSchema),
			OutputSchema: orNil(w.OutputSchema),
			Annotations:  orNil(w.Annotations),
			Meta:         orNil(w.Meta),
			TaskSupport:  taskSupportOf(w.Execution),
			Icons:        iconsOf(w.Icons),
		}
		if t.Title == "" && t.Annotations != nil {
			var a struct {
				Title string `json:"title"`
			}
			if json.Unmarshal(t.Annotations, &a) == nil {
				t.Title = a.Title
			}
		}
		tools = append(tools, indexedTool{t, first + i})
	}
	if page.NextCursor != nil {
		next = *page.NextCursor
	}
	return tools, next, skipped, nil
}

// taskSupportOf reads execution.taskSupport. A value that is not a string
// counts as absent: the tool stays listed (and is called plainly).
func taskSupportOf(execution json.RawMessage) mcp.TaskSupport {
	var e struct {
		TaskSupport any `json:"taskSupport"`
	}
	if json.Unmarshal(execution, &e) != nil {
		return ""
	}
	s, _ := e.TaskSupport.(string)
	return mcp.TaskSupport(s)
}

// lenientCallResult decodes a tools/call result that mcp-go refused (it
// fails the whole result on one content block of a type it does not know).
// Unknown blocks become a text block saying what was there.
//
// A result that asks for input (2026-07-28 multi round-trip: resultType
// input_required) is not a final result: when mcp-go failed on it (it
// could not answer the input requests), that failure stands.
func lenientCallResult(raw json.RawMessage) (*mcp.CallToolResult, error) {
	var w struct {
		ResultType        mcp.ResultType    `json:"resultType"`
		InputRequests     json.RawMessage   `json:"inputRequests"`
		Meta              *mcp.Meta         `json:"_meta"`
		Content           []json.RawMessage `json:"content"`
		StructuredContent json.RawMessage   `json:"structuredContent"`
		IsError           bool              `json:"isError"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, err
	}
	if w.ResultType == mcp.ResultTypeInputRequired || present(w.InputRequests) {
		return nil, errors.New("the result asks for input")
	}
	res := &mcp.CallToolResult{Result: mcp.Result{Meta: w.Meta}, IsError: w.IsError}
	for _, item := range w.Content {
		c, err := mcp.UnmarshalContent(item)
		if err != nil {
			var probe struct {
				Type any `json:"type"`
			}
			_ = json.Unmarshal(item, &probe)
			c = mcp.NewTextContent(fmt.Sprintf("[unsupported MCP content block of type %v]", probe.Type))
		}
		res.Content = append(res.Content, c)
	}
	if present(w.StructuredContent) {
		res.RawStructuredContent = bytes.Clone(w.StructuredContent)
		var v any
		if err := json.Unmarshal(w.StructuredContent, &v); err == nil {
			res.StructuredContent = v
		}
	}
	return res, nil
}

// iconsOf reads a tool's icons; a value that is not a list of icons is
// left out (nil), not a reason to skip the tool.
func iconsOf(raw json.RawMessage) []mcp.Icon {
	if !present(raw) {
		return nil
	}
	var icons []mcp.Icon
	if json.Unmarshal(raw, &icons) != nil {
		return nil
	}
	return icons
}
