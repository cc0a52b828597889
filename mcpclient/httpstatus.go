package mcpclient

import (
	"context"
	"net/http"
	"sync"
)

// httpFailure records the last HTTP error status one operation received, so
// its *Error can say what the server answered and where: mcp-go's errors
// ("authorization required", "legacy SSE server") hide both. It travels in
// the operation's context, so concurrent operations never see each
// other's statuses.
type httpFailure struct {
	mu       sync.Mutex
	status   int
	endpoint string
}

type httpFailureKey struct{}

func withHTTPFailure(ctx context.Context) (context.Context, *httpFailure) {
	f := &httpFailure{}
	return context.WithValue(ctx, httpFailureKey{}, f), f
}

// record notes resp's status when it is an error.
func recordHTTPFailure(req *http.Request, resp *http.Response) {
	if resp == nil || resp.StatusCode < 400 {
		return
	}
	f, ok := req.Context().Value(httpFailureKey{}).(*httpFailure)
	if !ok {
		return
	}
	f.mu.Lock()
	f.status, f.endpoint = resp.StatusCode, redactURL(req.URL.String())
	f.mu.Unlock()
}

// annotate copies the recorded status into e.
func (f *httpFailure) annotate(e *Error) *Error {
	if f == nil || e == nil {
		return e
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.status != 0 && e.HTTPStatus == 0 {
		e.HTTPStatus, e.Endpoint = f.status, f.endpoint
	}
	return e
}
