package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/jsonappend"
)

// eventWriter writes Server-Sent Events. It does not flush each one: the
// stream it forwards calls Flush before it may wait for the provider (see
// llmgate.WithStreamFlush), so the events of chunks that arrived together
// leave in one write, and none is held back while the upstream is silent.
// The handler's return flushes whatever is left.
type eventWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	buf     bytes.Buffer
	enc     *json.Encoder // writes into buf; made once, not per event
	started bool
	pending bool   // written since the last flush
	output  bool   // the first model output was flushed
	scratch []byte // the events written by hand
	// active, when set, counts the server's requests being served; see
	// firstOutput.
	active *atomic.Int64
}

func newEventWriter(w http.ResponseWriter) *eventWriter {
	e := &eventWriter{w: w, rc: http.NewResponseController(w)}
	e.enc = json.NewEncoder(&e.buf)
	return e
}

// eventWriter returns the event writer of a stream s answers on w.
func (s *Server) eventWriter(w http.ResponseWriter) *eventWriter {
	e := newEventWriter(w)
	e.active = &s.active
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

// send writes one whole event, b; Flush sends what was written.
func (e *eventWriter) send(b []byte) error {
	_, err := e.w.Write(b)
	e.pending = true
	return err
}

// Flush sends the events written since the last Flush. A failure is not
// returned: the connection is gone, and the next write says so.
func (e *eventWriter) Flush() {
	if e.pending {
		e.pending = false
		_ = e.rc.Flush()
	}
}

// firstOutput flushes the events written so far once ch, just written,
// carries the stream's first model output: text or a tool call. The time to
// the first token is what a streaming client feels, so that event does not
// wait while the chunks that arrived with it are decoded and written: a
// provider's first chunks often arrive together, before the gateway has
// read the first. Later events wait for the next read (see Flush).
//
// When this stream is the only request being served, firstOutput also
// yields the CPU once (see yieldCPU). The write woke the client's reader,
// and Linux places a reader woken by a socket write on the writer's CPU,
// expecting the writer to sleep soon; the gateway instead goes on decoding
// the rest of the stream, which has often arrived already, and a client on
// the same machine (a sidecar, the load benchmark) would read its first
// token only after that. With other requests in flight the yield is not
// made: there the CPU has other work, and giving it away would only add
// context switches.
func (e *eventWriter) firstOutput(ch *llmgate.ChatChunk) {
	if e.output {
		return
	}
	for i := range ch.Deltas {
		if d := &ch.Deltas[i]; d.Content != "" || len(d.ToolCalls) > 0 {
			e.output = true
			e.Flush()
			if e.active != nil && e.active.Load() == 1 {
				yieldCPU()
			}
			return
		}
	}
}

// streamContext returns r's context carrying e.Flush for the stream the
// handler opens; see llmgate.WithStreamFlush.
func (e *eventWriter) streamContext(r *http.Request) context.Context {
	return llmgate.WithStreamFlush(r.Context(), e.Flush)
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
	return e.send(e.buf.Bytes())
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
	return e.send(e.buf.Bytes())
}

// raw writes one unnamed event with literal data, such as [DONE].
func (e *eventWriter) raw(s string) error {
	e.start()
	e.buf.Reset()
	e.buf.WriteString("data: ")
	e.buf.WriteString(s)
	e.buf.WriteString("\n\n")
	return e.send(e.buf.Bytes())
}

// delta writes a native "delta" event. The usual text delta is written by
// hand, byte for byte what event("delta", ev) writes; a delta with tool
// calls goes through event.
func (e *eventWriter) delta(ev *deltaEvent) error {
	if len(ev.Delta.ToolCalls) > 0 {
		return e.event("delta", ev)
	}
	e.start()
	b := append(e.scratch[:0], `event: delta`+"\n"+`data: {"id":`...)
	b = jsonappend.String(b, ev.ID)
	b = append(b, `,"index":`...)
	b = strconv.AppendInt(b, int64(ev.Index), 10)
	b = append(b, `,"delta":{`...)
	if ev.Delta.Role != "" {
		b = append(b, `"role":`...)
		b = jsonappend.String(b, ev.Delta.Role)
	}
	if ev.Delta.Content != "" {
		if ev.Delta.Role != "" {
			b = append(b, ',')
		}
		b = append(b, `"content":`...)
		b = jsonappend.String(b, ev.Delta.Content)
	}
	b = append(b, "}}\n\n"...)
	e.scratch = b
	return e.send(b)
}

// done writes a native stream's done event by hand: byte for byte what
// event writes for d (FuzzDoneEvent).
func (e *eventWriter) done(d *doneEvent) error {
	e.start()
	b := appendDoneEvent(append(e.scratch[:0], "event: done\ndata: "...), d)
	b = append(b, "\n\n"...)
	e.scratch = b
	return e.send(b)
}

// anTextDelta writes the Anthropic surface's content_block_delta event for
// text, by hand: byte for byte what event writes for an anBlockDelta, one
// event per token without encoding/json's reflection.
func (e *eventWriter) anTextDelta(index int, text string) error {
	e.start()
	b := append(e.scratch[:0], "event: content_block_delta\ndata: {\"delta\":{\"text\":"...)
	b = jsonappend.String(b, text)
	b = append(b, `,"type":"text_delta"},"index":`...)
	b = strconv.AppendInt(b, int64(index), 10)
	b = append(b, `,"type":"content_block_delta"}`+"\n\n"...)
	e.scratch = b
	return e.send(b)
}

// oaChunk writes one chat.completion.chunk event of the OpenAI surface, by
// hand, byte for byte what data(r) writes.
func (e *eventWriter) oaChunk(r *oaChatResponse) error {
	b, ok := appendOAChatResponse(append(e.scratch[:0], "data: "...), r)
	if !ok {
		return e.data(r)
	}
	e.start()
	b = append(b, "\n\n"...)
	e.scratch = b
	return e.send(b)
}

// anToolDelta writes the Anthropic surface's content_block_delta event for
// a piece of a tool call's input, by hand: byte for byte what event writes
// for the map the handler used (encoding/json sorts a map's keys), one
// event per chunk of a tool call's arguments.
func (e *eventWriter) anToolDelta(index int, partial string) error {
	e.start()
	b := append(e.scratch[:0], "event: content_block_delta\ndata: {\"delta\":{\"partial_json\":"...)
	b = jsonappend.String(b, partial)
	b = append(b, `,"type":"input_json_delta"},"index":`...)
	b = strconv.AppendInt(b, int64(index), 10)
	b = append(b, `,"type":"content_block_delta"}`+"\n\n"...)
	e.scratch = b
	return e.send(b)
}

// anBlockEvent writes the Anthropic surface's content_block_start event of
// a text block (text true), or its content_block_stop event (text false),
// by hand: byte for byte what event writes for the maps the handler used.
func (e *eventWriter) anBlockEvent(index int, start bool) error {
	e.start()
	b := e.scratch[:0]
	if start {
		b = append(b, "event: content_block_start\ndata: {\"content_block\":{\"text\":\"\",\"type\":\"text\"},\"index\":"...)
	} else {
		b = append(b, "event: content_block_stop\ndata: {\"index\":"...)
	}
	b = strconv.AppendInt(b, int64(index), 10)
	if start {
		b = append(b, `,"type":"content_block_start"}`+"\n\n"...)
	} else {
		b = append(b, `,"type":"content_block_stop"}`+"\n\n"...)
	}
	e.scratch = b
	return e.send(b)
}
