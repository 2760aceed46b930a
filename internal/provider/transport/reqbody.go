package transport

import (
	"bytes"
	"context"
	"io"
	"math/bits"
	"net/http"
	"sync"
	"sync/atomic"
)

// Request bodies of a prompt or more are encoded into buffers from a pool
// and sent from them: a new buffer of that size is zeroed by the runtime
// before the encoder overwrites it, a pass over every byte of the body, and
// is garbage the next moment. The buffer goes back to the pool once the
// transport is done with the body, which it says by closing it.
const (
	// MinPooledBody is the smallest body GetBodyBuffer pools; smaller
	// ones cost little to allocate.
	MinPooledBody = 64 << 10
	// maxPooledBodyClass is the size class of the largest pooled buffer,
	// 64 KiB << 7 = 8 MiB; larger bodies are allocated.
	maxPooledBodyClass = 7
)

// bodyBuffers holds, per size class c, buffers of MinPooledBody << c bytes.
var bodyBuffers [maxPooledBodyClass + 1]sync.Pool

// bodyClass returns the size class of a buffer of at least n bytes, and
// false past the largest.
func bodyClass(n int) (int, bool) {
	if n <= MinPooledBody {
		return 0, true
	}
	c := bits.Len(uint((n - 1) / MinPooledBody))
	return c, c <= maxPooledBodyClass
}

// GetBodyBuffer returns an empty buffer with room for n bytes: from the
// pool when n is MinPooledBody or more (and not past the largest class), and
// pooled then reports true; the caller sends it with NewRequest, which
// returns it. Otherwise it is a new buffer that is not pooled.
func GetBodyBuffer(n int) (buf []byte, pooled bool) {
	c, ok := bodyClass(n)
	if n < MinPooledBody || !ok {
		return make([]byte, 0, n), false
	}
	if p, _ := bodyBuffers[c].Get().(*[]byte); p != nil {
		return (*p)[:0], true
	}
	return make([]byte, 0, MinPooledBody<<c), true
}

// putBodyBuffer returns b to the pool of its class. A buffer that grew
// past its class while it was filled is left to the garbage collector.
func putBodyBuffer(b []byte) {
	c, ok := bodyClass(cap(b))
	if !ok || cap(b) != MinPooledBody<<c {
		return
	}
	if f := poisonReleased.Load(); f != nil {
		(*f)(b[:cap(b)])
	}
	b = b[:0]
	bodyBuffers[c].Put(&b)
}

// poisonReleased, set by tests, overwrites a buffer as it goes back to the
// pool, so that a read of a body after its release shows.
var poisonReleased atomic.Pointer[func([]byte)]

// NewRequest returns a request to url with body, and the function the
// caller calls once RoundTrip has returned (whatever it returned). Unless
// pooled, it is http.NewRequestWithContext with a bytes.Reader. A pooled
// body, from GetBodyBuffer, is shared by the caller, the request's Body and
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
		putBodyBuffer(body)
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
		putBodyBuffer(s.b)
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
