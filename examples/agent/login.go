package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/mcpbridge/mcpbridge/bridge"
	"github.com/mcpbridge/mcpbridge/config"
	"github.com/mcpbridge/mcpbridge/mcpclient"
	"github.com/mcpbridge/mcpbridge/mcpclient/oauth"
)

// loginFlags are the flags of the OAuth login: --login SERVER runs the
// browser flow for one server of the config and stores its token;
// --token-file is where tokens are kept for later runs.
type loginFlags struct {
	server      *string
	tokenFile   *string
	openBrowser *bool
}

func addLoginFlags(fs *flag.FlagSet) loginFlags {
	return loginFlags{
		server:      fs.String("login", "", "authorize the agent for this server of --config (OAuth in a browser), store the token and exit"),
		tokenFile:   fs.String("token-file", "", "OAuth token file (default: <user config dir>/mcpbridge/tokens.json)"),
		openBrowser: fs.Bool("open-browser", false, "with --login, also open the authorization URL in a browser"),
	}
}

// placeholderRedirect satisfies the configuration of OAuth servers in
// ordinary runs: they use stored tokens and never redirect anyone (a server
// that needs a new authorization fails with a hint to run --login).
const placeholderRedirect = "http://127.0.0.1/callback"

// tokenPath returns the token file to use.
func (f loginFlags) tokenPath() (string, error) {
	if *f.tokenFile != "" {
		return *f.tokenFile, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no place for the token file (give --token-file): %w", err)
	}
	return filepath.Join(dir, "mcpbridge", "tokens.json"), nil
}

// applyTokens makes the HTTP and SSE servers use the token file: servers
// with an OAuth block keep their tokens there (unless the config names its
// own file and --token-file is not given), and servers without one use the
// token a --login stored for them.
func (f loginFlags) applyTokens(ctx context.Context, servers []bridge.Server) error {
	remote := false
	for _, s := range servers {
		remote = remote || httpOf(s) != nil
	}
	if !remote {
		return nil
	}
	path, err := f.tokenPath()
	if err != nil {
		return err
	}
	store := oauth.NewFileTokenStore(path)
	for i := range servers {
		s := httpOf(servers[i]) // each server's own transport: config.Load shares none
		if s == nil {
			continue
		}
		if s.OAuth == nil {
			if _, err := os.Stat(path); err != nil {
				continue // no token file yet: nothing was stored
			}
			tok, err := store.Load(ctx, s.URL)
			if err != nil {
				return fmt.Errorf("server %q: token file: %w", servers[i].Name, err)
			}
			if tok == nil {
				continue
			}
			s.OAuth = &oauth.Config{}
		}
		if s.OAuth.TokenStore == nil || *f.tokenFile != "" {
			s.OAuth.TokenStore = store
		}
		if s.OAuth.RedirectURL == "" {
			s.OAuth.RedirectURL = placeholderRedirect
		}
		bearerUnlessAsked(s.OAuth)
	}
	return nil
}

// bearerUnlessAsked turns DPoP off where the config leaves it to the
// library. A DPoP key lives as long as its process, and the agent's tokens
// outlive it by design (--login stores one for later runs): a token bound
// to the key of the run that got it would be of no use to the next. A
// config that says "dpop" keeps its choice.
func bearerUnlessAsked(o *oauth.Config) {
	if o.DPoP == "" {
		o.DPoP = oauth.DPoPOff
	}
}

// httpOf returns the HTTP or SSE transport of a server, or nil.
func httpOf(s bridge.Server) *mcpclient.HTTP {
	h, _ := s.Transport.(*mcpclient.HTTP)
	return h
}

// loginHint adds what to do to an error asking for authorization.
func loginHint(err error) error {
	var ar *oauth.AuthorizationRequiredError
	if errors.As(err, &ar) {
		return fmt.Errorf("%w (run: agent --login %s)", err, ar.Server)
	}
	return err
}

// login runs the authorization code flow for one server: it serves the
// redirect on a loopback port, prints the authorization URL, waits for the
// browser to come back with the code and stores the token.
func login(ctx context.Context, f loginFlags, configPath string, stderr io.Writer) error {
	servers, warnings, err := config.Load(configPath)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "warning: %s: %s\n", configPath, w)
	}
	if err != nil {
		return err
	}
	var srv *bridge.Server
	for i := range servers {
		if servers[i].Name == *f.server {
			srv = &servers[i]
		}
	}
	switch {
	case srv == nil:
		return fmt.Errorf("--login: %s has no enabled server %q", configPath, *f.server)
	case httpOf(*srv) == nil:
		return fmt.Errorf("--login: server %q is not an HTTP or SSE server", srv.Name)
	}
	path, err := f.tokenPath()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("token file: %w", err)
	}

	remote := *httpOf(*srv) // a copy: the login adapts its OAuth
	auth := oauth.Config{}
	if remote.OAuth != nil {
		auth = *remote.OAuth
	}
	if auth.Grant != "" && auth.Grant != oauth.GrantAuthorizationCode {
		return fmt.Errorf("--login: server %q uses the %s grant, which needs no login", srv.Name, auth.Grant)
	}
	ln, redirect, err := listenLoopback(auth.RedirectURL)
	if err != nil {
		return fmt.Errorf("--login: %w", err)
	}
	codes := make(chan *url.URL, 1)
	hs := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: callbackHandler(redirect.Path, codes)}
	go func() { _ = hs.Serve(ln) }()
	defer func() { _ = hs.Close() }()

	auth.RedirectURL = redirect.String()
	auth.TokenStore = oauth.NewFileTokenStore(path)
	bearerUnlessAsked(&auth)
	auth.Authorizer = oauth.AuthorizerFunc(func(ctx context.Context, server, authURL string) (oauth.AuthorizationResponse, error) {
		fmt.Fprintf(stderr, "To authorize the agent for %q, open this URL in a browser:\n%s\n", server, authURL)
		if *f.openBrowser {
			if err := openURL(authURL); err != nil {
				fmt.Fprintf(stderr, "could not open a browser: %s\n", oneLine(err))
			}
		}
		select {
		case u := <-codes:
			return oauth.ParseAuthorizationResponse(u)
		case <-ctx.Done():
			return oauth.AuthorizationResponse{}, ctx.Err()
		}
	})
	cfg := srv.Config
	remote.OAuth = &auth
	cfg.Transport = &remote
	client, err := mcpclient.Connect(ctx, cfg)
	if err != nil {
		return err
	}
	if err := client.Close(); err != nil {
		return err
	}
	tok, err := auth.TokenStore.Load(ctx, remote.URL)
	if err != nil {
		return fmt.Errorf("token file: %w", err)
	}
	if tok == nil {
		fmt.Fprintf(stderr, "server %q did not ask for authorization; nothing stored\n", srv.Name)
		return nil
	}
	fmt.Fprintf(stderr, "authorized: token for %q stored in %s\n", srv.Name, path)
	return nil
}

// listenLoopback listens where the redirect goes: the configured redirect
// URL when it is a loopback address with a port (a client registered with
// it expects exactly that one), else http://127.0.0.1:<random port>/callback.
func listenLoopback(configured string) (net.Listener, *url.URL, error) {
	if u, err := url.Parse(configured); err == nil && u.Scheme == "http" && u.Port() != "" {
		if h := u.Hostname(); h == "localhost" || h == "127.0.0.1" || h == "::1" {
			ln, err := net.Listen("tcp", net.JoinHostPort(loopbackIP(h), u.Port()))
			if err != nil {
				return nil, nil, fmt.Errorf("listen for the redirect at %s: %w", u.Host, err)
			}
			if u.Path == "" {
				u.Path = "/"
			}
			return ln, u, nil
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("listen for the redirect: %w", err)
	}
	return ln, &url.URL{Scheme: "http", Host: ln.Addr().String(), Path: "/callback"}, nil
}

func loopbackIP(host string) string {
	if host == "::1" {
		return host
	}
	return "127.0.0.1"
}

// callbackHandler hands the first redirect to path over to codes.
func callbackHandler(path string, codes chan<- *url.URL) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != path {
			http.NotFound(w, r)
			return
		}
		select {
		case codes <- r.URL:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			fmt.Fprintln(w, "The agent is authorized; you can close this window.")
		default:
			http.Error(w, "this authorization was already answered", http.StatusConflict)
		}
	})
}

// openURL opens u in the user's browser.
func openURL(u string) error {
	if err := browsable(u); err != nil {
		return err
	}
	return startBrowser(u)
}

// browsable refuses every URL but https, and http to this machine: the
// system's URL opener runs whatever handler a scheme has (file:, custom
// protocols), which an authorization server must not choose.
func browsable(raw string) error {
	u, err := url.Parse(raw)
	if err == nil && u.Host != "" {
		host := u.Hostname()
		ip := net.ParseIP(host)
		if u.Scheme == "https" || u.Scheme == "http" && (host == "localhost" || ip != nil && ip.IsLoopback()) {
			return nil
		}
	}
	return errors.New("not opening the authorization URL: only https URLs (and http on this machine) are opened")
}

// startBrowser hands u to the system's URL opener.
var startBrowser = func(u string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", u)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", u)
	default:
		cmd = exec.Command("xdg-open", u)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

// hasLogin reports whether the arguments ask for --login, so the prompt
// and the API key are not required.
func (f loginFlags) hasLogin() bool { return strings.TrimSpace(*f.server) != "" }
