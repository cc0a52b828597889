package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/openai/openai-go/v3/option"
	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/convert"
	"github.com/mcpbridge/mcpbridge/responses"
)

// errSamplingDenied is returned to a server whose sampling request the
// SamplingConfig.Approve hook refused.
var errSamplingDenied = errors.New("sampling request denied")

// errSamplingLimit is returned to a server that exceeded its sampling rate,
// token budget or input bound (SamplingConfig.Rate, MaxTotalTokens,
// MaxInputBytes).
var errSamplingLimit = errors.New("sampling limit reached")

// Defaults of SamplingConfig.
const (
	defaultSamplingRate            = 10
	defaultSamplingMaxOutputTokens = 1024
	defaultSamplingMaxInputBytes   = 1 << 20
	samplingTimeout                = 2 * time.Minute // each request, approval included
	// samplingImageTokens is what an image of a sampling request reserves
	// of the token budget (MaxTotalTokens), whatever its size: the API
	// charges images by their tiles, not their bytes.
	samplingImageTokens = 2000
)

// SamplingConfig lets servers ask the model for completions
// (sampling/createMessage). With it set ([WithSampling]) every server is
// told the bridge supports sampling; without it, none is. A refused request
// reaches the server as an error saying why.
type SamplingConfig struct {
	// API serves the completions: normally the same client the bridge runs
	// on (&client.Responses). The one-shot Run uses its own api when this
	// is nil; New requires it.
	API responses.API
	// Model is the model asked, unless a modelPreferences hint of the
	// server matches one of Models (a hint matches a model whose name
	// contains it). Required.
	Model  string
	Models []string
	// Approve, when set, sees every request within the limits before the
	// model does, with the server's name, and may refuse it (the MCP spec
	// wants a person to be able to). [CredentialsFrom] tells which user's
	// session a request came on. Requests of different servers may call it
	// at the same time.
	Approve func(ctx context.Context, server string, req mcp.CreateMessageRequest) (ok bool, reason string)
	// Rate is how many requests per minute each server may make (a token
	// bucket; default 10).
	Rate int
	// MaxOutputTokens caps each request's maxTokens (default 1024).
	MaxOutputTokens int64
	// MaxTotalTokens, when > 0, is each server's budget of tokens (input
	// and output) over the bridge's life. It is a hard cap, also for
	// requests at the same time: each request to the API first reserves
	// what it may cost (its max_output_tokens, and its input counted as
	// one token per byte of text, which no tokenizer exceeds, and 2,000
	// per image), is refused when the reservations and the spending so
	// far would pass the budget, and settles at the usage the API reports.
	MaxTotalTokens int64
	// MaxInputBytes bounds each request's input as the server sent it
	// (the text of its messages and system prompt, and the bytes of its
	// images and audio); a larger request is refused with an error to
	// the server and never reaches the API. Default 1 MiB.
	MaxInputBytes int
	// LimitPerUser applies Rate and MaxTotalTokens to each user of a
	// per-user server ([Server].PerUser) on their own: a request that came
	// on a user's session counts against that user's rate and budget (its
	// Credentials.ID), not the server's.
	LimitPerUser bool
	// ToolTurns, when > 0, lets a sampling request use the bridge's tools:
	// the completion runs through the tool loop, at most ToolTurns turns,
	// each of whose requests reserves its share of the budget. Its calls
	// pass the approval policy ([WithApproval]) of every run with a call
	// in flight on the server that asked (the run whose call the request
	// serves), and the one given to New; a call any of them refuses is
	// denied. 0 (the default): the model is offered no tools and answers
	// in one response.
	//
	// A server whose config sets SamplingTools ([mcpclient.Config]) is
	// told the bridge supports sampling.tools (MCP 2025-11-25) and may
	// offer the model its own tools: the model answers in one response,
	// its function calls go back to the server as tool_use blocks (stop
	// reason "toolUse"), and the server runs them and sends their results
	// in its next request. Such a request passes the same limits and
	// Approve hook as any, its tools' schemas count towards
	// MaxInputBytes, it may offer at most [convert.MaxSamplingTools] tools
	// with valid function names, and ToolTurns does not apply to it. Other
	// servers' requests with tools are refused with
	// [mcpclient.ErrSamplingTools].
	ToolTurns int
}

// WithSampling answers the servers' sampling requests with cfg (see
// [SamplingConfig]). It takes effect in New (and the one-shot Run).
func WithSampling(cfg SamplingConfig) Option {
	return bridgeOption(func(c *config) { c.sampling = &cfg })
}

// samplingAPIDefault gives a SamplingConfig without an API the api of the
// one-shot Run.
func samplingAPIDefault(api responses.API) Option {
	return bridgeOption(func(c *config) {
		if c.sampling != nil && c.sampling.API == nil {
			cfg := *c.sampling
			cfg.API = api
			c.sampling = &cfg
		}
	})
}

// sampler serves the sampling requests of every server of one Bridge.
type sampler struct {
	b   *Bridge
	cfg SamplingConfig

	mu      sync.Mutex
	buckets map[string]*samplingBucket
}

type samplingBucket struct {
	tokens   float64   // requests available
	last     time.Time // last refill
	used     int64     // API tokens spent
	reserved int64     // API tokens reserved by requests in flight
}

func newSampler(b *Bridge, cfg SamplingConfig) (*sampler, error) {
	if cfg.API == nil {
		return nil, errors.New("bridge: SamplingConfig.API is nil")
	}
	if cfg.Model == "" {
		return nil, errors.New("bridge: SamplingConfig needs a Model")
	}
	if cfg.Rate <= 0 {
		cfg.Rate = defaultSamplingRate
	}
	if cfg.MaxOutputTokens <= 0 {
		cfg.MaxOutputTokens = defaultSamplingMaxOutputTokens
	}
	if cfg.MaxInputBytes <= 0 {
		cfg.MaxInputBytes = defaultSamplingMaxInputBytes
	}
	return &sampler{b: b, cfg: cfg, buckets: map[string]*samplingBucket{}}, nil
}

// limitKey is whose rate and budget a request of server in ctx counts
// against: the server's, or with LimitPerUser the user's of the session it
// came on.
func (s *sampler) limitKey(ctx context.Context, server string) string {
	if s.cfg.LimitPerUser {
		if c, ok := CredentialsFrom(ctx); ok {
			return server + "\x00" + c.ID
		}
	}
	return server
}

// bucket returns the bucket of key, refilled; s.mu is held.
func (s *sampler) bucketLocked(key string) *samplingBucket {
	now := time.Now()
	bk := s.buckets[key]
	if bk == nil {
		bk = &samplingBucket{tokens: float64(s.cfg.Rate), last: now}
		s.buckets[key] = bk
	}
	refill := now.Sub(bk.last).Minutes() * float64(s.cfg.Rate)
	bk.tokens = min(float64(s.cfg.Rate), bk.tokens+refill)
	bk.last = now
	return bk
}

// take takes one request of key's rate, or says why not.
func (s *sampler) take(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	bk := s.bucketLocked(key)
	if s.cfg.MaxTotalTokens > 0 && bk.used >= s.cfg.MaxTotalTokens {
		return fmt.Errorf("%w: token budget of %d spent", errSamplingLimit, s.cfg.MaxTotalTokens)
	}
	if bk.tokens < 1 {
		return fmt.Errorf("%w: more than %d requests per minute", errSamplingLimit, s.cfg.Rate)
	}
	bk.tokens--
	return nil
}

// reserve sets aside n tokens of key's budget for one API request, or
// says why not; settle replaces the reservation by what was spent.
func (s *sampler) reserve(key string, n int64) error {
	if s.cfg.MaxTotalTokens <= 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	bk := s.bucketLocked(key)
	if bk.used+bk.reserved+n > s.cfg.MaxTotalTokens {
		return fmt.Errorf("%w: token budget of %d spent (%d used, %d reserved by requests in flight, this request may take %d)",
			errSamplingLimit, s.cfg.MaxTotalTokens, bk.used, bk.reserved, n)
	}
	bk.reserved += n
	return nil
}

func (s *sampler) settle(key string, reserved, spent int64) {
	s.mu.Lock()
	if bk := s.buckets[key]; bk != nil {
		if s.cfg.MaxTotalTokens > 0 {
			bk.reserved -= reserved
		}
		bk.used += spent
	}
	s.mu.Unlock()
}

// budgetAPI is the API as one sampling request uses it: every request
// reserves its share of the budget first and settles after.
type budgetAPI struct {
	s   *sampler
	key string
}

func (a budgetAPI) New(ctx context.Context, params oai.ResponseNewParams, opts ...option.RequestOption) (*oai.Response, error) {
	n, err := reservation(params, a.s.cfg.MaxOutputTokens)
	if err != nil {
		return nil, err
	}
	if err := a.s.reserve(a.key, n); err != nil {
		return nil, err
	}
	resp, err := a.s.cfg.API.New(ctx, params, opts...)
	var spent int64
	if resp != nil {
		spent = resp.Usage.TotalTokens
	}
	a.s.settle(a.key, n, spent)
	return resp, err
}

// reservation is the most a request may cost: its output cap, and its
// input as sent counted as one token per byte, with each inline image
// counted as samplingImageTokens instead of its bytes.
func reservation(params oai.ResponseNewParams, maxOutput int64) (int64, error) {
	body, err := json.Marshal(params)
	if err != nil {
		return 0, err
	}
	n := int64(len(body))
	marker := []byte(`"data:image/`)
	for rest := body; ; {
		i := bytes.Index(rest, marker)
		if i < 0 {
			break
		}
		rest = rest[i+1:]
		end := bytes.IndexByte(rest, '"')
		if end < 0 {
			break
		}
		n += samplingImageTokens - int64(end)
		rest = rest[end:]
	}
	if params.MaxOutputTokens.Valid() {
		maxOutput = params.MaxOutputTokens.Value
	}
	return max(n, 0) + maxOutput, nil
}

// inputBytes is the size of a request's input as the server sent it.
func inputBytes(req mcp.CreateMessageRequest) int {
	n := len(req.SystemPrompt)
	var add func(c any)
	add = func(c any) {
		switch c := c.(type) {
		case mcp.TextContent:
			n += len(c.Text)
		case mcp.ImageContent:
			n += len(c.Data)
		case mcp.AudioContent:
			n += len(c.Data)
		case []mcp.Content:
			for _, x := range c {
				add(x)
			}
		default:
			b, _ := json.Marshal(c)
			n += len(b)
		}
	}
	for _, m := range req.Messages {
		add(m.Content)
	}
	for _, t := range req.Tools {
		b, _ := json.Marshal(t)
		n += len(b)
	}
	return n
}

// handle answers one sampling/createMessage of server.
func (s *sampler) handle(ctx context.Context, server string, req mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
	res, err := s.sample(ctx, server, req)
	s.b.log.Debug("sampling request", "server", server, "ok", err == nil)
	if err != nil {
		return nil, fmt.Errorf("server %q: sampling: %w", server, err)
	}
	return res, nil
}

func (s *sampler) sample(ctx context.Context, server string, req mcp.CreateMessageRequest) (*mcp.CreateMessageResult, error) {
	ctx, cancel := context.WithTimeout(ctx, samplingTimeout)
	defer cancel()
	// Limits first: a flood of requests must not reach a person.
	if n := inputBytes(req); n > s.cfg.MaxInputBytes {
		return nil, fmt.Errorf("%w: the request's input (messages, system prompt and tools) is %d bytes, over the limit of %d", errSamplingLimit, n, s.cfg.MaxInputBytes)
	}
	// Only a server whose config sets SamplingTools gets here with tools:
	// mcpclient refuses the others' (mcpclient.ErrSamplingTools).
	offersTools := len(req.Tools) > 0 || req.ToolChoice != nil
	if len(req.Tools) > convert.MaxSamplingTools {
		return nil, fmt.Errorf("%w: %d tools offered, over the limit of %d", errSamplingLimit, len(req.Tools), convert.MaxSamplingTools)
	}
	key := s.limitKey(ctx, server)
	if err := s.take(key); err != nil {
		return nil, err
	}
	var tools *convert.ToolSet
	if len(req.Tools) > 0 {
		var err error
		if tools, err = convert.SamplingTools(req.Tools, s.b.cfg.convert.Strict); err != nil {
			return nil, err
		}
	}
	if s.cfg.Approve != nil {
		ok, reason := safeApprove(ctx, s.cfg.Approve, server, req)
		if !ok {
			if reason == "" {
				reason = "refused"
			}
			return nil, fmt.Errorf("%w: %s", errSamplingDenied, reason)
		}
	}
	params, err := convert.SamplingRequest(req.CreateMessageParams, convert.SamplingOptions{
		Model: s.cfg.Model, Models: s.cfg.Models, MaxOutputTokens: s.cfg.MaxOutputTokens, Tools: tools})
	if err != nil {
		return nil, err
	}
	api := budgetAPI{s: s, key: key}
	var resp *oai.Response
	if s.cfg.ToolTurns > 0 && !offersTools {
		if s.b.current.Load() == nil {
			return nil, errors.New("the bridge is still connecting")
		}
		opts := []RunOption{WithMaxIterations(s.cfg.ToolTurns)}
		if approve := s.b.samplingApproval(ctx, server); approve != nil {
			opts = append(opts, WithApproval(approve))
		}
		res, err := s.b.Run(ctx, api, params, opts...)
		if err != nil {
			return nil, err
		}
		resp = res.Response
	} else {
		resp, err = api.New(ctx, params)
		if err != nil {
			return nil, err
		}
	}
	return convert.SamplingResult(resp, req.StopSequences, tools)
}

// safeApprove runs the approval hook; a panic refuses the request.
func safeApprove(ctx context.Context, fn func(context.Context, string, mcp.CreateMessageRequest) (bool, string), server string, req mcp.CreateMessageRequest) (ok bool, reason string) {
	defer func() {
		if r := recover(); r != nil {
			ok, reason = false, fmt.Sprintf("approval hook panicked: %v", r)
		}
	}()
	return fn(ctx, server, req)
}

// enterRun records that a call of run is in flight on c (for user, on a
// per-user server), until the returned function is called: a sampling
// request the server sends meanwhile serves that run (samplingApproval).
func (c *conn) enterRun(ctx context.Context, run *runConfig) func() {
	var user string
	if cr, ok := CredentialsFrom(ctx); ok && c.users != nil {
		user = cr.ID
	}
	k := runKey{run: run, user: user}
	c.mu.Lock()
	if c.inflight == nil {
		c.inflight = map[runKey]int{}
	}
	c.inflight[k]++
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		if c.inflight[k]--; c.inflight[k] == 0 {
			delete(c.inflight, k)
		}
		c.mu.Unlock()
	}
}

// runKey is a run with calls in flight on a server, and the user they
// were made for on a per-user server.
type runKey struct {
	run  *runConfig
	user string
}

// samplingApproval is the approval policy of the tool calls of a
// sampling request server sent (SamplingConfig.AllowTools): every run
// with a call in flight on the server (on the same user's session for a
// per-user server) must approve, as it would a call of its own; with no
// such run, the policy given to New decides. nil means no policy.
func (b *Bridge) samplingApproval(ctx context.Context, server string) func(context.Context, Call) (bool, string) {
	var hooks []func(context.Context, Call) (bool, string)
	if c := b.conns[server]; c != nil {
		var user string
		if cr, ok := CredentialsFrom(ctx); ok && c.users != nil {
			user = cr.ID
		}
		found := false
		c.mu.Lock()
		for k := range c.inflight {
			if k.user == user {
				found = true
				hooks = append(hooks, k.run.loop.Approve)
			}
		}
		c.mu.Unlock()
		if !found {
			hooks = append(hooks, b.cfg.run.loop.Approve)
		}
	}
	hooks = slices.DeleteFunc(hooks, func(h func(context.Context, Call) (bool, string)) bool { return h == nil })
	if len(hooks) == 0 {
		return nil
	}
	return func(ctx context.Context, call Call) (bool, string) {
		for _, h := range hooks {
			if ok, reason := h(ctx, call); !ok {
				return false, reason
			}
		}
		return true, ""
	}
}
