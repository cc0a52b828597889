package oauth

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// DPoPMode says when a client binds its tokens to a key of its own with
// DPoP (RFC 9449), so that a token that leaks is of no use without the key.
type DPoPMode string

// The DPoP modes.
const (
	// DPoPAuto, the default, uses DPoP where the authorization server
	// offers it (dpop_signing_alg_values_supported lists ES256), the
	// resource requires it (dpop_bound_access_tokens_required) or the
	// server challenges with the DPoP scheme only; elsewhere tokens are
	// bearer tokens.
	DPoPAuto DPoPMode = "auto"
	// DPoPOff never sends proofs: tokens are bearer tokens.
	DPoPOff DPoPMode = "off"
	// DPoPRequired always sends proofs and refuses a token that is not
	// DPoP-bound, such as a Bearer token from a server that ignored them.
	DPoPRequired DPoPMode = "required"
)

// Token types of token responses (RFC 6750, RFC 9449).
const (
	tokenTypeBearer = "Bearer"
	tokenTypeDPoP   = "DPoP"
)

// dpopAlg is the one proof algorithm: ES256 (P-256), the one DPoP
// servers commonly list and the MCP DPoP scenarios offer.
const dpopAlg = jose.ES256

// dpopKey is one connection's proof-of-possession key and the nonces its
// servers handed out. The private key is generated here, never stored,
// printed or sent; only its public half travels, inside proofs.
type dpopKey struct {
	priv   *ecdsa.PrivateKey
	jkt    string      // the public key's JWK SHA-256 thumbprint (RFC 7638)
	signer jose.Signer // ES256 with the public JWK embedded, typ dpop+jwt

	mu     sync.Mutex
	nonces map[string]string // origin to the last DPoP-Nonce it sent
}

// String hides the key, should a dpopKey ever be printed.
func (k *dpopKey) String() string { return "dpopKey{jkt=" + k.jkt + "}" }

// GoString is String.
func (k *dpopKey) GoString() string { return k.String() }

func newDPoPKey() (*dpopKey, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("oauth: generate the DPoP key: %w", err)
	}
	tp, err := (&jose.JSONWebKey{Key: &priv.PublicKey}).Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("oauth: DPoP key thumbprint: %w", err)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: dpopAlg, Key: priv},
		(&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
	if err != nil {
		return nil, fmt.Errorf("oauth: DPoP signer: %w", err)
	}
	return &dpopKey{priv: priv, jkt: base64.RawURLEncoding.EncodeToString(tp), signer: signer, nonces: map[string]string{}}, nil
}

// proofClaims are the claims of a DPoP proof beyond jti and iat
// (RFC 9449 section 4.2).
type proofClaims struct {
	HTM   string `json:"htm"`
	HTU   string `json:"htu"`
	ATH   string `json:"ath,omitempty"`
	Nonce string `json:"nonce,omitempty"`
}

// proof signs a fresh proof for a request of method to target, with the
// origin's current nonce; accessToken, for resource requests, is bound by
// its hash. It returns the nonce it used.
func (k *dpopKey) proof(method string, target *url.URL, accessToken string) (proof, nonce string, err error) {
	nonce = k.nonce(origin(target))
	c := proofClaims{HTM: method, HTU: htu(target), Nonce: nonce}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		c.ATH = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	proof, err = jwt.Signed(k.signer).
		Claims(jwt.Claims{ID: randomString(16), IssuedAt: jwt.NewNumericDate(time.Now())}).
		Claims(c).Serialize()
	if err != nil {
		return "", "", fmt.Errorf("oauth: DPoP proof: %w", err)
	}
	return proof, nonce, nil
}

// htu is the proof's target URI: the request URL without query and
// fragment (RFC 9449 section 4.2), nor user information.
func htu(u *url.URL) string {
	c := url.URL{Scheme: strings.ToLower(u.Scheme), Host: strings.ToLower(u.Host), Path: u.Path, RawPath: u.RawPath}
	return c.String()
}

// maxNonceLen bounds a server's nonce: it is echoed in every proof.
const maxNonceLen = 512

func (k *dpopKey) nonce(origin string) string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.nonces[origin]
}

// noteNonce records the DPoP-Nonce a response of origin carries, for the
// next proof to that origin.
func (k *dpopKey) noteNonce(origin string, h http.Header) {
	n := h.Get("DPoP-Nonce")
	if n == "" || len(n) > maxNonceLen || !isNQChars(n) {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.nonces[origin] = n
}

// isNQChars: a nonce is printable ASCII without the quote and backslash
// (RFC 9449 section 8.1), so it cannot smuggle anything into a proof.
func isNQChars(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// dpopTokenTransport adds a proof to the token requests it sends to one
// endpoint origin, notes the nonces the endpoint hands out, and sends a
// request again, once, when the endpoint answers use_dpop_nonce with a new
// nonce (RFC 9449 section 8). A redirect elsewhere gets no proof.
type dpopTokenTransport struct {
	base   http.RoundTripper
	key    *dpopKey
	origin string
}

// RoundTrip implements http.RoundTripper.
func (t *dpopTokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if origin(req.URL) != t.origin {
		return t.base.RoundTrip(req)
	}
	resp, used, err := t.send(req, req.Body)
	if err != nil || resp.StatusCode != http.StatusBadRequest || req.GetBody == nil {
		return resp, err
	}
	if n := t.key.nonce(t.origin); n == "" || n == used {
		return resp, nil // no new nonce: nothing a second proof would change
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataBytes))
	drainClose(resp.Body)
	if err != nil {
		return nil, err
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error != "use_dpop_nonce" {
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return resp, nil
	}
	again, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	resp, _, err = t.send(req, again)
	return resp, err
}

// send sends req with a fresh proof and returns the nonce it carried.
func (t *dpopTokenTransport) send(req *http.Request, body io.ReadCloser) (*http.Response, string, error) {
	proof, nonce, err := t.key.proof(req.Method, req.URL, "")
	if err != nil {
		if body != nil {
			_ = body.Close()
		}
		return nil, "", err
	}
	out := req.Clone(req.Context())
	out.Body = body
	out.Header.Set("DPoP", proof)
	resp, err := t.base.RoundTrip(out)
	if err != nil {
		return nil, "", err
	}
	t.key.noteNonce(t.origin, resp.Header)
	return resp, nonce, nil
}

// isNonceChallenge reports whether a resource server's 401 asks for a
// proof with its nonce (RFC 9449 section 9).
func isNonceChallenge(h http.Header) bool {
	for _, v := range h.Values("WWW-Authenticate") {
		scheme, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
		if strings.EqualFold(scheme, "DPoP") && parseAuthParams(rest)["error"] == "use_dpop_nonce" {
			return true
		}
	}
	return false
}

// errNotBound is the error of a token response that does not bind the
// token as asked.
var errNotBound = errors.New("oauth: the authorization server issued a Bearer token where DPoP is required")
