// Package httpapi is the HTTP adapter of the gateway: the native API of the
// seed, its OpenAPI document and Swagger UI, the middleware every request
// goes through, and the mapping of domain errors to statuses. It drives the
// domain through small interfaces and never imports a provider or a store.
package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/bufpool"
	"github.com/llmgate/llmgate/internal/jsonscan"
)

// Backend is what the native API needs of the gateway.
type Backend interface {
	llmgate.Gateway
	Catalog() *llmgate.Catalog
	Health(ctx context.Context) llmgate.Health
	// Aliases lists the model aliases routing configuration defines.
	Aliases() []string
	// HasAlias reports whether name is one of them.
	HasAlias(name string) bool
}

// UsageReader answers usage queries over the ledger.
type UsageReader interface {
	Usage(ctx context.Context, q llmgate.UsageQuery) ([]llmgate.UsageRow, error)
}

// Server serves the gateway's HTTP APIs. Fields are read when Handler is
// called and must not change afterwards.
type Server struct {
	Backend Backend
	// Usage answers GET /v1/usage; nil answers 404 there.
	Usage UsageReader
	// Ledger records requests rejected before they reach the gateway
	// (malformed headers or bodies). Nil discards them.
	Ledger llmgate.Ledger
	// Logger receives one line per request. Nil discards.
	Logger *slog.Logger
	// Metrics serves GET {APIPath}/metrics when not nil.
	Metrics http.Handler
	// APIPath prefixes every route, such as "/llm-gate".
	APIPath string
	// Title and Description head the OpenAPI document.
	Title       string
	Description string
	// Version is the gateway's version, reported by health and the docs.
	Version string
	// MaxBodyBytes limits request bodies; zero means 10 MiB.
	MaxBodyBytes int64
	// BodyReadTimeout limits the time to read a request body; zero means 60s.
	BodyReadTimeout time.Duration
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time

	providers providersCache
	// active counts the requests being served.
	active atomic.Int64
}

// route is one endpoint: how it is served and how it is documented.
type route struct {
	method  string
	path    string
	handler func(w http.ResponseWriter, r *http.Request)
	// native routes require the caller headers.
	native bool
	// api is the surface a route belongs to: "native", "openai",
	// "anthropic", or "" for docs and admin routes. Compatible surfaces
	// read the caller headers when given and answer errors in their own shape.
	api string
	doc opDoc
}

// Handler returns the http.Handler of every route under APIPath.
func (s *Server) Handler() http.Handler {
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.MaxBodyBytes <= 0 {
		s.MaxBodyBytes = 10 << 20
	}
	if s.BodyReadTimeout <= 0 {
		s.BodyReadTimeout = 60 * time.Second
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	routes := append(append(s.routes(), s.openAIRoutes()...), s.anthropicRoutes()...)
	spec, err := json.Marshal(buildOpenAPI(s, routes))
	if err != nil {
		panic("httpapi: building the OpenAPI document: " + err.Error())
	}
	table := make(map[string]map[string]*route, len(routes)+2)
	add := func(rt *route) {
		if table[rt.path] == nil {
			table[rt.path] = make(map[string]*route, 1)
		}
		table[rt.path][rt.method] = rt
	}
	for i := range routes {
		rt := &routes[i]
		rt.path = s.APIPath + rt.path
		add(rt)
	}
	add(&route{method: http.MethodGet, path: s.APIPath + "/openapi.json", handler: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/vnd.oai.openapi+json")
		w.Write(spec)
	}})
	add(&route{method: http.MethodGet, path: s.APIPath + "/docs", handler: s.docs})
	if s.Metrics != nil {
		add(&route{method: http.MethodGet, path: s.APIPath + "/metrics", handler: s.Metrics.ServeHTTP})
	}
	prefixes := []prefixRoute{{prefix: s.APIPath + "/openai/v1/models/", api: "openai", method: http.MethodGet, handler: s.openAIModel}}
	return &mux{s: s, table: table, prefixes: prefixes}
}

// prefixRoute serves every path under prefix, for ids that hold slashes.
type prefixRoute struct {
	prefix  string
	api     string
	method  string
	handler func(w http.ResponseWriter, r *http.Request)
}

// mux dispatches on exact paths, so that unknown paths and methods get the
// standard error body rather than net/http's plain text.
type mux struct {
	s        *Server
	table    map[string]map[string]*route
	prefixes []prefixRoute
}

func (m *mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := m.s
	s.active.Add(1)
	defer s.active.Add(-1)
	start := s.Now()
	rec := &recorder{ResponseWriter: w}
	ctx := &reqContext{Context: r.Context()}
	info := &ctx.info
	r = r.WithContext(ctx)
	defer func() {
		if p := recover(); p != nil {
			info.lent = nil
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.Logger.LogAttrs(ctx, slog.LevelError, "panic serving request",
				slog.String("correlationId", info.caller.CorrelationID),
				slog.Any("panic", p), slog.String("stack", string(debug.Stack())))
			if !rec.wroteHeader {
				s.writeError(rec, r, llmgate.Errorf(llmgate.EInternal, "internal error"))
			}
		}
		rec.sendBeforeLog()
		s.logRequest(ctx, r, rec, info, start)
		info.giveBack()
	}()

	rt := m.route(rec, r, info)
	if rt == nil {
		return
	}
	rt.handler(rec, r)
}

// route finds r's route and fills in info's API and caller. It answers the
// request itself, and returns nil, when no route or caller is found, or a
// prefix route served it. Keeping these paths out of ServeHTTP keeps its
// frame small: a stream's handler keeps ServeHTTP's frame on its stack for
// the stream's whole life, and a stack that needs more than 8 KiB doubles.
func (m *mux) route(rec *recorder, r *http.Request, info *reqInfo) *route {
	s := m.s
	methods := m.table[r.URL.Path]
	if methods == nil {
		for _, p := range m.prefixes {
			if strings.HasPrefix(r.URL.Path, p.prefix) && r.Method == p.method {
				info.api = p.api
				info.caller = optionalCaller(r, p.api)
				rec.Header().Set(headerCorrelationID, info.caller.CorrelationID)
				p.handler(rec, r)
				return nil
			}
		}
		switch {
		case strings.HasPrefix(r.URL.Path, s.APIPath+"/openai/"):
			info.api = "openai"
		case strings.HasPrefix(r.URL.Path, s.APIPath+"/anthropic/"):
			info.api = "anthropic"
		}
		s.writeError(rec, r, llmgate.Errorf(llmgate.ENotFound, "no endpoint at %s", r.URL.Path))
		return nil
	}
	rt := methods[r.Method]
	if rt == nil {
		allow := make([]string, 0, len(methods))
		for meth := range methods {
			allow = append(allow, meth)
		}
		for i, a := range allow {
			if i == 0 {
				rec.Header().Set("Allow", a)
			} else {
				rec.Header().Add("Allow", a)
			}
		}
		s.writeError(rec, r, llmgate.Errorf(llmgate.EMethodNotAllowed, "%s does not accept %s", r.URL.Path, r.Method))
		return nil
	}
	info.api = rt.api
	if rt.api != "" && !rt.native {
		info.caller = optionalCaller(r, rt.api)
		rec.Header().Set(headerCorrelationID, info.caller.CorrelationID)
	}
	if rt.native {
		c, err := callerOf(r)
		info.caller = c
		rec.Header().Set(headerCorrelationID, c.CorrelationID)
		if err != nil {
			s.reject(rec, r, err)
			return nil
		}
	}
	return rt
}

// reqInfo collects what the request log line reports; handlers fill it in.
type reqInfo struct {
	api      string
	caller   llmgate.Caller
	provider string
	model    string
	code     llmgate.ErrorCode
	// lent is the bufpool buffer the request body was read into, when the
	// prompt's texts are views of it; it goes back to bufpool when the
	// request ends, once nothing of the request is used any more.
	lent []byte
	// literals are the JSON forms in lent of the prompt's long texts, which
	// the provider's encoder may copy (see jsonscan.Literals); the request's
	// context answers jsonscan.LiteralsKey with them.
	literals jsonscan.Literals
}

// lend gives b, a bufpool buffer, to the request; see reqInfo.lent.
func (i *reqInfo) lend(b []byte) { i.lent = b }

// giveBack returns the lent buffer to bufpool. ServeHTTP calls it when
// the handler and the log line are done, and not after a panic, which may
// have left a text of the request in use (the buffer is then only freed).
func (i *reqInfo) giveBack() {
	if i.lent != nil {
		i.literals.Reset()
		bufpool.Put(i.lent)
		i.lent = nil
	}
}

type reqInfoKey struct{}

// reqContext is a request's context: it carries the reqInfo, and answers
// llmgate.CallerKey with the caller recorded there, so that a request needs
// one context and one copy of the *http.Request rather than three. The
// caller is set, on the request's goroutine, before the handler runs.
type reqContext struct {
	context.Context
	info reqInfo
}

var (
	callerKey   = llmgate.CallerKey()
	literalsKey = jsonscan.LiteralsKey()
)

func (c *reqContext) Value(key any) any {
	switch key {
	case reqInfoKey{}:
		return &c.info
	case literalsKey:
		return &c.info.literals
	case callerKey:
		if c.info.caller == (llmgate.Caller{}) {
			return c.Context.Value(key)
		}
		return &c.info.caller
	}
	return c.Context.Value(key)
}

func infoOf(r *http.Request) *reqInfo {
	if i, ok := r.Context().Value(reqInfoKey{}).(*reqInfo); ok {
		return i
	}
	return &reqInfo{}
}

func (s *Server) logRequest(ctx context.Context, r *http.Request, rec *recorder, info *reqInfo, start time.Time) {
	level := slog.LevelInfo
	if rec.status >= 500 {
		level = slog.LevelError
	}
	if !s.Logger.Enabled(ctx, level) {
		return
	}
	status := rec.status
	if status == 0 {
		status = StatusOf(info.code)
	}
	s.Logger.LogAttrs(ctx, level, "request",
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Float64("latencyMs", float64(s.Now().Sub(start).Microseconds())/1000),
		slog.String("correlationId", info.caller.CorrelationID),
		slog.String("userId", info.caller.UserID),
		slog.String("clientId", info.caller.ClientID),
		slog.String("provider", info.provider),
		slog.String("model", info.model),
		slog.String("code", string(info.code)),
		slog.Int64("bytesOut", rec.written),
	)
}

// recorder remembers the status and size of a response for the log line.
type recorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	written     int64
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = http.StatusOK, true
	}
	n, err := r.ResponseWriter.Write(b)
	r.written += int64(n)
	return n, err
}

// sendBeforeLog flushes an answer with a Content-Length, so that the client
// has it before the request's log line is written rather than after. Other
// answers are left to net/http, which may still give them a
// Content-Length. An event stream is not flushed: its last events leave
// with the chunk that ends the body, in one write when the handler
// returns, rather than in two around the log line.
func (r *recorder) sendBeforeLog() {
	if r.wroteHeader && r.Header()["Content-Length"] != nil {
		r.Flush()
	}
}

// Flush lets streams reach the client chunk by chunk.
func (r *recorder) Flush() {
	if !r.wroteHeader {
		r.status, r.wroteHeader = http.StatusOK, true
	}
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's deadlines.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// The caller headers of the native API.
const (
	headerCorrelationID = "X-Correlation-Id"
	headerUserID        = "X-User-Id"
	headerClientID      = "client_id"
	headerClientIDAlt   = "X-Client-Id"
	maxIDLen            = 256
)

// callerOf reads and checks the caller headers. When the correlation id is
// missing or malformed a fresh one is made, so the error can still be traced.
func callerOf(r *http.Request) (llmgate.Caller, error) {
	c := llmgate.Caller{API: "native"}
	cid := r.Header.Get(headerCorrelationID)
	var err error
	switch {
	case cid == "":
		err = llmgate.Errorf(llmgate.EInvalidHeader, "the %s header is required (a UUID)", headerCorrelationID)
	case len(cid) > 64 || uuid.Validate(cid) != nil:
		err = llmgate.Errorf(llmgate.EInvalidHeader, "the %s header must be a UUID", headerCorrelationID)
	}
	if err != nil {
		c.CorrelationID = uuid.NewString()
		return c, err
	}
	c.CorrelationID = cid
	c.UserID = r.Header.Get(headerUserID)
	if err := checkID(headerUserID, c.UserID); err != nil {
		return c, err
	}
	c.ClientID = headerValue(r.Header, canonClientID)
	name := headerClientID
	if c.ClientID == "" && r.Header.Get(headerClientIDAlt) != "" {
		c.ClientID, name = r.Header.Get(headerClientIDAlt), headerClientIDAlt
	}
	if err := checkID(name, c.ClientID); err != nil {
		return c, err
	}
	return c, nil
}

// optionalCaller reads the caller headers of a compatible API, where SDKs
// do not send them: a valid X-Correlation-Id is kept, otherwise one is made;
// user and client are taken when present and well-formed.
func optionalCaller(r *http.Request, api string) llmgate.Caller {
	c := llmgate.Caller{API: api}
	if cid := r.Header.Get(headerCorrelationID); cid != "" && len(cid) <= 64 && uuid.Validate(cid) == nil {
		c.CorrelationID = cid
	} else {
		c.CorrelationID = uuid.NewString()
	}
	if u := r.Header.Get(headerUserID); checkID(headerUserID, u) == nil {
		c.UserID = u
	}
	client := headerValue(r.Header, canonClientID)
	if client == "" {
		client = r.Header.Get(headerClientIDAlt)
	}
	if checkID(headerClientID, client) == nil {
		c.ClientID = client
	}
	return c
}

func checkID(name, v string) error {
	if v == "" {
		return llmgate.Errorf(llmgate.EInvalidHeader, "the %s header is required", name)
	}
	if len(v) > maxIDLen {
		return llmgate.Errorf(llmgate.EInvalidHeader, "the %s header is longer than %d bytes", name, maxIDLen)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 || c == 0x7f {
			return llmgate.Errorf(llmgate.EInvalidHeader, "the %s header contains a control character", name)
		}
	}
	return nil
}

// reject answers err for a request that never reached the gateway, and
// records it in the ledger so that no request goes unaccounted.
func (s *Server) reject(w http.ResponseWriter, r *http.Request, err error) {
	s.writeError(w, r, err)
	if s.Ledger == nil {
		return
	}
	info := infoOf(r)
	code := llmgate.ErrorCodeOf(err)
	s.Ledger.Record(llmgate.Record{
		Time:          s.Now(),
		CorrelationID: info.caller.CorrelationID,
		UserID:        info.caller.UserID,
		ClientID:      info.caller.ClientID,
		Operation:     operationOf(r.URL.Path),
		API:           info.caller.API,
		Provider:      info.provider,
		Model:         info.model,
		Final:         true,
		Status:        StatusOf(code),
		ErrorCode:     code,
	})
}

func operationOf(path string) llmgate.Operation {
	switch {
	case strings.HasSuffix(path, "/embeddings"):
		return llmgate.OpEmbedding
	case strings.HasSuffix(path, "/images/generations"):
		return llmgate.OpImage
	}
	return llmgate.OpChat
}

// writeError writes err in the error shape of the request's API surface.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := llmgate.AsError(err)
	info := infoOf(r)
	info.code = e.Code
	if e.Code == llmgate.EInternal && e.Err != nil {
		s.Logger.LogAttrs(r.Context(), slog.LevelError, "internal error",
			slog.String("correlationId", info.caller.CorrelationID), slog.String("error", e.Err.Error()))
	}
	status := StatusOf(e.Code)
	if status == StatusClientClosed {
		return // nobody is listening
	}
	h := w.Header()
	setRetryAfter(h, e)
	switch info.api {
	case "openai":
		writeJSON(w, status, openAIErrorOf(e, status))
		return
	case "anthropic":
		writeJSON(w, status, anthropicErrorOf(e, status))
		return
	}
	writeJSON(w, status, &errorBody{Error: errorDetail{
		Code:          e.Code,
		Message:       e.Message,
		CorrelationID: info.caller.CorrelationID,
		Provider:      e.Provider,
	}})
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// pooledEncoder is a JSON encoder with the buffer it writes into, reused
// across responses.
type pooledEncoder struct {
	buf bytes.Buffer
	enc *json.Encoder
}

var encPool = sync.Pool{New: func() any {
	e := new(pooledEncoder)
	e.enc = json.NewEncoder(&e.buf)
	return e
}}

// putEncoder returns e to the pool unless a large answer grew its buffer
// past maxPooledBody.
func putEncoder(e *pooledEncoder) {
	if e.buf.Cap() <= maxPooledBody {
		encPool.Put(e)
	}
}

// jsonContentType is the Content-Type of every JSON answer, shared: its
// length equals its capacity, so an Add to the header copies it.
var jsonContentType = []string{"application/json"}

// writeJSON encodes v with a pooled buffer, so the response has a
// Content-Length and a failed encoding never sends half a body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	e := encPool.Get().(*pooledEncoder)
	e.buf.Reset()
	defer putEncoder(e)
	buf := &e.buf
	if err := e.enc.Encode(v); err != nil {
		buf.Reset()
		status = http.StatusInternalServerError
		buf.WriteString(`{"error":{"code":"internal","message":"could not encode the response","correlationId":"","provider":""}}`)
	}
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// maxPooledBody bounds the buffers kept for the next request. Pooled
// buffers are live memory, which the garbage collector's heap goal doubles:
// large ones cost more memory held than their allocation costs time.
const maxPooledBody = 64 << 10

// maxBodyPrealloc bounds the room readJSON makes up front for a body's
// announced length, so that a client's Content-Length does not make the
// gateway allocate before the bytes arrive.
const maxBodyPrealloc = 1 << 20

// readJSON reads the whole body, within the size and time limits, and
// decodes it strictly into v, which points to a zero value: unknown fields
// and trailing data are errors.
func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if r.ContentLength > s.MaxBodyBytes {
		return llmgate.Errorf(llmgate.EBodyTooLarge, "the request body is %d bytes; the limit is %d", r.ContentLength, s.MaxBodyBytes)
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(s.BodyReadTimeout))
	var buf *bytes.Buffer
	newScanner := jsonscan.New // texts are copies: the buffer is reused
	sized := false             // buf is of the body's announced size
	// ReadFrom wants MinRead bytes of room to see the end of the body.
	if n := r.ContentLength + bytes.MinRead; r.ContentLength > 0 && n > maxPooledBody && n <= maxBodyPrealloc {
		// A large body, of a length announced: a buffer of its size class
		// from bufpool. In a request, and for a body with a hand-written
		// decoder, its prompt's texts may be views of it, and it goes back
		// when the request ends (see reqInfo.lend); otherwise it goes back
		// once decoded, with copies.
		b, pooled := bufpool.Get(int(n))
		buf, sized = bytes.NewBuffer(b), true
		info, inRequest := r.Context().Value(reqInfoKey{}).(*reqInfo)
		_, fast := v.(fastDecoder)
		switch {
		case !pooled:
			newScanner = jsonscan.NewShared
		case inRequest && fast:
			info.lend(b)
			newScanner = func(b []byte) jsonscan.Scanner { return jsonscan.NewLent(b, &info.literals) }
		default:
			defer bufpool.Put(b)
		}
	} else {
		buf = bufPool.Get().(*bytes.Buffer)
		buf.Reset()
		defer func() {
			if buf.Cap() <= maxPooledBody {
				bufPool.Put(buf)
			}
		}()
		if n := r.ContentLength; n > 0 && n+bytes.MinRead <= maxBodyPrealloc {
			buf.Grow(int(n) + bytes.MinRead)
		}
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.MaxBodyBytes))
	// Clear the deadline: a long answer must not be cut by it.
	_ = rc.SetReadDeadline(time.Time{})
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return llmgate.Errorf(llmgate.EBodyTooLarge, "the request body is larger than the limit of %d bytes", s.MaxBodyBytes)
		}
		return &llmgate.Error{Code: llmgate.EInvalidRequest, Message: "could not read the request body", Err: err}
	}
	if buf.Len() == 0 {
		return llmgate.Errorf(llmgate.EInvalidJSON, "the request body is empty; a JSON object is required")
	}
	if !sized && buf.Cap() > maxPooledBody {
		// A body that outgrew the pooled buffers has a buffer of its own
		// from here on, so the decoded texts may share it rather than copy
		// it.
		newScanner = jsonscan.NewShared
	}
	return decodeBody(buf.Bytes(), newScanner, v)
}

// decodeBody decodes data into v, which points to a zero value: with the
// hand-written decoder of v's type when it has one and data has the shapes
// it handles, else with encoding/json, which copies every text. newScanner
// says which decoded texts may keep a reference to data (see fastDecoder).
func decodeBody(data []byte, newScanner func([]byte) jsonscan.Scanner, v any) error {
	if f, ok := v.(fastDecoder); ok && f.decodeFast(data, newScanner) {
		return nil
	}
	return decodeStrict(data, v)
}

// decodeStrict decodes data into v with encoding/json, refusing unknown
// fields and data after the value, and turns its errors into client errors.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return llmgate.Errorf(llmgate.EInvalidJSON, "the request body has data after its JSON object")
	}
	return nil
}

// decodeError turns a decoding error into a client error that says where.
func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var bad *badValueError
	switch {
	case errors.As(err, &syn):
		return llmgate.Errorf(llmgate.EInvalidJSON, "malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return llmgate.Errorf(llmgate.EInvalidJSON, "the JSON body ends too early")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "the body"
		}
		return llmgate.Errorf(llmgate.EInvalidJSON, "%s must be %s, not %s", field, jsonKind(typ.Type.Kind().String()), typ.Value)
	case errors.As(err, &bad):
		return llmgate.Errorf(llmgate.EInvalidJSON, "%s", bad.msg)
	}
	// Unknown fields and the like: encoding/json gives them no type.
	return llmgate.Errorf(llmgate.EInvalidRequest, "%s", err.Error())
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "a number"
}

// badValueError is returned by custom decoders for a value of the wrong shape.
type badValueError struct{ msg string }

func (e *badValueError) Error() string { return e.msg }
