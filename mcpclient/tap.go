package mcpclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// rawSink receives the raw JSON result of the responses to one method
// sent with its context. mcp-go decodes results into typed structs that
// lose data (a tool's inputSchema keeps only type/properties/required/
// $defs/additionalProperties), so the tap below copies the raw result out
// before mcp-go sees it.
type rawSink struct {
	method string
	mu     sync.Mutex
	result json.RawMessage
	got    bool
}

type sinkKey struct{}

// withSink returns a context whose requests for method are recorded in the
// returned sink.
func withSink(ctx context.Context, method string) (context.Context, *rawSink) {
	s := &rawSink{method: method}
	return context.WithValue(ctx, sinkKey{}, s), s
}

func (s *rawSink) put(raw json.RawMessage) {
	s.mu.Lock()
	s.result = append(json.RawMessage(nil), raw...)
	s.got = true
	s.mu.Unlock()
}

// get returns the last recorded result, or nil.
func (s *rawSink) get() json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.got {
		return nil
	}
	return s.result
}

// tap wraps a transport: it records raw results into the sink carried by a
// request's context and passes everything else through.
type tap struct {
	transport.Interface
}

func (t *tap) SendRequest(ctx context.Context, req transport.JSONRPCRequest) (*transport.JSONRPCResponse, error) {
	resp, err := t.Interface.SendRequest(ctx, renamed(ctx, req))
	return t.record(ctx, req, resp, err)
}

// rename makes the tap send a request of one method (the carrier, one
// mcp-go has a call for) as another, with params added; see skillsRequest.
type rename struct {
	carrier, method string
	params          map[string]any
}

type renameKey struct{}

// withRename returns a context whose carrier requests go out as method.
func withRename(ctx context.Context, carrier, method string, params map[string]any) context.Context {
	return context.WithValue(ctx, renameKey{}, rename{carrier: carrier, method: method, params: params})
}

// renamed applies the rename of ctx to req, keeping its params (the
// 2026-07-28 _meta, a cursor) and its Mcp-Method header in step.
func renamed(ctx context.Context, req transport.JSONRPCRequest) transport.JSONRPCRequest {
	r, ok := ctx.Value(renameKey{}).(rename)
	if !ok || req.Method != r.carrier {
		return req
	}
	fields := map[string]any{}
	if req.Params != nil {
		if b, err := json.Marshal(req.Params); err == nil {
			var m map[string]json.RawMessage
			if json.Unmarshal(b, &m) == nil {
				for k, v := range m {
					fields[k] = v
				}
			}
		}
	}
	for k, v := range r.params {
		fields[k] = v
	}
	req.Method, req.Params = r.method, fields
	if req.Header.Get(mcp.HeaderMethod) != "" {
		req.Header = req.Header.Clone()
		req.Header.Set(mcp.HeaderMethod, r.method)
	}
	return req
}

// record spends the listing budget and fills the sink of ctx with resp.
func (t *tap) record(ctx context.Context, req transport.JSONRPCRequest, resp *transport.JSONRPCResponse, err error) (*transport.JSONRPCResponse, error) {
	if err == nil && resp != nil && resp.Error == nil {
		if b, ok := ctx.Value(budgetKey{}).(*listBudget); ok {
			if err := b.spend(len(resp.Result)); err != nil {
				return nil, err
			}
		}
		if s, ok := ctx.Value(sinkKey{}).(*rawSink); ok && s.method == req.Method {
			s.put(resp.Result)
		}
	}
	return resp, err
}

// listBudget bounds one listing over all its pages. Each page is bounded
// by MaxMessageBytes on its own, but a server can send pages without end
// (a new cursor each time); the pages of one listing may not add up to
// more than the same limit.
type listBudget struct {
	limit int
	used  atomic.Int64
}

type budgetKey struct{}

// withListBudget returns a context whose requests' results count against
// one budget of limit bytes.
func withListBudget(ctx context.Context, limit int) context.Context {
	return context.WithValue(ctx, budgetKey{}, &listBudget{limit: limit})
}

func (b *listBudget) spend(n int) error {
	if b.used.Add(int64(n)) > int64(b.limit) {
		return fmt.Errorf("%w: the pages of one listing came to more than %d bytes", ErrMessageTooLarge, b.limit)
	}
	return nil
}

// SetRequestHandler forwards to the wrapped transport when it takes
// requests from the server.
func (t *tap) SetRequestHandler(h transport.RequestHandler) {
	if b, ok := t.Interface.(transport.BidirectionalInterface); ok {
		b.SetRequestHandler(h)
	}
}

// httpTap is a tap over an HTTP transport. mcp-go's client changes
// behaviour on whether its transport is a transport.HTTPConnection (it
// then sets the Mcp-Protocol-Version header and does not send
// notifications/cancelled), so only HTTP transports get this wrapper.
type httpTap struct {
	*tap
	http   transport.HTTPConnection
	strays *strayResponses // nil but for streamable HTTP
	// discoverAnswered is set when server/discover got a result.
	discoverAnswered atomic.Bool
	// probeUnsent holds the error of a server/discover request that never
	// reached the server (see SendRequest).
	probeUnsent atomic.Pointer[error]
}

// SendRequest also takes the response from a GET stream (strays.go).
//
// mcp-go falls back to the initialize handshake on any failure of the
// server/discover probe. When the probe's HTTP request itself failed (an
// authorization grant refused, a DPoP or network error: *url.Error), the
// server never answered, so it is not known to be of a handshake version,
// and initialize would only repeat the failure: a refused grant would be
// tried twice. So when the server answered 401: the answer is about
// authorization, not the protocol. Initialize then fails at once with the
// probe's error.
func (t *httpTap) SendRequest(ctx context.Context, req transport.JSONRPCRequest) (resp *transport.JSONRPCResponse, err error) {
	switch req.Method {
	case string(mcp.MethodServerDiscover):
		defer func() {
			if err == nil && resp != nil && resp.Error == nil {
				t.discoverAnswered.Store(true)
			}
			if probeFailedBeforeTheProtocol(err) {
				t.probeUnsent.Store(&err)
			}
		}()
	case string(mcp.MethodInitialize):
		if perr := t.probeUnsent.Load(); perr != nil {
			return nil, *perr
		}
	}
	if t.strays == nil {
		return t.tap.SendRequest(ctx, req)
	}
	resp, err = t.strays.sendOrStray(ctx, renamed(ctx, req), t.Interface.SendRequest)
	return t.record(ctx, req, resp, err)
}

// probeFailedBeforeTheProtocol reports whether err, the failure of a
// server/discover request, says nothing of the server's protocol version:
// the request was never answered, or was answered 401.
func probeFailedBeforeTheProtocol(err error) bool {
	var ue *url.Error
	var auth *transport.AuthorizationRequiredError
	var oauthAuth *transport.OAuthAuthorizationRequiredError
	return errors.As(err, &ue) || errors.As(err, &auth) || errors.As(err, &oauthAuth)
}

// probeSpoiled reports whether the server answered server/discover with a
// result (which mcp-go then found was no discovery result): mcp-go's
// transport takes such an answer for a 2026-07-28 session and never opens
// the standalone GET stream, so a session that fell back to the handshake
// after it would hear nothing outside of requests.
func (t *httpTap) probeSpoiled() bool { return t.discoverAnswered.Load() }

// SetProtocolVersion forwards the negotiated version.
func (t *httpTap) SetProtocolVersion(version string) { t.http.SetProtocolVersion(version) }

// RequiresLegacyProtocol is false: mcp-go's streamable HTTP transport
// rules out 2026-07-28 when continuous listening is on, although it opens
// the GET stream only on a session of a handshake version. Connect turns
// listening on for the case the server turns out to be one.
func (t *httpTap) RequiresLegacyProtocol() bool { return false }

func wrapTransport(inner transport.Interface, strays *strayResponses) transport.Interface {
	base := &tap{Interface: inner}
	if h, ok := inner.(transport.HTTPConnection); ok {
		return &httpTap{tap: base, http: h, strays: strays}
	}
	return base
}
