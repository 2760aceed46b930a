package azure

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

// conformanceKey is the key the conformance client is built with.
const conformanceKey = "azure-conformance-SECRET-5e7d1c"

// TestConformance runs the shared provider suite against a fake Azure
// OpenAI resource that answers each scenario on the deployment's path, in
// the Chat Completions wire format, with Azure's error bodies.
func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		Provider: "azure_openai",
		Model:    "gpt-4o",
		Secret:   conformanceKey,
		New: func(t *testing.T, baseURL string, hc *http.Client, _ providertest.Scenario) llmgate.Chatter {
			c, err := New(Config{Endpoint: baseURL, APIKey: conformanceKey, HTTPClient: hc,
				Deployments: map[string]string{"gpt-4o": "gpt-4o-deploy"}})
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		Upstream: func(t *testing.T, s providertest.Scenario) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if r.URL.Path != "/openai/deployments/gpt-4o-deploy/chat/completions" || r.URL.Query().Get("api-version") != DefaultAPIVersion || strings.Contains(string(body), `"model"`) {
					t.Errorf("request %s with body %s, want the deployment's path, the api-version and no model", r.URL, body)
				}
				if s.Answer == providertest.AnswerUnauthorized || r.Header.Get("api-key") != conformanceKey {
					// A careless proxy in front of Azure echoes the key.
					w.WriteHeader(http.StatusUnauthorized)
					fmt.Fprintf(w, `{"error":{"code":"401","message":"Access denied due to invalid subscription key %s or wrong API endpoint."}}`, r.Header.Get("api-key"))
					return
				}
				if s.Stream != strings.Contains(string(body), `"stream":true`) || (s.Stream && !strings.Contains(string(body), `"include_usage":true`)) {
					t.Errorf("stream %v, body %s", s.Stream, body)
				}
				writeOpenAIAnswer(t, w, r, s, map[providertest.Answer]fixtureAnswer{
					providertest.AnswerModelNotFound: {http.StatusNotFound, "testdata/error_404.json", nil},
					providertest.AnswerRateLimited:   {http.StatusTooManyRequests, "testdata/error_429.json", http.Header{"Retry-After": {"1"}}},
					providertest.AnswerServerError:   {http.StatusInternalServerError, "../openaiwire/testdata/error_500.json", nil},
					providertest.AnswerContextLength: {http.StatusBadRequest, "../openaiwire/testdata/error_context_length.json", nil},
				})
			})
		},
	})
}

// fixtureAnswer is an error answer served from a fixture file.
type fixtureAnswer struct {
	status int
	file   string
	header http.Header
}

// writeOpenAIAnswer answers s in the Chat Completions wire format: an error
// from errs, or a completion, streamed as server-sent events when s.Stream.
func writeOpenAIAnswer(t *testing.T, w http.ResponseWriter, r *http.Request, s providertest.Scenario, errs map[providertest.Answer]fixtureAnswer) {
	t.Helper()
	if fa, ok := errs[s.Answer]; ok {
		body, err := os.ReadFile(filepath.FromSlash(fa.file))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range fa.header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(fa.status)
		w.Write(body)
		return
	}
	finish := "stop"
	switch s.Answer {
	case providertest.AnswerLength:
		finish = "length"
	case providertest.AnswerToolCall:
		finish = "tool_calls"
	}
	usage := `{"prompt_tokens":19,"completion_tokens":9,"total_tokens":28}`
	if !s.Stream {
		msg := map[string]any{"role": "assistant", "content": s.Text}
		if s.Answer == providertest.AnswerToolCall {
			msg = map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{
				"id": s.Tool.ID, "type": "function", "function": map[string]string{"name": s.Tool.Name, "arguments": s.Tool.Arguments}}}}
		}
		m, _ := json.Marshal(msg)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"chatcmpl-conf","object":"chat.completion","created":1700000000,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":%s,"logprobs":null,"finish_reason":%q}],"usage":%s}`, m, finish, usage)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	chunk := func(delta any, finish, usage string) {
		d, _ := json.Marshal(delta)
		fr := "null"
		if finish != "" {
			fr = `"` + finish + `"`
		}
		choices := fmt.Sprintf(`[{"index":0,"delta":%s,"logprobs":null,"finish_reason":%s}]`, d, fr)
		if usage != "" {
			choices, usage = "[]", `,"usage":`+usage
		}
		fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-conf\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-2024-08-06\",\"choices\":%s%s}\n\n", choices, usage)
		w.(http.Flusher).Flush()
	}
	chunk(map[string]any{"role": "assistant", "content": ""}, "", "")
	if s.Answer == providertest.AnswerToolCall {
		args := s.Tool.Arguments
		half := len(args) / 2
		chunk(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "id": s.Tool.ID, "type": "function", "function": map[string]string{"name": s.Tool.Name, "arguments": ""}}}}, "", "")
		chunk(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]string{"arguments": args[:half]}}}}, "", "")
		chunk(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]string{"arguments": args[half:]}}}}, "", "")
	} else {
		words := strings.SplitAfter(s.Text, " ")
		for i, word := range words {
			chunk(map[string]string{"content": word}, "", "")
			if i == 1 {
				switch s.Answer {
				case providertest.AnswerStreamCut:
					return // the body ends without [DONE]
				case providertest.AnswerStreamHang:
					<-r.Context().Done()
					return
				}
			}
		}
	}
	chunk(map[string]any{}, finish, "")
	chunk(nil, "", usage)
	io.WriteString(w, "data: [DONE]\n\n")
}
