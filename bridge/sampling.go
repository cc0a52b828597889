package bridge

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/openai/openai-go/v3/option"
	oai "github.com/openai/openai-go/v3/responses"

	"github.com/mcpbridge/mcpbridge/convert"
	"github.com/mcpbridge/mcpbridge/responses"
)

// ErrSamplingDenied is returned to a server whose sampling request the
// SamplingConfig.Approve hook refused.
var ErrSamplingDenied = errors.New("sampling request denied")

// ErrSamplingLimit is returned to a server that exceeded its sampling rate
// or token budget (SamplingConfig.Rate, MaxTotalTokens).
var ErrSamplingLimit = errors.New("sampling limit reached")

// Defaults of SamplingConfig.
const (
	DefaultSamplingRate            = 10
	DefaultSamplingPer             = time.Minute
	DefaultSamplingMaxOutputTokens = 1024
	DefaultSamplingTimeout         = 2 * time.Minute
)

// SamplingConfig lets servers ask the model for completions
// (sampling/createMessage). With it set (WithSampling) every server is
// told the bridge supports sampling; without it, none is.
type SamplingConfig struct {
	// API serves the completions: normally the same client the bridge runs
	// on (&client.Responses). The one-shot Run uses its own api when this
	// is nil; New requires it.
	API responses.API
	// Model is the model used when ChooseModel is nil and no hint of the
	// server matches one of Models. Required unless ChooseModel is set.
	Model string
	// Models are the other models a server's modelPreferences hints may
	// select (a hint matches a model whose name contains it).
	Models []string
	// ChooseModel, when set, picks the model for each request instead
	// (an error refuses the request).
	ChooseModel func(ctx context.Context, server string, prefs *mcp.ModelPreferences) (string, error)
	// Approve, when set, sees every request within the limits before the
	// model does, with the server's name, and may refuse it (the MCP spec
	// wants a person to be able to). A refusal reaches the server as an
	// error with the reason. Requests of different servers may call it at
	// the same time.
	Approve func(ctx context.Context, server string, req mcp.CreateMessageRequest) (ok bool, reason string)
	// Rate requests per Per are allowed per server (a token bucket; default
	// 10 per minute). A request over the rate is refused with
	// ErrSamplingLimit.
	Rate int
	Per  time.Duration
	// MaxOutputTokens caps each request's maxTokens (default 1024).
	MaxOutputTokens int64
	// MaxTotalTokens, when > 0, is each server's budget of tokens (input
	// and output, as the API reports them) over the bridge's life; once it
	// is spent, requests are refused with ErrSamplingLimit.
	MaxTotalTokens int64
	// AllowTools lets a sampling request use the bridge's tools: the
	// completion then runs through the whole tool loop (at most
	// MaxIterations turns, default 4). Off (the default), the model is
	// offered no tools and answers in one response.
	AllowTools    bool
	MaxIterations int
	// Prepare, when set, may adjust each request before it is sent (for
	// example remove temperature for a model that does not take it).
	Prepare func(server string, params *oai.ResponseNewParams)
	// RequestOptions are added to every sampling request.
	RequestOptions []option.RequestOption
	// Timeout bounds each request, approval included (default 2 minutes).
	Timeout time.Duration
}

// WithSampling answers the servers' sampling requests with cfg (see
// SamplingConfig). It takes effect in New (and the one-shot Run).
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
	tokens float64   // requests available
	last   time.Time // last refill
	used   int64     // API tokens spent
}

func newSampler(b *Bridge, cfg SamplingConfig) (*sampler, error) {
	if cfg.API == nil {
		return nil, errors.New("bridge: SamplingConfig.API is nil")
	}
	if cfg.Model == "" && cfg.ChooseModel == nil {
		return nil, errors.New("bridge: SamplingConfig needs Model or ChooseModel")
	}
	if cfg.Rate <= 0 {
		cfg.Rate = DefaultSamplingRate
	}
	if cfg.Per <= 0 {
		cfg.Per = DefaultSamplingPer
	}
	if cfg.MaxOutputTokens <= 0 {
		cfg.MaxOutputTokens = DefaultSamplingMaxOutputTokens
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultSamplingTimeout
	}
	if cfg.MaxIterations <= 0 {
		cfg.MaxIterations = 4
	}
	return &sampler{b: b, cfg: cfg, buckets: map[string]*samplingBucket{}}, nil
}

// take reserves one request of server's rate, or says why not.
func (s *sampler) take(server string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	bk := s.buckets[server]
	if bk == nil {
		bk = &samplingBucket{tokens: float64(s.cfg.Rate), last: now}
		s.buckets[server] = bk
	}
	refill := now.Sub(bk.last).Seconds() / s.cfg.Per.Seconds() * float64(s.cfg.Rate)
	bk.tokens = min(float64(s.cfg.Rate), bk.tokens+refill)
	bk.last = now
	if s.cfg.MaxTotalTokens > 0 && bk.used >= s.cfg.MaxTotalTokens {
		return fmt.Errorf("%w: token budget of %d spent", ErrSamplingLimit, s.cfg.MaxTotalTokens)
	}
	if bk.tokens < 1 {
		return fmt.Errorf("%w: more than %d requests per %s", ErrSamplingLimit, s.cfg.Rate, s.cfg.Per)
	}
	bk.tokens--
	return nil
}

func (s *sampler) spent(server string, tokens int64) {
	s.mu.Lock()
	if bk := s.buckets[server]; bk != nil {
		bk.used += tokens
	}
	s.mu.Unlock()
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
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	// Limits first: a flood of requests must not reach a person.
	if err := s.take(server); err != nil {
		return nil, err
	}
	if s.cfg.Approve != nil {
		ok, reason := safeApprove(ctx, s.cfg.Approve, server, req)
		if !ok {
			if reason == "" {
				reason = "refused"
			}
			return nil, fmt.Errorf("%w: %s", ErrSamplingDenied, reason)
		}
	}
	model := convert.ChooseModel(req.ModelPreferences, s.cfg.Models, s.cfg.Model)
	if s.cfg.ChooseModel != nil {
		var err error
		if model, err = s.cfg.ChooseModel(ctx, server, req.ModelPreferences); err != nil {
			return nil, fmt.Errorf("choosing a model: %w", err)
		}
	}
	params, err := convert.SamplingRequest(req.CreateMessageParams, convert.SamplingOptions{Model: model, MaxOutputTokens: s.cfg.MaxOutputTokens})
	if err != nil {
		return nil, err
	}
	if s.cfg.Prepare != nil {
		s.cfg.Prepare(server, &params)
	}
	var resp *oai.Response
	if s.cfg.AllowTools {
		if s.b.current.Load() == nil {
			return nil, errors.New("the bridge is still connecting")
		}
		res, err := s.b.Run(ctx, s.cfg.API, params, WithMaxIterations(s.cfg.MaxIterations), WithRequestOptions(s.cfg.RequestOptions...))
		if res != nil {
			s.spent(server, res.Usage.TotalTokens)
		}
		if err != nil {
			return nil, err
		}
		resp = res.Response
	} else {
		resp, err = s.cfg.API.New(ctx, params, s.cfg.RequestOptions...)
		if resp != nil {
			s.spent(server, resp.Usage.TotalTokens)
		}
		if err != nil {
			return nil, err
		}
	}
	return convert.SamplingResult(resp, req.StopSequences)
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
