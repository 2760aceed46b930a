// Package openaiwiretest answers the scenarios of the provider conformance
// suite (package providertest) in OpenAI's Chat Completions wire format, for
// the adapters that speak it.
package openaiwiretest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmgate/llmgate/internal/provider/providertest"
)

// Fixture is an error answer served from a file.
type Fixture struct {
	// Status is the answer's HTTP status.
	Status int
	// File is the path of the body, relative to the test's directory and
	// with slashes.
	File string
	// Header holds headers to send besides Content-Type; it may be nil.
	Header http.Header
}

// WriteAnswer answers s in the Chat Completions wire format: the error that
// errs holds for s.Answer, or else a completion, streamed as server-sent
// events when s.Stream. A streamed AnswerStreamCut ends after two words
// without [DONE], and AnswerStreamHang then waits for r's context.
func WriteAnswer(t *testing.T, w http.ResponseWriter, r *http.Request, s providertest.Scenario, errs map[providertest.Answer]Fixture) {
	t.Helper()
	if fa, ok := errs[s.Answer]; ok {
		body, err := os.ReadFile(filepath.FromSlash(fa.File))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range fa.Header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(fa.Status)
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
