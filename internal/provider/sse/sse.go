// Package sse reads Server-Sent Events, the framing of the streamed answers
// of OpenAI, Azure OpenAI, Anthropic and Gemini, with a bound on the memory
// one event may take.
//
// It implements the part of the WHATWG event-stream format that those
// providers use: "data:" lines, joined with newlines, make an event's data;
// an "event:" line names it; a blank line completes it; lines starting with
// ':' are comments; other fields ("id:", "retry:") are ignored. Lines may end
// in LF or CRLF. What an event means, and what ends a stream well, is left
// to the caller.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// ErrLineTooLong is returned by Next when a line, or the data of one event,
// is longer than the Reader's limit.
var ErrLineTooLong = errors.New("stream line longer than the limit")

// ErrIncomplete is returned by Next, together with the event's name and
// data, when the input ends inside an event: after its data but before the
// blank line that completes it. The SSE specification drops such an event;
// a caller may accept it instead, such as a terminal marker that merely
// lacks its blank line.
var ErrIncomplete = errors.New("stream ended inside an event")

// Reader reads events from a buffered reader. It holds at most one line and
// one event's data in memory, each bounded by the limit given to NewReader.
// A Reader is not safe for concurrent use.
type Reader struct {
	r       *bufio.Reader
	maxLine int

	long []byte // assembles lines longer than r's buffer
	data []byte // the data of the event being read
	name []byte // the event's name, from an "event:" line
}

// NewReader returns a Reader of the events in r. maxLine bounds both one
// line and the data of one event; it must be positive. Lines longer than r's
// buffer are assembled in a buffer of their own, so r's size trades the
// memory a held-open stream keeps against copying for long lines.
func NewReader(r *bufio.Reader, maxLine int) *Reader {
	return &Reader{r: r, maxLine: maxLine}
}

// Next returns the name and data of the next event that has data; events
// without a "data:" line are skipped. name is empty when the event has no
// "event:" line. Both slices are valid until the next call.
//
// At the end of the input Next returns io.EOF, or, when the input ends
// inside an event, that event with ErrIncomplete. A line or event data
// longer than the limit gives ErrLineTooLong, and a failure of the
// underlying reader is returned as it is.
func (r *Reader) Next() (name, data []byte, err error) {
	r.data = r.data[:0]
	r.name = r.name[:0]
	hasData := false
	for {
		line, err := r.readLine()
		if err == io.EOF {
			if hasData {
				return r.name, r.data, ErrIncomplete
			}
			return nil, nil, io.EOF
		}
		if err != nil {
			return nil, nil, err
		}
		if len(line) == 0 {
			if hasData {
				return r.name, r.data, nil
			}
			r.name = r.name[:0] // a name without data names nothing
			continue
		}
		if line[0] == ':' {
			continue // a comment
		}
		field, value, _ := bytes.Cut(line, []byte{':'})
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
		switch string(field) {
		case "data":
			if hasData {
				r.data = append(r.data, '\n')
			}
			r.data = append(r.data, value...)
			hasData = true
			if len(r.data) > r.maxLine {
				return nil, nil, ErrLineTooLong
			}
		case "event":
			r.name = append(r.name[:0], value...)
		}
	}
}

// readLine returns the next line without its line ending, or io.EOF. The
// result is valid until the next call.
func (r *Reader) readLine() ([]byte, error) {
	line, err := r.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if len(r.long) > r.maxLine {
				return nil, ErrLineTooLong
			}
			line, err = r.r.ReadSlice('\n')
			r.long = append(r.long, line...)
		}
		line = r.long
	}
	if err == io.EOF && len(line) > 0 {
		err = nil // a last line without its newline
	}
	if err != nil {
		return nil, err
	}
	line = bytes.TrimSuffix(line, []byte{'\n'})
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(line) > r.maxLine {
		return nil, ErrLineTooLong
	}
	return line, nil
}
