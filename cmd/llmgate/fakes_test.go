package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// The fake upstreams of the family tests speak each provider family's real
// wire format. What they answer is keyed on words of the request, so that
// every scenario is deterministic however often the gateway retries.
const (
	// failWord followed by a status ("please fail 429") asks for that error.
	failWord = "please fail "
	// cutWord asks for a stream that breaks after its first pieces.
	cutWord = "please cut the stream"
	// jsonWord asks for a JSON answer.
	jsonWord = "reply in JSON"
	// imageWord asks whether an image arrived.
	imageWord = "describe the image"
	// resultMarker is in the tool result the tests send back.
	resultMarker = "temp_c"
	// toolName is the tests' tool.
	toolName = "get_weather"
)

// The fakes' answers.
const (
	helloText   = "Hello from the fake upstream."
	jsonAnswer  = `{"city": "Paris"}`
	imageAnswer = "A one pixel image."
	noImage     = "No image arrived."
	toolAnswer  = "It is 21 degrees in Paris."
	toolArgs    = `{"city":"Paris"}`
	toolCallID  = "call_fake_1"
)

// reply is what a fake answers to a chat request.
type reply struct {
	text string
	tool bool // a call of toolName with toolArgs
	cut  bool // streamed: break after the first pieces
}

// pieces splits the reply's text as a stream sends it.
func (r reply) pieces() []string { return strings.SplitAfter(r.text, " ") }

// wire is one family's wire format.
type wire interface {
	// authorized reports whether r carries the family's credential.
	authorized(r *http.Request) bool
	// streamed reports whether r asks for a streamed answer.
	streamed(r *http.Request, body []byte) bool
	// fail answers an error of the given HTTP status; a 401 echoes the
	// credential r carried, as careless upstreams do.
	fail(w http.ResponseWriter, r *http.Request, status int)
	// answer answers a chat request.
	answer(w http.ResponseWriter, stream bool, rp reply)
	// other answers a request that is not chat (embeddings, images) and
	// reports whether it did.
	other(w http.ResponseWriter, r *http.Request, body []byte) bool
}

// newFake starts a fake upstream speaking wr.
func newFake(t *testing.T, wr wire) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(fakeHandler(wr))
	t.Cleanup(srv.Close)
	return srv
}

// newCountingFake starts a fake upstream speaking wr that counts the
// connections it accepted. Its answers end a few milliseconds after their
// last byte was flushed, as a real upstream's may: the end of a chunked
// body leaves when the handler returns.
func newCountingFake(t *testing.T, wr wire) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var conns atomic.Int64
	h := fakeHandler(wr)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		time.Sleep(5 * time.Millisecond)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &conns
}

// fakeHandler answers as an upstream speaking wr.
func fakeHandler(wr wire) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		s := string(body)
		if !wr.authorized(r) || strings.Contains(s, failWord+"401") {
			wr.fail(w, r, http.StatusUnauthorized)
			return
		}
		for _, status := range []int{404, 429, 500} {
			if strings.Contains(s, fmt.Sprint(failWord, status)) {
				wr.fail(w, r, status)
				return
			}
		}
		if wr.other(w, r, body) {
			return
		}
		rp := reply{text: helloText, cut: strings.Contains(s, cutWord)}
		switch {
		case strings.Contains(s, resultMarker):
			rp.text = toolAnswer
		case strings.Contains(s, toolName):
			rp.tool = true
		case strings.Contains(s, jsonWord):
			rp.text = jsonAnswer
		case strings.Contains(s, imageWord) && strings.Contains(s, onePixelPNG):
			rp.text = imageAnswer
		case strings.Contains(s, imageWord):
			rp.text = noImage
		}
		wr.answer(w, wr.streamed(r, body), rp)
	})
}

func writeJSONBody(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func flush(w http.ResponseWriter) { w.(http.Flusher).Flush() }

// openAIWire is the Chat Completions format of OpenAI, of Azure OpenAI
// (azure set: the api-key header and the api-version query) and of
// OpenAI-compatible servers.
type openAIWire struct {
	key   string
	azure bool
}

func (o openAIWire) authorized(r *http.Request) bool {
	if o.azure {
		return r.Header.Get("api-key") == o.key && r.URL.Query().Get("api-version") != "" && strings.HasPrefix(r.URL.Path, "/openai/deployments/")
	}
	return r.Header.Get("Authorization") == "Bearer "+o.key && strings.HasPrefix(r.URL.Path, "/v1/")
}

func (o openAIWire) streamed(_ *http.Request, body []byte) bool {
	return bytes.Contains(body, []byte(`"stream":true`))
}

func (o openAIWire) fail(w http.ResponseWriter, r *http.Request, status int) {
	switch status {
	case 401:
		writeJSONBody(w, status, fmt.Sprintf(`{"error":{"message":"Incorrect API key provided: %s %s.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`, r.Header.Get("Authorization"), r.Header.Get("api-key")))
	case 404:
		writeJSONBody(w, status, `{"error":{"message":"The model does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}`)
	case 429:
		w.Header().Set("Retry-After", "1")
		writeJSONBody(w, status, `{"error":{"message":"Rate limit reached for requests.","type":"requests","param":null,"code":"rate_limit_exceeded"}}`)
	default:
		writeJSONBody(w, status, `{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}`)
	}
}

const openAIUsage = `{"prompt_tokens":21,"completion_tokens":7,"total_tokens":28}`

func (o openAIWire) answer(w http.ResponseWriter, stream bool, rp reply) {
	finish := "stop"
	if rp.tool {
		finish = "tool_calls"
	}
	if !stream {
		msg := map[string]any{"role": "assistant", "content": rp.text}
		if rp.tool {
			msg = map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{"id": toolCallID, "type": "function", "function": map[string]string{"name": toolName, "arguments": toolArgs}}}}
		}
		m, _ := json.Marshal(msg)
		writeJSONBody(w, 200, fmt.Sprintf(`{"id":"chatcmpl-fake","object":"chat.completion","created":1732700000,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":%s,"logprobs":null,"finish_reason":%q}],"usage":%s}`, m, finish, openAIUsage))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	chunk := func(choices string, usage string) {
		fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-fake\",\"object\":\"chat.completion.chunk\",\"created\":1732700000,\"model\":\"gpt-4o-2024-08-06\",\"choices\":%s,\"usage\":%s}\n\n", choices, usage)
		flush(w)
	}
	delta := func(d any, finish string) string {
		b, _ := json.Marshal(d)
		fr := "null"
		if finish != "" {
			fr = `"` + finish + `"`
		}
		return fmt.Sprintf(`[{"index":0,"delta":%s,"logprobs":null,"finish_reason":%s}]`, b, fr)
	}
	chunk(delta(map[string]string{"role": "assistant", "content": ""}, ""), "null")
	if rp.tool {
		chunk(delta(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "id": toolCallID, "type": "function", "function": map[string]string{"name": toolName, "arguments": ""}}}}, ""), "null")
		for _, part := range []string{toolArgs[:7], toolArgs[7:]} {
			chunk(delta(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]string{"arguments": part}}}}, ""), "null")
		}
	}
	for i, p := range rp.pieces() {
		if rp.tool {
			break
		}
		chunk(delta(map[string]string{"content": p}, ""), "null")
		if rp.cut && i == 1 {
			return // no [DONE]: the stream broke
		}
	}
	chunk(delta(map[string]any{}, finish), "null")
	chunk("[]", openAIUsage)
	io.WriteString(w, "data: [DONE]\n\n")
	flush(w)
}

func (o openAIWire) other(w http.ResponseWriter, r *http.Request, body []byte) bool {
	switch {
	case strings.HasSuffix(r.URL.Path, "/embeddings"):
		var req struct {
			Input []string `json:"input"`
		}
		json.Unmarshal(body, &req)
		data := make([]string, len(req.Input))
		for i := range req.Input {
			data[i] = fmt.Sprintf(`{"object":"embedding","index":%d,"embedding":[0.25,-0.5,%d]}`, i, i)
		}
		writeJSONBody(w, 200, `{"object":"list","data":[`+strings.Join(data, ",")+`],"model":"text-embedding-3-small","usage":{"prompt_tokens":4,"total_tokens":4}}`)
		return true
	case strings.HasSuffix(r.URL.Path, "/images/generations"):
		writeJSONBody(w, 200, `{"created":1732700000,"data":[{"url":"https://example.com/fake_image.png","revised_prompt":"A cat wearing a hat"}]}`)
		return true
	}
	return false
}

// anthropicWire is the Messages API.
type anthropicWire struct{ key string }

func (a anthropicWire) authorized(r *http.Request) bool {
	return r.Header.Get("X-Api-Key") == a.key && r.Header.Get("Anthropic-Version") != "" && r.URL.Path == "/v1/messages"
}

func (a anthropicWire) streamed(_ *http.Request, body []byte) bool {
	return bytes.Contains(body, []byte(`"stream":true`))
}

func (a anthropicWire) fail(w http.ResponseWriter, r *http.Request, status int) {
	typ := map[int]string{401: "authentication_error", 404: "not_found_error", 429: "rate_limit_error", 500: "api_error"}[status]
	msg := map[int]string{401: "invalid x-api-key " + r.Header.Get("X-Api-Key"), 404: "model: claude-nope", 429: "Number of request tokens has exceeded your per-minute rate limit", 500: "Internal server error"}[status]
	if status == 429 {
		w.Header().Set("Retry-After", "1")
	}
	writeJSONBody(w, status, fmt.Sprintf(`{"type":"error","error":{"type":%q,"message":%q},"request_id":"req_fake"}`, typ, msg))
}

func (a anthropicWire) answer(w http.ResponseWriter, stream bool, rp reply) {
	stop := "end_turn"
	if rp.tool {
		stop = "tool_use"
	}
	if !stream {
		content := []any{map[string]string{"type": "text", "text": rp.text}}
		if rp.tool {
			content = []any{map[string]any{"type": "tool_use", "id": "toolu_fake_1", "name": toolName, "input": json.RawMessage(toolArgs)}}
		}
		c, _ := json.Marshal(content)
		writeJSONBody(w, 200, fmt.Sprintf(`{"id":"msg_fake","type":"message","role":"assistant","model":"claude-haiku-4-5-20251001","content":%s,"stop_reason":%q,"stop_sequence":null,"usage":{"input_tokens":21,"output_tokens":7}}`, c, stop))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	event := func(name string, data any) {
		d, _ := json.Marshal(data)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", name, d)
		flush(w)
	}
	event("message_start", map[string]any{"type": "message_start", "message": map[string]any{"id": "msg_fake", "type": "message", "role": "assistant", "model": "claude-haiku-4-5-20251001",
		"content": []any{}, "stop_reason": nil, "stop_sequence": nil, "usage": map[string]int{"input_tokens": 21, "output_tokens": 1}}})
	if rp.tool {
		event("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]any{"type": "tool_use", "id": "toolu_fake_1", "name": toolName, "input": map[string]any{}}})
		for _, part := range []string{toolArgs[:7], toolArgs[7:]} {
			event("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]string{"type": "input_json_delta", "partial_json": part}})
		}
	} else {
		event("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": map[string]string{"type": "text", "text": ""}})
		for i, p := range rp.pieces() {
			event("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": map[string]string{"type": "text_delta", "text": p}})
			event("ping", map[string]string{"type": "ping"})
			if rp.cut && i == 1 {
				return // no message_stop: the stream broke
			}
		}
	}
	event("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
	event("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": stop, "stop_sequence": nil}, "usage": map[string]int{"output_tokens": 7}})
	event("message_stop", map[string]string{"type": "message_stop"})
}

func (a anthropicWire) other(http.ResponseWriter, *http.Request, []byte) bool { return false }

// geminiWire is the Gemini API: generateContent, streamGenerateContent with
// alt=sse, batchEmbedContents.
type geminiWire struct{ key string }

func (g geminiWire) authorized(r *http.Request) bool {
	return r.Header.Get("X-Goog-Api-Key") == g.key && strings.HasPrefix(r.URL.Path, "/v1beta/models/")
}

func (g geminiWire) streamed(r *http.Request, _ []byte) bool {
	return strings.HasSuffix(r.URL.Path, ":streamGenerateContent") && r.URL.Query().Get("alt") == "sse"
}

func (g geminiWire) fail(w http.ResponseWriter, r *http.Request, status int) {
	switch status {
	case 401:
		// Gemini answers a bad key with 400 and the reason API_KEY_INVALID.
		writeJSONBody(w, 400, fmt.Sprintf(`{"error":{"code":400,"message":"API key not valid: %s","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}`, r.Header.Get("X-Goog-Api-Key")))
	case 404:
		writeJSONBody(w, status, `{"error":{"code":404,"message":"models/gemini-nope is not found for API version v1beta.","status":"NOT_FOUND"}}`)
	case 429:
		w.Header().Set("Retry-After", "1")
		writeJSONBody(w, status, `{"error":{"code":429,"message":"You exceeded your current quota.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1s"}]}}`)
	default:
		writeJSONBody(w, status, `{"error":{"code":500,"message":"An internal error has occurred.","status":"INTERNAL"}}`)
	}
}

func (g geminiWire) answer(w http.ResponseWriter, stream bool, rp reply) {
	const usage = `{"promptTokenCount":21,"candidatesTokenCount":7,"totalTokenCount":28}`
	response := func(parts []any, finish, usage string) string {
		p, _ := json.Marshal(parts)
		c := fmt.Sprintf(`{"content":{"parts":%s,"role":"model"},"index":0`, p)
		if finish != "" {
			c += `,"finishReason":"` + finish + `"`
		}
		out := `{"candidates":[` + c + `}]`
		if usage != "" {
			out += `,"usageMetadata":` + usage
		}
		return out + `,"modelVersion":"gemini-2.5-flash","responseId":"fake"}`
	}
	call := []any{map[string]any{"functionCall": map[string]any{"name": toolName, "args": json.RawMessage(toolArgs)}}}
	if !stream {
		parts := []any{map[string]string{"text": rp.text}}
		if rp.tool {
			parts = call
		}
		writeJSONBody(w, 200, response(parts, "STOP", usage))
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	send := func(data string) {
		fmt.Fprintf(w, "data: %s\r\n\r\n", data)
		flush(w)
	}
	if rp.tool {
		send(response(call, "STOP", usage))
		return
	}
	ps := rp.pieces()
	for i, p := range ps {
		if i == len(ps)-1 {
			send(response([]any{map[string]string{"text": p}}, "STOP", usage))
			return
		}
		send(response([]any{map[string]string{"text": p}}, "", ""))
		if rp.cut && i == 1 {
			return // no finish reason: the stream broke
		}
	}
}

func (g geminiWire) other(w http.ResponseWriter, r *http.Request, body []byte) bool {
	if !strings.HasSuffix(r.URL.Path, ":batchEmbedContents") {
		return false
	}
	var req struct {
		Requests []json.RawMessage `json:"requests"`
	}
	json.Unmarshal(body, &req)
	vecs := make([]string, len(req.Requests))
	for i := range vecs {
		vecs[i] = fmt.Sprintf(`{"values":[0.25,-0.5,%d]}`, i)
	}
	writeJSONBody(w, 200, `{"embeddings":[`+strings.Join(vecs, ",")+`]}`)
	return true
}

// bedrockWire is Bedrock's Converse and ConverseStream, the stream in the
// binary event-stream framing.
type bedrockWire struct{ keyID, secret string }

func (b bedrockWire) authorized(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential="+b.keyID+"/") && strings.HasPrefix(r.URL.Path, "/model/")
}

func (b bedrockWire) streamed(r *http.Request, _ []byte) bool {
	return strings.HasSuffix(r.URL.Path, "/converse-stream")
}

func (b bedrockWire) fail(w http.ResponseWriter, _ *http.Request, status int) {
	typ := map[int]string{401: "UnrecognizedClientException", 404: "ResourceNotFoundException", 429: "ThrottlingException", 500: "InternalServerException"}[status]
	// SigV4 never sends the secret; a fake that knows it echoes it, the worst case.
	msg := map[int]string{401: "The security token included in the request is invalid: " + b.secret, 404: "Could not resolve the foundation model from the provided model identifier.",
		429: "Too many requests, please wait before trying again.", 500: "The system encountered an unexpected error during processing."}[status]
	if status == 401 {
		status = http.StatusForbidden // what Bedrock sends for a bad key
	}
	if status == 429 {
		w.Header().Set("Retry-After", "1")
	}
	w.Header().Set("X-Amzn-Errortype", typ)
	writeJSONBody(w, status, fmt.Sprintf(`{"message":%q}`, msg))
}

func (b bedrockWire) answer(w http.ResponseWriter, stream bool, rp reply) {
	stop := "end_turn"
	if rp.tool {
		stop = "tool_use"
	}
	const usage = `{"inputTokens":21,"outputTokens":7,"totalTokens":28}`
	w.Header().Set("X-Amzn-Requestid", "fake-0000-4000-8000-000000000001")
	if !stream {
		content := []any{map[string]string{"text": rp.text}}
		if rp.tool {
			content = []any{map[string]any{"toolUse": map[string]any{"toolUseId": "tooluse_fake_1", "name": toolName, "input": json.RawMessage(toolArgs)}}}
		}
		c, _ := json.Marshal(content)
		writeJSONBody(w, 200, fmt.Sprintf(`{"output":{"message":{"role":"assistant","content":%s}},"stopReason":%q,"usage":%s,"metrics":{"latencyMs":100}}`, c, stop, usage))
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
		enc.Encode(&buf, eventstream.Message{Headers: h, Payload: []byte(payload)})
		w.Write(buf.Bytes())
		flush(w)
	}
	event("messageStart", `{"role":"assistant"}`)
	if rp.tool {
		event("contentBlockStart", fmt.Sprintf(`{"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"tooluse_fake_1","name":%q}}}`, toolName))
		for _, part := range []string{toolArgs[:7], toolArgs[7:]} {
			p, _ := json.Marshal(part)
			event("contentBlockDelta", fmt.Sprintf(`{"contentBlockIndex":0,"delta":{"toolUse":{"input":%s}}}`, p))
		}
	} else {
		for i, p := range rp.pieces() {
			t, _ := json.Marshal(p)
			event("contentBlockDelta", fmt.Sprintf(`{"contentBlockIndex":0,"delta":{"text":%s}}`, t))
			if rp.cut && i == 1 {
				return // no messageStop or metadata: the stream broke
			}
		}
	}
	event("contentBlockStop", `{"contentBlockIndex":0}`)
	event("messageStop", fmt.Sprintf(`{"stopReason":%q}`, stop))
	event("metadata", `{"usage":`+usage+`,"metrics":{"latencyMs":100}}`)
}

func (b bedrockWire) other(http.ResponseWriter, *http.Request, []byte) bool { return false }
