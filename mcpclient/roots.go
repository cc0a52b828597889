package mcpclient

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// ErrRootsNotDeclared is returned by SetRoots on a Client connected with a
// nil Config.Roots: the roots capability is fixed by the handshake, so a
// server that was told "no roots" cannot be given some later.
var ErrRootsNotDeclared = errors.New("mcpclient: roots capability not declared (Config.Roots was nil)")

// extState is what a Client keeps for the client-side features beyond
// tools: it outlives sessions, so a reconnected session gets the same
// roots, log level and subscriptions.
type extState struct {
	mu       sync.Mutex
	rootsOn  bool
	roots    []mcp.Root
	logLevel mcp.LoggingLevel
	subs     map[string]bool // subscribed resource URIs
}

func (e *extState) init(cfg Config) {
	e.rootsOn = cfg.Roots != nil
	e.roots = slices.Clone(cfg.Roots)
	e.logLevel = cfg.LogLevel
}

// capabilityOptions returns the mcp-go options that declare exactly the
// capabilities this Client implements: sampling only with OnSampling (and
// sampling.tools with SamplingTools), roots only with Config.Roots
// (elicitation is declared by OnElicitation), plus extensions. They are
// declared in one set: mcp-go keeps only the last one given.
func (c *Client) capabilityOptions(extensions map[string]any) []client.ClientOption {
	var opts []client.ClientOption
	var caps mcp.ClientCapabilities
	declare := false
	if c.cfg.OnSampling != nil {
		opts = append(opts, client.WithSamplingHandler(samplingFunc{server: c.cfg.Name, tools: c.cfg.SamplingTools, fn: c.cfg.OnSampling}))
		if c.cfg.SamplingTools {
			caps.Sampling = &mcp.SamplingCapability{Tools: &struct{}{}}
			declare = true
		}
	}
	if c.ext.rootsOn {
		opts = append(opts, client.WithRootsHandler(rootsFunc{c: c}))
	}
	if c.cfg.OnElicitation != nil {
		// mcp-go declares an empty elicitation capability, which means form
		// mode only; OnElicitation is handed URL requests too.
		caps.Elicitation = &mcp.ElicitationCapability{Form: &struct{}{}, URL: &struct{}{}}
		declare = true
	}
	if extensions != nil {
		caps.Extensions = extensions
		declare = true
	}
	if declare {
		opts = append(opts, client.WithClientCapabilities(caps))
	}
	return opts
}

// afterHandshake restores the per-connection state a new session needs:
// the log level and the resource subscriptions. Failures are logged; the
// session stays usable.
func (c *Client) afterHandshake(ctx context.Context, s *session) {
	c.ext.mu.Lock()
	level := c.ext.logLevel
	subs := make([]string, 0, len(c.ext.subs))
	for uri := range c.ext.subs {
		subs = append(subs, uri)
	}
	c.ext.mu.Unlock()
	if level != "" && s.info.Capabilities.Logging != nil {
		if err := setLevel(ctx, s, level); err != nil {
			c.cfg.Logger.Warn("mcp server refused logging/setLevel", "server", c.cfg.Name, "level", string(level), "err", err)
		}
	}
	slices.Sort(subs)
	for _, uri := range subs {
		if err := subscribe(ctx, s, uri, true); err != nil {
			c.cfg.Logger.Warn("mcp server refused a resubscription", "server", c.cfg.Name, "uri", uri, "err", err)
		}
	}
}

// Roots returns the roots the Client answers roots/list with (nil when the
// capability was not declared).
func (c *Client) Roots() []mcp.Root {
	c.ext.mu.Lock()
	defer c.ext.mu.Unlock()
	if !c.ext.rootsOn {
		return nil
	}
	return slices.Clone(c.ext.roots)
}

// SetRoots replaces the roots and sends notifications/roots/list_changed,
// after which the server asks for them again. It fails with
// ErrRootsNotDeclared when Config.Roots was nil at Connect. When the
// connection is down the notification is not sent: the next session asks
// for the roots anyway.
func (c *Client) SetRoots(ctx context.Context, roots []mcp.Root) error {
	c.ext.mu.Lock()
	if !c.ext.rootsOn {
		c.ext.mu.Unlock()
		return c.newError(OpRoots, "", ErrRootsNotDeclared, nil)
	}
	c.ext.roots = slices.Clone(roots)
	c.ext.mu.Unlock()

	c.mu.Lock()
	s := c.sess
	c.mu.Unlock()
	if s == nil || !s.alive() {
		return nil
	}
	if err := s.mc.RootListChanges(ctx); err != nil {
		return c.newError(OpRoots, "", err, nil)
	}
	return nil
}

// rootsFunc answers roots/list from the Client's current roots.
type rootsFunc struct{ c *Client }

func (r rootsFunc) ListRoots(context.Context, mcp.ListRootsRequest) (*mcp.ListRootsResult, error) {
	roots := r.c.Roots()
	if roots == nil {
		roots = []mcp.Root{}
	}
	return &mcp.ListRootsResult{Roots: roots}, nil
}

// inProcessHandlers gives an in-process server the same handlers a remote
// server reaches through mcp-go's client.
func (c *Client) inProcessHandlers() inProcessHandlers {
	var h inProcessHandlers
	if c.cfg.OnSampling != nil {
		h.sampling = samplingFunc{server: c.cfg.Name, tools: c.cfg.SamplingTools, fn: c.cfg.OnSampling}
	}
	if c.cfg.OnElicitation != nil {
		h.elicitation = elicitationFunc{server: c.cfg.Name, fn: c.cfg.OnElicitation}
	}
	if c.ext.rootsOn {
		h.roots = rootsFunc{c: c}
	}
	return h
}
