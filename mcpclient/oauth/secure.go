package oauth

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// checkSecureURL refuses a URL that is not https, except http to a
// loopback host (a local authorization server, a redirect to a program on
// this machine): OAuth sends secrets to these URLs, or the user. what names
// the URL in the error.
func checkSecureURL(what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s is not a URL (want https)", what)
	}
	switch {
	case u.Host == "":
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("%s %s is not https (only loopback hosts may use http)", what, endpointName(raw))
}

// isLoopback reports whether host is localhost or a loopback address.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// origin is the scheme, host and port of a URL, lower-cased, with the
// default port made explicit, for same-origin checks.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// scrub replaces every secret the client sent in s (an error text an
// authorization server wrote, which may quote the request) with a marker.
func scrub(s string, secrets []string) string {
	for _, v := range secrets {
		if len(v) >= 4 {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}
