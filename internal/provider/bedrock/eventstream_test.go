package bedrock

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// headersOfEveryType are headers of each value type of the format, with
// the ones the stream reads among them, and a name that repeats.
func headersOfEveryType() eventstream.Headers {
	var h eventstream.Headers
	h = append(h,
		eventstream.Header{Name: ":message-type", Value: eventstream.StringValue("exception")},
		eventstream.Header{Name: "t", Value: eventstream.BoolValue(true)},
		eventstream.Header{Name: "f", Value: eventstream.BoolValue(false)},
		eventstream.Header{Name: "b", Value: eventstream.Int8Value(-3)},
		eventstream.Header{Name: "s", Value: eventstream.Int16Value(300)},
		eventstream.Header{Name: ":event-type", Value: eventstream.Int32Value(7)}, // not a string: reads as ""
		eventstream.Header{Name: "l", Value: eventstream.Int64Value(1 << 40)},
		eventstream.Header{Name: "bytes", Value: eventstream.BytesValue("\x00\x01\x02")},
		eventstream.Header{Name: ":exception-type", Value: eventstream.StringValue("throttlingException")},
		eventstream.Header{Name: "ts", Value: eventstream.TimestampValue(time.UnixMilli(1700000000123))},
		eventstream.Header{Name: "id", Value: eventstream.UUIDValue{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}},
		eventstream.Header{Name: ":error-code", Value: eventstream.StringValue("first")},
		eventstream.Header{Name: ":error-code", Value: eventstream.StringValue("last")},
		eventstream.Header{Name: ":error-message", Value: eventstream.StringValue("")},
	)
	return h
}

func encodeMessage(tb testing.TB, h eventstream.Headers, payload []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := eventstream.NewEncoder().Encode(&buf, eventstream.Message{Headers: h, Payload: payload}); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// sdkString is what the stream read from a header with the SDK's decoder:
// a string value, or "" for none or another type; of a repeated name, the
// SDK keeps the last value.
func sdkString(m *eventstream.Message, name string) string {
	var v eventstream.Value
	for _, h := range m.Headers {
		if h.Name == name {
			v = h.Value
		}
	}
	if s, ok := v.(eventstream.StringValue); ok {
		return string(s)
	}
	return ""
}

// checkAgainstSDK decodes b, one whole message whose lengths pass the
// stream's checks, with decodeFrame and with the SDK's decoder, which must
// agree.
func checkAgainstSDK(t *testing.T, b []byte) {
	t.Helper()
	var got frame
	err := decodeFrame(b, &got)
	want, sdkErr := eventstream.NewDecoder().Decode(bytes.NewReader(b), nil)
	if (err == nil) != (sdkErr == nil) {
		t.Fatalf("%x: decodeFrame: %v; the SDK's decoder: %v", b, err, sdkErr)
	}
	if err != nil {
		return
	}
	for _, h := range []struct {
		name string
		got  []byte
	}{
		{":message-type", got.messageType}, {":event-type", got.eventType}, {":exception-type", got.exceptionType},
		{":error-code", got.errorCode}, {":error-message", got.errorMessage},
	} {
		if w := sdkString(&want, h.name); string(h.got) != w {
			t.Errorf("%x: header %s = %q, the SDK's %q", b, h.name, h.got, w)
		}
	}
	if !bytes.Equal(got.payload, want.Payload) {
		t.Errorf("%x: payload %q, the SDK's %q", b, got.payload, want.Payload)
	}
}

func TestDecodeFrame(t *testing.T) {
	b := encodeMessage(t, headersOfEveryType(), []byte(`{"message":"slow down"}`))
	var m frame
	if err := decodeFrame(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"message type", string(m.messageType), "exception"},
		{"event type (an int32 header)", string(m.eventType), ""},
		{"exception type", string(m.exceptionType), "throttlingException"},
		{"error code (repeated)", string(m.errorCode), "last"},
		{"error message (empty)", string(m.errorMessage), ""},
		{"payload", string(m.payload), `{"message":"slow down"}`},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	checkAgainstSDK(t, b)
	for _, tc := range []struct {
		name   string
		change func(b []byte)
	}{
		{"prelude checksum", func(b []byte) { b[9] ^= 1 }},
		{"message checksum", func(b []byte) { b[len(b)-1] ^= 1 }},
		{"payload byte", func(b []byte) { b[len(b)-6] ^= 1 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := bytes.Clone(b)
			tc.change(c)
			if err := decodeFrame(c, &m); err == nil {
				t.Fatal("decodeFrame took a message with a wrong checksum")
			}
			checkAgainstSDK(t, c)
		})
	}
}

// FuzzDecodeFrame builds a message of any headers and payload, with valid
// checksums unless told otherwise, and checks that decodeFrame and the
// SDK's decoder agree on it.
func FuzzDecodeFrame(f *testing.F) {
	whole := encodeMessage(f, headersOfEveryType(), []byte("payload"))
	hl := binary.BigEndian.Uint32(whole[4:8])
	f.Add(whole[12:12+hl], []byte("payload"), uint8(0))
	f.Add([]byte("\x0d:message-type\x07\x00\x05event"), []byte(`{}`), uint8(0))
	f.Add([]byte("\x01a\x0a"), []byte{}, uint8(0))            // an unknown value type
	f.Add([]byte("\x01a\x07\x00\x09abc"), []byte{}, uint8(0)) // a string longer than the headers
	f.Add([]byte("\x05"), []byte("x"), uint8(3))
	f.Fuzz(func(t *testing.T, headers, payload []byte, corrupt uint8) {
		if len(headers) > maxHeaderBytes {
			return
		}
		total := minMessageBytes + len(headers) + len(payload)
		b := binary.BigEndian.AppendUint32(nil, uint32(total))
		b = binary.BigEndian.AppendUint32(b, uint32(len(headers)))
		b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b)^uint32(corrupt&1))
		b = append(append(b, headers...), payload...)
		b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b)^uint32(corrupt&2))
		checkAgainstSDK(t, b)
	})
}

// TestStreamMessageAllocations: a text delta, event-stream message and JSON
// both, costs one allocation, its text.
func TestStreamMessageAllocations(t *testing.T) {
	const deltas = 100
	frames := []frameSpec{{Event: "messageStart", Payload: json.RawMessage(`{"role":"assistant"}`)}}
	// AllocsPerRun calls its function once more to warm up.
	for range 2 * deltas {
		frames = append(frames, frameSpec{Event: "contentBlockDelta", Payload: json.RawMessage(`{"contentBlockIndex":0,"delta":{"text":"word "},"p":"abcdefgh"}`)})
	}
	s, _ := testStream(bytes.NewReader(encodeFrames(t, frames)))
	if _, err := s.Recv(); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(1, func() {
		for range deltas {
			c, err := s.Recv()
			if err != nil || c.Deltas[0].Content != "word " {
				t.Fatalf("Recv = %+v, %v", c, err)
			}
		}
	})
	if allocs > deltas {
		t.Errorf("%v allocations for %d text deltas, want at most one each", allocs, deltas)
	}
}
