//go:build !unix

package transport

// alive reports whether an idle connection may still serve a request.
// Without a way to peek at the socket, only what is buffered tells.
func (c *h1Conn) alive() bool { return c.br.Buffered() == 0 }

// tryRead would read without waiting; here it cannot, and the caller reads
// as usual.
func (w *waitConn) tryRead(p []byte) (n int, err error, ok bool) { return 0, nil, false }
