package azure

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
				openaiwiretest.WriteAnswer(t, w, r, s, map[providertest.Answer]openaiwiretest.Fixture{
					providertest.AnswerModelNotFound: {Status: http.StatusNotFound, File: "testdata/error_404.json"},
					providertest.AnswerRateLimited:   {Status: http.StatusTooManyRequests, File: "testdata/error_429.json", Header: http.Header{"Retry-After": {"1"}}},
					providertest.AnswerServerError:   {Status: http.StatusInternalServerError, File: "../openaiwire/testdata/error_500.json"},
					providertest.AnswerContextLength: {Status: http.StatusBadRequest, File: "../openaiwire/testdata/error_context_length.json"},
				})
			})
		},
	})
}
