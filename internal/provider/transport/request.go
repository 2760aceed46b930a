package transport

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
)

// errReleased is what a request body replay gets after Do has returned.
var errReleased = errors.New("the request body was released after its round trip")

// NewRequest returns a POST of body to url for ctx, whose body lets go of
// its bytes once they are no longer needed. With http.NewRequest and a
// bytes.Reader, the request keeps body reachable for as long as net/http
// keeps the request, which is until its response body is closed: a stream
// held open for minutes keeps its whole prompt. Here the body forgets its
// bytes when the Transport closes it, after writing it, and the replay
// function (GetBody, which net/http uses to resend a request on a fresh
// connection) forgets them when Do returns.
func NewRequest(ctx context.Context, url string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		return nil, err
	}
	if len(body) == 0 {
		req.Body, req.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
		return req, nil
	}
	src := &bodySource{data: body}
	req.ContentLength = int64(len(body))
	req.Body = &requestBody{src: src, rest: body}
	req.GetBody = src.replay
	return req, nil
}

// bodySource holds a request's body for replays until Do releases it.
type bodySource struct {
	mu   sync.Mutex
	data []byte
}

func (s *bodySource) replay() (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data == nil {
		return nil, errReleased
	}
	return &requestBody{rest: s.data}, nil
}

func (s *bodySource) release() {
	s.mu.Lock()
	s.data = nil
	s.mu.Unlock()
}

// requestBody reads a request body once and forgets it when closed or read
// to its end. The Transport may close it on another goroutine than the one
// reading it, hence the lock.
type requestBody struct {
	src  *bodySource // the request's own body carries it, for Do; nil on a replay
	mu   sync.Mutex
	rest []byte // the unread part; nil once read or closed
}

func (b *requestBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.rest) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.rest)
	b.rest = b.rest[n:]
	if len(b.rest) == 0 {
		b.rest = nil // an empty slice at the end of the array still holds it
	}
	return n, nil
}

func (b *requestBody) Close() error {
	b.mu.Lock()
	b.rest = nil
	b.mu.Unlock()
	return nil
}

// releaseBody lets a request made by NewRequest forget its body for
// replays: its round trip is over, and nothing will resend it.
func releaseBody(req *http.Request) {
	if b, ok := req.Body.(*requestBody); ok && b.src != nil {
		b.src.release()
	}
}
