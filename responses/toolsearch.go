package responses

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/openai/openai-go/v3/packages/param"
	oai "github.com/openai/openai-go/v3/responses"
)

// Client tool search. A request may carry a tool_search tool with
// execution "client" and functions sent with defer_loading: true (or not
// sent at all). The model then asks for tools with a tool_search_call item
// whose execution is "client"; the loop passes it to Options.ToolSearch and
// answers, in the next turn's input, with a tool_search_output item of the
// same call_id holding the tools found. Those tools are callable by the
// model from then on. Tool searches the API runs itself (execution
// "server") need nothing from the loop: their items stay in the response
// (and in the resent history of store: false runs) untouched.

// ToolSearchCall is one client-executed tool search the model asked for.
type ToolSearchCall struct {
	CallID string // call_id: pairs the search with its tool_search_output
	ItemID string // id of the tool_search_call output item
	// Arguments are the search arguments as the model wrote them, shaped by
	// the parameters of the tool_search tool the request sent.
	Arguments json.RawMessage
	// Query is the "query" string of Arguments (or Arguments itself when it
	// is a JSON string); empty when there is none.
	Query string
}

// ToolSearcher answers client tool searches. Search returns the tools to
// load, in the order the model should see them: function tools (usually
// without defer_loading) or namespace tools holding the functions found.
// An empty result loads nothing. It may be called concurrently with
// Executor calls of the same turn. An error is not fatal: the model gets a
// tool_search_output with no tools, and the record keeps the error; an
// error caused by the run's context being cancelled ends the run.
type ToolSearcher interface {
	Search(ctx context.Context, call ToolSearchCall) ([]oai.ToolUnionParam, error)
}

// ToolSearcherFunc adapts a function to the ToolSearcher interface.
type ToolSearcherFunc func(ctx context.Context, call ToolSearchCall) ([]oai.ToolUnionParam, error)

// Search calls f.
func (f ToolSearcherFunc) Search(ctx context.Context, call ToolSearchCall) ([]oai.ToolUnionParam, error) {
	return f(ctx, call)
}

// SearchRecord is one client tool search the loop answered.
type SearchRecord struct {
	Call     ToolSearchCall
	Tools    []oai.ToolUnionParam // exactly the tools sent in the tool_search_output
	Err      error                // why the search failed (no tools were sent)
	Duration time.Duration

	at int // how many function calls came before the search in its response
}

// ErrNoToolSearch: the model made a client tool_search_call but
// Options.ToolSearch is nil.
var ErrNoToolSearch = errors.New("responses: client tool_search_call but Options.ToolSearch is nil")

// toolSearchCalls collects the client-executed tool_search_call items of a
// response, in order, each with its position among the function calls.
func toolSearchCalls(resp *oai.Response) []SearchRecord {
	var out []SearchRecord
	functions := 0
	for _, item := range resp.Output {
		switch item.Type {
		case "function_call":
			functions++
		case "tool_search_call":
			if item.Execution != "client" {
				continue // the API ran it
			}
			args := json.RawMessage(item.JSON.Arguments.Raw())
			if !json.Valid(args) {
				args = json.RawMessage("null")
			}
			out = append(out, SearchRecord{
				Call: ToolSearchCall{CallID: item.CallID, ItemID: item.ID, Arguments: args, Query: queryOf(args)},
				at:   functions,
			})
		}
	}
	return out
}

// queryOf reads the query out of tool search arguments.
func queryOf(args json.RawMessage) string {
	var s string
	if json.Unmarshal(args, &s) == nil {
		return s
	}
	var m struct {
		Query string `json:"query"`
	}
	if json.Unmarshal(args, &m) == nil {
		return m.Query
	}
	return ""
}

// searchTurn runs the client tool searches of one turn, after its function
// calls (err is what executing them returned), and returns the search
// records (nil when there is no searcher) and the turn's error.
func (r *runner) searchTurn(ctx context.Context, searches []SearchRecord, err error) ([]SearchRecord, error) {
	if r.opts.ToolSearch == nil {
		return nil, fmt.Errorf("%w (call_id %q)", ErrNoToolSearch, searches[0].Call.CallID)
	}
	for i := range searches {
		if ctxErr := ctx.Err(); ctxErr != nil {
			searches[i].Err = ctxErr
			continue
		}
		r.search(ctx, &searches[i])
	}
	if err == nil {
		for _, s := range searches {
			if s.Err != nil && ctx.Err() != nil && errors.Is(s.Err, ctx.Err()) {
				err = fmt.Errorf("responses: tool search: %w", s.Err)
				break
			}
		}
	}
	return searches, err
}

// search runs one tool search and fills in its record.
func (r *runner) search(ctx context.Context, s *SearchRecord) {
	start := time.Now()
	tools, err := r.opts.ToolSearch.Search(ctx, s.Call)
	s.Duration = time.Since(start)
	s.Tools, s.Err = tools, err
	if err != nil {
		s.Tools = nil
	}
	r.log.Debug("tool search", "call_id", s.Call.CallID, "tools", len(s.Tools), "duration", s.Duration, "ok", err == nil)
}

// mergeSearches puts the search records among the call records in the
// order their calls had in the response.
func mergeSearches(records []CallRecord, searches []SearchRecord) []CallRecord {
	out := make([]CallRecord, 0, len(records)+len(searches))
	next := 0
	for i := range searches {
		for next < len(records) && next < searches[i].at {
			out = append(out, records[next])
			next++
		}
		out = append(out, CallRecord{Call: Call{CallID: searches[i].Call.CallID, ItemID: searches[i].Call.ItemID}, Err: searches[i].Err, Search: &searches[i]})
	}
	return append(out, records[next:]...)
}

// rerunSearch runs an interrupted pending search again (see Resume).
func (r *runner) rerunSearch(ctx context.Context, rec CallRecord) CallRecord {
	if r.opts.ToolSearch == nil {
		return rec
	}
	s := *rec.Search
	r.search(ctx, &s)
	rec.Search, rec.Err = &s, s.Err
	return rec
}

// searchOutputItem builds the tool_search_output item answering a search.
func searchOutputItem(s *SearchRecord) oai.ResponseInputItemUnionParam {
	tools := make([]json.RawMessage, 0, len(s.Tools))
	for _, t := range s.Tools {
		b, err := json.Marshal(t)
		if err != nil {
			continue // a tool the SDK cannot encode would make the request invalid
		}
		tools = append(tools, b)
	}
	item := struct {
		Type      string            `json:"type"`
		CallID    string            `json:"call_id"`
		Execution string            `json:"execution"`
		Status    string            `json:"status"`
		Tools     []json.RawMessage `json:"tools"`
	}{"tool_search_output", s.Call.CallID, "client", "completed", tools}
	b, _ := json.Marshal(item) // only strings and valid JSON
	return param.Override[oai.ResponseInputItemUnionParam](json.RawMessage(b))
}
