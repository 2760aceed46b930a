package transport

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/llmgate/llmgate/internal/bufpool"
	"github.com/llmgate/llmgate/internal/bufpool/bufpooltest"
)

// TestNewRequestReleasesAfterLastUse checks that a pooled body goes back
// to the pool once, when the caller has released it and every body the
// request handed out is closed, and not before.
func TestNewRequestReleasesAfterLastUse(t *testing.T) {
	n := bufpooltest.Poison(t)
	buf, pooled := bufpool.Get(bufpool.Min)
	buf = append(buf, bytes.Repeat([]byte("a"), bufpool.Min)...)
	req, release, err := NewRequest(context.Background(), http.MethodPost, "http://example.test/", buf, pooled)
	if err != nil || !pooled {
		t.Fatal(err, pooled)
	}
	if req.ContentLength != int64(bufpool.Min) {
		t.Fatalf("ContentLength %d, want %d", req.ContentLength, bufpool.Min)
	}
	again, err := req.GetBody()
	if err != nil {
		t.Fatal(err)
	}
	release()
	req.Body.Close()
	req.Body.Close() // twice counts once
	if got := n.Load(); got != 0 {
		t.Fatalf("released while a copy from GetBody was open")
	}
	b, err := io.ReadAll(again)
	if err != nil || len(b) != bufpool.Min || b[0] != 'a' {
		t.Fatalf("the copy read %d bytes (%v)", len(b), err)
	}
	again.Close()
	if got := n.Load(); got != 1 {
		t.Fatalf("released %d times once all were done, want 1", got)
	}
}

// TestPooledBodiesSentWhole sends pooled bodies, each different, from
// several goroutines at once through H1 and through net/http's Transport
// over HTTP/1.1 and HTTP/2, with every released buffer overwritten: a
// transport that read a body after its release, or two requests that
// shared a buffer, would send the server other bytes than the request's.
func TestPooledBodiesSentWhole(t *testing.T) {
	n := bufpooltest.Poison(t)
	handler := func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		sum := sha256.Sum256(b)
		fmt.Fprint(w, hex.EncodeToString(sum[:]))
	}
	plain := httptest.NewServer(http.HandlerFunc(handler))
	defer plain.Close()
	h2 := httptest.NewUnstartedServer(http.HandlerFunc(handler))
	h2.EnableHTTP2 = true
	h2.StartTLS()
	defer h2.Close()
	roots := x509.NewCertPool()
	roots.AddCert(h2.Certificate())
	h2Transport := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}
	for _, c := range []struct {
		name string
		rt   http.RoundTripper
		url  string
	}{
		{"H1", &H1{}, plain.URL},
		{"net/http HTTP/1.1", &http.Transport{DialContext: Dial(&net.Dialer{})}, plain.URL},
		{"net/http HTTP/2", h2Transport, h2.URL},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer c.rt.(interface{ CloseIdleConnections() }).CloseIdleConnections()
			before := n.Load()
			const workers, each = 4, 25
			var wg sync.WaitGroup
			errs := make(chan error, workers*each)
			for w := range workers {
				wg.Go(func() {
					for i := range each {
						errs <- sendPooled(c.rt, c.url, fmt.Sprintf("worker %d request %d ", w, i))
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			// Every buffer went back: released once per request, though
			// net/http's HTTP/2 may close a body after RoundTrip returns.
			deadline := time.Now().Add(5 * time.Second)
			for n.Load()-before != workers*each && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if got := n.Load() - before; got != workers*each {
				t.Fatalf("%d buffers went back to the pool after %d requests", got, workers*each)
			}
		})
	}
	if !h2Used.Load() {
		t.Fatal("no request went over HTTP/2")
	}
}

var h2Used atomic.Bool

// sendPooled posts a 100 KiB body made of text repeated in a pooled
// buffer and checks the sum the server read.
func sendPooled(rt http.RoundTripper, url, text string) error {
	buf, pooled := bufpool.Get(100 << 10)
	for len(buf)+len(text) <= 100<<10 {
		buf = append(buf, text...)
	}
	sum := sha256.Sum256(buf)
	req, release, err := NewRequest(context.Background(), http.MethodPost, url, buf, pooled)
	if err != nil {
		return err
	}
	resp, err := rt.RoundTrip(req)
	release()
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.ProtoMajor == 2 {
		h2Used.Store(true)
	}
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if want := hex.EncodeToString(sum[:]); string(got) != want {
		return fmt.Errorf("%q: the server read a body with sum %.12s, want %.12s", text, got, want)
	}
	return nil
}
