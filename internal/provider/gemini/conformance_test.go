package gemini

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

// conformanceKey is the key the conformance client is built with, in the
// shape of a Google API key.
const conformanceKey = "AIzaSyCONFORMANCE-secret-0123456789abcde"

// TestConformance runs the shared provider suite against a fake Gemini API
// that answers each scenario in the generateContent wire format, streamed
// as server-sent events by streamGenerateContent?alt=sse.
func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		Provider: "gemini",
		Model:    "gemini-2.5-flash",
		Secret:   conformanceKey,
		New: func(t *testing.T, baseURL string, hc *http.Client, _ providertest.Scenario) llmgate.Chatter {
			c, err := New(Config{BaseURL: baseURL, APIKey: conformanceKey, HTTPClient: hc})
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		Upstream: func(t *testing.T, s providertest.Scenario) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.ReadAll(r.Body)
				want := "/v1beta/models/gemini-2.5-flash:generateContent"
				if s.Stream {
					want = "/v1beta/models/gemini-2.5-flash:streamGenerateContent"
				}
				if r.URL.Path != want || (s.Stream && r.URL.Query().Get("alt") != "sse") || r.URL.Query().Has("key") {
					t.Errorf("request %s, want %s (alt=sse when streamed, never the key in the URL)", r.URL, want)
				}
				if s.Answer == providertest.AnswerUnauthorized || r.Header.Get("X-Goog-Api-Key") != conformanceKey {
					// Gemini answers a bad key with 400 and the reason API_KEY_INVALID.
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusBadRequest)
					fmt.Fprintf(w, `{"error":{"code":400,"message":"API key not valid: %s. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}`, r.Header.Get("X-Goog-Api-Key"))
					return
				}
				writeGeminiAnswer(t, w, r, s)
			})
		},
		WholeToolCalls: true,
	})
}

// geminiErrors are the error answers, from the package's fixtures.
var geminiErrors = map[providertest.Answer]struct {
	status int
	file   string
}{
	providertest.AnswerModelNotFound: {http.StatusNotFound, "error_404.json"},
	providertest.AnswerRateLimited:   {http.StatusTooManyRequests, "error_429.json"},
	providertest.AnswerServerError:   {http.StatusInternalServerError, "error_500.json"},
	providertest.AnswerContextLength: {http.StatusBadRequest, "error_400_token_limit.json"},
}

// writeGeminiAnswer answers s in the generateContent wire format.
func writeGeminiAnswer(t *testing.T, w http.ResponseWriter, r *http.Request, s providertest.Scenario) {
	t.Helper()
	if e, ok := geminiErrors[s.Answer]; ok {
		body, err := os.ReadFile(filepath.Join("testdata", e.file))
		if err != nil {
			t.Fatal(err)
		}
		if s.Answer == providertest.AnswerRateLimited {
			// The header wins over the fixture's RetryInfo of 17s.
			w.Header().Set("Retry-After", "1")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(e.status)
		w.Write(body)
		return
	}
	finish := "STOP"
	if s.Answer == providertest.AnswerLength {
		finish = "MAX_TOKENS"
	}
	const usage = `{"promptTokenCount":19,"candidatesTokenCount":9,"totalTokenCount":28}`
	response := func(parts []any, finish, usage string) string {
		p, _ := json.Marshal(parts)
		cand := fmt.Sprintf(`{"content":{"parts":%s,"role":"model"},"index":0`, p)
		if finish != "" {
			cand += fmt.Sprintf(`,"finishReason":%q`, finish)
		}
		out := `{"candidates":[` + cand + `}]`
		if usage != "" {
			out += `,"usageMetadata":` + usage
		}
		return out + `,"modelVersion":"gemini-2.5-flash","responseId":"conf"}`
	}
	call := []any{map[string]any{"functionCall": map[string]any{"id": s.Tool.ID, "name": s.Tool.Name, "args": json.RawMessage(s.Tool.Arguments)}}}
	if !s.Stream {
		parts := []any{map[string]string{"text": s.Text}}
		if s.Answer == providertest.AnswerToolCall {
			parts = call
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, response(parts, finish, usage))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	send := func(data string) {
		fmt.Fprintf(w, "data: %s\r\n\r\n", data)
		w.(http.Flusher).Flush()
	}
	if s.Answer == providertest.AnswerToolCall {
		send(response(call, finish, usage))
		return
	}
	words := strings.SplitAfter(s.Text, " ")
	for i, word := range words {
		if i == len(words)-1 {
			send(response([]any{map[string]string{"text": word}}, finish, usage))
			return
		}
		send(response([]any{map[string]string{"text": word}}, "", ""))
		if i == 1 {
			switch s.Answer {
			case providertest.AnswerStreamCut:
				return // the body ends before any finish reason
			case providertest.AnswerStreamHang:
				<-r.Context().Done()
				return
			}
		}
	}
}
