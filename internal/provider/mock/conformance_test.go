package mock

import (
	"net/http"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

// TestConformance runs the shared provider suite. The mock has no upstream:
// its answers are set by its configuration, so each scenario gets a client
// whose reply is the scenario's text.
func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		Provider: "mock",
		Model:    "mock-chat",
		New: func(t *testing.T, _ string, _ *http.Client, s providertest.Scenario) llmgate.Chatter {
			cfg := Config{Reply: s.Text}
			switch s.Answer {
			case providertest.AnswerLength:
				// The mock cuts its reply at MaxTokens words; give it more.
				cfg.Reply = s.Text + " and some more words"
			case providertest.AnswerStreamHang:
				// The second chunk waits until the context is cancelled.
				cfg.ChunkDelay = time.Hour
			}
			return New(cfg)
		},
		Skip: map[providertest.Feature]string{
			providertest.FeatureErrors:     "the mock has no upstream to fail",
			providertest.FeatureStreamCut:  "the mock has no upstream connection to lose",
			providertest.FeatureJSONSchema: "the mock answers its configured reply whatever format is asked",
			providertest.FeatureJSONObject: "the mock answers its configured reply whatever format is asked",
			providertest.FeatureStop:       "the mock answers its configured reply and ignores stop sequences",
		},
	})
}
