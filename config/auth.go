package config

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"
)

// auth applies the server's credentials: an "auth" block, LiteLLM's
// auth_type/auth_value, or an "oauth" object.
func (p *entryParser) auth(h *mcpclient.HTTP) {
	sources := 0
	if raw, ok := p.take("auth"); ok {
		sources++
		p.authBlock(h, raw)
	}
	authType, hasType := p.str("auth_type")
	authValue, hasValue := p.str("auth_value")
	if hasType || hasValue {
		sources++
		p.liteLLMAuth(h, authType, authValue, hasValue)
	}
	if raw, ok := p.take("oauth"); ok {
		sources++
		h.OAuth = p.oauth("oauth", raw)
	}
	if sources > 1 {
		p.fail("auth", "give credentials once: \"auth\", \"auth_type\" or \"oauth\"")
	}
}

// authBlock reads {"type": "bearer"|"api_key"|"basic"|"authorization"|"oauth"|"none", ...}.
func (p *entryParser) authBlock(h *mcpclient.HTTP, raw any) {
	m, ok := raw.(map[string]any)
	if !ok {
		p.fail("auth", "want an object, got %s", kindOf(raw))
		return
	}
	var typ string
	if t, ok := m["type"]; ok {
		if typ, ok = asString(t); !ok {
			p.fail("auth.type", "want a string, got %s", kindOf(t))
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
		if !ok || v == nil {
			p.fail(key, "missing")
			return ""
		}
		str, ok := v.(string)
		if !ok {
			p.fail(key, "want a string, got %s", kindOf(v))
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
			p.setAuthHeader(h, "auth", "Authorization", "Bearer "+tok)
		}
	case "api_key", "apikey":
		header := "X-API-Key"
		if _, ok := m["header"]; ok {
			header = field("header")
		}
		if v := field("value"); v != "" && header != "" {
			p.setAuthHeader(h, "auth", header, v)
		}
	case "basic":
		user, pass := field("username"), field("password")
		if strings.Contains(user, ":") {
			p.fail("auth.username", "must not contain \":\"")
		} else if user != "" && pass != "" {
			p.setAuthHeader(h, "auth", "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
		}
	case "authorization":
		if v := field("value"); v != "" {
			p.setAuthHeader(h, "auth", "Authorization", v)
		}
	case "oauth", "oauth2":
		h.OAuth = p.oauth("auth", raw)
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
func (p *entryParser) liteLLMAuth(h *mcpclient.HTTP, typ, value string, hasValue bool) {
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
		p.setAuthHeader(h, "auth_value", "Authorization", "Bearer "+v)
	case "api_key":
		p.setAuthHeader(h, "auth_value", "X-API-Key", v)
	case "basic":
		if !strings.Contains(v, ":") {
			p.fail("auth_value", "auth_type \"basic\" wants username:password")
			return
		}
		p.setAuthHeader(h, "auth_value", "Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(v)))
	case "authorization":
		p.setAuthHeader(h, "auth_value", "Authorization", v)
	default:
		p.fail("auth_type", "unknown auth type %q (want \"bearer_token\", \"api_key\", \"basic\", \"authorization\" or \"none\")", typ)
	}
}

// setAuthHeader adds a credential header unless "headers" already sets it:
// two sources for one header is a mistake to point out, not to resolve.
func (p *entryParser) setAuthHeader(h *mcpclient.HTTP, key, name, value string) {
	if strings.ContainsAny(value, "\r\n") {
		p.fail(key, "the credential contains a line break")
		return
	}
	for k := range h.Headers {
		if strings.EqualFold(k, name) {
			p.fail(key, "sets the %s header, which \"headers\" sets too", name)
			return
		}
	}
	if h.Headers == nil {
		h.Headers = map[string]string{}
	}
	h.Headers[name] = value
}

// failedOn reports whether an error was already recorded for key.
func (p *entryParser) failedOn(key string) bool {
	for _, err := range p.errs {
		var ce *Error
		if errors.As(err, &ce) && ce.Key == key {
			return true
		}
	}
	return false
}

// normKey makes client_id, clientId and CLIENT_ID the same key.
func normKey(k string) string { return strings.ToLower(strings.ReplaceAll(k, "_", "")) }

func hasKey(m map[string]any, norm string) bool {
	for k := range m {
		if normKey(k) == norm {
			return true
		}
	}
	return false
}

// oauth reads an OAuth object under prefix ("auth" or "oauth") into an
// [oauth.Config]. It returns nil when the object says "enabled": false.
// The token and authorization URLs and the authorization server (issuer)
// pin what discovery would find, and are checked like server URLs; the
// registration URL, resource and audiences some tools accept are not used,
// and a warning says so rather than dropping them silently.
func (p *entryParser) oauth(prefix string, raw any) *oauth.Config {
	m, ok := raw.(map[string]any)
	if !ok {
		p.fail(prefix, "want an object, got %s", kindOf(raw))
		return nil
	}
	o := &oauth.Config{}
	enabled := true
	callbackPort := 0
	for _, k := range sortedKeys(m) {
		v, key := m[k], prefix+"."+k
		str := func() string {
			s, ok := asString(v)
			if !ok {
				p.fail(key, "want a string, got %s", kindOf(v))
				return ""
			}
			return p.expand(key, s)
		}
		list := func() []string {
			if one, ok := asString(v); ok {
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
			switch b := v.(type) {
			case bool:
				enabled = b
			case nil:
			default:
				p.fail(key, "want true or false, got %s", kindOf(v))
			}
		case "grant", "granttype":
			switch g := str(); g {
			case "", "authorization_code":
				o.Grant = oauth.GrantAuthorizationCode
			case "client_credentials":
				o.Grant = oauth.GrantClientCredentials
			case "jwt_bearer", "jwt-bearer", string(oauth.GrantJWTBearer):
				o.Grant = oauth.GrantJWTBearer
			case "enterprise", string(oauth.GrantEnterprise):
				o.Grant = oauth.GrantEnterprise
			default:
				p.fail(key, "unknown grant %q (want \"authorization_code\", \"client_credentials\", \"jwt_bearer\" or \"enterprise\")", g)
			}
		case "assertionfile":
			// The workload's identity token, read at each token request:
			// its platform rotates the file.
			if path := expandHome(str()); path != "" {
				o.Assertion = oauth.FileAssertion(path)
			}
		case "idtokenfile", "identitytokenfile":
			if path := expandHome(str()); path != "" {
				o.IdentityToken = oauth.FileAssertion(path)
			}
		case "idptokenurl", "idptokenendpoint":
			o.IDPTokenEndpoint = p.pinURL(key, str())
		case "idpissuer":
			o.IDPIssuer = p.pinURL(key, str())
		case "idpclientid":
			o.IDPClientID = str()
		case "idpclientsecret":
			o.IDPClientSecret = str()
		case "dpop":
			switch d := v.(type) {
			case bool:
				o.DPoP = map[bool]oauth.DPoPMode{true: oauth.DPoPRequired, false: oauth.DPoPOff}[d]
			default:
				switch m := oauth.DPoPMode(str()); m {
				case oauth.DPoPAuto, oauth.DPoPOff, oauth.DPoPRequired:
					o.DPoP = m
				default:
					p.fail(key, "unknown DPoP mode %q (want \"auto\", \"off\" or \"required\", or true or false)", m)
				}
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
			if n, ok := v.(json.Number); ok {
				callbackPort, _ = strconv.Atoi(n.String())
			}
			if callbackPort <= 0 || callbackPort > 65535 {
				p.fail(key, "want a port number")
			}
		case "tokenfile":
			if path := expandHome(str()); path != "" {
				o.TokenStore = oauth.NewFileTokenStore(path)
			}
		case "tokenurl", "tokenendpoint":
			// Pins, honoured: every token request (and with it a client
			// secret or key) goes there, whatever the metadata says.
			o.TokenURL = p.pinURL(key, str())
		case "authorizationurl", "authorizationendpoint":
			o.AuthorizationURL = p.pinURL(key, str())
		case "authorizationserver", "authserver", "issuer":
			o.AuthorizationServer = p.pinURL(key, str())
		case "registrationurl":
			p.warn(key, "not used: a client without a client id registers where the authorization server's metadata says; ignored")
		case "audiences", "audience", "resource":
			p.warn(key, "not used: the resource is the MCP server's URL (RFC 8707); ignored")
		default:
			p.warn(key, "unknown OAuth key; ignored")
		}
	}
	if o.RedirectURL == "" && callbackPort > 0 {
		o.RedirectURL = fmt.Sprintf("http://localhost:%d/callback", callbackPort)
	}
	switch o.Grant {
	case oauth.GrantClientCredentials:
		if (o.ClientID == "" || o.ClientSecret == "") && !p.failedOn(prefix+".client_secret") {
			p.fail(prefix, "grant \"client_credentials\" needs a client id and a client secret")
		}
	case oauth.GrantJWTBearer:
		if o.Assertion == nil {
			p.fail(prefix, "grant \"jwt_bearer\" needs \"assertion_file\" (the workload's identity token)")
		}
	case oauth.GrantEnterprise:
		if o.ClientID == "" || o.IdentityToken == nil || o.IDPTokenEndpoint == "" && o.IDPIssuer == "" {
			p.fail(prefix, "grant \"enterprise\" needs \"client_id\", \"id_token_file\" and \"idp_token_url\" or \"idp_issuer\"")
		}
	}
	if !enabled {
		return nil
	}
	return o
}

// pinURL checks a pinned endpoint like a server URL, before anything starts.
func (p *entryParser) pinURL(key, raw string) string {
	if raw != "" && !p.failedOn(key) {
		p.checkURL(key, raw)
	}
	return raw
}

// expandHome turns a leading "~/" into the user's home directory, as shells
// do for the token file paths people write.
func expandHome(path string) string {
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return path
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
