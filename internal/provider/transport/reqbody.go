package transport

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/llmgate/llmgate/internal/bufpool"
)

// NewRequest returns a request to url with body, and the function the
// caller calls once RoundTrip has returned (whatever it returned). Unless
// pooled, it is http.NewRequestWithContext with a bytes.Reader. A pooled
// body, from bufpool.Get, is shared by the caller, the request's Body and
// the copies its GetBody makes (a transport sends a request again with
// one); the buffer returns to the pool when the last of them is done: the
// caller's release and every body's Close. Transports close a request's
// body when they are done with it, after RoundTrip has returned if they
// like (net/http's HTTP/2 may); H1 does before. net/http's HTTP/1.1
// Transport, not knowing the body's type to be in memory, writes the
// headers of such a request before its body, in a write of their own:
// one more system call for a body of 64 KiB or more.
func NewRequest(ctx context.Context, method, url string, body []byte, pooled bool) (*http.Request, func(), error) {
	if !pooled {
		req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
		return req, func() {}, err
	}
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		bufpool.Put(body)
		return nil, nil, err
	}
	s := &sharedBody{b: body}
	s.refs.Store(2) // the caller's and req.Body's
	req.Body = s.reader()
	req.ContentLength = int64(len(body))
	req.GetBody = func() (io.ReadCloser, error) {
		s.refs.Add(1)
		return s.reader(), nil
	}
	return req, s.release, nil
}

// sharedBody is a pooled body with a count of those who still use it.
type sharedBody struct {
	b    []byte
	refs atomic.Int32
}

func (s *sharedBody) reader() *pooledReader {
	r := &pooledReader{s: s}
	r.Reset(s.b)
	return r
}

func (s *sharedBody) release() {
	if s.refs.Add(-1) == 0 {
		bufpool.Put(s.b)
	}
}

// pooledReader is one reader of a sharedBody. The transports see the
// bytes.Reader in it (see bytesReader) and write the body from memory.
type pooledReader struct {
	bytes.Reader
	s      *sharedBody
	closed atomic.Bool
}

// Close gives up this reader's use of the body; it may be called more than
// once.
func (r *pooledReader) Close() error {
	if r.closed.CompareAndSwap(false, true) {
		r.s.release()
	}
	return nil
}
