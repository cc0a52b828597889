package mcpclient

// A task of the 2026-07-28 tasks extension that waits on the client
// (status input_required) lists what it needs in inputRequests:
// elicitation, sampling or roots requests keyed by ids of the server's
// choosing. The client answers them with the handlers it declared (the
// same ones that serve these requests outside tasks) and delivers the
// answers with tasks/update; the task's state is then read by polling
// again. mcp-go has no method for tasks/update, so it is sent on the
// session's transport with the request envelope 2026-07-28 asks for.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// maxTaskInputs bounds the input requests one task may make of the client
// over its whole life: each one may be a question to a person.
const maxTaskInputs = 16

// taskUpdateSeq numbers the tasks/update requests; their ids are strings,
// apart from mcp-go's numeric ones.
var taskUpdateSeq atomic.Int64

// answerTaskInput answers the requests of cur.InputRequests not answered
// yet (answered holds their ids) and sends the answers with tasks/update.
func (c *Client) answerTaskInput(ctx context.Context, t *taskCall, cur wireTask, answered map[string]bool) error {
	var reqs mcp.InputRequests
	if err := json.Unmarshal(cur.InputRequests, &reqs); err != nil {
		return fmt.Errorf("task %s asks for input the client cannot read: %w", t.id, err)
	}
	ids := make([]string, 0, len(reqs))
	for id := range reqs {
		if !answered[id] {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil // answered already; the server has not moved on yet
	}
	if len(answered)+len(ids) > maxTaskInputs {
		return fmt.Errorf("task %s asks for more than %d inputs", t.id, maxTaskInputs)
	}
	slices.Sort(ids) // one question at a time, in a stable order
	responses := make(mcp.InputResponses, len(ids))
	for _, id := range ids {
		resp, err := c.fulfilTaskInput(ctx, reqs[id])
		if err != nil {
			return fmt.Errorf("task %s: input request %q: %w", t.id, id, err)
		}
		responses[id] = resp
	}
	if err := c.sendTaskUpdate(ctx, t, responses); err != nil {
		return err
	}
	for _, id := range ids {
		answered[id] = true
	}
	return nil
}

// fulfilTaskInput answers one input request with the handler configured
// for its method; without one, the task cannot go on.
func (c *Client) fulfilTaskInput(ctx context.Context, r mcp.InputRequest) (mcp.InputResponse, error) {
	switch {
	case r.Method == mcp.MethodElicitationCreate && r.Elicitation != nil:
		if c.cfg.OnElicitation == nil {
			return mcp.InputResponse{}, errors.New("elicitation/create, but no elicitation handler is configured (Config.OnElicitation)")
		}
		res, err := c.cfg.OnElicitation(ctx, c.cfg.Name, mcp.ElicitationRequest{
			Request: mcp.Request{Method: string(mcp.MethodElicitationCreate)}, Params: *r.Elicitation})
		if err != nil {
			return mcp.InputResponse{}, err
		}
		return mcp.NewElicitationInputResponse(*res), nil
	case r.Method == mcp.MethodSamplingCreateMessage && r.Sampling != nil:
		if c.cfg.OnSampling == nil {
			return mcp.InputResponse{}, errors.New("sampling/createMessage, but no sampling handler is configured (Config.OnSampling)")
		}
		res, err := samplingFunc{server: c.cfg.Name, tools: c.cfg.SamplingTools, fn: c.cfg.OnSampling}.CreateMessage(ctx, mcp.CreateMessageRequest{
			Request: mcp.Request{Method: string(mcp.MethodSamplingCreateMessage)}, CreateMessageParams: *r.Sampling})
		if err != nil {
			return mcp.InputResponse{}, err
		}
		return mcp.NewSamplingInputResponse(*res), nil
	case r.Method == mcp.MethodListRoots:
		if !c.ext.rootsOn {
			return mcp.InputResponse{}, errors.New("roots/list, but no roots are configured (Config.Roots)")
		}
		res, _ := rootsFunc{c: c}.ListRoots(ctx, mcp.ListRootsRequest{})
		return mcp.NewRootsInputResponse(*res), nil
	}
	return mcp.InputResponse{}, fmt.Errorf("%q, which the client does not answer", r.Method)
}

// sendTaskUpdate delivers responses to t with tasks/update, carrying the
// _meta envelope and the Mcp-Method and Mcp-Name headers of 2026-07-28.
func (c *Client) sendTaskUpdate(ctx context.Context, t *taskCall, responses mcp.InputResponses) error {
	meta := &mcp.Meta{}
	meta.SetProtocolVersion(t.s.info.ProtocolVersion)
	meta.SetClientCapabilities(t.s.mc.GetClientCapabilities())
	meta.SetClientInfo(mcp.Implementation{Name: clientName, Version: clientVersion})
	params := map[string]any{"taskId": t.id, "inputResponses": responses, "_meta": meta}
	header := http.Header{mcp.HeaderMethod: {"tasks/update"}}
	if h := t.nameHeader(); h != nil {
		header.Set(mcp.HeaderName, h.Get(mcp.HeaderName))
	}
	req := transport.JSONRPCRequest{
		JSONRPC: mcp.JSONRPC_VERSION,
		ID:      mcp.NewRequestId("mcpbridge-task-update-" + strconv.FormatInt(taskUpdateSeq.Add(1), 10)),
		Method:  "tasks/update",
		Params:  params,
		Header:  header,
	}
	resp, err := t.s.mc.GetTransport().SendRequest(ctx, req)
	if err == nil && resp.Error != nil {
		err = resp.Error.AsError()
	}
	if err != nil {
		return fmt.Errorf("task %s: tasks/update: %w", t.id, c.sessionCause(t.s, err))
	}
	return nil
}
