package mcpclient

// The server/discover probe on stdio. A server older than 2026-07-28
// answers it with an error, and the handshake follows at once; but one that
// ignores unknown methods would leave the client waiting for mcp-go's probe
// timeout on every connect. So the probe goes out with a ping right behind
// it, in one write: ping is the one request the handshake versions allow
// before initialize. A server that answers the ping but not the probe sent
// before it is older than 2026-07-28. The ping carries the probe's _meta,
// so a 2026-07-28 server that picks its era from the first request it reads
// (the TypeScript SDK's serveStdio does) still sees a modern one.

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

const (
	// stdioProbeTimeout bounds a probe answered by nothing at all, not
	// even the ping: a server that drops everything before initialize.
	stdioProbeTimeout = 10 * time.Second
	// probeGrace is how long the probe may still answer after the ping
	// did, besides four times the ping's round trip: a server that handles
	// requests concurrently may answer them out of order.
	probeGrace = 100 * time.Millisecond
)

// probeSeq numbers the probe pings; their ids are strings, apart from
// mcp-go's numeric ones.
var probeSeq atomic.Uint64

// probe sends the server/discover request req followed by a ping and
// returns the probe's reply, or a method-not-found error once the ping was
// answered and the probe was not within the grace.
func (t *stdioTransport) probe(ctx context.Context, req transport.JSONRPCRequest) (*transport.JSONRPCResponse, error) {
	discover, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("marshal request: %w", err)
	}
	var params struct {
		Meta json.RawMessage `json:"_meta,omitempty"`
	}
	if raw, err := json.Marshal(req.Params); err == nil {
		_ = json.Unmarshal(raw, &params)
	}
	ping := transport.JSONRPCRequest{
		JSONRPC: mcp.JSONRPC_VERSION,
		ID:      mcp.NewRequestId(fmt.Sprintf("mcpbridge-probe-%d", probeSeq.Add(1))),
		Method:  string(mcp.MethodPing),
	}
	if len(params.Meta) > 0 {
		ping.Params = params
	}
	pingLine, err := json.Marshal(ping)
	if err != nil {
		return nil, fmt.Errorf("marshal request: %w", err)
	}

	dKey, pKey := req.ID.String(), ping.ID.String()
	dCh, pCh := make(chan reply, 1), make(chan reply, 1)
	t.mu.Lock()
	t.pending[dKey] = dCh
	t.pending[pKey] = pCh
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		delete(t.pending, dKey)
		delete(t.pending, pKey)
		t.mu.Unlock()
	}()
	sent := time.Now()
	line := append(append(append(discover, '\n'), pingLine...), '\n')
	if err := t.write(ctx, line); err != nil {
		return nil, err
	}

	var grace <-chan time.Time
	for {
		select {
		case r := <-dCh:
			return r.resp, r.err
		case <-pCh:
			pCh = nil
			timer := time.NewTimer(probeGrace + 4*time.Since(sent))
			defer timer.Stop()
			grace = timer.C
		case <-grace:
			t.log.Debug("mcp server answered the ping but not server/discover; taking it for a handshake-version server", "server", t.server)
			return &transport.JSONRPCResponse{
				JSONRPC: mcp.JSONRPC_VERSION,
				ID:      req.ID,
				Error:   &mcp.JSONRPCErrorDetails{Code: mcp.METHOD_NOT_FOUND, Message: "server/discover unanswered"},
			}, nil
		case <-t.done:
			select {
			case r := <-dCh:
				return r.resp, r.err
			default:
			}
			return nil, t.deadErr
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
