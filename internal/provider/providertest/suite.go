package providertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
)

// Markers the suite puts in its requests and looks for in what reaches the
// upstream. They are unlikely to occur by chance in any wire format.
const (
	systemMarker = "SYSTEM-MARKER-7f3a"
	turn1Marker  = "TURN-ONE-ALPHA"
	turn2Marker  = "TURN-TWO-BRAVO"
	turn3Marker  = "TURN-THREE-CHARLIE"
	stopMarker   = "STOP-SEQ-9c1"
	resultMarker = "conformance_temp_c"
	schemaField  = "conformance_city"
	// onePixelPNG is a valid 1×1 PNG, base64, sent as a data: URL.
	onePixelPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)

// answerText is the assistant's text in text scenarios: several words, so
// that a stream can split it and a token limit can cut it.
const answerText = "The quick brown fox jumps over the lazy dog."

// jsonText is the answer of the JSON scenarios.
var jsonText = `{"` + schemaField + `":"Paris"}`

// weatherTool is the tool of the tool scenarios.
var weatherTool = ToolCall{ID: "call_conformance_1", Name: "get_weather", Arguments: `{"city":"Paris","unit":"celsius"}`}

// maxTokensField matches the token limit of 3 in any of the wire formats
// (max_tokens, max_completion_tokens, maxOutputTokens, maxTokens).
var maxTokensField = regexp.MustCompile(`(?i)"max[a-z_]*tokens"\s*:\s*3[,}\s]`)

// promptTimeout bounds how long a cancelled stream may take to return.
const promptTimeout = 5 * time.Second

// testCase is one scenario and the checks the suite makes on it.
type testCase struct {
	s   Scenario
	run func(x *exchange, t *testing.T)
}

// Run runs every scenario of the suite against the client h builds, each as
// a subtest named after the scenario.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil || h.Model == "" {
		t.Fatal("providertest: Harness.New and Harness.Model are required")
	}
	for _, c := range cases() {
		s := c.s
		s.Secret = h.Secret
		t.Run(s.Name, func(t *testing.T) {
			if reason, ok := h.Skip[s.Feature]; ok {
				t.Skipf("%s does not apply: %s", s.Feature, reason)
			}
			x := newExchange(t, &h, s)
			if h.Unsupported[s.Feature] {
				x.expectUnsupported(t, c)
				return
			}
			c.run(x, t)
		})
	}
}

func cases() []testCase {
	text := func(name string, f Feature, stream bool, run func(*exchange, *testing.T)) testCase {
		return testCase{Scenario{Name: name, Feature: f, Answer: AnswerText, Stream: stream, Text: answerText}, run}
	}
	errCase := func(name string, a Answer, stream bool, code llmgate.ErrorCode) testCase {
		return testCase{Scenario{Name: name, Feature: FeatureErrors, Answer: a, Stream: stream, Text: answerText}, func(x *exchange, t *testing.T) {
			x.checkUpstreamError(t, code)
		}}
	}
	return []testCase{
		text("chat", "", false, (*exchange).checkChat),
		text("system_prompt", FeatureSystem, false, (*exchange).checkSystem),
		text("multi_turn", FeatureMultiTurn, false, (*exchange).checkMultiTurn),
		text("stream", FeatureStream, true, (*exchange).checkStream),
		{Scenario{Name: "tool_call", Feature: FeatureTools, Answer: AnswerToolCall, Tool: weatherTool}, (*exchange).checkToolRoundTrip},
		{Scenario{Name: "tool_call_stream", Feature: FeatureStreamToolSplit, Answer: AnswerToolCall, Stream: true, Tool: weatherTool}, (*exchange).checkToolStream},
		text("vision", FeatureVision, false, (*exchange).checkVision),
		{Scenario{Name: "json_schema", Feature: FeatureJSONSchema, Answer: AnswerText, Text: jsonText}, (*exchange).checkJSONSchema},
		{Scenario{Name: "json_object", Feature: FeatureJSONObject, Answer: AnswerText, Text: jsonText}, (*exchange).checkJSONObject},
		{Scenario{Name: "stop_sequence", Feature: FeatureStop, Answer: AnswerStop, Text: "The quick brown fox", Stop: stopMarker}, (*exchange).checkStop},
		{Scenario{Name: "max_tokens", Feature: FeatureMaxTokens, Answer: AnswerLength, Text: "The quick brown"}, (*exchange).checkLength},
		{Scenario{Name: "max_tokens_stream", Feature: FeatureMaxTokens, Answer: AnswerLength, Stream: true, Text: "The quick brown"}, (*exchange).checkLength},
		errCase("error_401", AnswerUnauthorized, false, llmgate.EUpstreamAuth),
		errCase("error_401_stream", AnswerUnauthorized, true, llmgate.EUpstreamAuth),
		errCase("error_404_model", AnswerModelNotFound, false, llmgate.EUpstreamNotFound),
		errCase("error_404_model_stream", AnswerModelNotFound, true, llmgate.EUpstreamNotFound),
		errCase("error_429", AnswerRateLimited, false, llmgate.ERateLimited),
		errCase("error_429_stream", AnswerRateLimited, true, llmgate.ERateLimited),
		errCase("error_500", AnswerServerError, false, llmgate.EUpstreamError),
		errCase("error_500_stream", AnswerServerError, true, llmgate.EUpstreamError),
		errCase("error_context_length", AnswerContextLength, false, llmgate.EContextLengthExceeded),
		errCase("error_context_length_stream", AnswerContextLength, true, llmgate.EContextLengthExceeded),
		{Scenario{Name: "stream_cut", Feature: FeatureStreamCut, Answer: AnswerStreamCut, Stream: true, Text: answerText}, (*exchange).checkStreamCut},
		{Scenario{Name: "stream_cancel", Feature: FeatureCancel, Answer: AnswerStreamHang, Stream: true, Text: answerText}, (*exchange).checkCancel},
	}
}

// exchange is a client under test and the fake upstream of one scenario.
type exchange struct {
	h      *Harness
	s      Scenario
	client llmgate.Chatter
	rec    *recorder // nil without an upstream
}

func newExchange(t *testing.T, h *Harness, s Scenario) *exchange {
	t.Helper()
	x := &exchange{h: h, s: s}
	if h.Upstream == nil {
		x.client = h.New(t, "", nil, s)
		return x
	}
	x.rec = &recorder{next: h.Upstream(t, s)}
	srv := httptest.NewServer(x.rec)
	t.Cleanup(srv.Close)
	x.client = h.New(t, srv.URL, srv.Client(), s)
	return x
}

// request returns a chat request for the harness's model with msgs.
func (x *exchange) request(msgs ...llmgate.Message) *llmgate.ChatRequest {
	if len(msgs) == 0 {
		msgs = []llmgate.Message{userText("Say the sentence about the fox.")}
	}
	return &llmgate.ChatRequest{Model: x.h.Model, Messages: msgs, Stream: x.s.Stream}
}

// requestFor returns the request the scenario sends.
func (x *exchange) requestFor() *llmgate.ChatRequest {
	req := x.request()
	switch x.s.Feature {
	case FeatureSystem:
		req.Messages = []llmgate.Message{{Role: llmgate.RoleSystem, Content: []llmgate.Part{llmgate.TextPart("Answer briefly. " + systemMarker)}}, userText("Say the sentence about the fox.")}
	case FeatureMultiTurn:
		req.Messages = []llmgate.Message{
			userText("First question " + turn1Marker),
			{Role: llmgate.RoleAssistant, Content: []llmgate.Part{llmgate.TextPart("First answer " + turn2Marker)}},
			userText("Second question " + turn3Marker),
		}
	case FeatureTools, FeatureStreamToolSplit:
		req.Messages = []llmgate.Message{userText("What is the weather in Paris?")}
		req.Params.Tools = []llmgate.Tool{weatherDecl()}
		req.Params.ToolChoice = &llmgate.ToolChoice{Mode: "required"}
	case FeatureVision:
		req.Messages = []llmgate.Message{{Role: llmgate.RoleUser, Content: []llmgate.Part{
			llmgate.TextPart("What is in this image?"),
			{Type: llmgate.PartImage, ImageURL: "data:image/png;base64," + onePixelPNG},
		}}}
	case FeatureJSONSchema:
		req.Messages = []llmgate.Message{userText("Which city is the capital of France? Answer in JSON.")}
		req.Params.ResponseFormat = &llmgate.ResponseFormat{Type: "json_schema", Name: "city", Schema: json.RawMessage(
			`{"type":"object","properties":{"` + schemaField + `":{"type":"string"}},"required":["` + schemaField + `"],"additionalProperties":false}`)}
	case FeatureJSONObject:
		req.Messages = []llmgate.Message{userText("Which city is the capital of France? Answer in JSON.")}
		req.Params.ResponseFormat = &llmgate.ResponseFormat{Type: "json_object"}
	case FeatureStop:
		req.Params.Stop = []string{x.s.Stop}
	case FeatureMaxTokens:
		req.Params.MaxTokens = ptr(3)
	}
	return req
}

func userText(s string) llmgate.Message {
	return llmgate.Message{Role: llmgate.RoleUser, Content: []llmgate.Part{llmgate.TextPart(s)}}
}

func weatherDecl() llmgate.Tool {
	return llmgate.Tool{Name: weatherTool.Name, Description: "Current weather of a city.", Parameters: json.RawMessage(
		`{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city"]}`)}
}

func ptr[T any](v T) *T { return &v }

// chat sends req with Chat.
func (x *exchange) chat(t *testing.T, req *llmgate.ChatRequest) *llmgate.ChatResponse {
	t.Helper()
	r, err := x.client.Chat(context.Background(), req)
	if err != nil {
		t.Fatalf("Chat: %v", err)
	}
	if len(r.Choices) == 0 {
		t.Fatal("Chat returned no choice")
	}
	if r.Choices[0].Message.Role != llmgate.RoleAssistant {
		t.Errorf("role %q, want assistant", r.Choices[0].Message.Role)
	}
	return r
}

// streamer returns the client as a ChatStreamer.
func (x *exchange) streamer(t *testing.T) llmgate.ChatStreamer {
	t.Helper()
	cs, ok := x.client.(llmgate.ChatStreamer)
	if !ok {
		t.Fatalf("%T does not implement llmgate.ChatStreamer; declare FeatureStream unsupported or skipped", x.client)
	}
	return cs
}

// drain reads st to its end and returns copies of its chunks, which st may
// reuse, and the error that ended it (io.EOF for a clean end).
func drain(st llmgate.ChatStream) ([]*llmgate.ChatChunk, error) {
	var chunks []*llmgate.ChatChunk
	for {
		c, err := st.Recv()
		if err != nil {
			return chunks, err
		}
		chunks = append(chunks, c.Clone())
	}
}

// send runs req as the scenario says, streamed or not, and returns the
// error, with the stream's chunks if any. A stream must end with io.EOF or
// an error, never both nil.
func (x *exchange) send(t *testing.T, req *llmgate.ChatRequest) (*llmgate.ChatResponse, []*llmgate.ChatChunk, error) {
	t.Helper()
	if !x.s.Stream {
		r, err := x.client.Chat(context.Background(), req)
		return r, nil, err
	}
	st, err := x.streamer(t).ChatStream(context.Background(), req)
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	chunks, err := drain(st)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return nil, chunks, err
}

// streamed gathers a stream's chunks.
type streamed struct {
	text     string
	finishes []llmgate.FinishReason
	usage    *llmgate.Usage
	calls    map[int]*llmgate.ToolCall
	argParts map[int]int // number of non-empty argument fragments per call
}

func gather(chunks []*llmgate.ChatChunk) *streamed {
	g := &streamed{calls: map[int]*llmgate.ToolCall{}, argParts: map[int]int{}}
	var b strings.Builder
	for _, c := range chunks {
		if c.Usage != nil {
			g.usage = c.Usage
		}
		for _, d := range c.Deltas {
			if d.Index != 0 {
				continue
			}
			b.WriteString(d.Content)
			if d.FinishReason != "" {
				g.finishes = append(g.finishes, d.FinishReason)
			}
			for _, tc := range d.ToolCalls {
				call := g.calls[tc.Index]
				if call == nil {
					call = &llmgate.ToolCall{}
					g.calls[tc.Index] = call
				}
				if tc.ID != "" {
					call.ID = tc.ID
				}
				if tc.Name != "" {
					call.Name = tc.Name
				}
				if tc.Arguments != "" {
					call.Arguments += tc.Arguments
					g.argParts[tc.Index]++
				}
			}
		}
	}
	g.text = b.String()
	return g
}

func checkUsage(t *testing.T, where string, u *llmgate.Usage) {
	t.Helper()
	switch {
	case u == nil:
		t.Errorf("%s: no usage", where)
	case u.PromptTokens <= 0 || u.CompletionTokens <= 0:
		t.Errorf("%s: usage %+v, want prompt and completion tokens above zero", where, *u)
	case u.TotalTokens < u.PromptTokens+u.CompletionTokens:
		t.Errorf("%s: usage %+v, total below prompt + completion", where, *u)
	}
}

// upstreamBody returns what reached the upstream, every request joined.
func (x *exchange) upstreamBody(t *testing.T) string {
	t.Helper()
	bodies := x.rec.requests()
	if len(bodies) == 0 {
		t.Fatal("no request reached the upstream")
	}
	return strings.Join(bodies, "\n")
}

func (x *exchange) checkChat(t *testing.T) {
	r := x.chat(t, x.requestFor())
	if got := r.Choices[0].Message.Text(); got != x.s.Text {
		t.Errorf("text %q, want %q", got, x.s.Text)
	}
	if r.FinishReason() != llmgate.FinishStop {
		t.Errorf("finish reason %q, want stop", r.FinishReason())
	}
	checkUsage(t, "Chat", &r.Usage)
}

func (x *exchange) checkSystem(t *testing.T) {
	x.checkChat(t)
	if x.rec != nil && !strings.Contains(x.upstreamBody(t), systemMarker) {
		t.Errorf("the system prompt did not reach the upstream: %s", x.upstreamBody(t))
	}
}

func (x *exchange) checkMultiTurn(t *testing.T) {
	x.checkChat(t)
	if x.rec == nil {
		return
	}
	body := x.upstreamBody(t)
	i1, i2, i3 := strings.Index(body, turn1Marker), strings.Index(body, turn2Marker), strings.Index(body, turn3Marker)
	if i1 < 0 || i2 < 0 || i3 < 0 || !(i1 < i2 && i2 < i3) {
		t.Errorf("the three turns did not reach the upstream in order (at %d, %d, %d): %s", i1, i2, i3, body)
	}
}

func (x *exchange) checkStream(t *testing.T) {
	st, err := x.streamer(t).ChatStream(context.Background(), x.requestFor())
	if err != nil {
		t.Fatalf("ChatStream: %v", err)
	}
	chunks, err := drain(st)
	if err != io.EOF {
		t.Fatalf("the stream ended with %v, want io.EOF", err)
	}
	if _, err := st.Recv(); err != io.EOF {
		t.Errorf("Recv after the end: %v, want io.EOF again", err)
	}
	if err := st.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := st.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	g := gather(chunks)
	if g.text != x.s.Text {
		t.Errorf("streamed text %q, want %q, the text of the same answer unstreamed", g.text, x.s.Text)
	}
	if len(g.finishes) != 1 || g.finishes[0] != llmgate.FinishStop {
		t.Errorf("finish reasons %q, want exactly one, stop", g.finishes)
	}
	checkUsage(t, "stream", g.usage)
	if len(chunks) < 2 {
		t.Errorf("%d chunks; the upstream sent the text in several", len(chunks))
	}
}

// checkCall checks a tool call that came back.
func (x *exchange) checkCall(t *testing.T, got *llmgate.ToolCall) {
	t.Helper()
	if got.ID == "" || got.Name != x.s.Tool.Name {
		t.Errorf("tool call %+v, want an ID and the name %q", *got, x.s.Tool.Name)
	}
	var args map[string]any
	if err := json.Unmarshal([]byte(got.Arguments), &args); err != nil {
		t.Errorf("tool call arguments %q are not a JSON object: %v", got.Arguments, err)
		return
	}
	if x.rec == nil {
		return // without an upstream, the client chooses the arguments
	}
	var want map[string]any
	if err := json.Unmarshal([]byte(x.s.Tool.Arguments), &want); err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(args, want) {
		t.Errorf("tool call arguments %s, want %s", got.Arguments, x.s.Tool.Arguments)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func (x *exchange) checkToolRoundTrip(t *testing.T) {
	req := x.requestFor()
	r := x.chat(t, req)
	msg := r.Choices[0].Message
	if len(msg.ToolCalls) != 1 {
		t.Fatalf("tool calls %+v, want one", msg.ToolCalls)
	}
	x.checkCall(t, &msg.ToolCalls[0])
	if r.FinishReason() != llmgate.FinishToolCalls {
		t.Errorf("finish reason %q, want tool_calls", r.FinishReason())
	}
	checkUsage(t, "Chat", &r.Usage)

	// The follow-up carries the call and its result; the upstream answers text.
	follow := newExchange(t, x.h, Scenario{Name: "tool_result", Feature: FeatureTools, Answer: AnswerText, Text: answerText, Secret: x.h.Secret})
	req2 := follow.request(append(req.Messages, msg,
		llmgate.Message{Role: llmgate.RoleTool, ToolCallID: msg.ToolCalls[0].ID, Content: []llmgate.Part{llmgate.TextPart(`{"` + resultMarker + `":21}`)}})...)
	req2.Params.Tools = req.Params.Tools
	req2.Params.ToolChoice = &llmgate.ToolChoice{Mode: "auto"}
	r2 := follow.chat(t, req2)
	if got := r2.Choices[0].Message.Text(); got != answerText {
		t.Errorf("answer to the tool result %q, want %q", got, answerText)
	}
	if follow.rec != nil && !strings.Contains(follow.upstreamBody(t), resultMarker) {
		t.Errorf("the tool result did not reach the upstream: %s", follow.upstreamBody(t))
	}
}

func (x *exchange) checkToolStream(t *testing.T) {
	_, chunks, err := x.send(t, x.requestFor())
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	g := gather(chunks)
	if len(g.calls) != 1 || g.calls[0] == nil {
		t.Fatalf("streamed tool calls %+v, want one at index 0", g.calls)
	}
	x.checkCall(t, g.calls[0])
	if x.rec != nil && !x.h.WholeToolCalls && g.argParts[0] < 2 {
		t.Errorf("the arguments came in %d fragment(s); the upstream split them, so the test proves no reassembly", g.argParts[0])
	}
	if len(g.finishes) != 1 || g.finishes[0] != llmgate.FinishToolCalls {
		t.Errorf("finish reasons %q, want exactly one, tool_calls", g.finishes)
	}
	checkUsage(t, "stream", g.usage)
}

func (x *exchange) checkVision(t *testing.T) {
	x.checkChat(t)
	if x.rec != nil && !strings.Contains(x.upstreamBody(t), onePixelPNG) {
		t.Errorf("the image's data did not reach the upstream: %s", x.upstreamBody(t))
	}
}

func (x *exchange) checkJSON(t *testing.T) {
	t.Helper()
	r := x.chat(t, x.requestFor())
	var got map[string]string
	if err := json.Unmarshal([]byte(r.Choices[0].Message.Text()), &got); err != nil || got[schemaField] != "Paris" {
		t.Errorf("answer %q is not the JSON object the upstream sent (%v)", r.Choices[0].Message.Text(), err)
	}
}

func (x *exchange) checkJSONSchema(t *testing.T) {
	x.checkJSON(t)
	if x.rec != nil && !strings.Contains(x.upstreamBody(t), schemaField) {
		t.Errorf("the JSON schema did not reach the upstream: %s", x.upstreamBody(t))
	}
}

func (x *exchange) checkJSONObject(t *testing.T) {
	x.checkJSON(t)
	if x.rec != nil && !strings.Contains(strings.ToLower(x.upstreamBody(t)), "json") {
		t.Errorf("nothing asking for JSON reached the upstream: %s", x.upstreamBody(t))
	}
}

func (x *exchange) checkStop(t *testing.T) {
	x.checkChat(t)
	if x.rec != nil && !strings.Contains(x.upstreamBody(t), x.s.Stop) {
		t.Errorf("the stop sequence did not reach the upstream: %s", x.upstreamBody(t))
	}
}

func (x *exchange) checkLength(t *testing.T) {
	r, chunks, err := x.send(t, x.requestFor())
	if err != nil {
		t.Fatal(err)
	}
	var text string
	var finish []llmgate.FinishReason
	if x.s.Stream {
		g := gather(chunks)
		text, finish = g.text, g.finishes
		checkUsage(t, "stream", g.usage)
	} else {
		text, finish = r.Choices[0].Message.Text(), []llmgate.FinishReason{r.FinishReason()}
		checkUsage(t, "Chat", &r.Usage)
	}
	if text != x.s.Text {
		t.Errorf("text %q, want %q", text, x.s.Text)
	}
	if len(finish) != 1 || finish[0] != llmgate.FinishLength {
		t.Errorf("finish reasons %q, want exactly one, length", finish)
	}
	if x.rec != nil && !maxTokensField.MatchString(x.upstreamBody(t)) {
		t.Errorf("the token limit did not reach the upstream: %s", x.upstreamBody(t))
	}
}

// checkError checks that err is an *llmgate.Error of code want, from the
// harness's provider, without the secret in any text.
func (x *exchange) checkError(t *testing.T, err error, want llmgate.ErrorCode) *llmgate.Error {
	t.Helper()
	var e *llmgate.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want an *llmgate.Error with code %s", err, err, want)
	}
	if want != "" && e.Code != want {
		t.Errorf("code %s, want %s (error: %v)", e.Code, want, err)
	}
	if x.h.Provider != "" && e.Provider != x.h.Provider {
		t.Errorf("error names provider %q, want %q", e.Provider, x.h.Provider)
	}
	if e.Message == "" {
		t.Error("the error has no message")
	}
	if s := x.h.Secret; s != "" && (strings.Contains(err.Error(), s) || strings.Contains(e.Message, s)) {
		t.Errorf("the credential leaked into the error: %v", err)
	}
	return e
}

func (x *exchange) checkUpstreamError(t *testing.T, want llmgate.ErrorCode) {
	_, chunks, err := x.send(t, x.requestFor())
	if err == nil {
		t.Fatalf("no error; %d chunks", len(chunks))
	}
	e := x.checkError(t, err, want)
	if want == llmgate.ERateLimited && (e.RetryAfter <= 0 || e.RetryAfter > time.Second) {
		t.Errorf("RetryAfter %v, want the upstream's one second", e.RetryAfter)
	}
	if x.s.Answer == AnswerUnauthorized && x.rec != nil && x.h.Secret != "" && !strings.Contains(x.rec.responses(), x.h.Secret) {
		t.Error("harness: the 401 answer must echo the secret, or the redaction check proves nothing")
	}
}

func (x *exchange) checkStreamCut(t *testing.T) {
	st, err := x.streamer(t).ChatStream(context.Background(), x.requestFor())
	if err != nil {
		t.Fatalf("ChatStream: %v", err)
	}
	defer st.Close()
	chunks, err := drain(st)
	if err == io.EOF {
		t.Fatal("a stream cut before its end ended cleanly with io.EOF")
	}
	x.checkError(t, err, "")
	if g := gather(chunks); g.text == "" || !strings.HasPrefix(x.s.Text, g.text) {
		t.Errorf("text before the cut %q, want a prefix of %q", g.text, x.s.Text)
	}
	if _, again := st.Recv(); again == nil || again == io.EOF {
		t.Errorf("Recv after the error: %v, want the error again", again)
	}
}

func (x *exchange) checkCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := x.streamer(t).ChatStream(ctx, x.requestFor())
	if err != nil {
		t.Fatalf("ChatStream: %v", err)
	}
	defer st.Close()
	if _, err := st.Recv(); err != nil {
		t.Fatalf("first chunk: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := drain(st)
		done <- err
	}()
	cancel()
	timer := time.NewTimer(promptTimeout)
	defer timer.Stop()
	select {
	case err := <-done:
		if err == nil || err == io.EOF {
			t.Errorf("a cancelled stream ended with %v, want an error", err)
		}
	case <-timer.C:
		t.Fatalf("Recv did not return within %s of the cancellation", promptTimeout)
	}
}

// expectUnsupported sends the scenario's request to a provider that
// declared its feature unsupported: the answer must be EUnsupported, before
// anything reaches the upstream.
func (x *exchange) expectUnsupported(t *testing.T, c testCase) {
	t.Helper()
	_, _, err := x.send(t, x.requestFor())
	if err == nil {
		t.Fatalf("%s is declared unsupported, but the request succeeded: a silent drop", c.s.Feature)
	}
	e := x.checkError(t, err, llmgate.EUnsupported)
	if !strings.Contains(strings.ToLower(e.Message), strings.ReplaceAll(string(c.s.Feature), "_", " ")) &&
		!strings.Contains(e.Message, string(c.s.Feature)) {
		t.Errorf("message %q does not name %s", e.Message, c.s.Feature)
	}
	if x.rec != nil && len(x.rec.requests()) > 0 {
		t.Errorf("an unsupported request reached the upstream: %q", x.rec.requests())
	}
}

// recorder passes requests to the harness's handler and keeps their bodies
// and what the handler wrote.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []string
	resp bytes.Buffer
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.reqs = append(r.reqs, string(body))
	r.mu.Unlock()
	req.Body = io.NopCloser(bytes.NewReader(body))
	r.next.ServeHTTP(&recordingWriter{ResponseWriter: w, r: r}, req)
}

func (r *recorder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reqs...)
}

func (r *recorder) responses() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.resp.String()
}

// recordingWriter copies what the handler writes into the recorder; it
// flushes, and unwraps for http.ResponseController.
type recordingWriter struct {
	http.ResponseWriter
	r *recorder
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	w.r.mu.Lock()
	w.r.resp.Write(p)
	w.r.mu.Unlock()
	return w.ResponseWriter.Write(p)
}

func (w *recordingWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *recordingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
