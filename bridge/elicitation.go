package bridge

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
)

// elicitFunc answers a server's elicitation/create request (see
// WithElicitation).
type elicitFunc = func(ctx context.Context, server string, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error)

// WithElicitation answers the servers' elicitation requests with f, which
// declares the elicitation capability (form and URL mode) to every server.
// Without it the capability is not declared, and a server that asks
// anyway is refused. A Server whose Config.OnElicitation is set keeps its
// own handler. It takes effect in [New] (and the one-shot [Run]).
//
// The handler answers a server's elicitation/create request: the server
// asks the person behind the program for input while one of its tools
// runs. req.Params.Mode is "form" (or empty, meaning form: fill in the
// fields of req.Params.RequestedSchema) or "url" (open req.Params.URL;
// accepting means the person agreed to, the server learns the outcome on
// its own side). The reply's Action is accept (Content holds the form's
// values; none for URL mode), decline or cancel.
//
// It runs while the tool call waits, so the call's timeout
// ([WithCallTimeout]) bounds the person's answer too, and ctx ends with
// the call. For a per-user server ([UserSessions]), [CredentialsFrom] on
// ctx names the user whose session the request came on. It may be called
// from several goroutines at once (one per call waiting).
func WithElicitation(f func(ctx context.Context, server string, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error)) Option {
	return bridgeOption(func(c *config) { c.elicit = f })
}

// elicitHandler wraps the program's elicitFunc so that a reply the
// server could not use is reported to the program's side as an error
// naming the server, rather than sent.
func elicitHandler(f elicitFunc) func(ctx context.Context, server string, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	return func(ctx context.Context, server string, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
		res, err := f(ctx, server, req)
		if err != nil {
			return nil, err
		}
		if res == nil {
			return nil, fmt.Errorf("bridge: elicitation handler gave server %q no reply", server)
		}
		switch res.Action {
		case mcp.ElicitationResponseActionAccept, mcp.ElicitationResponseActionDecline, mcp.ElicitationResponseActionCancel:
		default:
			return nil, fmt.Errorf("bridge: elicitation handler gave server %q action %q (want accept, decline or cancel)", server, res.Action)
		}
		if res.Action != mcp.ElicitationResponseActionAccept || req.Params.Mode == mcp.ElicitationModeURL {
			res.Content = nil // only an accepted form carries values
		}
		return res, nil
	}
}
