package oauth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parseProof verifies a proof with the key in its own header and returns
// its header and claims.
func parseProof(t *testing.T, proof string) (jose.Header, map[string]any) {
	t.Helper()
	jws, err := jose.ParseSignedCompact(proof, []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	h := jws.Signatures[0].Header
	require.NotNil(t, h.JSONWebKey)
	require.True(t, h.JSONWebKey.IsPublic(), "only the public key travels")
	payload, err := jws.Verify(h.JSONWebKey.Key)
	require.NoError(t, err)
	var claims map[string]any
	require.NoError(t, json.Unmarshal(payload, &claims))
	return h, claims
}

func TestDPoPProofClaims(t *testing.T) {
	k, err := newDPoPKey()
	require.NoError(t, err)
	target, _ := url.Parse("HTTPS://user:pw@MCP.Example.com/mcp/v1?session=abc#frag")
	proof, nonce, err := k.proof(http.MethodPost, target, "access-token-value")
	require.NoError(t, err)
	assert.Empty(t, nonce)
	h, c := parseProof(t, proof)
	assert.Equal(t, "dpop+jwt", h.ExtraHeaders[jose.HeaderType])
	assert.Equal(t, "ES256", h.Algorithm)
	assert.Equal(t, "POST", c["htm"])
	assert.Equal(t, "https://mcp.example.com/mcp/v1", c["htu"], "no query, fragment or user information")
	sum := sha256.Sum256([]byte("access-token-value"))
	assert.Equal(t, base64.RawURLEncoding.EncodeToString(sum[:]), c["ath"])
	assert.NotEmpty(t, c["jti"])
	assert.NotNil(t, c["iat"])
	assert.NotContains(t, c, "nonce")

	// Fresh every time: a new jti.
	again, _, err := k.proof(http.MethodPost, target, "access-token-value")
	require.NoError(t, err)
	_, c2 := parseProof(t, again)
	assert.NotEqual(t, c["jti"], c2["jti"])

	// The private scalar appears nowhere: not in the proof, not when the
	// key is printed.
	raw, err := k.priv.Bytes()
	require.NoError(t, err)
	d := base64.RawURLEncoding.EncodeToString(raw)
	for _, s := range []string{proof, fmt.Sprintf("%v %+v %#v %s", k, k, k, k)} {
		assert.NotContains(t, s, d)
	}
	for _, part := range strings.Split(proof, ".")[:2] {
		raw, _ := base64.RawURLEncoding.DecodeString(part)
		assert.NotContains(t, string(raw), `"d"`)
	}
}

func TestDPoPNoncePerOrigin(t *testing.T) {
	k, err := newDPoPKey()
	require.NoError(t, err)
	as, _ := url.Parse("https://as.example/token")
	rs, _ := url.Parse("https://rs.example/mcp")
	h := http.Header{}
	h.Set("DPoP-Nonce", "n-as")
	k.noteNonce(origin(as), h)
	_, nonce, err := k.proof(http.MethodPost, as, "")
	require.NoError(t, err)
	assert.Equal(t, "n-as", nonce)
	_, nonce, err = k.proof(http.MethodPost, rs, "")
	require.NoError(t, err)
	assert.Empty(t, nonce, "one server's nonce is not sent to another")

	for _, bad := range []string{`with "quote"`, "line\nbreak", strings.Repeat("n", maxNonceLen+1)} {
		h.Set("DPoP-Nonce", bad)
		k.noteNonce(origin(as), h)
		assert.Equal(t, "n-as", k.nonce(origin(as)), "a malformed nonce %q is ignored", bad)
	}
}

func TestParseChallengeDPoP(t *testing.T) {
	h := http.Header{}
	h.Add("WWW-Authenticate", `DPoP algs="ES256", resource_metadata="https://rs.example/prm"`)
	ch := parseChallenge(h)
	assert.True(t, ch.dpopOnly)
	assert.Equal(t, "https://rs.example/prm", ch.resourceMetadata)

	h.Add("WWW-Authenticate", `Bearer resource_metadata="https://rs.example/prm2", scope="a"`)
	ch = parseChallenge(h)
	assert.False(t, ch.dpopOnly, "the server takes bearer tokens too")
	assert.Equal(t, "https://rs.example/prm2", ch.resourceMetadata, "the Bearer challenge wins")

	h = http.Header{}
	h.Set("WWW-Authenticate", `DPoP error="use_dpop_nonce"`)
	assert.True(t, isNonceChallenge(h))
	h.Set("WWW-Authenticate", `Bearer error="use_dpop_nonce"`)
	assert.False(t, isNonceChallenge(h), "only a DPoP challenge asks for a nonce")
}

func TestChooseDPoP(t *testing.T) {
	es256 := &authServer{DPoPSigningAlgValuesSupported: []string{"ES256", "RS256"}}
	rsOnly := &authServer{DPoPSigningAlgValuesSupported: []string{"RS256"}}
	silent := &authServer{}
	required := &protectedResource{DPoPBoundTokensRequired: true}
	for _, tc := range []struct {
		name    string
		mode    DPoPMode
		ch      challenge
		prm     *protectedResource
		as      *authServer
		want    bool
		wantErr bool
	}{
		{"offered", DPoPAuto, challenge{}, nil, es256, true, false},
		{"not offered", DPoPAuto, challenge{}, nil, silent, false, false},
		{"DPoP-only challenge", DPoPAuto, challenge{dpopOnly: true}, nil, silent, true, false},
		{"resource requires it", DPoPAuto, challenge{}, required, silent, true, false},
		{"only algorithms we cannot sign", DPoPAuto, challenge{dpopOnly: true}, required, rsOnly, false, false},
		{"off", DPoPOff, challenge{dpopOnly: true}, required, es256, false, false},
		{"required, silent server", DPoPRequired, challenge{}, nil, silent, true, false},
		{"required, no ES256", DPoPRequired, challenge{}, nil, rsOnly, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &flow{cfg: Config{DPoP: tc.mode}}
			got, err := o.chooseDPoP(tc.ch, tc.prm, tc.as)
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// BenchmarkDPoPProof is what DPoP adds to every request: one ES256
// signature over a fresh proof.
func BenchmarkDPoPProof(b *testing.B) {
	k, err := newDPoPKey()
	require.NoError(b, err)
	target, _ := url.Parse("https://mcp.example.com/mcp")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := k.proof(http.MethodPost, target, "access-token-value"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDPoPProofsConcurrent(t *testing.T) {
	// One connection's requests sign with its key at once; under -race
	// this also checks the shared signer and nonces.
	k, err := newDPoPKey()
	require.NoError(t, err)
	target, _ := url.Parse("https://mcp.example.com/mcp")
	var mu sync.Mutex
	var proofs []string
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				h := http.Header{}
				h.Set("DPoP-Nonce", "n")
				k.noteNonce(origin(target), h)
				proof, _, err := k.proof(http.MethodPost, target, "at")
				if !assert.NoError(t, err) {
					return
				}
				mu.Lock()
				proofs = append(proofs, proof)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	jtis := map[any]bool{}
	for _, p := range proofs {
		_, c := parseProof(t, p)
		jtis[c["jti"]] = true
	}
	assert.Len(t, jtis, 80, "every proof has its own jti")
}
