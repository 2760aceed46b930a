package openai

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/openaiwire/openaiwiretest"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

// conformanceKey is the key the conformance client is built with.
const conformanceKey = "sk-conformance-SECRET-0123456789abcdef"

// TestConformance runs the shared provider suite against a fake OpenAI API
// that answers each scenario in the Chat Completions wire format.
func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		Provider: "openai",
		Model:    "gpt-4o",
		Secret:   conformanceKey,
		New: func(t *testing.T, baseURL string, hc *http.Client, _ providertest.Scenario) llmgate.Chatter {
			c, err := New(Config{BaseURL: baseURL + "/v1", APIKey: conformanceKey, HTTPClient: hc,
				Models: map[string]string{"gpt-4o": "gpt-4o-2024-08-06"}})
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		Upstream: func(t *testing.T, s providertest.Scenario) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if r.URL.Path != "/v1/chat/completions" || !strings.Contains(string(body), `"model":"gpt-4o-2024-08-06"`) {
					t.Errorf("request %s with body %s, want the mapped model at /v1/chat/completions", r.URL.Path, body)
				}
				if s.Answer == providertest.AnswerUnauthorized || r.Header.Get("Authorization") != "Bearer "+conformanceKey {
					// OpenAI masks the key it echoes; a careless proxy does not.
					w.WriteHeader(http.StatusUnauthorized)
					fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
					return
				}
				if s.Stream != strings.Contains(string(body), `"stream":true`) || (s.Stream && !strings.Contains(string(body), `"include_usage":true`)) {
					t.Errorf("stream %v, body %s", s.Stream, body)
				}
				openaiwiretest.WriteAnswer(t, w, r, s, map[providertest.Answer]openaiwiretest.Fixture{
					providertest.AnswerModelNotFound: {Status: http.StatusNotFound, File: "../openaiwire/testdata/error_404.json"},
					providertest.AnswerRateLimited:   {Status: http.StatusTooManyRequests, File: "testdata/error_429.json", Header: http.Header{"Retry-After": {"1"}}},
					providertest.AnswerServerError:   {Status: http.StatusInternalServerError, File: "../openaiwire/testdata/error_500.json"},
					providertest.AnswerContextLength: {Status: http.StatusBadRequest, File: "../openaiwire/testdata/error_context_length.json"},
				})
			})
		},
	})
}
