package mcpclient

import (
	"context"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
)

// The operations of the client features beyond tools, as reported in
// *Error.
const (
	OpResources Op = "resources" // resources/list, resources/read, templates, subscriptions
	OpPrompts   Op = "prompts"   // prompts/list, prompts/get
	OpLogging   Op = "logging"   // logging/setLevel
	OpRoots     Op = "roots"     // notifications/roots/list_changed
)

// ErrNotSupported is returned by a method whose feature the server did not
// declare in its capabilities (for example ListResources on a server
// without resources).
var ErrNotSupported = errors.New("mcpclient: the server does not declare this capability")

// Capabilities returns the capabilities the server declared in its latest
// handshake.
func (c *Client) Capabilities() mcp.ServerCapabilities {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sess == nil {
		return mcp.ServerCapabilities{}
	}
	return c.sess.info.Capabilities
}

// ListResources lists every resource of the server, following nextCursor
// until the last page (a repeated cursor is an error).
func (c *Client) ListResources(ctx context.Context) ([]mcp.Resource, error) {
	var out []mcp.Resource
	err := c.do(ctx, OpResources, "", func(ctx context.Context, s *session) error {
		if s.info.Capabilities.Resources == nil {
			return ErrNotSupported
		}
		res, err := s.mc.ListResources(withListBudget(ctx, c.cfg.MaxMessageBytes), mcp.ListResourcesRequest{})
		if err != nil {
			return fmt.Errorf("resources/list: %w", err)
		}
		out = res.Resources
		return nil
	})
	return out, err
}

// ListResourceTemplates lists every resource template of the server,
// following nextCursor until the last page.
func (c *Client) ListResourceTemplates(ctx context.Context) ([]mcp.ResourceTemplate, error) {
	var out []mcp.ResourceTemplate
	err := c.do(ctx, OpResources, "", func(ctx context.Context, s *session) error {
		if s.info.Capabilities.Resources == nil {
			return ErrNotSupported
		}
		res, err := s.mc.ListResourceTemplates(withListBudget(ctx, c.cfg.MaxMessageBytes), mcp.ListResourceTemplatesRequest{})
		if err != nil {
			return fmt.Errorf("resources/templates/list: %w", err)
		}
		out = res.ResourceTemplates
		return nil
	})
	return out, err
}

// ReadResource reads the resource at uri (a listed resource or one made
// from a template) and returns its contents: text or base64 blobs.
func (c *Client) ReadResource(ctx context.Context, uri string) ([]mcp.ResourceContents, error) {
	var out []mcp.ResourceContents
	err := c.do(ctx, OpResources, "", func(ctx context.Context, s *session) error {
		if s.info.Capabilities.Resources == nil {
			return ErrNotSupported
		}
		req := mcp.ReadResourceRequest{}
		req.Params.URI = uri
		res, err := s.mc.ReadResource(ctx, req)
		if err != nil {
			return fmt.Errorf("resources/read %q: %w", uri, err)
		}
		out = res.Contents
		return nil
	})
	return out, err
}

// Subscribe asks the server to send notifications/resources/updated when
// the resource at uri changes; Config.OnResourceUpdated receives them. The
// subscription is renewed after a reconnection. It fails with
// ErrNotSupported when the server does not declare resources.subscribe.
func (c *Client) Subscribe(ctx context.Context, uri string) error {
	err := c.do(ctx, OpResources, "", func(ctx context.Context, s *session) error {
		if r := s.info.Capabilities.Resources; r == nil || !r.Subscribe {
			return ErrNotSupported
		}
		if err := subscribe(ctx, s, uri, true); err != nil {
			return err
		}
		c.ext.mu.Lock()
		if c.ext.subs == nil {
			c.ext.subs = map[string]bool{}
		}
		c.ext.subs[uri] = true
		c.ext.mu.Unlock()
		c.listen(ctx, s) // on 2026-07-28 the listen stream carries the subscriptions
		return nil
	})
	return err
}

// Unsubscribe ends a subscription made with Subscribe.
func (c *Client) Unsubscribe(ctx context.Context, uri string) error {
	c.ext.mu.Lock()
	delete(c.ext.subs, uri)
	c.ext.mu.Unlock()
	return c.do(ctx, OpResources, "", func(ctx context.Context, s *session) error {
		if r := s.info.Capabilities.Resources; r == nil || !r.Subscribe {
			return ErrNotSupported
		}
		if err := subscribe(ctx, s, uri, false); err != nil {
			return err
		}
		c.listen(ctx, s)
		return nil
	})
}

func subscribe(ctx context.Context, s *session, uri string, on bool) error {
	if on {
		req := mcp.SubscribeRequest{}
		req.Params.URI = uri
		//lint:ignore SA1019 resources/subscribe is the subscription call of the legacy protocol Connect negotiates.
		if err := s.mc.Subscribe(ctx, req); err != nil {
			return fmt.Errorf("resources/subscribe %q: %w", uri, err)
		}
		return nil
	}
	req := mcp.UnsubscribeRequest{}
	req.Params.URI = uri
	//lint:ignore SA1019 see Subscribe.
	if err := s.mc.Unsubscribe(ctx, req); err != nil {
		return fmt.Errorf("resources/unsubscribe %q: %w", uri, err)
	}
	return nil
}
