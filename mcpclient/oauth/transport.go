package oauth

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// transport sends the server's requests with the current bearer token
// and, when the server refuses it, authorizes and sends the request again:
// after a 401 once, after a 403 insufficient_scope up to MaxStepUps times.
// mcp-go above it never sees the challenge.
type transport struct {
	base   http.RoundTripper
	flow   *flow
	origin string // the server's: tokens go nowhere else
}

// NewTransport returns a transport that authorizes the requests it sends
// through base (nil: [http.DefaultTransport]) to the server named server
// at serverURL, as cfg says (cfg must have passed [Config.Validate]).
// Discovery and token requests go through base too, without anything the
// layers above base add. log receives what the authorization does, never
// a secret; nil discards it.
//
// Tokens and DPoP proofs are sent only to the origin (scheme, host and
// port) of serverURL: a request elsewhere, such as an SSE endpoint event
// pointing at http:// on the same host or a redirect, goes without them.
func NewTransport(server, serverURL string, cfg *Config, log *slog.Logger, base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	home := ""
	if u, err := url.Parse(serverURL); err == nil {
		home = origin(u)
	}
	if cfg.TokenSource != nil {
		return &sourceTransport{base: base, src: cfg.TokenSource, origin: home}
	}
	return &transport{base: base, flow: newFlow(server, serverURL, cfg, log, base), origin: home}
}

// CloseIdleConnections forwards to the wrapped transport.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// RoundTrip implements http.RoundTripper.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if origin(req.URL) != t.origin {
		return t.base.RoundTrip(req)
	}
	ctx := req.Context()
	body, err := replayableBody(req)
	if err != nil {
		return nil, err
	}
	tok, err := t.flow.token(ctx)
	if err != nil {
		return nil, err
	}
	authorized, stepUps, nonceRetried := false, 0, false
	for {
		out := req.Clone(ctx)
		if out.Body, err = body(); err != nil {
			return nil, err
		}
		proved, nonce, err := t.authenticate(out, tok)
		if err != nil {
			if out.Body != nil {
				_ = out.Body.Close()
			}
			return nil, err
		}
		resp, err := t.base.RoundTrip(out)
		if err != nil {
			return nil, err
		}
		if proved {
			t.flow.dpop.noteNonce(t.origin, resp.Header)
		}
		stepUp := false
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			if proved && isNonceChallenge(resp.Header) {
				// RFC 9449 section 9: the proof lacked the server's
				// current nonce. Once per request with a new nonce; a
				// server that keeps asking gets its answer back.
				if nonceRetried || t.flow.dpop.nonce(t.origin) == nonce {
					return resp, nil
				}
				nonceRetried = true
				drainClose(resp.Body)
				t.flow.log.Debug("oauth: the server asks for a DPoP nonce; sending again with it", "server", t.flow.server)
				continue
			}
			if authorized {
				return resp, nil // a token just issued is refused: do not loop
			}
		case http.StatusForbidden:
			ch := parseChallenge(resp.Header)
			if ch.errCode != "insufficient_scope" || stepUps >= t.flow.cfg.MaxStepUps {
				return resp, nil
			}
			stepUps++
			stepUp = true
		default:
			return resp, nil
		}
		ch := parseChallenge(resp.Header)
		drainClose(resp.Body)
		t.flow.log.Info("oauth: server asks for authorization", "server", t.flow.server, "status", resp.StatusCode, "scope", ch.scope)
		tok, err = t.flow.authorize(ctx, ch, tok, stepUp)
		if err != nil {
			return nil, err
		}
		authorized = true
	}
}

// authenticate puts tok on out: a bearer token as it is, a DPoP-bound
// token with a fresh proof of this connection's key for out's method and
// URL (RFC 9449 section 7.1). proved says a proof went, with nonce.
func (t *transport) authenticate(out *http.Request, tok *Token) (proved bool, nonce string, err error) {
	switch {
	case tok == nil || tok.AccessToken == "":
		return false, "", nil
	case tok.TokenType == "" || strings.EqualFold(tok.TokenType, tokenTypeBearer):
		out.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		return false, "", nil
	case strings.EqualFold(tok.TokenType, tokenTypeDPoP):
		if t.flow.dpop == nil || tok.DPoPKeyThumbprint != t.flow.dpop.jkt {
			return false, "", errors.New("oauth: the token is bound to a DPoP key this connection does not hold")
		}
		proof, nonce, err := t.flow.dpop.proof(out.Method, out.URL, tok.AccessToken)
		if err != nil {
			return false, "", err
		}
		out.Header.Set("Authorization", "DPoP "+tok.AccessToken)
		out.Header.Set("DPoP", proof)
		return true, nonce, nil
	}
	return false, "", fmt.Errorf("oauth: the stored token is of type %q; only Bearer and DPoP tokens can be used", truncate(tok.TokenType, 40))
}

// maxReplayBody bounds a request body kept in memory to be sent again
// after authorization (MCP requests are small; mcp-go sets GetBody anyway).
const maxReplayBody = 64 << 20

// replayableBody returns a function giving a fresh copy of req's body for
// every attempt.
func replayableBody(req *http.Request) (func() (io.ReadCloser, error), error) {
	if req.Body == nil || req.Body == http.NoBody {
		return func() (io.ReadCloser, error) { return http.NoBody, nil }, nil
	}
	if req.GetBody != nil {
		first := true
		return func() (io.ReadCloser, error) {
			if first {
				first = false
				return req.Body, nil
			}
			return req.GetBody()
		}, nil
	}
	data, err := io.ReadAll(io.LimitReader(req.Body, maxReplayBody+1))
	_ = req.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(data) > maxReplayBody {
		return nil, fmt.Errorf("request body over %d bytes", maxReplayBody)
	}
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, nil
}

// sourceTransport sends the token of a program's own token source.
type sourceTransport struct {
	base   http.RoundTripper
	src    oauth2.TokenSource
	origin string
}

// CloseIdleConnections forwards to the wrapped transport.
func (t *sourceTransport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// RoundTrip implements http.RoundTripper.
func (t *sourceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if origin(req.URL) != t.origin {
		return t.base.RoundTrip(req)
	}
	tok, err := t.src.Token()
	if err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, fmt.Errorf("oauth: token source: %w", err)
	}
	if !strings.EqualFold(tok.Type(), "bearer") {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, fmt.Errorf("oauth: the token source gave a token of type %q; only Bearer tokens can be used", truncate(tok.Type(), 40))
	}
	out := req.Clone(req.Context())
	out.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	return t.base.RoundTrip(out)
}
