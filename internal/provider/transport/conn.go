package transport

import (
	"bytes"
	"context"
	"io"
	"net"
	"reflect"
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
// io.LimitedReader over the body the request was made with, which
// http.NewRequest wrapped in an io.NopCloser.
func (c bodyConn) ReadFrom(r io.Reader) (int64, error) {
	if lr, ok := r.(*io.LimitedReader); ok {
		if br := bytesReader(lr.R); br != nil && int64(br.Len()) <= lr.N {
			n, err := br.WriteTo(c.TCPConn)
			lr.N -= n
			return n, err
		}
	}
	return c.TCPConn.ReadFrom(r)
}

// nopCloser is the type io.NopCloser returns for a bytes.Reader.
var nopCloser = reflect.TypeOf(io.NopCloser(bytes.NewReader(nil)))

// bytesReader returns the bytes.Reader r is, or that io.NopCloser wrapped
// into r, or that a pooled body (NewRequest) holds, or nil. The wrapper's
// type is unexported, but its one field is the embedded io.Reader, which
// reflection may read.
func bytesReader(r io.Reader) *bytes.Reader {
	switch br := r.(type) {
	case *bytes.Reader:
		return br
	case *pooledReader:
		return &br.Reader
	}
	if reflect.TypeOf(r) != nopCloser {
		return nil
	}
	v := reflect.ValueOf(r)
	if v.Kind() != reflect.Struct || v.NumField() != 1 || !v.Field(0).CanInterface() {
		return nil
	}
	br, _ := v.Field(0).Interface().(*bytes.Reader)
	return br
}
