package httpapi

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/jsonappend"
)

// appendChatResponse appends r and a newline, byte for byte what
// writeJSON's encoding/json writes for it (TestChatResponseMatchesEncodingJSON),
// without reflection: the answer of every non-streamed chat.
func appendChatResponse(b []byte, r *chatResponse) []byte {
	b = appendAnswerHead(b, r.ID, r.Provider, r.Model, r.Deployment, r.Attempts, r.FinishReason, &r.Usage)
	b = append(b, `,"messages":`...)
	if r.Messages == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Messages {
			if i > 0 {
				b = append(b, ',')
			}
			m := &r.Messages[i]
			b = append(b, `{"role":`...)
			b = jsonappend.String(b, m.Role)
			b = append(b, `,"content":`...)
			b = jsonappend.String(b, m.Content)
			if len(m.ToolCalls) > 0 {
				b = append(b, `,"toolCalls":[`...)
				for j := range m.ToolCalls {
					if j > 0 {
						b = append(b, ',')
					}
					tc := &m.ToolCalls[j]
					b = append(b, `{"id":`...)
					b = jsonappend.String(b, tc.ID)
					b = append(b, `,"name":`...)
					b = jsonappend.String(b, tc.Name)
					b = append(b, `,"arguments":`...)
					b = jsonappend.String(b, tc.Arguments)
					b = append(b, '}')
				}
				b = append(b, ']')
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendCost(b, r.Cost)
	return append(b, "}\n"...)
}

// appendDoneEvent appends d, the data of a native stream's done event,
// byte for byte what encoding/json writes for it, without the newline.
func appendDoneEvent(b []byte, d *doneEvent) []byte {
	b = appendAnswerHead(b, d.ID, d.Provider, d.Model, d.Deployment, d.Attempts, d.FinishReason, &d.Usage)
	b = appendCost(b, d.Cost)
	return append(b, '}')
}

// appendAnswerHead appends the members that a native answer and a
// stream's done event begin with, from the opening brace to the usage.
func appendAnswerHead(b []byte, id, provider, model, deployment string, attempts int, finish string, u *usage) []byte {
	b = append(b, `{"id":`...)
	b = jsonappend.String(b, id)
	b = append(b, `,"provider":`...)
	b = jsonappend.String(b, provider)
	b = append(b, `,"model":`...)
	b = jsonappend.String(b, model)
	b = append(b, `,"deployment":`...)
	b = jsonappend.String(b, deployment)
	b = append(b, `,"attempts":`...)
	b = strconv.AppendInt(b, int64(attempts), 10)
	b = append(b, `,"finishReason":`...)
	b = jsonappend.String(b, finish)
	return appendUsage(b, u)
}

// appendUsage appends a native answer's usage member, with its leading
// comma.
func appendUsage(b []byte, u *usage) []byte {
	b = append(b, `,"usage":{"completionTokens":`...)
	b = strconv.AppendInt(b, int64(u.CompletionTokens), 10)
	b = append(b, `,"promptTokens":`...)
	b = strconv.AppendInt(b, int64(u.PromptTokens), 10)
	b = append(b, `,"totalTokens":`...)
	b = strconv.AppendInt(b, int64(u.TotalTokens), 10)
	if u.CachedTokens != 0 {
		b = append(b, `,"cachedTokens":`...)
		b = strconv.AppendInt(b, int64(u.CachedTokens), 10)
	}
	if u.ReasoningTokens != 0 {
		b = append(b, `,"reasoningTokens":`...)
		b = strconv.AppendInt(b, int64(u.ReasoningTokens), 10)
	}
	if u.Estimated {
		b = append(b, `,"estimated":true`...)
	}
	return append(b, '}')
}

// appendCost appends the cost member of a native answer or done event.
func appendCost(b []byte, c *cost) []byte {
	b = append(b, `,"cost":`...)
	if c == nil {
		return append(b, "null"...)
	}
	b = append(b, `{"currency":`...)
	b = jsonappend.String(b, c.Currency)
	b = append(b, `,"input":`...)
	b = c.Input.AppendText(b)
	b = append(b, `,"output":`...)
	b = c.Output.AppendText(b)
	b = append(b, `,"total":`...)
	b = c.Total.AppendText(b)
	return append(b, '}')
}

// writeChatResponse writes r as writeJSON would.
func writeChatResponse(w http.ResponseWriter, r *chatResponse) {
	e := encPool.Get().(*pooledEncoder)
	defer putEncoder(e)
	e.buf.Reset()
	writeAppended(w, e, appendChatResponse(e.buf.AvailableBuffer(), r))
}

// writeOAChatResponse writes r as writeJSON would.
func writeOAChatResponse(w http.ResponseWriter, r *oaChatResponse) {
	e := encPool.Get().(*pooledEncoder)
	defer putEncoder(e)
	e.buf.Reset()
	b, ok := appendOAChatResponse(e.buf.AvailableBuffer(), r)
	if !ok {
		writeJSON(w, http.StatusOK, r)
		return
	}
	writeAppended(w, e, append(b, '\n'))
}

// writeAppended writes b, a JSON answer appended to e's buffer, as
// writeJSON does, and keeps the buffer b grew into for the next answer.
func writeAppended(w http.ResponseWriter, e *pooledEncoder, b []byte) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	if cap(b) > e.buf.Cap() {
		e.buf = *bytes.NewBuffer(b[:0])
	}
}

// appendOAChatResponse appends r, a chat.completion or one
// chat.completion.chunk of the OpenAI surface, byte for byte what
// encoding/json writes for it, without the newline. It reports false, for
// the caller to use encoding/json, when a logprobs value is not valid JSON.
func appendOAChatResponse(b []byte, r *oaChatResponse) ([]byte, bool) {
	b = append(b, `{"id":`...)
	b = jsonappend.String(b, r.ID)
	b = append(b, `,"object":`...)
	b = jsonappend.String(b, r.Object)
	b = append(b, `,"created":`...)
	b = strconv.AppendInt(b, r.Created, 10)
	b = append(b, `,"model":`...)
	b = jsonappend.String(b, r.Model)
	b = append(b, `,"choices":`...)
	if r.Choices == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Choices {
			if i > 0 {
				b = append(b, ',')
			}
			c := &r.Choices[i]
			b = append(b, `{"index":`...)
			b = strconv.AppendInt(b, int64(c.Index), 10)
			if c.Message != nil {
				b = append(b, `,"message":`...)
				b = appendOAMessage(b, c.Message)
			}
			if c.Delta != nil {
				b = append(b, `,"delta":`...)
				b = appendOAMessage(b, c.Delta)
			}
			b = append(b, `,"logprobs":`...)
			if c.Logprobs == nil {
				b = append(b, "null"...)
			} else {
				var ok bool
				if b, ok = jsonappend.Raw(b, c.Logprobs); !ok {
					return b, false
				}
			}
			b = append(b, `,"finish_reason":`...)
			if c.FinishReason == nil {
				b = append(b, "null"...)
			} else {
				b = jsonappend.String(b, *c.FinishReason)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if u := r.Usage; u != nil {
		b = append(b, `,"usage":{"prompt_tokens":`...)
		b = strconv.AppendInt(b, int64(u.PromptTokens), 10)
		b = append(b, `,"completion_tokens":`...)
		b = strconv.AppendInt(b, int64(u.CompletionTokens), 10)
		b = append(b, `,"total_tokens":`...)
		b = strconv.AppendInt(b, int64(u.TotalTokens), 10)
		if d := u.PromptTokensDetails; d != nil {
			b = append(b, `,"prompt_tokens_details":{"cached_tokens":`...)
			b = strconv.AppendInt(b, int64(d.CachedTokens), 10)
			b = append(b, '}')
		}
		if d := u.CompletionTokensDetails; d != nil {
			b = append(b, `,"completion_tokens_details":{"reasoning_tokens":`...)
			b = strconv.AppendInt(b, int64(d.ReasoningTokens), 10)
			b = append(b, '}')
		}
		b = append(b, '}')
	}
	if r.SystemFingerprint != "" {
		b = append(b, `,"system_fingerprint":`...)
		b = jsonappend.String(b, r.SystemFingerprint)
	}
	return append(b, '}'), true
}

func appendOAMessage(b []byte, m *oaOutMessage) []byte {
	b = append(b, '{')
	sep := false
	if m.Role != "" {
		b, sep = appendName(b, sep, `"role":`)
		b = jsonappend.String(b, m.Role)
	}
	if m.Content != nil {
		b, sep = appendName(b, sep, `"content":`)
		b = jsonappend.String(b, *m.Content)
	}
	if m.Refusal != nil {
		b, sep = appendName(b, sep, `"refusal":`)
		b = jsonappend.String(b, *m.Refusal)
	}
	if len(m.ToolCalls) > 0 {
		b, _ = appendName(b, sep, `"tool_calls":[`)
		for i := range m.ToolCalls {
			if i > 0 {
				b = append(b, ',')
			}
			tc := &m.ToolCalls[i]
			b = append(b, '{')
			inner := false
			if tc.Index != nil {
				b, inner = appendName(b, inner, `"index":`)
				b = strconv.AppendInt(b, int64(*tc.Index), 10)
			}
			if tc.ID != "" {
				b, inner = appendName(b, inner, `"id":`)
				b = jsonappend.String(b, tc.ID)
			}
			if tc.Type != "" {
				b, inner = appendName(b, inner, `"type":`)
				b = jsonappend.String(b, tc.Type)
			}
			b, _ = appendName(b, inner, `"function":{`)
			if tc.Function.Name != "" {
				b = append(b, `"name":`...)
				b = jsonappend.String(b, tc.Function.Name)
				b = append(b, ',')
			}
			b = append(b, `"arguments":`...)
			b = jsonappend.String(b, tc.Function.Arguments)
			b = append(b, "}}"...)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// appendName appends a member's name, after a comma when one came before.
func appendName(b []byte, sep bool, name string) ([]byte, bool) {
	if sep {
		b = append(b, ',')
	}
	return append(b, name...), true
}

// appendVector appends an embedding's vector as the provider wrote it, its
// JSON text kept by the adapter (llmgate.Embedding.JSON), an array of the
// same numbers; or null for a nil vector. It reports false for a vector
// whose text was not kept: encoding/json formats numbers as fast as
// anything here would.
func appendVector(b []byte, raw []byte, v []float64) ([]byte, bool) {
	switch {
	case raw != nil:
		return append(b, raw...), true
	case v == nil:
		return append(b, "null"...), true
	}
	return b, false
}

// appendEmbeddingResponse appends r, the native answer to an embeddings
// request, as encoding/json writes it, without the newline, but with the
// vectors of data (r.Data's, in the same order) copied from the JSON text
// the adapter kept. It reports false, for the caller to use encoding/json,
// when a vector's text was not kept. Formatting the numbers of the vectors
// again, thousands of them, cost more than anything else the gateway did
// for an embeddings call.
func appendEmbeddingResponse(b []byte, r *embeddingResponse, data []llmgate.Embedding) ([]byte, bool) {
	ok := true
	b = append(b, `{"provider":`...)
	b = jsonappend.String(b, r.Provider)
	b = append(b, `,"model":`...)
	b = jsonappend.String(b, r.Model)
	b = append(b, `,"deployment":`...)
	b = jsonappend.String(b, r.Deployment)
	b = append(b, `,"attempts":`...)
	b = strconv.AppendInt(b, int64(r.Attempts), 10)
	b = append(b, `,"data":`...)
	if r.Data == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Data {
			e := &r.Data[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(append(b, `{"index":`...), int64(e.Index), 10)
			var raw []byte
			if i < len(data) {
				raw = data[i].JSON
			}
			if b, ok = appendVector(append(b, `,"embedding":`...), raw, e.Embedding); !ok {
				return b, false
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = appendUsage(b, &r.Usage)
	b = appendCost(b, r.Cost)
	return append(b, '}'), true
}

// appendOAEmbeddingResponse is appendEmbeddingResponse for the OpenAI
// surface's answer, whose vectors are numbers or base64 text.
func appendOAEmbeddingResponse(b []byte, r *oaEmbeddingResponse, data []llmgate.Embedding) ([]byte, bool) {
	ok := true
	b = append(b, `{"object":`...)
	b = jsonappend.String(b, r.Object)
	b = append(b, `,"data":`...)
	if r.Data == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range r.Data {
			e := &r.Data[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonappend.String(append(b, `{"object":`...), e.Object)
			b = strconv.AppendInt(append(b, `,"index":`...), int64(e.Index), 10)
			b = append(b, `,"embedding":`...)
			switch v := e.Embedding.(type) {
			case string:
				b = jsonappend.String(b, v)
			case []float64:
				var raw []byte
				if i < len(data) {
					raw = data[i].JSON
				}
				if b, ok = appendVector(b, raw, v); !ok {
					return b, false
				}
			default:
				return b, false
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"model":`...)
	b = jsonappend.String(b, r.Model)
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(r.Usage.PromptTokens), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(r.Usage.TotalTokens), 10)
	return append(b, "}}"...), true
}

// writeAppendedOr writes what appended appends to a buffer of room for
// size bytes when it reports true, and v with writeJSON when it reports
// false.
func writeAppendedOr(w http.ResponseWriter, v any, size int, appended func([]byte) ([]byte, bool)) {
	e := encPool.Get().(*pooledEncoder)
	defer putEncoder(e)
	e.buf.Reset()
	e.buf.Grow(size)
	b, ok := appended(e.buf.AvailableBuffer())
	if !ok {
		writeJSON(w, http.StatusOK, v)
		return
	}
	writeAppended(w, e, append(b, '\n'))
}

// embeddingsSize is about the length of an embeddings answer whose
// vectors' JSON text was kept.
func embeddingsSize(data []llmgate.Embedding) int {
	n := 512
	for i := range data {
		n += 64 + len(data[i].JSON)
	}
	return n
}
