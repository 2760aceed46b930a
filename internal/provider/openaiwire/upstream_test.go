package openaiwire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/providertest"
	"github.com/llmgate/llmgate/internal/provider/transport"
)

const testKey = "sk-test-0123456789abcdefghijklmnop"

// serve starts an upstream that answers every request with h.
func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func newUpstream(srv *httptest.Server) *Upstream {
	return &Upstream{Provider: "openai", HTTPClient: srv.Client(), Secret: testKey}
}

func chatReq() *llmgate.ChatRequest {
	return &llmgate.ChatRequest{Model: "gpt-4o", Messages: []llmgate.Message{{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart("hi")}}}}
}

func wantCode(t *testing.T, err error, code llmgate.ErrorCode) *llmgate.Error {
	t.Helper()
	var e *llmgate.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	return e
}

func TestUpstreamChat(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Accept") != "application/json" || r.Header.Get("X-Test") != "1" {
			t.Errorf("headers %v", r.Header)
		}
		w.Write(providertest.ReadFile(t, "chat_response_text.json"))
	})
	r, err := newUpstream(srv).Chat(context.Background(), Endpoint{URL: srv.URL, Header: http.Header{"X-Test": {"1"}}}, chatReq(), ChatOptions{Model: "gpt-4o"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Served.Model != "gpt-4o" || r.Served.Upstream <= 0 || r.ID != "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT" {
		t.Errorf("got Served %+v, ID %q", r.Served, r.ID)
	}
}

func TestUpstreamFailures(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		max     int64
		want    llmgate.ErrorCode
	}{
		{"bad json", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"choices":`) }, 0, llmgate.EUpstreamBadResponse},
		{"html 200", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `<html></html>`) }, 0, llmgate.EUpstreamBadResponse},
		{"too large", func(w http.ResponseWriter, r *http.Request) {
			w.Write(providertest.ReadFile(t, "chat_response_text.json"))
		}, 100, llmgate.EUpstreamBadResponse},
		{"too large chunked", func(w http.ResponseWriter, r *http.Request) {
			w.(http.Flusher).Flush() // no Content-Length: the limit must be found by reading
			w.Write(providertest.ReadFile(t, "chat_response_text.json"))
		}, 100, llmgate.EUpstreamBadResponse},
		{"status 429", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
			w.Write(providertest.ReadFile(t, "error_429.json"))
		}, 0, llmgate.ERateLimited},
		{"status 503 empty body", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }, 0, llmgate.EUpstreamUnavailable},
		{"connection cut mid body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			io.WriteString(w, `{"id":`)
			w.(http.Flusher).Flush()
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}, 0, llmgate.EUpstreamConnection},
		{"connection closed before headers", func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}, 0, llmgate.EUpstreamConnection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, tt.handler)
			u := newUpstream(srv)
			u.MaxResponseBytes = tt.max
			_, err := u.Chat(context.Background(), Endpoint{URL: srv.URL}, chatReq(), ChatOptions{})
			e := wantCode(t, err, tt.want)
			if e.Provider != "openai" {
				t.Errorf("Provider = %q", e.Provider)
			}
		})
	}
}

func TestUpstreamTransportErrors(t *testing.T) {
	// A URL whose query carries a secret, as an Azure or proxy URL may.
	const secretQuery = "?api-key=" + testKey
	block := func(w http.ResponseWriter, r *http.Request) {
		// The server notices a disconnect only once the body is read.
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}

	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		u := &Upstream{Provider: "openai", Secret: testKey}
		_, err = u.Chat(context.Background(), Endpoint{URL: "http://" + addr + "/v1/chat/completions" + secretQuery}, chatReq(), ChatOptions{})
		e := wantCode(t, err, llmgate.EUpstreamConnection)
		checkNoURL(t, e, "/v1/chat/completions")
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("cause %v is not ECONNREFUSED", e.Err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		srv := serve(t, block)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := newUpstream(srv).Chat(ctx, Endpoint{URL: srv.URL + "/x" + secretQuery}, chatReq(), ChatOptions{})
		checkNoURL(t, wantCode(t, err, llmgate.EUpstreamTimeout), "/x")
	})
	t.Run("client timeout", func(t *testing.T) {
		srv := serve(t, block)
		c := srv.Client()
		c.Timeout = 50 * time.Millisecond
		u := &Upstream{Provider: "openai", HTTPClient: c, Secret: testKey}
		_, err := u.Chat(context.Background(), Endpoint{URL: srv.URL + "/x" + secretQuery}, chatReq(), ChatOptions{})
		checkNoURL(t, wantCode(t, err, llmgate.EUpstreamTimeout), "/x")
	})
	t.Run("canceled", func(t *testing.T) {
		started := make(chan struct{})
		srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			close(started)
			<-r.Context().Done()
		})
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-started; cancel() }()
		_, err := newUpstream(srv).Chat(ctx, Endpoint{URL: srv.URL + "/x" + secretQuery}, chatReq(), ChatOptions{})
		checkNoURL(t, wantCode(t, err, llmgate.EClientClosed), "/x")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cause %v is not context.Canceled", err)
		}
	})
	t.Run("malformed URL", func(t *testing.T) {
		u := &Upstream{Provider: "openai", Secret: testKey}
		_, err := u.Chat(context.Background(), Endpoint{URL: "http://[::1" + secretQuery}, chatReq(), ChatOptions{})
		checkNoURL(t, wantCode(t, err, llmgate.EInternal), "[::1")
	})
}

// checkNoURL fails if e shows the URL or the key.
func checkNoURL(t *testing.T, e *llmgate.Error, path string) {
	t.Helper()
	for _, s := range []string{e.Message, e.Error()} {
		if strings.Contains(s, path) || strings.Contains(s, testKey) || strings.Contains(s, "api-key") {
			t.Errorf("error text shows the URL or key: %q", s)
		}
	}
}

// TestUpstreamNeverLeaksKey has the upstream echo the key in every part of
// its error answers. The key does not have OpenAI's sk- shape, so only the
// Secret redaction can hide it.
func TestUpstreamNeverLeaksKey(t *testing.T) {
	const key = "azure-0123456789abcdef0123456789abcdef"
	bodies := []string{
		`{"error":{"message":"Incorrect API key provided: ` + key + `.","type":"invalid_request_error","code":"invalid_api_key"}}`,
		`{"error":{"message":"bad","type":"` + key + `","code":"` + key + `"}}`,
		`{"error":"key ` + key + ` is revoked"}`,
		`<html>key ` + key + `</html>`,
	}
	for _, status := range []int{400, 401, 429, 500, 502} {
		for _, body := range bodies {
			srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(status)
				io.WriteString(w, body)
			})
			u := &Upstream{Provider: "azure_openai", HTTPClient: srv.Client(), Secret: key}
			_, err := u.Chat(context.Background(), Endpoint{URL: srv.URL}, chatReq(), ChatOptions{})
			e := wantCode(t, err, classify(status, &apiError{}))
			if strings.Contains(err.Error(), key) || strings.Contains(e.Message, key) {
				t.Errorf("status %d body %s: key leaked in %q", status, body, err.Error())
			}
			_, err = u.ChatStream(context.Background(), Endpoint{URL: srv.URL}, chatReq(), ChatOptions{})
			if err == nil || strings.Contains(err.Error(), key) {
				t.Errorf("stream, status %d: err %v", status, err)
			}
		}
	}
}

func TestUpstreamChatStream(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "text/event-stream" {
			t.Errorf("Accept = %q", r.Header.Get("Accept"))
		}
		body, _ := io.ReadAll(r.Body)
		if !strings.Contains(string(body), `"stream":true,"stream_options":{"include_usage":true}`) {
			t.Errorf("body %s does not ask for a stream with usage", body)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(providertest.ReadFile(t, "stream_text.sse"))
	})
	s, err := newUpstream(srv).ChatStream(context.Background(), Endpoint{URL: srv.URL}, chatReq(), ChatOptions{Model: "gpt-4o"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	chunks, err := providertest.Drain(t, s)
	if err != io.EOF || len(chunks) != 6 {
		t.Fatalf("%d chunks, err %v", len(chunks), err)
	}
	if chunks[0].Served == nil || chunks[0].Served.Model != "gpt-4o" || chunks[0].Served.Upstream <= 0 || chunks[0].Served.Upstream != s.Latency() {
		t.Errorf("first chunk Served = %+v, Latency %v", chunks[0].Served, s.Latency())
	}
}

// TestUpstreamStreamCancel checks that canceling the request's context
// closes the upstream connection and ends a blocked Recv promptly, and that
// the stream leaves no goroutine behind.
func TestUpstreamStreamCancel(t *testing.T) {
	upstreamGone := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // the server notices a disconnect only once the body is read
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"id\":\"a\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // the client's disconnect
		close(upstreamGone)
	}))
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	before := runtime.NumGoroutine()

	ctx, cancel := context.WithCancel(context.Background())
	u := &Upstream{Provider: "openai", HTTPClient: &http.Client{Transport: tr}}
	s, err := u.ChatStream(ctx, Endpoint{URL: srv.URL}, chatReq(), ChatOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	recvErr := make(chan error, 1)
	go func() {
		_, err := s.Recv() // blocks: the upstream sends nothing more
		recvErr <- err
	}()
	cancel()
	select {
	case err := <-recvErr:
		wantCode(t, err, llmgate.EClientClosed)
	case <-time.After(5 * time.Second):
		t.Fatal("Recv still blocked 5s after cancel")
	}
	select {
	case <-upstreamGone:
	case <-time.After(5 * time.Second):
		t.Fatal("upstream connection still open 5s after cancel")
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	tr.CloseIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond) // polling with a deadline
	}
}

func TestUpstreamEmbedAndImage(t *testing.T) {
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/embeddings":
			w.Write(providertest.ReadFile(t, "embeddings_response.json"))
		case "/images":
			w.Write(providertest.ReadFile(t, "images_response_b64.json"))
		default:
			w.WriteHeader(404)
		}
	})
	u := newUpstream(srv)
	er, err := u.Embed(context.Background(), Endpoint{URL: srv.URL + "/embeddings"}, &llmgate.EmbeddingRequest{Model: "emb", Input: []string{"a", "b"}}, "emb-up")
	if err != nil || len(er.Data) != 2 || er.Served.Model != "emb" || er.Served.Upstream <= 0 {
		t.Errorf("Embed = %+v, %v", er, err)
	}
	ir, err := u.GenerateImage(context.Background(), Endpoint{URL: srv.URL + "/images"}, &llmgate.ImageRequest{Model: "img", Prompt: "p"}, "")
	if err != nil || len(ir.Data) != 2 || ir.Served.Model != "img" || ir.Served.Upstream <= 0 {
		t.Errorf("GenerateImage = %+v, %v", ir, err)
	}
	_, err = u.Embed(context.Background(), Endpoint{URL: srv.URL + "/nope"}, &llmgate.EmbeddingRequest{}, "")
	wantCode(t, err, llmgate.EUpstreamNotFound)
}

// TestSetHeader checks setHeader against what it replaces, cloning the
// endpoint's header and setting two keys, and that the request's header
// can be changed without changing the endpoint's.
func TestSetHeader(t *testing.T) {
	spare := make([]string, 1, 4) // room that an Add must not write into
	spare[0] = "v"
	tests := []struct {
		name string
		ep   http.Header
	}{
		{"nil", nil},
		{"empty", http.Header{}},
		{"key", http.Header{"Api-Key": {"k"}}},
		{"several", http.Header{"Authorization": {"Bearer k"}, "Openai-Organization": {"org"}, "X-Multi": {"a", "b"}, "X-Empty": {}, "X-Nil": nil}},
		{"overridden", http.Header{"Content-Type": {"text/plain"}, "Accept": {"*/*", "x"}}},
		{"not canonical", http.Header{"content-type": {"text/plain"}, "accept": {"*/*"}}},
		{"spare capacity", http.Header{"X-Spare": spare}},
	}
	for _, tt := range tests {
		for _, accept := range [][]string{jsonValue, sseValue} {
			t.Run(tt.name+"/"+accept[0], func(t *testing.T) {
				want := tt.ep.Clone()
				if want == nil {
					want = http.Header{}
				}
				want.Set("Content-Type", "application/json")
				want.Set("Accept", accept[0])
				before := tt.ep.Clone()

				got := http.Header{}
				setHeader(got, tt.ep, accept)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("header (-clone and set +setHeader):\n%s", diff)
				}
				for k := range got {
					got.Add(k, "added")
				}
				got.Set("X-Spare", "set")
				if diff := cmp.Diff(before, tt.ep); diff != "" {
					t.Errorf("changing the request's header changed the endpoint's:\n%s", diff)
				}
				if spare[:2][1] != "" {
					t.Errorf("an Add wrote %q into the endpoint's spare capacity", spare[:2][1])
				}
			})
		}
	}
	if jsonValue[0] != "application/json" || sseValue[0] != "text/event-stream" || len(jsonValue) != 1 || len(sseValue) != 1 {
		t.Errorf("shared values changed: %q, %q", jsonValue, sseValue)
	}
}

// cannedTransport answers every request with body, reading the request's
// body as a real transport sends it.
type cannedTransport struct{ body []byte }

func (c cannedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return &http.Response{
		StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(c.body)),
		ContentLength: int64(len(c.body)),
		Request:       r,
	}, nil
}

// BenchmarkUpstreamChat is one non-streamed call through Upstream.Chat,
// with an http.Client over a transport that answers from memory: what the
// OpenAI wire format costs a request, encoding, sending and decoding.
func BenchmarkUpstreamChat(b *testing.B) {
	u := &Upstream{Provider: "openai", HTTPClient: &http.Client{Transport: cannedTransport{providertest.ReadFile(b, "chat_response_azure.json")}}, Secret: testKey}
	ep := Endpoint{URL: "http://upstream.invalid/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21", Header: http.Header{"Api-Key": {testKey}}}
	for _, size := range benchSizes {
		req := &llmgate.ChatRequest{Model: "gpt-4o", Messages: []llmgate.Message{
			{Role: llmgate.RoleSystem, Content: []llmgate.Part{llmgate.TextPart("You are a helpful assistant.")}},
			{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart(benchText(size.n))}},
		}, Params: llmgate.ChatParams{MaxTokens: ptr(256)}}
		b.Run(size.name, func(b *testing.B) {
			b.SetBytes(int64(size.n))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := u.Chat(context.Background(), ep, req, ChatOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestAnswersOwnTheirText checks that an answer keeps its text once the
// buffer it was read into serves the next answer: decoding copies.
func TestAnswersOwnTheirText(t *testing.T) {
	n := 0
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		n++
		text := strings.Repeat(fmt.Sprintf("answer %d ", n), 50)
		fmt.Fprintf(w, `{"id":"c%d","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":%q},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`, n, text)
	})
	u := newUpstream(srv)
	var got []*llmgate.ChatResponse
	for range 5 {
		r, err := u.Chat(context.Background(), Endpoint{URL: srv.URL}, chatReq(), ChatOptions{Model: "gpt-4o"})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	for i, r := range got {
		want := strings.Repeat(fmt.Sprintf("answer %d ", i+1), 50)
		if r.ID != fmt.Sprintf("c%d", i+1) || r.Choices[0].Message.Text() != want {
			t.Errorf("answer %d changed after later answers: id %q, text %.40q", i+1, r.ID, r.Choices[0].Message.Text())
		}
	}
}

// bodyTypeTransport records the type of each request body it is given.
type bodyTypeTransport struct {
	cannedTransport
	types *[]reflect.Type
}

func (b bodyTypeTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	// io.NopCloser's types hold the reader in a field named Reader.
	t := reflect.TypeOf(r.Body)
	if v := reflect.ValueOf(r.Body); v.Kind() == reflect.Struct {
		if f := v.FieldByName("Reader"); f.IsValid() && !f.IsNil() {
			t = f.Elem().Type()
		}
	}
	*b.types = append(*b.types, t)
	return b.cannedTransport.RoundTrip(r)
}

// TestRequestBodyIsInMemory guards one write per request: net/http's
// Transport sends the headers in a write of their own before a body it does
// not know to be in memory (a bytes.Reader, bytes.Buffer or strings.Reader,
// which http.NewRequest wraps with io.NopCloser), and that costs every call
// a syscall and a packet.
func TestRequestBodyIsInMemory(t *testing.T) {
	var types []reflect.Type
	tr := bodyTypeTransport{cannedTransport{providertest.ReadFile(t, "chat_response_azure.json")}, &types}
	u := &Upstream{Provider: "openai", HTTPClient: &http.Client{Transport: tr}, Secret: testKey}
	ep := Endpoint{URL: "http://upstream.invalid/v1/chat/completions"}
	if _, err := u.Chat(context.Background(), ep, chatReq(), ChatOptions{Model: "gpt-4o"}); err != nil {
		t.Fatal(err)
	}
	// The answer is a chat fixture, whatever Embed makes of it: only the
	// request matters here.
	u.Embed(context.Background(), ep, &llmgate.EmbeddingRequest{Model: "e", Input: []string{"x"}}, "e")
	want := reflect.TypeOf(bytes.NewReader(nil))
	if len(types) != 2 {
		t.Fatalf("%d requests sent, want 2", len(types))
	}
	for i, got := range types {
		if got != want {
			t.Errorf("request %d: body of type %v, want %v", i, got, want)
		}
	}
}

// TestLargeChatBodiesSentWhole sends chats whose bodies are encoded into
// pooled buffers (bufpool.Get), each prompt different, from
// several goroutines at once, and checks that the upstream reads each
// prompt as it was, once. transport's TestPooledBodiesSentWhole, which
// overwrites every released buffer, is the test of the release itself;
// this one is of the adapter's use of it.
func TestLargeChatBodiesSentWhole(t *testing.T) {
	// A large body is sent from a pooled buffer, a small one as before.
	var types []reflect.Type
	tr := bodyTypeTransport{cannedTransport{providertest.ReadFile(t, "chat_response_azure.json")}, &types}
	cu := &Upstream{Provider: "openai", HTTPClient: &http.Client{Transport: tr}, Secret: testKey}
	big := &llmgate.ChatRequest{Model: "gpt-4o", Messages: []llmgate.Message{{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart(strings.Repeat("x", 100<<10))}}}}
	if _, err := cu.Chat(context.Background(), Endpoint{URL: "http://upstream.invalid/v1/chat/completions"}, big, ChatOptions{Model: "gpt-4o"}); err != nil {
		t.Fatal(err)
	}
	if len(types) != 1 || types[0].String() != "*transport.pooledReader" {
		t.Fatalf("a 100 KiB chat was sent with bodies of types %v, want one *transport.pooledReader", types)
	}

	var mu sync.Mutex
	got := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct{ Content string } `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) != 1 {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		got[req.Messages[0].Content]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(providertest.ReadFile(t, "chat_response_azure.json"))
	}))
	defer srv.Close()
	h := &transport.H1{}
	defer h.CloseIdleConnections()
	u := &Upstream{Provider: "openai", HTTPClient: &http.Client{Transport: h}, Secret: testKey}
	prompt := func(w, i int) string { return strings.Repeat(fmt.Sprintf("prompt %d.%d <&> ", w, i), 100<<10/14) }
	const workers, each = 4, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				req := &llmgate.ChatRequest{Model: "gpt-4o", Messages: []llmgate.Message{{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart(prompt(w, i))}}}}
				_, err := u.Chat(context.Background(), Endpoint{URL: srv.URL}, req, ChatOptions{Model: "gpt-4o"})
				errs <- err
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
	for w := range workers {
		for i := range each {
			if n := got[prompt(w, i)]; n != 1 {
				t.Errorf("prompt %d.%d: the upstream read it %d times, want 1", w, i, n)
			}
		}
	}
	if len(got) != workers*each {
		t.Errorf("the upstream read %d different prompts, want %d", len(got), workers*each)
	}
}
