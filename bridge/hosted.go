package bridge

// Hosted servers: a Server with Hosted set is not connected to. Each turn
// sends it as the Responses API's own mcp tool, which the API reaches from
// its side, and the run mixes its calls with the bridge's: the API's
// approval requests for it pass the run's approval policy (the server's
// AutoApprove list and WithApproval) as responses.Call values with Hosted
// set, and are denied when the call is not to a tool of the server as
// configured (AllowTools, DenyTools).

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/openai/openai-go/v3/packages/param"
	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/responses"
)

// hostedServer is one Server with Hosted set.
type hostedServer struct {
	srv   Server
	http  *HTTPTransport
	allow map[string]bool
	deny  map[string]bool
}

// exposes reports whether the server's config lets the model use tool.
func (h *hostedServer) exposes(tool string) bool {
	if h.deny[tool] {
		return false
	}
	return len(h.allow) == 0 || h.allow[tool]
}

// checkHosted rejects a hosted server the API could not reach as
// configured. Errors name the server and the field, never a value.
func checkHosted(s Server) error {
	t, ok := s.Transport.(*HTTPTransport)
	var problems []string
	switch {
	case !ok || t == nil:
		problems = append(problems, "Transport must be an HTTPTransport (the API reaches the server by its URL)")
	case t.SSE:
		problems = append(problems, "the API reaches servers over streamable HTTP, not the HTTP+SSE transport (SSE)")
	case t.URL == "":
		problems = append(problems, "the HTTP transport has no URL")
	case t.HTTPClient != nil:
		problems = append(problems, "HTTPClient cannot apply: the API makes the requests")
	case t.OAuth != nil && t.OAuth.TokenSource == nil:
		problems = append(problems, "OAuth must be a TokenSource (the program runs the flow and the token is sent as the tool's authorization)")
	}
	if s.PerUser != nil {
		problems = append(problems, "PerUser does not apply to a server the API reaches")
	}
	if s.Resources || s.Prompts {
		problems = append(problems, "Resources and Prompts need a connection of the bridge's own")
	}
	if s.OnElicitation != nil || s.OnSampling != nil || s.Roots != nil {
		problems = append(problems, "elicitation, sampling and roots need a connection of the bridge's own")
	}
	if len(problems) > 0 {
		return fmt.Errorf("bridge: hosted server %q: %s", s.Name, strings.Join(problems, "; "))
	}
	return nil
}

func newHostedServer(s Server) *hostedServer {
	h := &hostedServer{srv: s, http: s.Transport.(*HTTPTransport), deny: toSet(s.DenyTools)}
	if len(s.AllowTools) > 0 {
		h.allow = toSet(s.AllowTools)
	}
	return h
}

// hostedTools returns the mcp tools of the hosted servers for one turn:
// the API asks to approve every call not in AutoApprove (the run's policy,
// whoever drives the run, decides), and every call when a deny list can
// only be enforced by denying (no allow list to leave the tool out of). A
// server whose token cannot be had is left out of the turn, with a
// warning that names it.
func (b *Bridge) hostedTools(mode ToolSearchMode) []oai.ToolUnionParam {
	if len(b.hosted) == 0 {
		return nil
	}
	out := make([]oai.ToolUnionParam, 0, len(b.hosted))
	for _, h := range b.hosted {
		p, err := h.toolParam(mode == ToolSearchHosted)
		if err != nil {
			b.log.Warn("hosted mcp server left out of the turn", "server", h.srv.Name, "error", err)
			continue
		}
		out = append(out, oai.ToolUnionParam{OfMcp: p})
	}
	return out
}

// toolParam is the server's mcp tool. Its headers and token go to the API
// in the request body only; nothing here logs them.
func (h *hostedServer) toolParam(deferred bool) (*oai.ToolMcpParam, error) {
	p := &oai.ToolMcpParam{ServerLabel: h.srv.Name, ServerURL: param.NewOpt(h.http.URL)}
	if h.srv.Description != "" {
		p.ServerDescription = param.NewOpt(h.srv.Description)
	}
	for k, v := range h.http.Headers {
		if http.CanonicalHeaderKey(k) == "Authorization" {
			if tok, ok := strings.CutPrefix(v, "Bearer "); ok && tok != "" {
				p.Authorization = param.NewOpt(tok) // the tool's own field for a bearer token
				continue
			}
		}
		if p.Headers == nil {
			p.Headers = make(map[string]string, len(h.http.Headers))
		}
		p.Headers[k] = v
	}
	if o := h.http.OAuth; o != nil && o.TokenSource != nil {
		tok, err := o.TokenSource.Token()
		if err != nil {
			return nil, &mcpclient.Error{Server: h.srv.Name, Op: mcpclient.OpHandshake, Err: errors.New("OAuth TokenSource: " + redactedCause(err))}
		}
		p.Authorization = param.NewOpt(tok.AccessToken)
	}
	if len(h.srv.AllowTools) > 0 {
		allowed := make([]string, 0, len(h.srv.AllowTools))
		for _, t := range h.srv.AllowTools {
			if !h.deny[t] {
				allowed = append(allowed, t)
			}
		}
		p.AllowedTools = oai.ToolMcpAllowedToolsUnionParam{OfMcpAllowedTools: allowed}
	}
	p.RequireApproval = h.requireApproval()
	if deferred && !slices.Contains(h.srv.AlwaysLoad, allTools) {
		p.DeferLoading = param.NewOpt(true)
	}
	return p, nil
}

// requireApproval says which calls the API is to have approved: all but
// the AutoApprove ones, whatever the run's hook (a durable run's approvals
// are the workflow's), and every call when a deny list has no allow list
// beside it (answering no is then the only way to stop a denied tool).
// A run without an approval policy approves the requests at once: one
// more request per call, which AutoApprove "*" saves.
func (h *hostedServer) requireApproval() oai.ToolMcpRequireApprovalUnionParam {
	setting := func(s string) oai.ToolMcpRequireApprovalUnionParam {
		return oai.ToolMcpRequireApprovalUnionParam{OfMcpToolApprovalSetting: param.NewOpt(s)}
	}
	denyByAnswer := len(h.deny) > 0 && len(h.allow) == 0
	switch {
	case denyByAnswer:
		return setting("always")
	case slices.Contains(h.srv.AutoApprove, allTools):
		return setting("never")
	}
	var never []string
	for _, t := range h.srv.AutoApprove {
		if h.exposes(t) {
			never = append(never, t)
		}
	}
	if len(never) == 0 {
		return setting("always")
	}
	return oai.ToolMcpRequireApprovalUnionParam{OfMcpToolApprovalFilter: &oai.ToolMcpRequireApprovalMcpToolApprovalFilterParam{
		Never: oai.ToolMcpRequireApprovalMcpToolApprovalFilterNeverParam{ToolNames: never},
	}}
}

// hostedRoute is where a hosted call's approval request goes: the hosted
// server of its label and the tool, when the server's config exposes it;
// nil otherwise (the loop then denies it).
func (b *Bridge) hostedRoute(call Call) *hostedServer {
	for _, h := range b.hosted {
		if h.srv.Name == call.Hosted {
			if call.Name == "" || !h.exposes(call.Name) {
				return nil
			}
			return h
		}
	}
	return nil
}

// redactedCause is the text of a token source's error without anything
// that looks like a token.
func redactedCause(err error) string {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	return hostedSecretLike.ReplaceAllString(msg, "[redacted]")
}

// hostedSecretLike matches what could be a token in an error's text.
var hostedSecretLike = regexp.MustCompile(`[A-Za-z0-9_\-.~+/=]{20,}`)

// errHostedExecuted: the loop never executes a hosted call; an Executor
// asked to is being misused.
var errHostedExecuted = errors.New("a call of a hosted server runs on the API's side, not through the bridge")

// hostedRouteOf is the responses.Route of a hosted call the server exposes.
func hostedRouteOf(h *hostedServer, call Call) responses.Route {
	return responses.Route{Server: h.srv.Name, Tool: call.Name}
}
