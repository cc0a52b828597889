package mcpclient

import (
	"regexp"
	"sort"
	"strings"
	"sync"
)

// This file keeps the values the client hands its server that may carry
// credentials (stdio arguments and environment values, header values, a
// user's tokens) out of what the server can echo back: its stderr tail
// and the text of errors (an HTTP error body quoting a header, say), which
// reach logs, errors and the model.

// minSecretLen is the shortest value scrubbed: shorter ones ("1", "yes")
// carry no credential, and replacing them would garble the text.
const minSecretLen = 6

// maxRememberedTokens bounds the user tokens remembered (a token source
// may return a new one for every request).
const maxRememberedTokens = 16

// credentialName matches the names of flags, variables and headers whose
// values are credentials.
var credentialName = regexp.MustCompile(`(?i)(token|secret|passw|pwd|api[-_]?key|apikey|auth|credential|private|access[-_]?key|session|cookie|bearer|signature|(^|[-_])key$)`)

// scrubber replaces known secret values by REDACTED.
type scrubber struct {
	mu     sync.RWMutex
	fixed  []string // from the configuration, longest first
	tokens []string // user tokens sent, most recent last
}

// newScrubber collects the secrets of transport t: every header value
// (and the credential after its scheme, as in "Bearer abc"); the
// environment values and arguments of a stdio server that are named like
// credentials (SERVICE_API_KEY=..., --token ..., --api-key=...) or look
// like one (long, without spaces or path separators, mixing letters and
// digits).
func newScrubber(t Transport) *scrubber {
	s := &scrubber{}
	var vals []string
	switch t := t.(type) {
	case *Stdio:
		for k, v := range t.Env {
			if credentialName.MatchString(k) || looksLikeToken(v) {
				vals = append(vals, v)
			}
		}
		for i, a := range t.Args {
			name, val, isFlag := strings.Cut(a, "=")
			switch {
			case isFlag && strings.HasPrefix(name, "-") && credentialName.MatchString(name):
				vals = append(vals, val)
			case strings.HasPrefix(a, "-") && credentialName.MatchString(a) && i+1 < len(t.Args):
				vals = append(vals, t.Args[i+1])
			case looksLikeToken(a):
				vals = append(vals, a)
			}
		}
	case *HTTP:
		for _, v := range t.Headers {
			vals = append(vals, v)
			if _, cred, ok := strings.Cut(v, " "); ok {
				vals = append(vals, strings.TrimSpace(cred))
			}
		}
	}
	for _, v := range vals {
		if len(v) >= minSecretLen {
			s.fixed = append(s.fixed, v)
		}
	}
	sort.Slice(s.fixed, func(i, j int) bool { return len(s.fixed[i]) > len(s.fixed[j]) })
	return s
}

// looksLikeToken: at least 20 bytes, no spaces or path separators, and
// both letters and digits, as keys and tokens are and words and paths
// are not.
func looksLikeToken(v string) bool {
	if len(v) < 20 || strings.ContainsAny(v, " \t\n/\\") {
		return false
	}
	return strings.ContainsAny(v, "0123456789") && strings.IndexFunc(v, func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	}) >= 0
}

// remember adds a token sent to the server.
func (s *scrubber) remember(tok string) {
	if s == nil || len(tok) < minSecretLen {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		if t == tok {
			return
		}
	}
	if len(s.tokens) == maxRememberedTokens {
		s.tokens = s.tokens[1:]
	}
	s.tokens = append(s.tokens, tok)
}

// scrub returns text with every known secret replaced by REDACTED.
func (s *scrubber) scrub(text string) string {
	if s == nil || text == "" {
		return text
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, list := range [][]string{s.fixed, s.tokens} {
		for _, v := range list {
			if strings.Contains(text, v) {
				text = strings.ReplaceAll(text, v, "REDACTED")
			}
		}
	}
	return text
}
