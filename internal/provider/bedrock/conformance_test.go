package bedrock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

// conformanceModel is a Bedrock model id of the catalog.
const conformanceModel = "us.anthropic.claude-haiku-4-5-20251001-v1:0"

// TestConformance runs the shared provider suite against a fake Bedrock
// runtime that checks each request's SigV4 signature and answers Converse
// in JSON and ConverseStream in the binary event-stream framing.
func TestConformance(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	providertest.Run(t, providertest.Harness{
		Provider: "bedrock",
		Model:    conformanceModel,
		Secret:   testSecret,
		New: func(t *testing.T, baseURL string, hc *http.Client, _ providertest.Scenario) llmgate.Chatter {
			c, err := New(Config{Region: testRegion, BaseURL: baseURL, Credentials: credentials.StaticCredentialsProvider{Value: creds}, HTTPClient: hc})
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
		Upstream: func(t *testing.T, s providertest.Scenario) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				op := "converse"
				if s.Stream {
					op = "converse-stream"
				}
				if want := "/model/" + escapeSegment(conformanceModel) + "/" + op; r.URL.EscapedPath() != want {
					t.Errorf("path %s, want %s", r.URL.EscapedPath(), want)
				}
				if err := verifySigV4(r, body, creds, testRegion); err != nil {
					t.Errorf("signature: %v", err)
				}
				writeConverseAnswer(t, w, r, s)
			})
		},
		Unsupported: map[providertest.Feature]bool{
			// Converse has structured output by schema only.
			providertest.FeatureJSONObject: true,
		},
	})
}

// converseErrors are the error answers: the exception type, the status and
// the body, from the package's fixtures.
var converseErrors = map[providertest.Answer]struct {
	typ    string
	status int
	file   string
}{
	providertest.AnswerModelNotFound: {"ResourceNotFoundException", http.StatusNotFound, "error_not_found.json"},
	providertest.AnswerRateLimited:   {"ThrottlingException", http.StatusTooManyRequests, "error_throttling.json"},
	providertest.AnswerServerError:   {"InternalServerException", http.StatusInternalServerError, "error_internal.json"},
	providertest.AnswerContextLength: {"ValidationException", http.StatusBadRequest, "error_input_too_long.json"},
}

// writeConverseAnswer answers s as Converse or ConverseStream would.
func writeConverseAnswer(t *testing.T, w http.ResponseWriter, r *http.Request, s providertest.Scenario) {
	t.Helper()
	if s.Answer == providertest.AnswerUnauthorized {
		// SigV4 never sends the secret; an upstream that knows it and
		// echoes it stands in for the worst case.
		w.Header().Set("X-Amzn-Errortype", "UnrecognizedClientException:http://internal.amazon.com/coral/com.amazon.coral.service/")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"message":"The security token included in the request is invalid (secret %s)."}`, testSecret)
		return
	}
	if e, ok := converseErrors[s.Answer]; ok {
		if s.Answer == providertest.AnswerRateLimited {
			w.Header().Set("Retry-After", "1")
		}
		w.Header().Set("X-Amzn-Errortype", e.typ)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(e.status)
		w.Write(providertest.ReadFile(t, e.file))
		return
	}
	stop := "end_turn"
	switch s.Answer {
	case providertest.AnswerLength:
		stop = "max_tokens"
	case providertest.AnswerToolCall:
		stop = "tool_use"
	case providertest.AnswerStop:
		stop = "stop_sequence"
	}
	const usage = `{"inputTokens":19,"outputTokens":9,"totalTokens":28}`
	w.Header().Set("X-Amzn-Requestid", "conf-0000-4000-8000-000000000001")
	if !s.Stream {
		content := []any{map[string]string{"text": s.Text}}
		if s.Answer == providertest.AnswerToolCall {
			content = []any{map[string]any{"toolUse": map[string]any{"toolUseId": s.Tool.ID, "name": s.Tool.Name, "input": json.RawMessage(s.Tool.Arguments)}}}
		}
		c, _ := json.Marshal(content)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"output":{"message":{"role":"assistant","content":%s}},"stopReason":%q,"usage":%s,"metrics":{"latencyMs":100}}`, c, stop, usage)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	enc := eventstream.NewEncoder()
	event := func(name, payload string) {
		var h eventstream.Headers
		h.Set(":event-type", eventstream.StringValue(name))
		h.Set(":message-type", eventstream.StringValue("event"))
		h.Set(":content-type", eventstream.StringValue("application/json"))
		var buf bytes.Buffer
		if err := enc.Encode(&buf, eventstream.Message{Headers: h, Payload: []byte(payload)}); err != nil {
			t.Error(err)
		}
		w.Write(buf.Bytes())
		w.(http.Flusher).Flush()
	}
	event("messageStart", `{"role":"assistant"}`)
	if s.Answer == providertest.AnswerToolCall {
		event("contentBlockStart", fmt.Sprintf(`{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":%q,"name":%q}}}`, s.Tool.ID, s.Tool.Name))
		half := len(s.Tool.Arguments) / 2
		for _, part := range []string{s.Tool.Arguments[:half], s.Tool.Arguments[half:]} {
			p, _ := json.Marshal(part)
			event("contentBlockDelta", fmt.Sprintf(`{"contentBlockIndex":0,"delta":{"toolUse":{"input":%s}}}`, p))
		}
	} else {
		for i, word := range strings.SplitAfter(s.Text, " ") {
			p, _ := json.Marshal(word)
			event("contentBlockDelta", fmt.Sprintf(`{"contentBlockIndex":0,"delta":{"text":%s}}`, p))
			if i == 1 {
				switch s.Answer {
				case providertest.AnswerStreamCut:
					return // the body ends without messageStop and metadata
				case providertest.AnswerStreamHang:
					<-r.Context().Done()
					return
				}
			}
		}
	}
	event("contentBlockStop", `{"contentBlockIndex":0}`)
	event("messageStop", fmt.Sprintf(`{"stopReason":%q}`, stop))
	event("metadata", `{"usage":`+usage+`,"metrics":{"latencyMs":100}}`)
}
