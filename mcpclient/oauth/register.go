package oauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
)

// registration is a dynamic client registration answer (RFC 7591).
type registration struct {
	ClientID                string `json:"client_id"`
	ClientSecret            string `json:"client_secret"`
	TokenEndpointAuthMethod string `json:"token_endpoint_auth_method"`
}

// codeClient picks the client identity for the authorization code grant:
// the configured client, the one registered earlier for this server, the
// metadata document URL, or a new dynamic registration.
func (o *flow) codeClient(ctx context.Context) (clientCreds, error) {
	as := o.disc.as
	switch {
	case o.cfg.ClientID != "":
		return o.configuredCreds(), nil
	case o.cur != nil && o.cur.ClientID != "" && (o.cur.Issuer == as.Issuer || o.cur.Issuer == "" && o.cur.TokenEndpoint == as.TokenEndpoint):
		// Registered with this authorization server (a registration is
		// never presented to another).
		return clientCreds{id: o.cur.ClientID, secret: o.cur.ClientSecret, method: o.cur.AuthMethod}, nil
	case as.ClientIDMetadataDocumentSupported && o.cfg.ClientMetadataURL != "":
		return clientCreds{id: o.cfg.ClientMetadataURL, method: authNone}, nil
	case as.RegistrationEndpoint != "":
		return o.register(ctx)
	}
	return clientCreds{}, errors.New("oauth: no client id configured and the authorization server offers neither dynamic registration nor client ID metadata documents")
}

// register performs dynamic client registration.
func (o *flow) register(ctx context.Context) (clientCreds, error) {
	as := o.disc.as
	method := authNone
	if len(as.TokenEndpointAuthMethodsSupported) > 0 && !slices.Contains(as.TokenEndpointAuthMethodsSupported, authNone) {
		method = chooseAuthMethod(as.TokenEndpointAuthMethodsSupported, true, false)
	}
	// SEP-837: a client whose redirect stays on this machine is a native
	// application; one redirecting to an https site is a web application.
	appType := "web"
	if u, err := url.Parse(o.cfg.RedirectURL); err == nil && isLoopback(u.Hostname()) {
		appType = "native"
	}
	body, _ := json.Marshal(map[string]any{
		"application_type":           appType,
		"client_name":                o.cfg.ClientName,
		"redirect_uris":              []string{o.cfg.RedirectURL},
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"response_types":             []string{"code"},
		"token_endpoint_auth_method": method,
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, as.RegistrationEndpoint, bytes.NewReader(body))
	if err != nil {
		return clientCreds{}, fmt.Errorf("oauth registration: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := o.http.Do(req)
	if err != nil {
		return clientCreds{}, fmt.Errorf("oauth registration at %s: %w", endpointName(as.RegistrationEndpoint), scrubURLError(err))
	}
	defer drainClose(resp.Body)
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataBytes))
	if err != nil {
		return clientCreds{}, fmt.Errorf("oauth registration: %w", err)
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return clientCreds{}, oauthErrorFrom("registration", resp.StatusCode, data)
	}
	var reg registration
	if err := json.Unmarshal(data, &reg); err != nil || reg.ClientID == "" {
		return clientCreds{}, errors.New("oauth registration: answer has no client_id")
	}
	creds := clientCreds{id: reg.ClientID, secret: reg.ClientSecret, method: reg.TokenEndpointAuthMethod}
	if creds.method == "" {
		creds.method = chooseAuthMethod(as.TokenEndpointAuthMethodsSupported, reg.ClientSecret != "", false)
	}
	if creds.secret == "" {
		creds.method = authNone
	}
	o.log.Info("oauth: client registered", "server", o.server, "auth_method", creds.method)
	return creds, nil
}

// oauthErrorFrom decodes an OAuth error body (RFC 6749 section 5.2).
func oauthErrorFrom(endpoint string, status int, data []byte) error {
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(data, &e)
	return &Error{Endpoint: endpoint, Status: status, Code: e.Error, Description: e.Description}
}
