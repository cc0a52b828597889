package responses

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/param"
	oai "github.com/openai/openai-go/v3/responses"
)

// Run drives the loop: it creates a response from params with the tools of
// the turn's Toolbox, runs the function calls of the response with that
// Toolbox's Executor and sends their outputs back,
// until a response calls no function or opts.MaxIterations responses were
// created.
//
// Every parameter of params is sent on every turn as the caller set it
// (model, instructions, tools plus the Toolbox's, temperature, reasoning,
// metadata, tool_choice, ...); the first turn sends params.Input and later
// turns send the function_call_output items, one per call in call order,
// with previous_response_id set to the response they answer. Instructions
// and tools are resent each turn because previous_response_id does not
// carry them over.
//
// When params.Store is false the API keeps nothing to chain to, so each
// turn resends the whole conversation instead: the input, every output
// item (reasoning items only when they carry encrypted_content, which
// needs include: ["reasoning.encrypted_content"]) and every output. When
// params.Conversation is set the conversation holds the items, and turns
// send only the new outputs without previous_response_id.
//
// Run returns a non-nil Result also with an error: the turns so far, the
// last completed response and the outputs not delivered (see Resume). API
// failures are *APIError values; the caller's context ends the run early
// with the context's error.
func Run(ctx context.Context, api API, params oai.ResponseNewParams, tools ToolSource, opts Options) (*Result, error) {
	return observed(ctx, api, params, nil, tools, opts)
}

// Resume continues a run that stopped early (an API error, the iteration
// limit, a cancelled context) from from, usually result.ResumePoint(). It
// sends the pending outputs first, chained to from.PreviousResponseID,
// without running their tools again (calls interrupted by a cancelled
// context are run again), then goes on like Run with a fresh iteration
// budget. params must be the ones of the original run. With no pending
// outputs, Resume sends params.Input like Run, chained to
// from.PreviousResponseID when it is set.
func Resume(ctx context.Context, api API, params oai.ResponseNewParams, from ResumePoint, tools ToolSource, opts Options) (*Result, error) {
	return observed(ctx, api, params, &from, tools, opts)
}

// observed wraps a run in the Observer's run span.
func observed(ctx context.Context, api API, params oai.ResponseNewParams, from *ResumePoint, tools ToolSource, opts Options) (*Result, error) {
	obs := opts.Observer
	if obs == nil {
		return run(ctx, api, params, from, tools, opts, nil)
	}
	ctx = obs.StartRun(ctx, &params)
	res, err := run(ctx, api, params, from, tools, opts, nil)
	obs.EndRun(ctx, res, err)
	return res, err
}

type mode int

const (
	modeChain        mode = iota // previous_response_id chaining
	modeConversation             // the conversation object holds the items
	modeStateless                // store: false, resend everything
)

type runner struct {
	api  API
	src  ToolSource
	opts Options // normalised by NewLoop
	log  *slog.Logger
	loop *Loop // the run's decisions

	hookMu sync.Mutex // serializes BeforeCall, AfterCall and Approve

	// exec runs the calls of the current turn (from its Toolbox).
	exec Executor
	// collect, when set, gets the records of a completed response's calls
	// instead of execute (Stream: calls already started while streaming).
	collect func(ctx context.Context, calls []Call) ([]CallRecord, error)
}

// run drives a Loop from this goroutine; setup, when not nil, adjusts the
// runner first (Stream).
func run(ctx context.Context, api API, params oai.ResponseNewParams, from *ResumePoint, src ToolSource, opts Options, setup func(*runner)) (*Result, error) {
	if api == nil {
		return &Result{}, errors.New("responses: nil API")
	}
	if src == nil {
		return &Result{}, errors.New("responses: nil ToolSource")
	}
	if opts.Observer == nil {
		opts.Observer = NopObserver{}
	}
	l := NewLoop(params, from, opts)
	r := &runner{api: api, src: src, opts: l.opts, log: opts.Logger, loop: l}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if setup != nil {
		setup(r)
	}
	res := l.Result()
	if len(l.pending) > 0 {
		pending, err := r.rerunInterrupted(ctx, l.pending)
		l.pending = pending
		if err != nil {
			return res, l.Stop(err)
		}
	}

	for {
		turnNo, err := l.Next()
		if err != nil {
			r.log.Debug("iteration limit reached", "limit", r.opts.MaxIterations)
			return res, err
		}
		tctx := r.opts.Observer.StartTurn(ctx, turnNo)
		endTurn := func(t *Turn, err error) error {
			r.opts.Observer.EndTurn(tctx, turnNo, t, err)
			return err
		}
		box, err := r.src.Toolbox(tctx)
		if err == nil && box.Exec == nil {
			err = errNoExecutor
		}
		if err != nil {
			return res, endTurn(nil, l.Stop(fmt.Errorf("responses: tools: %w", err)))
		}
		r.exec = box.Exec // this turn's calls, eager ones included, run with it
		body, err := l.Request(box.Tools)
		if err != nil {
			return res, endTurn(nil, err)
		}

		r.log.Debug("creating response", "turn", turnNo, "outputs", len(l.pending), "previous_response_id", body.PreviousResponseID.Value)
		resp, err := r.api.New(tctx, body, r.opts.RequestOptions...)
		if err != nil {
			return res, endTurn(nil, l.Stop(r.requestError(tctx, turnNo, err)))
		}
		step, err := l.Response(resp)
		if err != nil {
			if resp != nil {
				r.log.Debug("response not usable", "turn", turnNo, "response_id", resp.ID, "status", resp.Status)
			}
			return res, endTurn(nil, err)
		}
		r.log.Debug("response", "turn", turnNo, "response_id", resp.ID, "function_calls", len(step.Calls))
		if step.Done {
			t := res.Turns[len(res.Turns)-1]
			return res, endTurn(&t, nil)
		}
		records, err := r.runCalls(tctx, step.Calls)
		searches := step.Searches
		if len(searches) > 0 {
			searches, err = r.searchTurn(tctx, searches, err)
		}
		turn := l.EndTurn(records, searches)
		if endTurn(&turn, err) != nil {
			return res, l.Stop(err)
		}
	}
}

// runCalls runs the calls of a completed response with the turn's executor,
// or collects them when a stream started them already.
func (r *runner) runCalls(ctx context.Context, calls []Call) ([]CallRecord, error) {
	if r.collect != nil {
		return r.collect(ctx, calls)
	}
	return r.execute(ctx, r.exec, calls)
}

// withTools appends a turn's tools to the caller's without touching the
// caller's slice. A name given on both sides, or a second tool_search tool,
// is ErrToolConflict: the API would refuse the whole request.
func withTools(base, extra []oai.ToolUnionParam) ([]oai.ToolUnionParam, error) {
	if len(extra) == 0 {
		return base, nil
	}
	if len(base) > 0 {
		mine := make(map[string]bool, len(base))
		for _, t := range base {
			if n := toolKey(t); n != "" {
				mine[n] = true
			}
		}
		for _, t := range extra {
			switch n := toolKey(t); {
			case n == searchKey && mine[n]:
				return nil, fmt.Errorf("%w: params.Tools has a tool_search tool and so do the tool source's tools", ErrToolConflict)
			case n != "" && mine[n]:
				return nil, fmt.Errorf("%w: %q is in params.Tools and in the tool source's tools", ErrToolConflict, n)
			}
		}
	}
	out := make([]oai.ToolUnionParam, 0, len(base)+len(extra))
	return append(append(out, base...), extra...), nil
}

// searchKey stands for the tool_search tool in toolKey; it cannot clash
// with a function or namespace, whose names have no spaces.
const searchKey = "tool search"

// toolKey is the name a tool occupies in a request: a function's or a
// namespace's name (they share one space), searchKey for tool_search, ""
// for the others.
func toolKey(t oai.ToolUnionParam) string {
	switch {
	case t.OfFunction != nil:
		return t.OfFunction.Name
	case t.OfNamespace != nil:
		return t.OfNamespace.Name
	case t.OfToolSearch != nil:
		return searchKey
	}
	return ""
}

// requestError turns an error of api.New into the run's error.
func (r *runner) requestError(ctx context.Context, turn int, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		return fmt.Errorf("responses: turn %d: %w", turn, err)
	}
	var sdkErr *openai.Error
	if errors.As(err, &sdkErr) {
		r.log.Debug("API error", "turn", turn, "http_status", sdkErr.StatusCode, "code", sdkErr.Code)
		return &APIError{HTTPStatus: sdkErr.StatusCode, Code: sdkErr.Code, Message: sdkErr.Message, Err: err}
	}
	return fmt.Errorf("responses: turn %d: create response: %w", turn, err)
}

// statusError reports a 200 response the loop cannot continue from.
func statusError(resp *oai.Response) error {
	switch resp.Status {
	case "", oai.ResponseStatusCompleted:
		return nil
	case oai.ResponseStatusFailed:
		return &APIError{
			ResponseID: resp.ID, Status: string(resp.Status), HTTPStatus: 200,
			Code: string(resp.Error.Code), Message: resp.Error.Message, Err: ErrResponseFailed,
		}
	case oai.ResponseStatusIncomplete:
		reason := resp.IncompleteDetails.Reason
		return &APIError{
			ResponseID: resp.ID, Status: string(resp.Status), HTTPStatus: 200,
			Code: reason, Message: "response incomplete: " + reason, Err: ErrResponseIncomplete,
		}
	default:
		return &APIError{
			ResponseID: resp.ID, Status: string(resp.Status), HTTPStatus: 200,
			Message: "the loop cannot continue from a response with status " + string(resp.Status) +
				" (background responses are not supported)",
			Err: ErrResponseStatus,
		}
	}
}

func usageOf(resp *oai.Response) Usage {
	u := resp.Usage
	return Usage{
		InputTokens:     u.InputTokens,
		OutputTokens:    u.OutputTokens,
		TotalTokens:     u.TotalTokens,
		CachedTokens:    u.InputTokensDetails.CachedTokens,
		ReasoningTokens: u.OutputTokensDetails.ReasoningTokens,
	}
}

// inputItems turns the first turn's input into items (for store: false).
func inputItems(in oai.ResponseNewParamsInputUnion) []oai.ResponseInputItemUnionParam {
	if in.OfString.Valid() {
		return []oai.ResponseInputItemUnionParam{
			oai.ResponseInputItemParamOfMessage(in.OfString.Value, oai.EasyInputMessageRoleUser),
		}
	}
	return append([]oai.ResponseInputItemUnionParam(nil), in.OfInputItemList...)
}

// outputAsInput turns a response's output items into input items, as sent
// by the API, for store: false runs. Reasoning items without
// encrypted_content cannot be sent back (the API kept nothing to find them
// by) and are left out.
func outputAsInput(items []oai.ResponseOutputItemUnion) []oai.ResponseInputItemUnionParam {
	out := make([]oai.ResponseInputItemUnionParam, 0, len(items))
	for _, item := range items {
		if item.Type == "reasoning" && item.EncryptedContent == "" {
			continue
		}
		raw := item.RawJSON()
		if raw == "" {
			b, err := json.Marshal(item)
			if err != nil {
				continue
			}
			raw = string(b)
		}
		out = append(out, param.Override[oai.ResponseInputItemUnionParam](json.RawMessage(raw)))
	}
	return out
}

// outputItems builds the function_call_output items for records, in order.
func outputItems(records []CallRecord) []oai.ResponseInputItemUnionParam {
	if len(records) == 0 {
		return nil
	}
	out := make([]oai.ResponseInputItemUnionParam, len(records))
	for i, rec := range records {
		if rec.Search != nil {
			out[i] = searchOutputItem(rec.Search)
			continue
		}
		if rec.Call.Hosted != "" {
			out[i] = approvalItem(rec)
			continue
		}
		var item oai.ResponseInputItemUnionParam
		if len(rec.Output.Parts) == 0 {
			item = oai.ResponseInputItemParamOfFunctionCallOutput(rec.Output.Text)
		} else {
			item = oai.ResponseInputItemParamOfFunctionCallOutput(partsParam(rec.Output.Parts))
		}
		// The SDK helper leaves call_id empty; the API needs it to pair
		// the output with its call.
		item.OfFunctionCallOutput.CallID = openai.String(rec.Call.CallID)
		out[i] = item
	}
	return out
}

func partsParam(parts []Part) oai.ResponseFunctionCallOutputItemListParam {
	out := make(oai.ResponseFunctionCallOutputItemListParam, 0, len(parts))
	for _, p := range parts {
		switch p.Type {
		case PartImage:
			img := &oai.ResponseInputImageContentParam{ImageURL: openai.String(p.ImageURL)}
			out = append(out, oai.ResponseFunctionCallOutputItemUnionParam{OfInputImage: img})
		case PartFile:
			f := &oai.ResponseInputFileContentParam{}
			if p.FileURL != "" {
				f.FileURL = openai.String(p.FileURL)
			} else {
				f.FileData = openai.String(p.FileData)
			}
			if p.Filename != "" {
				f.Filename = openai.String(p.Filename)
			}
			out = append(out, oai.ResponseFunctionCallOutputItemUnionParam{OfInputFile: f})
		default:
			out = append(out, oai.ResponseFunctionCallOutputItemUnionParam{
				OfInputText: &oai.ResponseInputTextContentParam{Text: p.Text},
			})
		}
	}
	return out
}
