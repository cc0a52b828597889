package bridge

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrOAuthNotSupported is reported (by New, for that server) when a server
// has an OAuth configuration: the config is read into Server.OAuth, but the
// bridge cannot run an OAuth flow yet.
var ErrOAuthNotSupported = errors.New("oauth not supported yet")

// OAuthConfig is the OAuth client configuration of one server, as written in
// a config file: {"auth": {"type": "oauth", ...}} (snake_case keys), Gemini
// CLI's and Claude Code's "oauth" object (camelCase keys) or Cursor's
// {"auth": {"CLIENT_ID": ...}}. Key spelling does not matter: client_id,
// clientId and CLIENT_ID are the same key. Values have had their variables
// expanded. String and GoString hide ClientSecret, so the struct can be
// printed or logged.
type OAuthConfig struct {
	// Grant is the OAuth grant: "authorization_code" (a user signs in with
	// a browser; the default when empty) or "client_credentials" (a machine
	// client authenticated by ClientID and ClientSecret).
	Grant string
	// ClientID of a pre-registered client. Empty: use dynamic client
	// registration (at RegistrationURL, or discovered).
	ClientID string
	// ClientSecret of a confidential client. A secret: never log it.
	ClientSecret string
	// Scopes to request ("scopes" as a list, or "scope" space-separated).
	Scopes []string
	// RedirectURL for the authorization code flow ("redirect_url" or
	// "redirect_uri"); CallbackPort is Claude Code's way of saying
	// http://localhost:PORT/callback.
	RedirectURL  string
	CallbackPort int
	// AuthorizationURL, TokenURL and RegistrationURL override what the
	// server's metadata says (empty: discover them).
	AuthorizationURL string
	TokenURL         string
	RegistrationURL  string
	// Audiences (Gemini CLI) and Resource (RFC 8707) name who the token is for.
	Audiences []string
	Resource  string
	// TokenFile is where tokens are kept between runs (empty: memory only).
	TokenFile string
}

// String describes the config without its client secret.
func (o OAuthConfig) String() string {
	secret := ""
	if o.ClientSecret != "" {
		secret = " client_secret=<redacted>"
	}
	return fmt.Sprintf("oauth{grant=%q client_id=%q%s scopes=%q redirect_url=%q token_url=%q token_file=%q}",
		o.Grant, o.ClientID, secret, o.Scopes, o.RedirectURL, o.TokenURL, o.TokenFile)
}

// GoString is String, so %#v does not print the secret either.
func (o OAuthConfig) GoString() string { return o.String() }

// AutoApproveAll in Server.AutoApprove approves every tool of the server
// (Gemini CLI's "trust": true).
const AutoApproveAll = "*"

// auth applies the server's credentials: an "auth" block, LiteLLM's
// auth_type/auth_value, or an "oauth" object.
func (p *entryParser) auth(s *Server) {
	sources := 0
	if raw, ok := p.take("auth"); ok {
		sources++
		p.authBlock(s, raw)
	}
	authType, hasType := p.str("auth_type")
	authValue, hasValue := p.str("auth_value")
	if hasType || hasValue {
		sources++
		p.liteLLMAuth(s, authType, authValue, hasValue)
	}
	if raw, ok := p.take("oauth"); ok {
		sources++
		if o := p.oauth("oauth", raw); o != nil {
			s.OAuth = o
		}
	}
	if sources > 1 {
		p.fail("auth", "give credentials once: \"auth\", \"auth_type\" or \"oauth\"")
	}
}

// authBlock reads {"type": "bearer"|"api_key"|"basic"|"authorization"|"oauth"|"none", ...}.
func (p *entryParser) authBlock(s *Server, raw json.RawMessage) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		p.fail("auth", "want an object, got %s", jsonKind(raw))
		return
	}
	var typ string
	if t, ok := m["type"]; ok {
		if err := json.Unmarshal(t, &typ); err != nil {
			p.fail("auth.type", "want a string, got %s", jsonKind(t))
			return
		}
	} else if hasKey(m, "clientid") {
		typ = "oauth" // Cursor's static OAuth block
	}
	read := map[string]bool{"type": true}
	field := func(name string) string {
		read[name] = true
		key := "auth." + name
		v, ok := m[name]
		if !ok || isNull(v) {
			p.fail(key, "missing")
			return ""
		}
		var str string
		if err := json.Unmarshal(v, &str); err != nil {
			p.fail(key, "want a string, got %s", jsonKind(v))
			return ""
		}
		str = p.expand(key, str)
		if str == "" && !p.failedOn(key) {
			p.fail(key, "is empty")
		}
		return str
	}
	switch strings.ToLower(typ) {
	case "none":
	case "bearer", "bearer_token":
		if tok := field("token"); tok != "" {
			p.setAuthHeader(s, "auth", "Authorization", "Bearer "+tok)
		}
	case "api_key", "apikey":
		header := "X-API-Key"
		if _, ok := m["header"]; ok {
			header = field("header")
		}
		if v := field("value"); v != "" && header != "" {
			p.setAuthHeader(s, "auth", header, v)
		}
	case "basic":
		user, pass := field("username"), field("password")
		if strings.Contains(user, ":") {
			p.fail("auth.username", "must not contain \":\"")
		} else if user != "" && pass != "" {
			p.setAuthHeader(s, "auth", "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
		}
	case "authorization":
		if v := field("value"); v != "" {
			p.setAuthHeader(s, "auth", "Authorization", v)
		}
	case "oauth", "oauth2":
		s.OAuth = p.oauth("auth", raw)
		return // oauth reports its own unknown keys
	case "":
		p.fail("auth.type", "missing (want \"bearer\", \"api_key\", \"basic\", \"authorization\" or \"oauth\")")
		return
	default:
		p.fail("auth.type", "unknown auth type %q (want \"bearer\", \"api_key\", \"basic\", \"authorization\" or \"oauth\")", typ)
		return
	}
	for _, k := range sortedKeys(m) {
		if !read[k] {
			p.warn("auth."+k, "not used by auth type %q; ignored", typ)
		}
	}
}

// liteLLMAuth reads LiteLLM's auth_type and auth_value (a value, or
// os.environ/NAME).
func (p *entryParser) liteLLMAuth(s *Server, typ, value string, hasValue bool) {
	if typ == "" {
		p.fail("auth_value", "needs \"auth_type\"")
		return
	}
	if typ == "none" {
		return
	}
	if !hasValue {
		p.fail("auth_value", "missing (auth_type %q needs it)", typ)
		return
	}
	v := p.expand("auth_value", value)
	if v == "" {
		if !p.failedOn("auth_value") {
			p.fail("auth_value", "is empty")
		}
		return
	}
	switch typ {
	case "bearer_token":
		p.setAuthHeader(s, "auth_value", "Authorization", "Bearer "+v)
	case "api_key":
		p.setAuthHeader(s, "auth_value", "X-API-Key", v)
	case "basic":
		if !strings.Contains(v, ":") {
			p.fail("auth_value", "auth_type \"basic\" wants username:password")
			return
		}
		p.setAuthHeader(s, "auth_value", "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(v)))
	case "authorization":
		p.setAuthHeader(s, "auth_value", "Authorization", v)
	default:
		p.fail("auth_type", "unknown auth type %q (want \"bearer_token\", \"api_key\", \"basic\", \"authorization\" or \"none\")", typ)
	}
}

// setAuthHeader adds a credential header unless "headers" already sets it:
// two sources for one header is a mistake to point out, not to resolve.
func (p *entryParser) setAuthHeader(s *Server, key, name, value string) {
	if strings.ContainsAny(value, "\r\n") {
		p.fail(key, "the credential contains a line break")
		return
	}
	for k := range s.Headers {
		if strings.EqualFold(k, name) {
			p.fail(key, "sets the %s header, which \"headers\" sets too", name)
			return
		}
	}
	if s.Headers == nil {
		s.Headers = map[string]string{}
	}
	s.Headers[name] = value
}

// failedOn reports whether an error was already recorded for key.
func (p *entryParser) failedOn(key string) bool {
	for _, err := range p.errs {
		var ce *ConfigError
		if errors.As(err, &ce) && ce.Key == key {
			return true
		}
	}
	return false
}

// normKey makes client_id, clientId and CLIENT_ID the same key.
func normKey(k string) string { return strings.ToLower(strings.ReplaceAll(k, "_", "")) }

func hasKey(m map[string]json.RawMessage, norm string) bool {
	for k := range m {
		if normKey(k) == norm {
			return true
		}
	}
	return false
}

// oauth reads an OAuth object under prefix ("auth" or "oauth"). It returns
// nil when the object says "enabled": false.
func (p *entryParser) oauth(prefix string, raw json.RawMessage) *OAuthConfig {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		p.fail(prefix, "want an object, got %s", jsonKind(raw))
		return nil
	}
	o := &OAuthConfig{}
	enabled := true
	for _, k := range sortedKeys(m) {
		v, key := m[k], prefix+"."+k
		str := func() string {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				p.fail(key, "want a string, got %s", jsonKind(v))
				return ""
			}
			return p.expand(key, s)
		}
		list := func() []string {
			var one string
			if json.Unmarshal(v, &one) == nil {
				return strings.Fields(p.expand(key, one))
			}
			items := decodeStrList(v, func(sub, format string, args ...any) { p.fail(key+sub, format, args...) })
			for i := range items {
				items[i] = p.expand(fmt.Sprintf("%s[%d]", key, i), items[i])
			}
			return items
		}
		switch normKey(k) {
		case "type":
		case "enabled":
			if err := json.Unmarshal(v, &enabled); err != nil {
				p.fail(key, "want true or false, got %s", jsonKind(v))
			}
		case "grant", "granttype":
			o.Grant = str()
			if o.Grant != "" && o.Grant != "authorization_code" && o.Grant != "client_credentials" {
				p.fail(key, "unknown grant %q (want \"authorization_code\" or \"client_credentials\")", o.Grant)
			}
		case "clientid":
			o.ClientID = str()
		case "clientsecret":
			o.ClientSecret = str()
		case "scopes", "scope":
			o.Scopes = append(o.Scopes, list()...)
		case "redirecturl", "redirecturi":
			o.RedirectURL = str()
		case "callbackport":
			if err := json.Unmarshal(v, &o.CallbackPort); err != nil || o.CallbackPort < 0 || o.CallbackPort > 65535 {
				p.fail(key, "want a port number")
			}
		case "authorizationurl":
			o.AuthorizationURL = str()
		case "tokenurl":
			o.TokenURL = str()
		case "registrationurl":
			o.RegistrationURL = str()
		case "audiences", "audience":
			o.Audiences = append(o.Audiences, list()...)
		case "resource":
			o.Resource = str()
		case "tokenfile":
			o.TokenFile = str()
		default:
			p.warn(key, "unknown OAuth key; ignored")
		}
	}
	if o.Grant == "client_credentials" && (o.ClientID == "" || o.ClientSecret == "") && !p.failedOn(prefix+".client_secret") {
		p.fail(prefix, "grant \"client_credentials\" needs a client id and a client secret")
	}
	if !enabled {
		return nil
	}
	return o
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
