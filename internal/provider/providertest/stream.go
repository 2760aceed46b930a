package providertest

import (
	"io"
	"testing"
	"testing/iotest"

	"github.com/llmgate/llmgate"
)

// The helpers below serve the adapters' own unit tests of their streams,
// which read recorded bodies without a server.

// CloseCounter is a response body that counts how often it was closed, for
// tests that a stream releases its connection exactly once.
type CloseCounter struct {
	io.Reader
	Closes int
}

// Close counts the call and returns nil.
func (c *CloseCounter) Close() error { c.Closes++; return nil }

// Drain reads s to its end and returns copies of its chunks (a stream may
// reuse a chunk's memory) and the error that ended it (io.EOF for a clean
// end). It fails the test when s has not ended after 10,000 chunks.
func Drain(tb testing.TB, s llmgate.ChatStream) ([]*llmgate.ChatChunk, error) {
	tb.Helper()
	var chunks []*llmgate.ChatChunk
	for range 10_000 {
		c, err := s.Recv()
		if err != nil {
			return chunks, err
		}
		chunks = append(chunks, c.Clone())
	}
	tb.Fatal("stream did not end")
	return nil, nil
}

// BodyReaders are the ways a body may arrive: whole, a byte at a time, in
// halves, and with its last data and io.EOF in one read. A stream must
// decode the same chunks from each.
var BodyReaders = []struct {
	Name string
	Wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"one_byte", iotest.OneByteReader},
	{"half", iotest.HalfReader},
	{"data_err", iotest.DataErrReader},
}
