//go:build !unix

package transport

// alive reports whether an idle connection may still serve a request.
// Without a way to peek at the socket, only what is buffered tells.
func (c *h1Conn) alive() bool { return c.br.Buffered() == 0 }

// readFlushing would read and flush only before waiting; here it cannot,
// and the caller flushes and reads as usual.
func (w *waitConn) readFlushing(p []byte) (n int, err error, ok bool) { return 0, nil, false }
