package main

import (
	"bufio"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// streamRegion streams an Azure chat completion, or fails as told: "500"
// before any byte, "cut" after the first chunk.
func streamRegion(t *testing.T, mode string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		hits.Add(1)
		if mode == "500" {
			w.WriteHeader(500)
			io.WriteString(w, `{"error":{"code":"InternalServerError","message":"boom"}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		chunk := func(s string) {
			fmt.Fprintf(w, "data: %s\n\n", s)
			w.(http.Flusher).Flush()
		}
		chunk(`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"},"finish_reason":null}]}`)
		if mode == "cut" {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		chunk(`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":" world"},"finish_reason":null}]}`)
		chunk(`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`)
		chunk(`{"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`)
		chunk(`[DONE]`)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// sseEvents posts a streamed chat and returns the event names in order.
func sseEvents(t *testing.T, g *testGateway) ([]string, string) {
	t.Helper()
	body := strings.Replace(chatBody("azure_openai", "gpt-4o", "hi"), `{"provider"`, `{"stream":true,"provider"`, 1)
	req, _ := http.NewRequest("POST", g.base+"/v1/chat", strings.NewReader(body))
	req.Header.Set("X-Correlation-Id", "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f")
	req.Header.Set("X-User-Id", "alice")
	req.Header.Set("client_id", "app")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	var events []string
	var all strings.Builder
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		all.WriteString(sc.Text() + "\n")
		if name, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
			events = append(events, name)
		}
	}
	return events, all.String()
}

func TestStreamFailsOverBeforeTheFirstByte(t *testing.T) {
	east, eastHits := streamRegion(t, "500")
	west, westHits := streamRegion(t, "ok")
	// Round robin starts on the first region in name order: east.
	g := startGateway(t, nil, []string{
		"AZURE_OPENAI_A_EAST_ENDPOINT=" + east.URL, "AZURE_OPENAI_A_EAST_API_KEY=" + azureKey,
		"AZURE_OPENAI_B_WEST_ENDPOINT=" + west.URL, "AZURE_OPENAI_B_WEST_API_KEY=" + azureKey,
	})
	events, all := sseEvents(t, g)
	if strings.Join(events, ",") != "delta,delta,done" || !strings.Contains(all, `"deployment":"azure_openai/b_west","attempts":2`) {
		t.Errorf("events %v:\n%s", events, all)
	}
	if eastHits.Load() != 1 || westHits.Load() != 1 {
		t.Errorf("east %d west %d", eastHits.Load(), westHits.Load())
	}
}

func TestStreamCutMidwayEndsWithAnErrorEvent(t *testing.T) {
	east, eastHits := streamRegion(t, "cut")
	west, westHits := streamRegion(t, "ok")
	g := startGateway(t, nil, []string{
		"AZURE_OPENAI_A_EAST_ENDPOINT=" + east.URL, "AZURE_OPENAI_A_EAST_API_KEY=" + azureKey,
		"AZURE_OPENAI_B_WEST_ENDPOINT=" + west.URL, "AZURE_OPENAI_B_WEST_API_KEY=" + azureKey,
	})
	events, all := sseEvents(t, g)
	// The first chunk reached the client: no retry, a clear error event.
	if strings.Join(events, ",") != "delta,error" || !strings.Contains(all, `"code":"upstream_connection"`) {
		t.Errorf("events %v:\n%s", events, all)
	}
	if eastHits.Load() != 1 || westHits.Load() != 0 {
		t.Errorf("the cut stream was retried: east %d west %d", eastHits.Load(), westHits.Load())
	}
	g.stop()
	db, err := sql.Open("sqlite", g.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var code string
	var stream bool
	if err := db.QueryRow(`SELECT error_code, stream FROM ledger WHERE final = 1`).Scan(&code, &stream); err != nil {
		t.Fatal(err)
	}
	if code != "upstream_connection" || !stream {
		t.Errorf("ledger: %s stream=%v", code, stream)
	}
}

// TestStreamClientGoneCancelsUpstream: a client that leaves mid-stream
// cancels the upstream request, and the stream is in the ledger as closed by
// the client.
func TestStreamClientGoneCancelsUpstream(t *testing.T) {
	cancelled := make(chan struct{}, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"},"finish_reason":null}]}`+"\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		cancelled <- struct{}{}
	}))
	t.Cleanup(up.Close)
	g := startGateway(t, nil, []string{"AZURE_OPENAI_EAST_ENDPOINT=" + up.URL, "AZURE_OPENAI_EAST_API_KEY=" + azureKey})

	body := strings.Replace(chatBody("azure_openai", "gpt-4o", "hi"), `{"provider"`, `{"stream":true,"provider"`, 1)
	req, _ := http.NewRequest("POST", g.base+"/v1/chat", strings.NewReader(body))
	req.Header.Set("X-Correlation-Id", "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f")
	req.Header.Set("X-User-Id", "alice")
	req.Header.Set("client_id", "app")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "event: delta\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	resp.Body.Close() // the client goes away mid-stream
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream stream was not cancelled when the client went away")
	}
	g.stop()
	db, err := sql.Open("sqlite", g.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var code string
	var status int
	if err := db.QueryRow(`SELECT error_code, status FROM ledger WHERE final = 1 AND stream = 1`).Scan(&code, &status); err != nil {
		t.Fatal(err)
	}
	if code != "client_closed" || status != 499 {
		t.Errorf("ledger: %s %d, want client_closed 499", code, status)
	}
}
