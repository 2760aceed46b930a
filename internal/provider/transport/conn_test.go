package transport

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestDialSendsBodies sends bodies of every kind through a Transport that
// dials with Dial, and checks that the server reads each as it was sent.
func TestDialSendsBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		sum := sha256.Sum256(b)
		w.Write(sum[:])
	}))
	defer srv.Close()
	tr := &http.Transport{DialContext: Dial(&net.Dialer{Timeout: 5 * time.Second})}
	defer tr.CloseIdleConnections()
	big := bytes.Repeat([]byte("0123456789abcdef"), 100<<10/16+3)
	cases := []struct {
		name string
		body func() io.Reader
		n    int64 // Content-Length; -1 for chunked
		want []byte
	}{
		{"bytes.Reader 100 KiB", func() io.Reader { return bytes.NewReader(big) }, int64(len(big)), big},
		{"bytes.Reader 10 KiB", func() io.Reader { return bytes.NewReader(big[:10<<10]) }, 10 << 10, big[:10<<10]},
		{"bytes.Reader 100 B", func() io.Reader { return bytes.NewReader(big[:100]) }, 100, big[:100]},
		{"strings.Reader", func() io.Reader { return strings.NewReader(string(big)) }, int64(len(big)), big},
		{"plain reader", func() io.Reader { return struct{ io.Reader }{bytes.NewReader(big)} }, int64(len(big)), big},
		{"chunked", func() io.Reader { return struct{ io.Reader }{bytes.NewReader(big)} }, -1, big},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for range 2 { // the second reuses the connection
				req, err := http.NewRequest(http.MethodPost, srv.URL, c.body())
				if err != nil {
					t.Fatal(err)
				}
				req.ContentLength = c.n
				resp, err := tr.RoundTrip(req)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if want := sha256.Sum256(c.want); err != nil || resp.StatusCode != 200 || !bytes.Equal(got, want[:]) {
					t.Fatalf("status %d, err %v: the server read other bytes than were sent", resp.StatusCode, err)
				}
			}
		})
	}
}

// TestBodyConnWritesFromTheBody checks that an in-memory body limited to
// its length goes out from its own memory, with no copy buffer allocated,
// and that a limit shorter than the body is kept.
func TestBodyConnWritesFromTheBody(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	read := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			read <- -1
			return
		}
		n, _ := io.Copy(io.Discard, c)
		c.Close()
		read <- n
	}()
	c, err := Dial(&net.Dialer{})(t.Context(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	rf, ok := c.(io.ReaderFrom)
	if !ok {
		t.Fatalf("Dial returned a %T, which is no io.ReaderFrom", c)
	}
	body := make([]byte, 100<<10)
	br := bytes.NewReader(body)
	lr := &io.LimitedReader{}
	const runs = 20
	allocs := testing.AllocsPerRun(runs, func() {
		br.Reset(body)
		*lr = io.LimitedReader{R: br, N: int64(len(body))}
		if n, err := rf.ReadFrom(lr); err != nil || n != int64(len(body)) || lr.N != 0 {
			t.Fatalf("wrote %d bytes, err %v, limit left %d", n, err, lr.N)
		}
	})
	if allocs >= 1 {
		t.Errorf("%.1f allocations per body, want none", allocs)
	}
	// A limit below the body's length is io.Copy's to keep.
	br.Reset(body)
	if n, err := rf.ReadFrom(&io.LimitedReader{R: br, N: 1000}); err != nil || n != 1000 {
		t.Fatalf("with a limit of 1000: wrote %d bytes, err %v", n, err)
	}
	c.Close()
	if got, want := <-read, int64((runs+1)*len(body)+1000); got != want {
		t.Errorf("the peer read %d bytes, want %d", got, want)
	}
}

// TestTransportWritesFromTheBody sends a 100 KiB body through a Transport
// that dials with Dial, in a request made as the adapters make theirs
// (http.NewRequest over a bytes.Reader, which the Transport hands on
// wrapped in io.NopCloser) and in one over a reader the connection cannot
// see through, which is copied through io.Copy's 32 KiB buffer, allocated
// per request. The race detector adds allocations of its own (its
// sync.Pool drops items at random), so the test compares the two rather
// than testing one alone.
func TestTransportWritesFromTheBody(t *testing.T) {
	// The server reads into a buffer of its own, not through io.Discard,
	// whose pooled buffer the race detector drops at random.
	var mu sync.Mutex
	buf := make([]byte, 64<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		for {
			if _, err := r.Body.Read(buf); err != nil {
				break
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	tr := &http.Transport{DialContext: Dial(&net.Dialer{Timeout: 5 * time.Second})}
	defer tr.CloseIdleConnections()
	body := make([]byte, 100<<10)
	perRequest := func(newReq func() *http.Request) uint64 {
		send := func() {
			resp, err := tr.RoundTrip(newReq())
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		send() // dials
		const runs = 200
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			send()
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / runs
	}
	ours := perRequest(func() *http.Request {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return req
	})
	opaque := perRequest(func() *http.Request {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL, struct{ io.Reader }{bytes.NewReader(body)})
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = int64(len(body))
		return req
	})
	t.Logf("bytes allocated per request (client and server): over a bytes.Reader %d, over an opaque reader %d", ours, opaque)
	if ours+24<<10 > opaque {
		t.Errorf("a request over a bytes.Reader allocates %d bytes, not at least 24 KiB less than one over an opaque reader (%d): its body was copied through a buffer", ours, opaque)
	}
}

// TestBytesReader checks what bodyConn sees through: a bytes.Reader, bare
// or wrapped by io.NopCloser, and nothing else.
func TestBytesReader(t *testing.T) {
	br := bytes.NewReader([]byte("x"))
	cases := []struct {
		name string
		r    io.Reader
		want *bytes.Reader
	}{
		{"bytes.Reader", br, br},
		{"io.NopCloser(bytes.Reader)", io.NopCloser(br), br},
		{"io.NopCloser(strings.Reader)", io.NopCloser(strings.NewReader("x")), nil},
		{"io.NopCloser(opaque)", io.NopCloser(struct{ io.Reader }{br}), nil},
		{"opaque", struct{ io.Reader }{br}, nil},
		{"nil", nil, nil},
	}
	for _, c := range cases {
		if got := bytesReader(c.r); got != c.want {
			t.Errorf("%s: got %p, want %p", c.name, got, c.want)
		}
	}
}
