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

// readFlushing reads the socket, calling beforeWait once, and only, when
// the socket is empty and the read has to wait. It is what net.Conn's Read
// does, with the call between the read that finds nothing and the wait
// for the next bytes: a read the runtime would make before its wait is
// not made twice. ok is false when the connection cannot be read that
// way, and the caller reads as usual.
func (w *waitConn) readFlushing(p []byte) (n int, err error, ok bool) {
	if w.rc == nil {
		return 0, nil, false
	}
	var errno error
	flushed := false
	rerr := w.rc.Read(func(fd uintptr) bool {
		for {
			n, errno = syscall.Read(int(fd), p)
			if errno != syscall.EINTR {
				break
			}
		}
		if errno != syscall.EAGAIN {
			return true
		}
		if !flushed {
			flushed = true
			w.beforeWait()
		}
		return false // wait until the socket is readable, then read again
	})
	switch {
	case rerr != nil:
		return 0, rerr, true // closed, or past its deadline
	case errno != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", errno)}, true
	case n == 0:
		return 0, io.EOF, true
	}
	return n, nil, true
}
