package mcpclient

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Token endpoint client authentication methods.
const (
	authNone          = "none"
	authSecretBasic   = "client_secret_basic"
	authSecretPost    = "client_secret_post"
	authPrivateKeyJWT = "private_key_jwt"
)

// clientCreds is how the client authenticates at a token endpoint.
type clientCreds struct {
	id, secret string
	method     string
	key        crypto.Signer
	audience   string // the authorization server's issuer, for private_key_jwt
}

// chooseAuthMethod picks the token endpoint authentication the server
// supports for a client with (or without) a secret or key.
func chooseAuthMethod(supported []string, hasSecret, hasKey bool) string {
	switch {
	case hasKey:
		return authPrivateKeyJWT
	case !hasSecret:
		return authNone
	}
	if len(supported) == 0 {
		return authSecretBasic // the RFC 8414 default
	}
	for _, m := range []string{authSecretBasic, authSecretPost} {
		for _, s := range supported {
			if s == m {
				return m
			}
		}
	}
	return authSecretBasic
}

// apply adds the client authentication to a token request.
func (c clientCreds) apply(req *http.Request, form url.Values) error {
	switch c.method {
	case authSecretBasic:
		req.SetBasicAuth(url.QueryEscape(c.id), url.QueryEscape(c.secret))
	case authSecretPost:
		form.Set("client_id", c.id)
		form.Set("client_secret", c.secret)
	case authPrivateKeyJWT:
		assertion, err := signJWT(c.key, map[string]string{"typ": "JWT"}, map[string]any{
			"iss": c.id, "sub": c.id, "aud": c.audience,
			"iat": time.Now().Unix(), "exp": time.Now().Add(5 * time.Minute).Unix(), "jti": randomString(16),
		})
		if err != nil {
			return fmt.Errorf("client assertion: %w", err)
		}
		form.Set("client_id", c.id)
		form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		form.Set("client_assertion", assertion)
	default:
		if c.id != "" {
			form.Set("client_id", c.id)
		}
	}
	return nil
}

// tokenResponse is a token endpoint's successful answer.
type tokenResponse struct {
	AccessToken     string          `json:"access_token"`
	TokenType       string          `json:"token_type"`
	ExpiresIn       json.RawMessage `json:"expires_in"`
	RefreshToken    string          `json:"refresh_token"`
	Scope           string          `json:"scope"`
	IssuedTokenType string          `json:"issued_token_type"`
}

// postToken sends a token request and decodes the answer. Nothing of the
// request (codes, secrets, assertions) goes into its errors.
func (o *oauthFlow) postToken(ctx context.Context, endpoint string, form url.Values, creds clientCreds) (*tokenResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("token endpoint %s: %w", redactURL(endpoint), err)
	}
	if err := creds.apply(req, form); err != nil {
		return nil, err
	}
	body := form.Encode()
	req.Body = io.NopCloser(strings.NewReader(body))
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := o.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("token endpoint %s: %w", redactURL(endpoint), scrubURLError(err))
	}
	defer drainClose(resp.Body)
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataBytes))
	if err != nil {
		return nil, fmt.Errorf("token endpoint %s: %w", redactURL(endpoint), err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, oauthErrorFrom("token", resp.StatusCode, data)
	}
	var tr tokenResponse
	if err := json.Unmarshal(data, &tr); err != nil {
		return nil, fmt.Errorf("token endpoint %s: answer is not a token response", redactURL(endpoint))
	}
	if tr.AccessToken == "" {
		return nil, fmt.Errorf("token endpoint %s: answer has no access_token", redactURL(endpoint))
	}
	return &tr, nil
}

// oauthErrorFrom decodes an OAuth error body (RFC 6749 §5.2).
func oauthErrorFrom(endpoint string, status int, data []byte) error {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(data, &e)
	return &OAuthError{Endpoint: endpoint, Status: status, Code: e.Error, Description: e.Description}
}

// scrubURLError drops the *url.Error wrapper, whose message repeats the
// URL; the callers name the endpoint themselves.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// toToken turns a token response into a stored Token.
func toToken(tr *tokenResponse, requestedScope string, now time.Time) *Token {
	t := &Token{AccessToken: tr.AccessToken, TokenType: tr.TokenType, RefreshToken: tr.RefreshToken, Scope: tr.Scope}
	if t.Scope == "" {
		t.Scope = requestedScope
	}
	if secs, err := strconv.ParseFloat(strings.Trim(string(tr.ExpiresIn), `"`), 64); err == nil && secs > 0 {
		t.Expiry = now.Add(time.Duration(secs * float64(time.Second)))
	}
	return t
}

// randomString returns n random bytes, base64url encoded.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand panics rather)
	return base64.RawURLEncoding.EncodeToString(b)
}

// pkcePair returns a PKCE verifier and its S256 challenge.
func pkcePair() (verifier, challenge string) {
	verifier = randomString(32)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// ParsePrivateKeyPEM reads an EC or RSA private key (PKCS #8, SEC 1 or
// PKCS #1 PEM) for OAuthConfig.PrivateKey. Errors never quote the key.
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("mcpclient: no PEM block in the private key")
	}
	var key any
	var err error
	switch block.Type {
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, errors.New("mcpclient: the private key cannot be parsed")
	}
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		return k, nil
	case *rsa.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("mcpclient: private key of type %T is not supported (EC or RSA)", key)
}

// signJWT signs a compact JWS with key: ES256/384/512 by curve for EC
// keys, RS256 for RSA keys. header gets "alg" added.
func signJWT(key crypto.Signer, header map[string]string, claims map[string]any) (string, error) {
	var alg string
	var h hash.Hash
	var hashID crypto.Hash
	size := 0
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		switch k.Curve {
		case elliptic.P256():
			alg, h, size = "ES256", sha256.New(), 32
		case elliptic.P384():
			alg, h, size = "ES384", sha512.New384(), 48
		case elliptic.P521():
			alg, h, size = "ES512", sha512.New(), 66
		default:
			return "", errors.New("unsupported EC curve")
		}
	case *rsa.PrivateKey:
		alg, h, hashID = "RS256", sha256.New(), crypto.SHA256
	default:
		return "", fmt.Errorf("unsupported key type %T", key)
	}
	hdr := map[string]string{"alg": alg}
	for k, v := range header {
		hdr[k] = v
	}
	hj, err := json.Marshal(hdr)
	if err != nil {
		return "", err
	}
	cj, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signing := base64.RawURLEncoding.EncodeToString(hj) + "." + base64.RawURLEncoding.EncodeToString(cj)
	h.Write([]byte(signing))
	digest := h.Sum(nil)
	var sig []byte
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest)
		if err != nil {
			return "", err
		}
		sig = append(padInt(r, size), padInt(s, size)...)
	case *rsa.PrivateKey:
		sig, err = rsa.SignPKCS1v15(rand.Reader, k, hashID, digest)
		if err != nil {
			return "", err
		}
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

func padInt(n *big.Int, size int) []byte {
	b := n.Bytes()
	return append(bytes.Repeat([]byte{0}, size-len(b)), b...)
}
