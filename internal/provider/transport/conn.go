package transport

import (
	"bytes"
	"context"
	"io"
	"net"
)

// Dial returns a DialContext for http.Transport that dials with d and
// returns TCP connections that send an in-memory request body in one write.
//
// The adapters encode a request into memory and send it as a bytes.Reader.
// net/http writes the headers and the body's first bytes through its 4 KiB
// buffer, then hands the rest of the body, limited to its Content-Length, to
// the connection's ReadFrom. A TCP connection copies it through a 32 KiB
// buffer that io.Copy allocates for each request: one more copy of every
// byte, and a write per 32 KiB. Here the rest goes out in one write from the
// body's own memory. Other bodies, and TLS connections, which wrap the
// connection in a tls.Conn of their own, are sent as before.
func Dial(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if tc, ok := c.(*net.TCPConn); ok && err == nil {
			return bodyConn{tc}, nil
		}
		return c, err
	}
}

// bodyConn is a TCP connection whose ReadFrom writes a bytes.Reader body in
// one write.
type bodyConn struct{ *net.TCPConn }

// ReadFrom writes what r holds. net/http passes a request body as an
// io.LimitedReader over the body the request was made with.
func (c bodyConn) ReadFrom(r io.Reader) (int64, error) {
	if lr, ok := r.(*io.LimitedReader); ok {
		if br, ok := lr.R.(*bytes.Reader); ok && int64(br.Len()) <= lr.N {
			n, err := br.WriteTo(c.TCPConn)
			lr.N -= n
			return n, err
		}
	}
	return c.TCPConn.ReadFrom(r)
}
