package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/llmgate/llmgate/internal/bufpool/bufpooltest"
)

// TestLargePromptsReachEveryAttemptWhole sends many large prompts at once,
// plain and escaped, streamed and not, on the native and the Anthropic
// surface, through the whole gateway to two
// Azure regions, one of which fails every call, so that most requests are
// encoded and sent twice. A large request body is read into a bufpool
// buffer whose prompt text the request uses in place, and whose JSON form
// of it the upstream body copies; buffers are overwritten as they go
// back: every attempt must still carry its request's own prompt, whole.
func TestLargePromptsReachEveryAttemptWhole(t *testing.T) {
	puts := bufpooltest.Poison(t)
	const size = 100 << 10
	// Even requests have a plain prompt, odd ones lines, tabs, quotes and
	// letters beyond ASCII, which JSON carries with escapes.
	prompt := func(i int) string {
		unit := string(rune('a' + i%26))
		if i%2 == 1 {
			unit = "line \"" + unit + "\"\n\t<café>/東京 "
		}
		return fmt.Sprintf("%06d ", i) + strings.Repeat(unit, size/len(unit))
	}
	var (
		attempts atomic.Int64
		mu       sync.Mutex
		bad      []string
	)
	region := func(fail bool) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			attempts.Add(1)
			var body struct {
				Stream   bool `json:"stream"`
				Messages []struct {
					Content string `json:"content"`
				} `json:"messages"`
			}
			raw, err := io.ReadAll(r.Body)
			if err == nil {
				err = json.Unmarshal(raw, &body)
			}
			var i int
			if err == nil && len(body.Messages) == 1 {
				_, err = fmt.Sscanf(body.Messages[0].Content, "%06d ", &i)
			}
			if err != nil || len(body.Messages) != 1 || body.Messages[0].Content != prompt(i) {
				mu.Lock()
				bad = append(bad, fmt.Sprintf("%.40q (%d bytes): %v", raw, len(raw), err))
				mu.Unlock()
			} else if i%2 == 1 && !bytes.Contains(raw, []byte("<café>")) {
				// The client sent < and > as they are, which the encoder
				// escapes: the prompt was encoded again, not copied.
				mu.Lock()
				bad = append(bad, fmt.Sprintf("prompt %d was escaped again, not copied from the request", i))
				mu.Unlock()
			}
			if fail {
				w.WriteHeader(http.StatusInternalServerError)
				io.WriteString(w, `{"error":{"code":"InternalServerError","message":"boom"}}`)
				return
			}
			if body.Stream {
				w.Header().Set("Content-Type", "text/event-stream")
				io.WriteString(w, `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}`+"\n\ndata: [DONE]\n\n")
				return
			}
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"c1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}}`)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	east, west := region(true), region(false)
	g := startGateway(t, nil, []string{
		"AZURE_OPENAI_A_EAST_ENDPOINT=" + east.URL, "AZURE_OPENAI_A_EAST_API_KEY=" + azureKey,
		"AZURE_OPENAI_B_WEST_ENDPOINT=" + west.URL, "AZURE_OPENAI_B_WEST_API_KEY=" + azureKey,
	})
	before := puts.Load()
	const workers, each = 8, 6
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for k := range each {
				i := w*each + k
				stream := i%4 >= 2
				path, body := "/v1/chat", chatBody("azure_openai", "gpt-4o", prompt(i))
				if stream {
					body = strings.Replace(body, `{"provider"`, `{"stream":true,"provider"`, 1)
				}
				if i%8 >= 4 {
					// The Anthropic surface's body is lent too. Its prompt
					// is quoted as clients quote it, < and > as they are.
					var q bytes.Buffer
					enc := json.NewEncoder(&q)
					enc.SetEscapeHTML(false)
					enc.Encode(prompt(i))
					path = "/anthropic/v1/messages"
					body = fmt.Sprintf(`{"model":"azure_openai/gpt-4o","max_tokens":16,"stream":%v,"messages":[{"role":"user","content":%s}]}`, stream, bytes.TrimSpace(q.Bytes()))
				}
				c := g.do(t, http.MethodPost, path, body)
				if c.status != http.StatusOK || !strings.Contains(string(c.body), "ok") {
					t.Errorf("request %d: status %d: %.300s", i, c.status, c.body)
				}
			}
		})
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	for _, b := range bad {
		t.Errorf("an attempt carried a prompt that is not its request's: %s", b)
	}
	if n := attempts.Load(); n <= workers*each {
		t.Errorf("%d attempts for %d requests: the failing region was not tried", n, workers*each)
	}
	if n := puts.Load() - before; n < workers*each {
		t.Errorf("%d buffers went back to bufpool for %d large requests: their bodies were not pooled", n, workers*each)
	}
}
