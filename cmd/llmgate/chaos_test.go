package main

import (
	"database/sql"

	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const chatCompletion = `{"id":"chatcmpl-c","object":"chat.completion","created":1732700000,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}}`

// region is an Azure region standing in for the real one, with faults.
type region struct {
	srv  *httptest.Server
	hits atomic.Int64
}

// newRegion serves chat completions; fault decides, from the 0-based number
// of the request, whether to misbehave and how.
func newRegion(t *testing.T, fault func(n int64) string) *region {
	t.Helper()
	rg := &region{}
	rg.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		n := rg.hits.Add(1) - 1
		switch fault(n) {
		case "429":
			// A short wait, in the millisecond header OpenAI and Azure send.
			w.Header().Set("retry-after-ms", "20")
			w.WriteHeader(429)
			io.WriteString(w, `{"error":{"code":"429","message":"rate limited"}}`)
		case "500":
			w.WriteHeader(500)
			io.WriteString(w, `{"error":{"code":"InternalServerError","message":"boom"}}`)
		case "503":
			w.WriteHeader(503)
			io.WriteString(w, `{"error":{"code":"ServiceUnavailable","message":"busy"}}`)
		case "reset":
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		case "stall":
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		default:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, chatCompletion)
		}
	}))
	t.Cleanup(rg.srv.Close)
	return rg
}

// chaos runs n requests at the given concurrency against a gateway routing
// azure_openai/gpt-4o over two regions, and returns the answers' statuses.
func chaos(t *testing.T, east, west *region, n, concurrency int) (*testGateway, map[int]int, time.Duration) {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "llmgate.yaml")
	os.WriteFile(cfg, []byte(`
routing:
  maxAttempts: 3
  backoffBase: 1ms
  backoffMax: 20ms
  failureThreshold: 5
  cooldown: 30s
  timeouts:
    attempt: 300ms
`), 0o600)
	g := startGateway(t, []string{"--config", cfg, "--log-level", "ERROR"}, []string{
		"AZURE_OPENAI_EAST_ENDPOINT=" + east.srv.URL, "AZURE_OPENAI_EAST_API_KEY=" + azureKey,
		"AZURE_OPENAI_WEST_ENDPOINT=" + west.srv.URL, "AZURE_OPENAI_WEST_API_KEY=" + azureKey,
	})
	var mu sync.Mutex
	statuses := map[int]int{}
	work := make(chan int)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 30 * time.Second}
	start := time.Now()
	for i := 0; i < concurrency; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				req, _ := http.NewRequest("POST", g.base+"/v1/chat", strings.NewReader(chatBody("azure_openai", "gpt-4o", "hi")))
				req.Header.Set("X-Correlation-Id", "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f")
				req.Header.Set("X-User-Id", "chaos")
				req.Header.Set("client_id", "chaos")
				status := 0
				if resp, err := client.Do(req); err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					status = resp.StatusCode
				}
				mu.Lock()
				statuses[status]++
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	// A connection the client dialled but never used is new to the server,
	// whose Shutdown waits five seconds before closing such a one.
	client.CloseIdleConnections()
	return g, statuses, time.Since(start)
}

// ledgerCounts returns the rows and the final rows of a stopped gateway.
func ledgerCounts(t *testing.T, g *testGateway) (rows, finals int64) {
	t.Helper()
	if code := g.stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	db, err := sql.Open("sqlite", g.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow(`SELECT count(*), coalesce(sum(final), 0) FROM ledger`).Scan(&rows, &finals); err != nil {
		t.Fatal(err)
	}
	return rows, finals
}

// TestChaosHalfFailing: one region fails half its requests with mixed
// faults; every client request still succeeds, retries stay within the
// budget, and the ledger has a row for every upstream attempt.
func TestChaosHalfFailing(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000 requests; skipped with -short")
	}
	faults := []string{"500", "503", "reset", "429", "stall"}
	east := newRegion(t, func(int64) string { return "" })
	west := newRegion(t, func(n int64) string {
		if n%2 == 0 {
			return faults[(n/2)%int64(len(faults))]
		}
		return ""
	})
	const n = 2000
	g, statuses, elapsed := chaos(t, east, west, n, 16)
	if statuses[200] != n {
		t.Fatalf("statuses %v, want all %d answered 200", statuses, n)
	}
	attempts := east.hits.Load() + west.hits.Load()
	retries := attempts - n
	// The retry budget: 20% of requests, or 10 a second (the first second's
	// worth available at once), whichever is more.
	budget := max(int64(0.2*n), int64(10*(elapsed.Seconds()+1)))
	t.Logf("%d requests in %v: east %d attempts, west %d, retries %d (budget %d)", n, elapsed.Round(time.Millisecond), east.hits.Load(), west.hits.Load(), retries, budget)
	if retries > budget {
		t.Errorf("%d retries exceed the budget of %d", retries, budget)
	}
	rows, finals := ledgerCounts(t, g)
	if finals != n || rows != attempts {
		t.Errorf("ledger: %d rows (%d final) for %d attempts of %d requests", rows, finals, attempts, n)
	}
}

// TestChaosRegionDown: one region answers nothing but errors; every request
// succeeds and the breaker stops sending to the dead region.
func TestChaosRegionDown(t *testing.T) {
	if testing.Short() {
		t.Skip("2,000 requests; skipped with -short")
	}
	east := newRegion(t, func(int64) string { return "" })
	west := newRegion(t, func(int64) string { return "500" })
	const n, concurrency = 2000, 16
	g, statuses, elapsed := chaos(t, east, west, n, concurrency)
	t.Logf("%d requests in %v: east %d attempts, west %d", n, elapsed.Round(time.Millisecond), east.hits.Load(), west.hits.Load())
	if statuses[200] != n {
		t.Fatalf("statuses %v, want all %d answered 200", statuses, n)
	}
	// Five consecutive failures open the breaker for 30s, longer than the
	// test; requests already on their way when it opened may still arrive.
	if hits := west.hits.Load(); hits > 5+concurrency {
		t.Errorf("the dead region got %d requests; the breaker should have stopped them after 5", hits)
	}
	got := g.do(t, "GET", "/v1/health", "")
	if !strings.Contains(string(got.body), `"name":"azure_openai/west","state":"open"`) {
		t.Errorf("health does not show the open breaker: %s", got.body)
	}
	rows, finals := ledgerCounts(t, g)
	if finals != n || rows != east.hits.Load()+west.hits.Load() {
		t.Errorf("ledger: %d rows (%d final), %d attempts", rows, finals, east.hits.Load()+west.hits.Load())
	}
}
