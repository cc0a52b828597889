package authtest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// FollowAuthorization plays the user who approves the client in a
// browser: it opens authURL without following the redirect and returns
// where the authorization server sends the browser back (the redirect URL
// with the code and state). Our server and the conformance suite's approve
// every request, so no page needs to be filled in.
func FollowAuthorization(ctx context.Context, authURL string) (*url.URL, error) {
	return follow(ctx, &http.Client{}, authURL)
}

// Approve is FollowAuthorization through the server's Client, for servers
// with a PublicBase or TLS.
func (s *Server) Approve(ctx context.Context, authURL string) (*url.URL, error) {
	return follow(ctx, s.Client(), authURL)
}

func follow(ctx context.Context, base *http.Client, authURL string) (*url.URL, error) {
	hc := *base
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	_ = resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("authorization endpoint answered HTTP %d without a redirect", resp.StatusCode)
	}
	return loc, nil
}
