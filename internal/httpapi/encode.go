package httpapi

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/llmgate/llmgate/internal/jsonappend"
)

// appendChatResponse appends r and a newline, byte for byte what
// writeJSON's encoding/json writes for it (TestChatResponseMatchesEncodingJSON),
// without reflection: the answer of every non-streamed chat.
func appendChatResponse(b []byte, r *chatResponse) []byte {
	b = append(b, `{"id":`...)
	b = jsonappend.String(b, r.ID)
	b = append(b, `,"provider":`...)
	b = jsonappend.String(b, r.Provider)
	b = append(b, `,"model":`...)
	b = jsonappend.String(b, r.Model)
	b = append(b, `,"deployment":`...)
	b = jsonappend.String(b, r.Deployment)
	b = append(b, `,"attempts":`...)
	b = strconv.AppendInt(b, int64(r.Attempts), 10)
	b = append(b, `,"finishReason":`...)
	b = jsonappend.String(b, r.FinishReason)
	b = append(b, `,"usage":{"completionTokens":`...)
	u := &r.Usage
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
	b = append(b, `},"messages":`...)
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
	b = append(b, `,"cost":`...)
	if c := r.Cost; c == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, `{"currency":`...)
		b = jsonappend.String(b, c.Currency)
		b = append(b, `,"input":`...)
		b = c.Input.AppendText(b)
		b = append(b, `,"output":`...)
		b = c.Output.AppendText(b)
		b = append(b, `,"total":`...)
		b = c.Total.AppendText(b)
		b = append(b, '}')
	}
	return append(b, "}\n"...)
}

// writeChatResponse writes r as writeJSON would.
func writeChatResponse(w http.ResponseWriter, r *chatResponse) {
	e := encPool.Get().(*pooledEncoder)
	defer putEncoder(e)
	e.buf.Reset()
	b := appendChatResponse(e.buf.AvailableBuffer(), r)
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	if cap(b) > e.buf.Cap() && cap(b) <= maxPooledBody {
		// Keep the grown buffer for the next answer.
		e.buf = *bytes.NewBuffer(b[:0])
	}
}
