package sse

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

// event is what Next returned, in a form cmp can compare.
type event struct {
	Name, Data string
}

// readAll calls Next until it fails and returns the events and the error
// that ended them; an event returned with ErrIncomplete is included.
func readAll(r *Reader) ([]event, error) {
	var got []event
	for {
		name, data, err := r.Next()
		if err == nil || errors.Is(err, ErrIncomplete) {
			got = append(got, event{string(name), string(data)})
		}
		if err != nil {
			return got, err
		}
	}
}

func TestReaderNext(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		maxLine int
		want    []event
		wantErr error
	}{
		{"empty", "", 0, nil, io.EOF},
		{"one event", "data: a\n\n", 0, []event{{"", "a"}}, io.EOF},
		{"two events", "data: a\n\ndata: b\n\n", 0, []event{{"", "a"}, {"", "b"}}, io.EOF},
		{"no space after colon", "data:a\n\n", 0, []event{{"", "a"}}, io.EOF},
		{"only the first space is dropped", "data:  a \n\n", 0, []event{{"", " a "}}, io.EOF},
		{"CRLF", "event: e\r\ndata: a\r\n\r\ndata: b\r\n\r\n", 0, []event{{"e", "a"}, {"", "b"}}, io.EOF},
		{"multi-line data joined", "data: a\ndata: b\n\n", 0, []event{{"", "a\nb"}}, io.EOF},
		{"empty data line", "data\n\n", 0, []event{{"", ""}}, io.EOF},
		{"comments and other fields", ": keep-alive\nid: 7\nretry: 100\nevent: message\ndata: a\n\n: bye\n", 0, []event{{"message", "a"}}, io.EOF},
		{"extra blank lines", "\n\n\ndata: a\n\n\n\ndata: b\n\n", 0, []event{{"", "a"}, {"", "b"}}, io.EOF},
		{"name without data is forgotten", "event: ping\n\ndata: a\n\n", 0, []event{{"", "a"}}, io.EOF},
		{"last name wins", "event: a\nevent: b\ndata: x\n\n", 0, []event{{"b", "x"}}, io.EOF},
		{"name is per event", "event: e\ndata: a\n\ndata: b\n\n", 0, []event{{"e", "a"}, {"", "b"}}, io.EOF},
		{"last event without blank line", "data: a\n\ndata: [DONE]", 0, []event{{"", "a"}, {"", "[DONE]"}}, ErrIncomplete},
		{"last event without newline", "data: a\n\nevent: e\ndata: b\n", 0, []event{{"", "a"}, {"e", "b"}}, ErrIncomplete},
		{"name alone at the end", "data: a\n\nevent: e\n", 0, []event{{"", "a"}}, io.EOF},
		{"line too long", "data: " + strings.Repeat("x", 300) + "\n\n", 256, nil, ErrLineTooLong},
		{"line at the limit", "data: " + strings.Repeat("x", 250) + "\r\n\r\n", 256, []event{{"", strings.Repeat("x", 250)}}, io.EOF},
		{"event data too long", strings.Repeat("data: "+strings.Repeat("x", 100)+"\n", 4) + "\n", 256, nil, ErrLineTooLong},
		{"long line assembled", "data: " + strings.Repeat("x", 5000) + "\n\n", 0, []event{{"", strings.Repeat("x", 5000)}}, io.EOF},
	}
	for _, tt := range tests {
		for _, rd := range providertest.BodyReaders {
			t.Run(tt.name+"/"+rd.Name, func(t *testing.T) {
				maxLine := tt.maxLine
				if maxLine == 0 {
					maxLine = 1 << 20
				}
				// A buffer smaller than most lines sends them through the
				// assembling path.
				r := NewReader(bufio.NewReaderSize(rd.Wrap(strings.NewReader(tt.in)), 64), maxLine)
				got, err := readAll(r)
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("events mismatch (-want +got):\n%s", diff)
				}
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("err = %v, want %v", err, tt.wantErr)
				}
			})
		}
	}
}

func TestReaderAfterEOF(t *testing.T) {
	r := NewReader(bufio.NewReader(strings.NewReader("data: a\n\n")), 1<<10)
	if _, _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, _, err := r.Next(); err != io.EOF {
			t.Fatalf("Next after the end = %v, want io.EOF", err)
		}
	}
}

func TestReaderReadError(t *testing.T) {
	boom := errors.New("connection reset")
	in := io.MultiReader(strings.NewReader("data: a\n\ndata: b\n"), iotest.ErrReader(boom))
	r := NewReader(bufio.NewReader(in), 1<<10)
	if _, data, err := r.Next(); err != nil || string(data) != "a" {
		t.Fatalf("first Next = %q, %v", data, err)
	}
	if _, _, err := r.Next(); err != boom {
		t.Fatalf("Next = %v, want the reader's error as it is", err)
	}
}

func BenchmarkReaderNext(b *testing.B) {
	event := "data: " + strings.Repeat(`{"choices":[{"delta":{"content":"hello"}}]}`, 4) + "\n\n"
	body := strings.Repeat(event, 100)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	sr := strings.NewReader(body)
	br := bufio.NewReaderSize(sr, 4<<10)
	for b.Loop() {
		sr.Reset(body)
		br.Reset(sr)
		r := NewReader(br, 1<<20)
		for {
			if _, _, err := r.Next(); err != nil {
				break
			}
		}
	}
}
