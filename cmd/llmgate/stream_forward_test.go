package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestStreamForwardsEachChunkAsItArrives runs a stream in lock step: the
// upstream sends its next chunk only once the client has read the event of
// the one before. A gateway that held an event back, waiting for more to
// write at once, would stall here. Every surface is checked.
func TestStreamForwardsEachChunkAsItArrives(t *testing.T) {
	words := []string{"one", " two", " three", " four"}
	next := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		chunk := func(s string) {
			fmt.Fprintf(w, "data: %s\n\n", s)
			w.(http.Flusher).Flush()
		}
		for i, word := range words {
			if i > 0 {
				select {
				case <-next:
				case <-r.Context().Done():
					return
				}
			}
			chunk(`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"` + word + `"},"finish_reason":null}]}`)
		}
		chunk(`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`)
		chunk(`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":4,"total_tokens":9}}`)
		chunk(`[DONE]`)
	}))
	t.Cleanup(up.Close)
	g := startGateway(t, nil, []string{"AZURE_OPENAI_EAST_ENDPOINT=" + up.URL, "AZURE_OPENAI_EAST_API_KEY=" + azureKey})

	surfaces := []struct {
		name, path, body string
	}{
		{"native", "/v1/chat", strings.Replace(chatBody("azure_openai", "gpt-4o", "hi"), `{"provider"`, `{"stream":true,"provider"`, 1)},
		{"openai", "/openai/v1/chat/completions", `{"model":"azure_openai/gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`},
		{"anthropic", "/anthropic/v1/messages", `{"model":"azure_openai/gpt-4o","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hi"}]}`},
	}
	for _, sf := range surfaces {
		t.Run(sf.name, func(t *testing.T) {
			// The timeout ends the test if even the response headers are
			// held back.
			client := &http.Client{Timeout: 30 * time.Second}
			req, _ := http.NewRequest("POST", g.base+sf.path, strings.NewReader(sf.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Correlation-Id", "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f")
			req.Header.Set("X-User-Id", "alice")
			req.Header.Set("client_id", "app")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				b, _ := io.ReadAll(resp.Body)
				t.Fatalf("status %d: %s", resp.StatusCode, b)
			}
			lines := make(chan string)
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(resp.Body)
				for sc.Scan() {
					lines <- sc.Text()
				}
			}()
			for i, word := range words {
				want := strings.TrimPrefix(fmt.Sprintf("%q", word), `"`)
				want = `"` + want // the word as a JSON string, quotes included
				deadline := time.After(10 * time.Second)
			wait:
				for {
					select {
					case line, ok := <-lines:
						if !ok {
							t.Fatalf("the stream ended before chunk %d", i)
						}
						if strings.HasPrefix(line, "data:") && strings.Contains(line, want) {
							break wait
						}
					case <-deadline:
						t.Fatalf("chunk %d (%q) was not forwarded while the upstream waited for the client", i, word)
					}
				}
				if i < len(words)-1 {
					select {
					case next <- struct{}{}:
					case <-time.After(10 * time.Second):
						t.Fatal("the upstream did not ask for its next chunk")
					}
				}
			}
			for range lines { // the rest of the stream
			}
		})
	}
}

// TestStreamsKeepTheUpstreamConnection runs streams one after another for
// every provider family and checks that they share one upstream
// connection: a stream that ends at its protocol's end marker ([DONE],
// message_stop) must still read the body to its end, or the HTTP client
// drops the connection and the next stream dials a new one.
func TestStreamsKeepTheUpstreamConnection(t *testing.T) {
	fams := families()
	var env []string
	conns := make([]*atomic.Int64, len(fams))
	for i := range fams {
		srv, n := newCountingFake(t, fams[i].wire)
		conns[i] = n
		env = append(env, fams[i].env(srv.URL)...)
	}
	g := startGateway(t, nil, env)
	for i, f := range fams {
		t.Run(f.name, func(t *testing.T) {
			provider, model, _ := strings.Cut(f.model, "/")
			body := strings.Replace(chatBody(provider, model, "say hello"), `{"provider"`, `{"stream":true,"provider"`, 1)
			for range 3 {
				got := g.do(t, "POST", "/v1/chat", body)
				if got.status != 200 || !strings.Contains(string(got.body), "event: done") {
					t.Fatalf("status %d: %s", got.status, got.body)
				}
			}
			if n := conns[i].Load(); n != 1 {
				t.Errorf("three streams used %d upstream connections, want 1", n)
			}
		})
	}
}
