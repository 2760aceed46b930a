package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// eventWriter writes Server-Sent Events and flushes each one, so the client
// sees every chunk as soon as the upstream sends it.
type eventWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	buf     bytes.Buffer
	enc     *json.Encoder // writes into buf; made once, not per event
	started bool
}

func newEventWriter(w http.ResponseWriter) *eventWriter {
	e := &eventWriter{w: w, rc: http.NewResponseController(w)}
	e.enc = json.NewEncoder(&e.buf)
	return e
}

// start writes the response headers before the first event.
func (e *eventWriter) start() {
	if e.started {
		return
	}
	h := e.w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	e.w.WriteHeader(http.StatusOK)
	e.started = true
}

func (e *eventWriter) flush() error {
	if _, err := e.w.Write(e.buf.Bytes()); err != nil {
		return err
	}
	return e.rc.Flush()
}

// event writes one event named name with v as its JSON data.
func (e *eventWriter) event(name string, v any) error {
	e.start()
	e.buf.Reset()
	e.buf.WriteString("event: ")
	e.buf.WriteString(name)
	e.buf.WriteString("\ndata: ")
	if err := e.enc.Encode(v); err != nil {
		return err
	}
	// Encode ends with one newline; an event ends with a blank line.
	e.buf.WriteByte('\n')
	return e.flush()
}

// data writes one unnamed event with v as its JSON data, as OpenAI streams do.
func (e *eventWriter) data(v any) error {
	e.start()
	e.buf.Reset()
	e.buf.WriteString("data: ")
	if err := e.enc.Encode(v); err != nil {
		return err
	}
	e.buf.WriteByte('\n')
	return e.flush()
}

// raw writes one unnamed event with literal data, such as [DONE].
func (e *eventWriter) raw(s string) error {
	e.start()
	e.buf.Reset()
	e.buf.WriteString("data: ")
	e.buf.WriteString(s)
	e.buf.WriteString("\n\n")
	return e.flush()
}
