//go:build unix

package transport

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// alive reports whether an idle connection may still serve a request:
// nothing is buffered, and a non-blocking peek at its socket finds neither
// the server's close nor stray bytes, only that there is nothing to read.
// The server closes idle connections when it likes; without this check the
// request after such a close would be written to a dead connection.
func (c *h1Conn) alive() bool {
	if c.br.Buffered() > 0 {
		return false
	}
	rc := c.wc.rc
	if rc == nil {
		return true
	}
	var buf [1]byte
	var perr error
	err := rc.Read(func(fd uintptr) bool {
		_, _, perr = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true // never wait
	})
	if err != nil {
		return false
	}
	return errors.Is(perr, syscall.EAGAIN)
}

// tryRead reads what the socket holds without waiting; ok is false when it
// holds nothing yet (or the connection cannot be read that way), and the
// caller reads as usual.
func (w *waitConn) tryRead(p []byte) (n int, err error, ok bool) {
	if w.rc == nil || len(p) == 0 {
		return 0, nil, false
	}
	var errno error
	rerr := w.rc.Read(func(fd uintptr) bool {
		n, errno = syscall.Read(int(fd), p)
		return true // never wait
	})
	switch {
	case rerr != nil:
		return 0, rerr, true // closed, or past its deadline
	case errno == syscall.EAGAIN || errno == syscall.EINTR:
		return 0, nil, false
	case errno != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", errno)}, true
	case n == 0:
		return 0, io.EOF, true
	}
	return n, nil, true
}
