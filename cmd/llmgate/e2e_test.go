package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// Secrets that must never leave the gateway.
const (
	azureKey  = "azure-SECRET-key-3f9a7c"
	openaiKey = "sk-SECRET-openai-81be2d"
)

// syncBuffer collects the gateway's log lines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fakeUpstream speaks the Azure OpenAI and OpenAI wire formats.
func fakeUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(upstreamHandler())
	t.Cleanup(srv.Close)
	return srv
}

func upstreamHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		azure := strings.HasPrefix(r.URL.Path, "/openai/deployments/")
		switch {
		case azure && (r.Header.Get("api-key") != azureKey || r.URL.Query().Get("api-version") == ""):
			w.WriteHeader(401)
			// A hostile upstream that echoes the key back.
			fmt.Fprintf(w, `{"error":{"code":"401","message":"Access denied due to invalid subscription key %s."}}`, r.Header.Get("api-key"))
			return
		case !azure && r.Header.Get("Authorization") != "Bearer "+openaiKey:
			w.WriteHeader(401)
			fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s","type":"invalid_request_error","code":"invalid_api_key"}}`, r.Header.Get("Authorization"))
			return
		}
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.Contains(string(body), "please rate limit"):
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(429)
			io.WriteString(w, `{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation have exceeded the rate limit."}}`)
		case strings.HasSuffix(r.URL.Path, "/chat/completions"):
			io.WriteString(w, `{"id":"chatcmpl-up","object":"chat.completion","created":1732700000,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from upstream"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500}}`)
		case strings.HasSuffix(r.URL.Path, "/embeddings"):
			io.WriteString(w, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2]}],"model":"text-embedding-ada-002","usage":{"prompt_tokens":10,"total_tokens":10}}`)
		case strings.HasSuffix(r.URL.Path, "/images/generations"):
			io.WriteString(w, `{"created":1732700000,"data":[{"url":"https://example.com/generated_image.png","revised_prompt":"A cat wearing a hat"}]}`)
		default:
			w.WriteHeader(404)
			io.WriteString(w, `{"error":{"code":"DeploymentNotFound","message":"not found"}}`)
		}
	})
}

// gateway runs the real gateway in-process until the test ends.
type testGateway struct {
	base string
	logs *syncBuffer
	db   string
	stop func() int
}

func startGateway(t *testing.T, args []string, env []string) *testGateway {
	t.Helper()
	dir := t.TempDir()
	g := &testGateway{logs: &syncBuffer{}, db: filepath.Join(dir, "ledger.db")}
	ctx, cancel := context.WithCancel(context.Background())
	addr := make(chan string, 1)
	code := make(chan int, 1)
	args = append([]string{"--host", "127.0.0.1", "--port", "0", "--database-url", "sqlite:" + g.db}, args...)
	var stderr syncBuffer
	go func() {
		code <- run(ctx, args, env, dir, g.logs, &stderr, func(a string) { addr <- a })
	}()
	select {
	case a := <-addr:
		g.base = "http://" + a + "/llm-gate"
	case c := <-code:
		t.Fatalf("gateway exited with %d: %s %s", c, stderr.String(), g.logs.String())
	case <-time.After(20 * time.Second):
		t.Fatal("gateway did not start")
	}
	var once sync.Once
	result := 0
	g.stop = func() int {
		once.Do(func() {
			cancel()
			result = <-code
		})
		return result
	}
	t.Cleanup(func() { g.stop() })
	return g
}

type call struct {
	status int
	header http.Header
	body   []byte
}

func (g *testGateway) do(t *testing.T, method, path, body string) call {
	t.Helper()
	req, _ := http.NewRequest(method, g.base+path, strings.NewReader(body))
	req.Header.Set("X-Correlation-Id", "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f")
	req.Header.Set("X-User-Id", "alice")
	req.Header["client_id"] = []string{"billing-app"}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return call{resp.StatusCode, resp.Header, b}
}

func chatBody(provider, model, text string) string {
	return fmt.Sprintf(`{"provider":{"name":%q,"model":{"name":%q}},"prompt":{"parameter":{"temperature":0.7,"maxTokens":50},"messages":[{"role":"user","content":%q}]}}`, provider, model, text)
}

func TestEndToEnd(t *testing.T) {
	up := fakeUpstream(t)
	env := []string{
		"AZURE_OPENAI_EAST_US_ENDPOINT=" + up.URL,
		"AZURE_OPENAI_EAST_US_API_KEY=" + azureKey,
		"OPENAI_API_KEY=" + openaiKey,
		"OPENAI_BASE_URL=" + up.URL + "/v1",
		"LOG_LEVEL=DEBUG",
	}
	g := startGateway(t, []string{"--mock"}, env)

	checks := []struct {
		name, method, path, body string
		status                   int
		contains                 []string
	}{
		{"health", "GET", "/v1/health", "", 200, []string{`"name":"azure_openai/east_us"`, `"configured":true`}},
		{"providers", "GET", "/v1/providers", "", 200, []string{`"id":"3b276615-51e7-4f05-ae95-4bf4fc6f99bb"`, `"tranningData":"Sep 2021"`, `"value":0.12`}},
		{"azure chat", "POST", "/v1/chat", chatBody("azure_openai", "gpt-4", "Hello, how are you?"), 200,
			// 1000 × $30/M + 500 × $60/M
			[]string{`"content":"Hello from upstream"`, `"deployment":"azure_openai/east_us"`, `"cost":{"currency":"USD","input":0.03,"output":0.03,"total":0.06}`}},
		{"openai chat", "POST", "/v1/chat", chatBody("openai", "gpt-4o", "hi"), 200, []string{`"provider":"openai"`, `"total":0.0075`}},
		{"mock chat", "POST", "/v1/chat", chatBody("mock", "mock-chat", "ping"), 200, []string{`"content":"Mock reply to: ping"`}},
		{"unpriced chat", "POST", "/v1/chat", chatBody("azure_openai", "gpt-35-turbo", "hi"), 200, []string{`"cost":null`}},
		{"azure embeddings", "POST", "/v1/embeddings", `{"provider":{"name":"azure_openai","model":{"name":"text-embedding-ada-002"}},"prompt":{"input":"hello"}}`, 200, []string{`"embedding":[0.1,-0.2]`, `"total":0.000001`}},
		{"azure image", "POST", "/v1/images/generations", `{"provider":{"name":"azure_openai","model":{"name":"dall-e-3"}},"prompt":{"message":"A cat wearing a hat","parameter":{"n":1,"size":"1792x1024","quality":"hd"}}}`, 200, []string{`"url":"https://example.com/generated_image.png"`, `"total":0.12`}},
		{"rate limited", "POST", "/v1/chat", chatBody("azure_openai", "gpt-4o", "please rate limit"), 429, []string{`"code":"rate_limited"`}},
		{"unknown model", "POST", "/v1/chat", chatBody("azure_openai", "gpt-9", "hi"), 404, []string{`"code":"model_not_found"`}},
		{"wrong kind", "POST", "/v1/chat", chatBody("azure_openai", "dall-e-3", "hi"), 400, []string{`"code":"unsupported"`}},
		{"bad json", "POST", "/v1/chat", `{"provider":`, 400, []string{`"code":"invalid_json"`}},
		{"docs", "GET", "/docs", "", 200, []string{"swagger-ui"}},
		{"openapi", "GET", "/openapi.json", "", 200, []string{`"openapi":"3.1.0"`, `"title":"HEIMDALL"`}},
		{"metrics", "GET", "/metrics", "", 200, []string{
			`llmgate_requests_total{api="native",code="",model="gpt-4",operation="chat",provider="azure_openai",status="200"} 1`,
			`llmgate_requests_total{api="native",code="rate_limited",model="gpt-4o",operation="chat",provider="azure_openai",status="429"} 1`,
			`llmgate_cost_total{currency="USD",model="gpt-4",provider="azure_openai"} 0.06`,
			`llmgate_deployment_state{deployment="azure_openai/east_us",state="healthy"} 1`,
		}},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			got := g.do(t, c.method, c.path, c.body)
			if got.status != c.status {
				t.Fatalf("status %d, want %d: %s", got.status, c.status, got.body)
			}
			for _, s := range c.contains {
				if !bytes.Contains(got.body, []byte(s)) {
					t.Errorf("body lacks %s:\n%s", s, got.body)
				}
			}
			if bytes.Contains(got.body, []byte(azureKey)) || bytes.Contains(got.body, []byte(openaiKey)) {
				t.Errorf("a key leaked into %s", c.path)
			}
			if c.status == 429 && got.header.Get("Retry-After") != "7" {
				t.Errorf("Retry-After %q", got.header.Get("Retry-After"))
			}
		})
	}

	// A bad key upstream: the echoed key must not come back.
	t.Run("upstream echoes the key", func(t *testing.T) {
		g2 := startGateway(t, nil, []string{
			"AZURE_OPENAI_WEST_EUROPE_ENDPOINT=" + up.URL,
			"AZURE_OPENAI_WEST_EUROPE_API_KEY=" + azureKey + "-wrong",
			"OPENAI_API_KEY=" + openaiKey + "-wrong",
			"OPENAI_BASE_URL=" + up.URL + "/v1",
		})
		for _, p := range []string{"azure_openai", "openai"} {
			got := g2.do(t, "POST", "/v1/chat", chatBody(p, "gpt-4o", "hi"))
			if got.status != 502 || !bytes.Contains(got.body, []byte(`"code":"upstream_auth"`)) {
				t.Errorf("%s: %d %s", p, got.status, got.body)
			}
			if bytes.Contains(got.body, []byte("SECRET")) {
				t.Errorf("%s: the key leaked into the response: %s", p, got.body)
			}
		}
		g2.stop()
		if strings.Contains(g2.logs.String(), "SECRET") {
			t.Errorf("a key leaked into the logs:\n%s", g2.logs.String())
		}
	})

	// Usage over what was just done.
	usage := g.do(t, "GET", "/v1/usage?groupBy=model", "")
	if usage.status != 200 {
		t.Fatalf("usage %d %s", usage.status, usage.body)
	}
	var u struct {
		Data []struct {
			Key              string
			Requests, Errors int64
			TotalTokens      int64
			Cost             json.Number
			Unpriced         int64
		}
	}
	if err := json.Unmarshal(usage.body, &u); err != nil {
		t.Fatal(err)
	}
	byKey := map[string]int{}
	for i, row := range u.Data {
		byKey[row.Key] = i
	}
	gpt4 := u.Data[byKey["azure_openai/gpt-4"]]
	if gpt4.Requests != 1 || gpt4.TotalTokens != 1500 || gpt4.Cost.String() != "0.06" {
		t.Errorf("gpt-4 usage %+v", gpt4)
	}
	if row := u.Data[byKey["azure_openai/gpt-35-turbo"]]; row.Unpriced != 1 {
		t.Errorf("gpt-35-turbo usage %+v", row)
	}

	if code := g.stop(); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	logs := g.logs.String()
	for _, secret := range []string{azureKey, openaiKey, "SECRET"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain %q", secret)
		}
	}
	if !strings.Contains(logs, `"correlationId":"9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f"`) || !strings.Contains(logs, `"clientId":"billing-app"`) {
		t.Errorf("request log lines lack the caller:\n%s", logs)
	}

	// Every request that reached the API is a ledger row, with its caller.
	db, err := sql.Open("sqlite", g.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var leaks int
	if err := db.QueryRow(`SELECT count(*) FROM ledger WHERE (correlation_id || user_id || client_id || provider || model || deployment || error_code) LIKE '%SECRET%'`).Scan(&leaks); err != nil || leaks != 0 {
		t.Errorf("ledger rows holding a secret: %d (%v)", leaks, err)
	}
	var rows, finals, withCaller int
	if err := db.QueryRow(`SELECT count(*), sum(final), sum(correlation_id = '9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f' AND user_id = 'alice' AND client_id = 'billing-app') FROM ledger`).Scan(&rows, &finals, &withCaller); err != nil {
		t.Fatal(err)
	}
	// 10 POSTs to the API above; GETs are not priced requests.
	if finals != 10 || withCaller != rows {
		t.Errorf("ledger: %d rows, %d final, %d with the caller; want 10 final", rows, finals, withCaller)
	}
}

// TestUpstreamTLSVerification checks HTTPX_CLIENT_VERIFY against an upstream
// with a self-signed certificate: refused by default, accepted (with a
// warning at start-up) when set to False, as the seed's .env does.
func TestUpstreamTLSVerification(t *testing.T) {
	up := httptest.NewTLSServer(upstreamHandler())
	t.Cleanup(up.Close)
	env := []string{"AZURE_OPENAI_EAST_US_ENDPOINT=" + up.URL, "AZURE_OPENAI_EAST_US_API_KEY=" + azureKey}

	strict := startGateway(t, nil, env)
	got := strict.do(t, "POST", "/v1/chat", chatBody("azure_openai", "gpt-4", "hi"))
	if got.status != 502 || !bytes.Contains(got.body, []byte(`"code":"upstream_connection"`)) {
		t.Errorf("verifying gateway: %d %s", got.status, got.body)
	}
	if bytes.Contains(got.body, []byte(up.URL)) {
		t.Errorf("the upstream URL leaked: %s", got.body)
	}

	lax := startGateway(t, nil, append(env, "HTTPX_CLIENT_VERIFY=False"))
	got = lax.do(t, "POST", "/v1/chat", chatBody("azure_openai", "gpt-4", "hi"))
	if got.status != 200 {
		t.Errorf("HTTPX_CLIENT_VERIFY=False: %d %s", got.status, got.body)
	}
	if !strings.Contains(lax.logs.String(), "NOT verified") || strings.Contains(strict.logs.String(), "NOT verified") {
		t.Error("the start-up warning about TLS verification is missing or shown when verifying")
	}
}

// TestClientDisconnectCancelsUpstream checks that a client that goes away
// cancels the upstream request, and that the request is still in the ledger.
func TestClientDisconnectCancelsUpstream(t *testing.T) {
	arrived := make(chan struct{}, 1)
	cancelled := make(chan struct{}, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body) // net/http notices a closed connection only once the body is read
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
			cancelled <- struct{}{}
		case <-time.After(30 * time.Second):
		}
	}))
	t.Cleanup(up.Close)
	g := startGateway(t, nil, []string{"AZURE_OPENAI_EAST_US_ENDPOINT=" + up.URL, "AZURE_OPENAI_EAST_US_API_KEY=" + azureKey})

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", g.base+"/v1/chat", strings.NewReader(chatBody("azure_openai", "gpt-4", "hi")))
	req.Header.Set("X-Correlation-Id", "9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f")
	req.Header.Set("X-User-Id", "alice")
	req.Header.Set("client_id", "app")
	errc := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the request never reached the upstream")
	}
	cancel()
	<-errc
	select {
	case <-cancelled:
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream request was not cancelled when the client went away")
	}
	g.stop()
	db, err := sql.Open("sqlite", g.db)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var code string
	var status int
	if err := db.QueryRow(`SELECT error_code, status FROM ledger WHERE final = 1`).Scan(&code, &status); err != nil {
		t.Fatal(err)
	}
	if code != "client_closed" || status != 499 {
		t.Errorf("ledger row: %s %d, want client_closed 499", code, status)
	}
}

// TestCatalogReloadsWhenTheFileChanges edits the config file of a running
// gateway and waits for /v1/providers to show the change.
func TestCatalogReloadsWhenTheFileChanges(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "llmgate.yaml")
	write := func(enabled bool) {
		t.Helper()
		y := fmt.Sprintf("providers:\n  - name: azure_openai\n    models:\n      - name: gpt-4\n        enabled: %v\n", enabled)
		tmp := file + ".tmp"
		if err := os.WriteFile(tmp, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, file); err != nil {
			t.Fatal(err)
		}
	}
	write(true)
	g := startGateway(t, []string{"--config", file}, nil)
	gpt4Enabled := func() bool {
		var cat struct {
			Data []struct {
				Name  string
				Model []struct {
					Name    string
					Enabled bool
				}
			}
		}
		got := g.do(t, "GET", "/v1/providers", "")
		if err := json.Unmarshal(got.body, &cat); err != nil {
			t.Fatal(err)
		}
		for _, p := range cat.Data {
			for _, m := range p.Model {
				if p.Name == "azure_openai" && m.Name == "gpt-4" {
					return m.Enabled
				}
			}
		}
		t.Fatal("gpt-4 is not in the catalog")
		return false
	}
	if !gpt4Enabled() {
		t.Fatal("gpt-4 disabled before the change")
	}
	write(false)
	deadline := time.Now().Add(10 * time.Second)
	for gpt4Enabled() {
		if time.Now().After(deadline) {
			t.Fatal("the catalog did not reload after the file changed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	got := g.do(t, "POST", "/v1/chat", chatBody("azure_openai", "gpt-4", "hi"))
	if got.status != 403 || !bytes.Contains(got.body, []byte(`"code":"model_disabled"`)) {
		t.Errorf("chat with the disabled model: %d %s", got.status, got.body)
	}
	// A broken file keeps the running catalog.
	os.WriteFile(file, []byte("providers: [oops\n"), 0o600)
	deadline = time.Now().Add(10 * time.Second)
	for !strings.Contains(g.logs.String(), "configuration reload failed") {
		if time.Now().After(deadline) {
			t.Fatal("no log line about the failed reload")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if gpt4Enabled() {
		t.Error("a broken file changed the catalog")
	}
}

// TestPprofListener checks that LLMGATE_PPROF_ADDR serves the profiles on
// a listener of their own, and that the API never serves them.
func TestPprofListener(t *testing.T) {
	g := startGateway(t, nil, []string{"LLMGATE_PPROF_ADDR=127.0.0.1:0"})
	m := regexp.MustCompile(`"msg":"pprof listening","addr":"(http://[^"]+)"`).FindStringSubmatch(g.logs.String())
	if m == nil {
		t.Fatalf("no pprof address in the logs:\n%s", g.logs.String())
	}
	resp, err := http.Get(m[1] + "cmdline")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("pprof listener: status %d", resp.StatusCode)
	}
	root := strings.TrimSuffix(g.base, "/llm-gate")
	for _, u := range []string{root + "/debug/pprof/cmdline", g.base + "/debug/pprof/cmdline"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("the API served %s: status %d", u, resp.StatusCode)
		}
	}
}
