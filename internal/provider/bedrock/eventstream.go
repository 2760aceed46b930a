package bedrock

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// frame is one message of an event stream (application/vnd.amazon.
// eventstream), as Bedrock's ConverseStream sends them: the string headers
// the stream reads, and the payload. They are views of the bytes decoded,
// valid until those are reused.
type frame struct {
	messageType   []byte // :message-type: event, exception or error
	eventType     []byte // :event-type
	exceptionType []byte // :exception-type
	errorCode     []byte // :error-code
	errorMessage  []byte // :error-message
	payload       []byte
}

// Header value types of the event-stream format.
const (
	headerTrue = iota
	headerFalse
	headerByte
	headerShort
	headerInt
	headerLong
	headerBytes
	headerString
	headerTimestamp
	headerUUID
)

var (
	errPreludeCRC = errors.New("the prelude's checksum does not match")
	errMessageCRC = errors.New("the message's checksum does not match")
)

// decodeFrame decodes b, one whole message whose prelude's lengths the
// caller has checked (len(b) is the total length, at least 16, and the
// headers fit in it), into m. A message is a prelude (total length,
// headers length, each a big-endian uint32, and the CRC-32 of those eight
// bytes), the headers, the payload, and the CRC-32 of all before it.
// Decoding in place costs no allocation; the AWS SDK's decoder allocated
// about thirty times a message, for every header's name and value and for
// the readers it stacks.
func decodeFrame(b []byte, m *frame) error {
	*m = frame{}
	if crc32.ChecksumIEEE(b[:8]) != binary.BigEndian.Uint32(b[8:12]) {
		return errPreludeCRC
	}
	end := len(b) - 4
	if crc32.ChecksumIEEE(b[:end]) != binary.BigEndian.Uint32(b[end:]) {
		return errMessageCRC
	}
	headersEnd := 12 + int(binary.BigEndian.Uint32(b[4:8]))
	if err := decodeHeaders(b[12:headersEnd], m); err != nil {
		return err
	}
	m.payload = b[headersEnd:end]
	return nil
}

// decodeHeaders reads the headers h into m. Each is a name (its length in
// one byte, then its bytes), a value type (one byte) and a value of that
// type; a string or byte array value is its length in two bytes, then its
// bytes. As with the SDK, a name that repeats takes its last value, and a
// header the stream reads as a string but of another type reads as "".
func decodeHeaders(h []byte, m *frame) error {
	// The SDK's decoder takes a section that ends with a name's length
	// byte, and nothing after it, as ending there: so does this one.
	for len(h) > 1 || len(h) == 1 && h[0] == 0 {
		n := int(h[0])
		if len(h) < 2+n {
			return errors.New("a header is cut short")
		}
		name, typ := h[1:1+n], h[1+n]
		h = h[2+n:]
		size := 0
		switch typ {
		case headerTrue, headerFalse:
		case headerByte:
			size = 1
		case headerShort:
			size = 2
		case headerInt:
			size = 4
		case headerLong, headerTimestamp:
			size = 8
		case headerUUID:
			size = 16
		case headerBytes, headerString:
			if len(h) < 2 {
				return errors.New("a header is cut short")
			}
			size = 2 + int(binary.BigEndian.Uint16(h))
		default:
			return fmt.Errorf("header %q has the unknown value type %d", name, typ)
		}
		if len(h) < size {
			return errors.New("a header is cut short")
		}
		var v []byte
		if typ == headerString {
			v = h[2:size:size]
		}
		switch string(name) {
		case ":message-type":
			m.messageType = v
		case ":event-type":
			m.eventType = v
		case ":exception-type":
			m.exceptionType = v
		case ":error-code":
			m.errorCode = v
		case ":error-message":
			m.errorMessage = v
		}
		h = h[size:]
	}
	return nil
}
