package bedrock

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	"github.com/google/go-cmp/cmp"
	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

// frameSpec is one message of a stream fixture: an event or an exception
// with its JSON payload.
type frameSpec struct {
	Event     string          `json:"event"`
	Exception string          `json:"exception"`
	Payload   json.RawMessage `json:"payload"`
}

// encodeFrames builds the binary event stream Bedrock would send, with the
// SDK's encoder and the headers Bedrock puts on each message.
func encodeFrames(tb testing.TB, frames []frameSpec) []byte {
	tb.Helper()
	var buf bytes.Buffer
	enc := eventstream.NewEncoder()
	for _, f := range frames {
		var h eventstream.Headers
		if f.Exception != "" {
			h.Set(":message-type", eventstream.StringValue("exception"))
			h.Set(":exception-type", eventstream.StringValue(f.Exception))
		} else {
			h.Set(":event-type", eventstream.StringValue(f.Event))
			h.Set(":message-type", eventstream.StringValue("event"))
		}
		h.Set(":content-type", eventstream.StringValue("application/json"))
		if err := enc.Encode(&buf, eventstream.Message{Headers: h, Payload: f.Payload}); err != nil {
			tb.Fatal(err)
		}
	}
	return buf.Bytes()
}

// loadStream encodes the frames of the fixture testdata/name.
func loadStream(tb testing.TB, name string) []byte {
	tb.Helper()
	var frames []frameSpec
	if err := json.Unmarshal(providertest.ReadFile(tb, name), &frames); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return encodeFrames(tb, frames)
}

func testStream(r io.Reader) (*stream, *providertest.CloseCounter) {
	body := &providertest.CloseCounter{Reader: r}
	s := newStream(context.Background(), body, "bedrock", []string{"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})
	s.id = "req-1"
	s.model = "claude-sonnet"
	s.created = time.Unix(1700000000, 0).UTC()
	return s, body
}

func TestStream(t *testing.T) {
	base := llmgate.ChatChunk{ID: "req-1", Model: "claude-sonnet", Created: time.Unix(1700000000, 0).UTC()}
	with := func(d llmgate.ChoiceDelta) *llmgate.ChatChunk {
		c := base
		c.Deltas = []llmgate.ChoiceDelta{d}
		return &c
	}
	withUsage := func(u llmgate.Usage) *llmgate.ChatChunk {
		c := base
		c.Usage = &u
		return &c
	}
	tests := []struct {
		file    string
		want    []*llmgate.ChatChunk
		wantErr error // io.EOF or an *llmgate.Error matched by code
		wantMsg string
	}{
		{"stream_text.json", []*llmgate.ChatChunk{
			with(llmgate.ChoiceDelta{Role: llmgate.RoleAssistant}),
			with(llmgate.ChoiceDelta{Content: "Hello"}),
			with(llmgate.ChoiceDelta{Content: " world"}),
			with(llmgate.ChoiceDelta{Content: "!"}),
			with(llmgate.ChoiceDelta{FinishReason: llmgate.FinishStop}),
			withUsage(llmgate.Usage{PromptTokens: 9, CompletionTokens: 3, TotalTokens: 12}),
		}, io.EOF, ""},
		// Reasoning deltas and empty input fragments carry nothing; tool
		// blocks are numbered among themselves, whatever their block index.
		{"stream_tool_use.json", []*llmgate.ChatChunk{
			with(llmgate.ChoiceDelta{Role: llmgate.RoleAssistant}),
			with(llmgate.ChoiceDelta{Content: "Checking."}),
			with(llmgate.ChoiceDelta{ToolCalls: []llmgate.ToolCallDelta{{Index: 0, ID: "tooluse_abc", Name: "get_weather"}}}),
			with(llmgate.ChoiceDelta{ToolCalls: []llmgate.ToolCallDelta{{Index: 0, Arguments: `{"ci`}}}),
			with(llmgate.ChoiceDelta{ToolCalls: []llmgate.ToolCallDelta{{Index: 0, Arguments: `ty": "Par`}}}),
			with(llmgate.ChoiceDelta{ToolCalls: []llmgate.ToolCallDelta{{Index: 0, Arguments: `is"}`}}}),
			with(llmgate.ChoiceDelta{ToolCalls: []llmgate.ToolCallDelta{{Index: 1, ID: "tooluse_def", Name: "get_time"}}}),
			with(llmgate.ChoiceDelta{FinishReason: llmgate.FinishToolCalls}),
			withUsage(llmgate.Usage{PromptTokens: 1060, CompletionTokens: 25, TotalTokens: 1085, CachedTokens: 1000}),
		}, io.EOF, ""},
		{"stream_exception.json", []*llmgate.ChatChunk{
			with(llmgate.ChoiceDelta{Role: llmgate.RoleAssistant}),
			with(llmgate.ChoiceDelta{Content: "Once upon"}),
		}, &llmgate.Error{Code: llmgate.EUpstreamError}, "Model stream error: the model failed mid-answer."},
		{"stream_throttled.json", nil, &llmgate.Error{Code: llmgate.ERateLimited}, "Too many requests"},
		{"stream_cut.json", []*llmgate.ChatChunk{
			with(llmgate.ChoiceDelta{Role: llmgate.RoleAssistant}),
			with(llmgate.ChoiceDelta{Content: "Hel"}),
		}, &llmgate.Error{Code: llmgate.EUpstreamConnection}, "stream ended before completion"},
		// The answer is whole but the usage never came.
		{"stream_no_metadata.json", []*llmgate.ChatChunk{
			with(llmgate.ChoiceDelta{Role: llmgate.RoleAssistant}),
			with(llmgate.ChoiceDelta{Content: "Hi"}),
			with(llmgate.ChoiceDelta{FinishReason: llmgate.FinishStop}),
		}, &llmgate.Error{Code: llmgate.EUpstreamConnection}, "stream ended before completion"},
	}
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"whole", func(r io.Reader) io.Reader { return r }},
		{"byte by byte", iotest.OneByteReader},
		{"eof with data", iotest.DataErrReader},
	}
	for _, tt := range tests {
		for _, rd := range readers {
			t.Run(tt.file+"/"+rd.name, func(t *testing.T) {
				s, body := testStream(rd.wrap(bytes.NewReader(loadStream(t, tt.file))))
				got, err := providertest.Drain(t, s)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("chunks mismatch (-want +got):\n%s", diff)
				}
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if tt.wantMsg != "" && !strings.Contains(llmgate.AsError(err).Message, tt.wantMsg) {
					t.Errorf("message = %q, want it to contain %q", llmgate.AsError(err).Message, tt.wantMsg)
				}
				// The error is sticky and the body was released once.
				if _, again := s.Recv(); again != err {
					t.Errorf("second Recv = %v, want the same %v", again, err)
				}
				if err := s.Close(); err != nil {
					t.Errorf("Close = %v", err)
				}
				if body.Closes != 1 {
					t.Errorf("body closed %d times, want 1", body.Closes)
				}
			})
		}
	}
}

func TestStreamServedOnFirstChunk(t *testing.T) {
	s, _ := testStream(bytes.NewReader(loadStream(t, "stream_text.json")))
	s.served = &llmgate.Served{Model: "claude-sonnet", Upstream: time.Second}
	chunks, err := providertest.Drain(t, s)
	if err != io.EOF {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&llmgate.Served{Model: "claude-sonnet", Upstream: time.Second}, chunks[0].Served); diff != "" {
		t.Errorf("first chunk Served mismatch (-want +got):\n%s", diff)
	}
	for _, c := range chunks[1:] {
		if c.Served != nil {
			t.Errorf("a later chunk carries Served")
		}
	}
}

func TestStreamExceptions(t *testing.T) {
	tests := []struct {
		typ, message string
		code         llmgate.ErrorCode
	}{
		{"throttlingException", "Too many requests", llmgate.ERateLimited},
		{"modelStreamErrorException", "model failed", llmgate.EUpstreamError},
		{"internalServerException", "internal error", llmgate.EUpstreamError},
		{"serviceUnavailableException", "unavailable", llmgate.EUpstreamUnavailable},
		{"validationException", "bad input", llmgate.EUpstreamBadRequest},
		{"validationException", "Input is too long for requested model.", llmgate.EContextLengthExceeded},
		{"someNewException", "new", llmgate.EUpstreamError},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.message, func(t *testing.T) {
			payload, _ := json.Marshal(map[string]string{"message": tt.message})
			s, _ := testStream(bytes.NewReader(encodeFrames(t, []frameSpec{{Exception: tt.typ, Payload: payload}})))
			_, err := providertest.Drain(t, s)
			e := llmgate.AsError(err)
			if e.Code != tt.code || e.Message != tt.message || e.Provider != "bedrock" {
				t.Errorf("err = %v, want code %s and message %q from bedrock", err, tt.code, tt.message)
			}
		})
	}
}

// TestStreamMalformed checks bodies that are not a valid ConverseStream.
func TestStreamMalformed(t *testing.T) {
	text := loadStream(t, "stream_text.json")
	badCRC := bytes.Clone(text)
	badCRC[len(badCRC)-1] ^= 0xff
	huge := binary.BigEndian.AppendUint32(nil, 1<<30)
	huge = binary.BigEndian.AppendUint32(huge, 0)
	huge = append(huge, make([]byte, 64)...)
	event := func(typ, payload string) []byte {
		return encodeFrames(t, []frameSpec{{Event: typ, Payload: json.RawMessage(payload)}})
	}
	var other bytes.Buffer
	var h eventstream.Headers
	h.Set(":message-type", eventstream.StringValue("error"))
	h.Set(":error-code", eventstream.StringValue("InternalFailure"))
	h.Set(":error-message", eventstream.StringValue("the stream broke"))
	if err := eventstream.NewEncoder().Encode(&other, eventstream.Message{Headers: h}); err != nil {
		t.Fatal(err)
	}
	var unknown bytes.Buffer
	h = nil
	h.Set(":message-type", eventstream.StringValue("gossip"))
	if err := eventstream.NewEncoder().Encode(&unknown, eventstream.Message{Headers: h}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		body []byte
		code llmgate.ErrorCode
	}{
		{"empty body", nil, llmgate.EUpstreamConnection},
		{"cut inside a prelude", text[:5], llmgate.EUpstreamConnection},
		{"cut inside a message", text[:len(text)-7], llmgate.EUpstreamConnection},
		{"bad checksum", badCRC, llmgate.EUpstreamBadResponse},
		{"length beyond the limit", huge, llmgate.EUpstreamBadResponse},
		{"length below the minimum", []byte{0, 0, 0, 4, 0, 0, 0, 0, 1, 2, 3, 4}, llmgate.EUpstreamBadResponse},
		{"not json", event("contentBlockDelta", `{"delta":`), llmgate.EUpstreamBadResponse},
		{"tool input without start", event("contentBlockDelta", `{"contentBlockIndex":1,"delta":{"toolUse":{"input":"{}"}}}`), llmgate.EUpstreamBadResponse},
		{"protocol error", other.Bytes(), llmgate.EUpstreamError},
		{"unknown message type", unknown.Bytes(), llmgate.EUpstreamBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, body := testStream(bytes.NewReader(tt.body))
			_, err := providertest.Drain(t, s)
			if code := llmgate.ErrorCodeOf(err); code != tt.code {
				t.Errorf("err = %v, want code %s", err, tt.code)
			}
			if body.Closes != 1 {
				t.Errorf("body closed %d times, want 1", body.Closes)
			}
		})
	}
}

func TestStreamReadErrors(t *testing.T) {
	broken := errors.New("connection reset by peer")
	t.Run("broken connection", func(t *testing.T) {
		s, _ := testStream(io.MultiReader(bytes.NewReader(loadStream(t, "stream_cut.json")), iotest.ErrReader(broken)))
		_, err := providertest.Drain(t, s)
		if code := llmgate.ErrorCodeOf(err); code != llmgate.EUpstreamConnection || !errors.Is(err, broken) {
			t.Errorf("err = %v, want upstream_connection wrapping the cause", err)
		}
	})
	t.Run("canceled request", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		s := newStream(ctx, io.NopCloser(iotest.ErrReader(context.Canceled)), "bedrock", nil)
		_, err := providertest.Drain(t, s)
		if code := llmgate.ErrorCodeOf(err); code != llmgate.EClientClosed {
			t.Errorf("err = %v, want client_closed", err)
		}
	})
	t.Run("closed by the caller", func(t *testing.T) {
		s, body := testStream(bytes.NewReader(loadStream(t, "stream_text.json")))
		if _, err := s.Recv(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close = %v", err)
		}
		_, err := s.Recv()
		if code := llmgate.ErrorCodeOf(err); code != llmgate.EClientClosed {
			t.Errorf("Recv after Close = %v, want client_closed", err)
		}
		if body.Closes != 1 {
			t.Errorf("body closed %d times, want 1", body.Closes)
		}
	})
}

// TestStreamRedactsSecrets checks that an exception echoing the secret key
// does not carry it to the client or the logs.
func TestStreamRedactsSecrets(t *testing.T) {
	payload := `{"message":"bad key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","originalMessage":"key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","originalStatusCode":400}`
	s, _ := testStream(bytes.NewReader(encodeFrames(t, []frameSpec{{Exception: "modelStreamErrorException", Payload: json.RawMessage(payload)}})))
	_, err := providertest.Drain(t, s)
	if strings.Contains(err.Error(), "EXAMPLEKEY") || strings.Contains(llmgate.AsError(err).Message, "EXAMPLEKEY") {
		t.Errorf("the secret leaked: %v", err)
	}
}

func FuzzStreamRecv(f *testing.F) {
	for _, name := range []string{"stream_text.json", "stream_tool_use.json", "stream_exception.json", "stream_cut.json"} {
		f.Add(loadStream(f, name))
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, body := testStream(bytes.NewReader(data))
		// Every successful Recv consumes a message of at least 16 bytes,
		// so the stream must end within this many calls.
		limit := len(data)/minMessageBytes + 2
		var err error
		for range limit {
			if _, err = s.Recv(); err != nil {
				break
			}
		}
		if err == nil {
			t.Fatalf("stream did not end within %d calls", limit)
		}
		var e *llmgate.Error
		if err != io.EOF && !errors.As(err, &e) {
			t.Fatalf("err = %#v, want io.EOF or an *llmgate.Error", err)
		}
		if body.Closes != 1 {
			t.Fatalf("body closed %d times, want 1", body.Closes)
		}
	})
}

func BenchmarkStreamDecode(b *testing.B) {
	data := loadStream(b, "stream_tool_use.json")
	r := bytes.NewReader(data)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r.Reset(data)
		s := newStream(context.Background(), io.NopCloser(r), "bedrock", nil)
		for {
			if _, err := s.Recv(); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
		}
	}
}
