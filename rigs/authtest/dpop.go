package authtest

import (
	"crypto"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// proofAlgs are the asymmetric algorithms a DPoP proof may use.
var proofAlgs = []jose.SignatureAlgorithm{jose.ES256, jose.ES384, jose.ES512, jose.RS256, jose.PS256, jose.EdDSA}

// Proof is what the server saw of one DPoP proof it accepted.
type Proof struct {
	HTM, HTU, Nonce string
	ATH             bool   // it carried an access token hash
	JKT             string // the thumbprint of its key
	Endpoint        string // "token" or "resource"
}

// proofClaims are a proof's claims (RFC 9449 section 4.2).
type proofClaims struct {
	jwt.Claims
	HTM   string `json:"htm"`
	HTU   string `json:"htu"`
	ATH   string `json:"ath"`
	Nonce string `json:"nonce"`
}

// checkProof verifies the DPoP header of r for a request of method to
// target, as RFC 9449 section 4.3 says: one well-formed proof, typ
// dpop+jwt, an asymmetric algorithm, a public jwk that verifies the
// signature, htm, htu (compared without query and fragment), a recent
// iat, a jti never seen, and ath when accessToken is set. It returns the
// key's thumbprint and the proof's nonce. Callers hold s.mu.
func (s *Server) checkProof(r *http.Request, endpoint, target, accessToken string) (jkt, nonce string, err error) {
	vals := r.Header.Values("DPoP")
	if len(vals) != 1 || strings.Contains(vals[0], ",") {
		return "", "", errors.New("exactly one DPoP proof is required")
	}
	jws, err := jose.ParseSignedCompact(vals[0], proofAlgs)
	if err != nil || len(jws.Signatures) != 1 {
		return "", "", errors.New("the proof is not a signed JWT")
	}
	h := jws.Signatures[0].Header
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != "dpop+jwt" {
		return "", "", errors.New("typ must be dpop+jwt")
	}
	if h.JSONWebKey == nil || !h.JSONWebKey.IsPublic() {
		return "", "", errors.New("the proof must carry a public jwk")
	}
	payload, err := jws.Verify(h.JSONWebKey.Key)
	if err != nil {
		return "", "", errors.New("the proof's signature does not verify")
	}
	var c proofClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return "", "", errors.New("the proof's claims are not JSON")
	}
	switch {
	case c.ID == "" || s.jtis[c.ID]:
		return "", "", errors.New("jti missing or replayed")
	case c.HTM != r.Method:
		return "", "", errors.New("htm is not the request's method")
	case strings.ContainsAny(c.HTU, "?#") || c.HTU != target:
		return "", "", fmt.Errorf("htu %q is not %q", c.HTU, target)
	case c.IssuedAt == nil || time.Since(c.IssuedAt.Time()).Abs() > 5*time.Minute:
		return "", "", errors.New("iat outside the window")
	}
	if accessToken != "" {
		sum := sha256.Sum256([]byte(accessToken))
		if c.ATH != base64.RawURLEncoding.EncodeToString(sum[:]) {
			return "", "", errors.New("ath is not the access token's hash")
		}
	}
	tp, err := h.JSONWebKey.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", "", errors.New("no thumbprint")
	}
	s.jtis[c.ID] = true
	jkt = base64.RawURLEncoding.EncodeToString(tp)
	s.proofs = append(s.proofs, Proof{HTM: c.HTM, HTU: c.HTU, Nonce: c.Nonce, ATH: c.ATH != "", JKT: jkt, Endpoint: endpoint})
	return jkt, c.Nonce, nil
}

// targetURI is a request URL as a proof's htu must name it.
func targetURI(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.RawQuery, u.Fragment, u.RawFragment = "", "", ""
	return u.String()
}

// nonceWanted returns the nonce a proof to endpoint must carry: a fresh
// one for every request where Options.DPoPNonceLoop names the endpoint.
func (s *Server) nonceWanted(endpoint string) string {
	if s.opts.DPoPNonceLoop == endpoint {
		return randomToken("nonce-")
	}
	return s.opts.DPoPNonce
}

// Proofs returns the DPoP proofs the server accepted, in order.
func (s *Server) Proofs() []Proof {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Proof(nil), s.proofs...)
}

// NonceChallenges counts the use_dpop_nonce answers of the token endpoint
// and the resource.
func (s *Server) NonceChallenges() int { return int(s.nonceCh.Load()) }
