package anthropic

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
const conformanceKey = "sk-ant-api03-CONFORMANCE-secret-0123456789"

// TestConformance runs the shared provider suite against a fake Messages
// API that answers each scenario in Anthropic's wire format.
func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{
		Provider: "anthropic",
		Model:    "claude-haiku-4-5",
		Secret:   conformanceKey,
		New: func(t *testing.T, baseURL string, hc *http.Client, _ providertest.Scenario) llmgate.Chatter {
			c, err := New(Config{BaseURL: baseURL, APIKey: conformanceKey, HTTPClient: hc,
				Models: map[string]string{"claude-haiku-4-5": "claude-haiku-4-5-20251001"}})
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		Upstream: func(t *testing.T, s providertest.Scenario) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if r.URL.Path != "/v1/messages" || r.Header.Get("Anthropic-Version") == "" || !strings.Contains(string(body), `"model":"claude-haiku-4-5-20251001"`) {
					t.Errorf("request %s (version %q) with body %s", r.URL.Path, r.Header.Get("Anthropic-Version"), body)
				}
				if s.Answer == providertest.AnswerUnauthorized || r.Header.Get("X-Api-Key") != conformanceKey {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusUnauthorized)
					fmt.Fprintf(w, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key %s"}}`, r.Header.Get("X-Api-Key"))
					return
				}
				writeMessagesAnswer(t, w, r, s)
			})
		},
		Unsupported: map[providertest.Feature]bool{
			// The Messages API has structured output by schema only.
			providertest.FeatureJSONObject: true,
		},
	})
}

// messagesErrors are the error answers, from the package's fixtures.
var messagesErrors = map[providertest.Answer]struct {
	status int
	file   string
}{
	providertest.AnswerModelNotFound: {http.StatusNotFound, "error_404.json"},
	providertest.AnswerRateLimited:   {http.StatusTooManyRequests, "error_429.json"},
	providertest.AnswerServerError:   {http.StatusInternalServerError, "error_500.json"},
	providertest.AnswerContextLength: {http.StatusBadRequest, "error_400_prompt_too_long.json"},
}

// writeMessagesAnswer answers s in the Messages API's wire format, streamed
// as Anthropic's event sequence when s.Stream.
func writeMessagesAnswer(t *testing.T, w http.ResponseWriter, r *http.Request, s providertest.Scenario) {
	t.Helper()
	if e, ok := messagesErrors[s.Answer]; ok {
		body, err := os.ReadFile(filepath.Join("testdata", e.file))
		if err != nil {
			t.Fatal(err)
		}
		if s.Answer == providertest.AnswerRateLimited {
			w.Header().Set("Retry-After", "1")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(e.status)
		w.Write(body)
		return
	}
	stop, stopSeq := "end_turn", "null"
	switch s.Answer {
	case providertest.AnswerLength:
		stop = "max_tokens"
	case providertest.AnswerToolCall:
		stop = "tool_use"
	case providertest.AnswerStop:
		stop, stopSeq = "stop_sequence", fmt.Sprintf("%q", s.Stop)
	}
	if !s.Stream {
		content := []any{map[string]string{"type": "text", "text": s.Text}}
		if s.Answer == providertest.AnswerToolCall {
			content = []any{map[string]any{"type": "tool_use", "id": s.Tool.ID, "name": s.Tool.Name, "input": json.RawMessage(s.Tool.Arguments)}}
		}
		c, _ := json.Marshal(content)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"msg_conf","type":"message","role":"assistant","model":"claude-haiku-4-5-20251001","content":%s,"stop_reason":%q,"stop_sequence":%s,"usage":{"input_tokens":19,"output_tokens":9}}`, c, stop, stopSeq)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	event := func(name string, data any) {
		d, _ := json.Marshal(data)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, d)
		w.(http.Flusher).Flush()
	}
	event("message_start", map[string]any{"type": "message_start", "message": map[string]any{
		"id": "msg_conf", "type": "message", "role": "assistant", "model": "claude-haiku-4-5-20251001", "content": []any{},
		"stop_reason": nil, "stop_sequence": nil, "usage": map[string]int{"input_tokens": 19, "output_tokens": 1}}})
	if s.Answer == providertest.AnswerToolCall {
		event("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]any{"type": "tool_use", "id": s.Tool.ID, "name": s.Tool.Name, "input": map[string]any{}}})
		half := len(s.Tool.Arguments) / 2
		for _, part := range []string{"", s.Tool.Arguments[:half], s.Tool.Arguments[half:]} {
			event("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]string{"type": "input_json_delta", "partial_json": part}})
		}
	} else {
		event("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]string{"type": "text", "text": ""}})
		for i, word := range strings.SplitAfter(s.Text, " ") {
			event("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]string{"type": "text_delta", "text": word}})
			if i == 0 {
				event("ping", map[string]string{"type": "ping"})
			}
			if i == 1 {
				switch s.Answer {
				case providertest.AnswerStreamCut:
					return // the body ends without message_stop
				case providertest.AnswerStreamHang:
					<-r.Context().Done()
					return
				}
			}
		}
	}
	event("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
	var seq any
	if s.Answer == providertest.AnswerStop {
		seq = s.Stop
	}
	event("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": stop, "stop_sequence": seq}, "usage": map[string]int{"output_tokens": 9}})
	event("message_stop", map[string]string{"type": "message_stop"})
}
