package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

func TestNewRequest(t *testing.T) {
	for _, body := range [][]byte{[]byte(`{"model":"m"}`), nil} {
		var got []byte
		var gotLength int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, _ = io.ReadAll(r.Body)
			gotLength = r.ContentLength
		}))
		req, err := NewRequest(context.Background(), srv.URL, body)
		if err != nil {
			t.Fatal(err)
		}
		if req.Method != http.MethodPost || req.ContentLength != int64(len(body)) {
			t.Errorf("%q: %s with ContentLength %d", body, req.Method, req.ContentLength)
		}
		// net/http replays a request through GetBody, as often as it needs.
		for i := range 2 {
			rc, err := req.GetBody()
			if err != nil {
				t.Fatalf("%q: replay %d: %v", body, i, err)
			}
			if b, _ := io.ReadAll(rc); !bytes.Equal(b, body) {
				t.Errorf("%q: replay %d read %q", body, i, b)
			}
			rc.Close()
		}
		resp, err := Do(srv.Client(), req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		srv.Close()
		if !bytes.Equal(got, body) || gotLength != int64(len(body)) {
			t.Errorf("the server got %q with Content-Length %d, want %q", got, gotLength, body)
		}
		if len(body) > 0 {
			if _, err := req.GetBody(); !errors.Is(err, errReleased) {
				t.Errorf("replay after Do: %v, want errReleased", err)
			}
		}
	}
}

func TestRequestBodyClose(t *testing.T) {
	req, err := NewRequest(context.Background(), "http://127.0.0.1/", []byte("abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 2)
	if n, err := req.Body.Read(p); n != 2 || err != nil || string(p) != "ab" {
		t.Fatalf("Read: %d %v %q", n, err, p)
	}
	req.Body.Close()
	if n, err := req.Body.Read(p); n != 0 || err != io.EOF {
		t.Errorf("Read after Close: %d, %v; want io.EOF", n, err)
	}
	if rc, err := req.GetBody(); err != nil {
		t.Errorf("replay after the body closed, before Do returned: %v", err)
	} else if b, _ := io.ReadAll(rc); string(b) != "abcdef" {
		t.Errorf("replay read %q", b)
	}
}

// TestRequestBodyIsLetGo holds a stream open after its request was sent and
// checks that the request's body can be collected meanwhile.
func TestRequestBodyIsLetGo(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Write([]byte("data: first\n\n"))
		w.(http.Flusher).Flush()
		<-release
	}))
	defer srv.Close()
	defer close(release)

	collected := make(chan struct{})
	body := bytes.Repeat([]byte("x"), 64<<10)
	runtime.AddCleanup(&body[0], func(c chan struct{}) { close(c) }, collected)
	req, err := NewRequest(context.Background(), srv.URL, body)
	if err != nil {
		t.Fatal(err)
	}
	body = nil
	resp, err := Do(srv.Client(), req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadFull(resp.Body, make([]byte, 5)); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(10 * time.Second)
	for {
		runtime.GC()
		select {
		case <-collected:
			runtime.KeepAlive(req)
			runtime.KeepAlive(resp)
			return
		case <-deadline:
			t.Fatal("the request body is still reachable while its response is open")
		case <-time.After(10 * time.Millisecond):
		}
	}
}
