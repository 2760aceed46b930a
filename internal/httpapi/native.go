package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate"
)

func (s *Server) routes() []route {
	return []route{
		{method: http.MethodGet, path: "/v1/health", handler: s.health, doc: docHealth},
		{method: http.MethodGet, path: "/v1/providers", handler: s.providersList, native: true, doc: docProviders},
		{method: http.MethodPost, path: "/v1/chat", handler: s.chat, native: true, doc: docChat},
		{method: http.MethodPost, path: "/v1/embeddings", handler: s.embeddings, native: true, doc: docEmbeddings},
		{method: http.MethodPost, path: "/v1/images/generations", handler: s.images, native: true, doc: docImages},
		{method: http.MethodGet, path: "/v1/usage", handler: s.usage, doc: docUsage},
	}
}

// served sets the response headers that say who answered. The four values
// share one array, each header's slice capped at its one value so that an
// Add copies rather than overwrites its neighbour.
func served(h http.Header, sv *llmgate.Served) {
	v := make([]string, 4)
	v[0], v[1], v[2], v[3] = sv.Provider, sv.Model, sv.Deployment, smallItoa(sv.Attempts)
	h[canonProvider] = v[0:1:1]
	h[canonModel] = v[1:2:2]
	h[canonDeployment] = v[2:3:3]
	h[canonAttempts] = v[3:4:4]
}

// smallItoa is strconv.Itoa without an allocation for 0 to 9, the usual
// number of attempts.
func smallItoa(n int) string {
	if n >= 0 && n < 10 {
		return "0123456789"[n : n+1]
	}
	return strconv.Itoa(n)
}

func invalid(format string, args ...any) error {
	return llmgate.Errorf(llmgate.EInvalidRequest, format, args...)
}

func (p *providerRef) validate() error {
	if p.Name == "" {
		return invalid("provider.name is required")
	}
	if p.Model.Name == "" {
		return invalid("provider.model.name is required")
	}
	return nil
}

func inRange(name string, v *float64, lo, hi float64) error {
	if v != nil && (*v < lo || *v > hi) {
		return invalid("%s must be between %g and %g", name, lo, hi)
	}
	return nil
}

// domain checks the chat body and converts it to the domain request.
func (b *chatRequest) domain() (*llmgate.ChatRequest, error) {
	if err := b.Provider.validate(); err != nil {
		return nil, err
	}
	req := &llmgate.ChatRequest{Provider: b.Provider.Name, Model: b.Provider.Model.Name, Stream: b.Stream}
	if len(b.Prompt.Messages) == 0 {
		return nil, invalid("prompt.messages must hold at least one message")
	}
	req.Messages = make([]llmgate.Message, len(b.Prompt.Messages))
	for i := range b.Prompt.Messages {
		m := &b.Prompt.Messages[i]
		role := llmgate.Role(m.Role)
		if !role.Valid() {
			return nil, invalid("prompt.messages[%d].role must be system, developer, user, assistant or tool", i)
		}
		if len(m.Content.parts) == 0 && len(m.ToolCalls) == 0 {
			return nil, invalid("prompt.messages[%d].content is required", i)
		}
		for j, p := range m.Content.parts {
			if p.Type != llmgate.PartImage {
				continue
			}
			if role != llmgate.RoleUser {
				return nil, invalid("prompt.messages[%d].content[%d]: only user messages may hold images", i, j)
			}
			if !strings.HasPrefix(p.ImageURL, "https://") && !strings.HasPrefix(p.ImageURL, "http://") && !strings.HasPrefix(p.ImageURL, "data:image/") {
				return nil, invalid("prompt.messages[%d].content[%d].imageUrl.url must be an http(s) URL or a data:image/ URL", i, j)
			}
			switch p.ImageDetail {
			case "", "auto", "low", "high":
			default:
				return nil, invalid("prompt.messages[%d].content[%d].imageUrl.detail must be auto, low or high", i, j)
			}
		}
		if role == llmgate.RoleTool && m.ToolCallID == "" {
			return nil, invalid("prompt.messages[%d].toolCallId is required for a tool message", i)
		}
		out := llmgate.Message{Role: role, Content: m.Content.parts, Name: m.Name, ToolCallID: m.ToolCallID}
		for _, tc := range m.ToolCalls {
			out.ToolCalls = append(out.ToolCalls, llmgate.ToolCall{ID: tc.ID, Name: tc.Name, Arguments: tc.Arguments})
		}
		req.Messages[i] = out
	}
	p := b.Prompt.Parameter
	if p == nil {
		return req, nil
	}
	for _, err := range []error{
		inRange("prompt.parameter.temperature", p.Temperature, 0, 2),
		inRange("prompt.parameter.topP", p.TopP, 0, 1),
		inRange("prompt.parameter.presencePenalty", p.PresencePenalty, -2, 2),
		inRange("prompt.parameter.frequencyPenalty", p.FrequencyPenalty, -2, 2),
	} {
		if err != nil {
			return nil, err
		}
	}
	if p.MaxTokens != nil && *p.MaxTokens < 1 {
		return nil, invalid("prompt.parameter.maxTokens must be at least 1")
	}
	if p.N != nil && (*p.N < 1 || *p.N > 128) {
		return nil, invalid("prompt.parameter.n must be between 1 and 128")
	}
	if p.N != nil && *p.N > 1 && b.Stream {
		return nil, invalid("prompt.parameter.n greater than 1 cannot be streamed")
	}
	if len(p.Stop) > 4 {
		return nil, invalid("prompt.parameter.stop holds at most 4 sequences")
	}
	req.Params = llmgate.ChatParams{
		Temperature:      p.Temperature,
		MaxTokens:        p.MaxTokens,
		TopP:             p.TopP,
		Stop:             p.Stop,
		PresencePenalty:  p.PresencePenalty,
		FrequencyPenalty: p.FrequencyPenalty,
		Seed:             p.Seed,
		N:                p.N,
		User:             p.User,
	}
	if rf := p.ResponseFormat; rf != nil {
		f := &llmgate.ResponseFormat{Type: rf.Type}
		switch rf.Type {
		case "text", "json_object":
		case "json_schema":
			if rf.JSONSchema == nil || rf.JSONSchema.Name == "" || len(rf.JSONSchema.Schema) == 0 {
				return nil, invalid("prompt.parameter.responseFormat.jsonSchema needs a name and a schema")
			}
			f.Name, f.Schema, f.Strict = rf.JSONSchema.Name, rf.JSONSchema.Schema, rf.JSONSchema.Strict
		default:
			return nil, invalid("prompt.parameter.responseFormat.type must be text, json_object or json_schema")
		}
		req.Params.ResponseFormat = f
	}
	return req, nil
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	var body chatRequest
	if err := s.readJSON(w, r, &body); err != nil {
		s.reject(w, r, err)
		return
	}
	info := infoOf(r)
	info.provider, info.model = body.Provider.Name, body.Provider.Model.Name
	req, err := body.domain()
	if err == nil {
		err = routingOverrides(r, body.Routing, req)
	}
	if err != nil {
		s.reject(w, r, err)
		return
	}
	if req.Stream {
		s.chatStream(w, r, req)
		return
	}
	resp, err := s.Backend.Chat(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	served(w.Header(), &resp.Served)
	writeChatResponse(w, chatResponseOf(resp))
}

// chatResponseOf is the native answer to a chat. It is a function of its
// own to keep its temporaries out of chat's frame, which a stream keeps on
// its handler's stack (see mux.route).
func chatResponseOf(resp *llmgate.ChatResponse) *chatResponse {
	out := &chatResponse{
		ID:           resp.ID,
		Provider:     resp.Provider,
		Model:        resp.Model,
		Deployment:   resp.Deployment,
		Attempts:     resp.Attempts,
		FinishReason: string(resp.FinishReason()),
		Usage:        usageOf(resp.Usage),
	}
	if c := resp.Cost; c != nil {
		out.cost = cost{Currency: c.Currency, Input: c.Input, Output: c.Output, Total: c.Total}
		out.Cost = &out.cost
	}
	if len(resp.Choices) == 1 {
		out.Messages = out.one[:]
	} else {
		out.Messages = make([]outMessage, len(resp.Choices))
	}
	for i := range resp.Choices {
		m := &resp.Choices[i].Message
		role := m.Role
		if role == "" {
			role = llmgate.RoleAssistant
		}
		om := outMessage{Role: string(role), Content: m.Text()}
		for _, tc := range m.ToolCalls {
			om.ToolCalls = append(om.ToolCalls, toolCall{ID: tc.ID, Name: tc.Name, Arguments: tc.Arguments})
		}
		out.Messages[i] = om
	}
	return out
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	var body embeddingRequest
	if err := s.readJSON(w, r, &body); err != nil {
		s.reject(w, r, err)
		return
	}
	info := infoOf(r)
	info.provider, info.model = body.Provider.Name, body.Provider.Model.Name
	if err := body.Provider.validate(); err != nil {
		s.reject(w, r, err)
		return
	}
	if len(body.Prompt.Input) == 0 {
		s.reject(w, r, invalid("prompt.input is required: a string or an array of strings"))
		return
	}
	for i, in := range body.Prompt.Input {
		if in == "" {
			s.reject(w, r, invalid("prompt.input[%d] is empty", i))
			return
		}
	}
	req := &llmgate.EmbeddingRequest{Provider: body.Provider.Name, Model: body.Provider.Model.Name, Input: body.Prompt.Input}
	if p := body.Prompt.Parameter; p != nil {
		if p.Dimensions != nil && *p.Dimensions < 1 {
			s.reject(w, r, invalid("prompt.parameter.dimensions must be at least 1"))
			return
		}
		req.Dimensions, req.User = p.Dimensions, p.User
	}
	resp, err := s.Backend.Embed(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := embeddingResponse{
		Provider:   resp.Provider,
		Model:      resp.Model,
		Deployment: resp.Deployment,
		Attempts:   resp.Attempts,
		Data:       make([]embedding, len(resp.Data)),
		Usage:      usageOf(resp.Usage),
		Cost:       costOf(resp.Cost),
	}
	for i, e := range resp.Data {
		out.Data[i] = embedding{Index: e.Index, Embedding: e.Vector}
	}
	served(w.Header(), &resp.Served)
	writeAppendedOr(w, &out, embeddingsSize(resp.Data), func(b []byte) ([]byte, bool) { return appendEmbeddingResponse(b, &out, resp.Data) })
}

func (s *Server) images(w http.ResponseWriter, r *http.Request) {
	var body imageRequest
	if err := s.readJSON(w, r, &body); err != nil {
		s.reject(w, r, err)
		return
	}
	info := infoOf(r)
	info.provider, info.model = body.Provider.Name, body.Provider.Model.Name
	if err := body.Provider.validate(); err != nil {
		s.reject(w, r, err)
		return
	}
	if strings.TrimSpace(body.Prompt.Message) == "" {
		s.reject(w, r, invalid("prompt.message is required"))
		return
	}
	req := &llmgate.ImageRequest{Provider: body.Provider.Name, Model: body.Provider.Model.Name, Prompt: body.Prompt.Message}
	if p := body.Prompt.Parameter; p != nil {
		if p.N < 0 || p.N > 10 {
			s.reject(w, r, invalid("prompt.parameter.n must be between 1 and 10"))
			return
		}
		if p.Size != "" && !validSize(p.Size) {
			s.reject(w, r, invalid("prompt.parameter.size must be WIDTHxHEIGHT, such as 1024x1024"))
			return
		}
		switch p.ResponseFormat {
		case "", "url", "b64_json":
		default:
			s.reject(w, r, invalid("prompt.parameter.responseFormat must be url or b64_json"))
			return
		}
		req.N, req.Size, req.Quality, req.Style, req.ResponseFormat, req.User = p.N, p.Size, p.Quality, p.Style, p.ResponseFormat, p.User
	}
	resp, err := s.Backend.GenerateImage(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := imageResponse{
		Provider:   resp.Provider,
		Model:      resp.Model,
		Deployment: resp.Deployment,
		Attempts:   resp.Attempts,
		Data:       make([]image, len(resp.Data)),
		Cost:       costOf(resp.Cost),
	}
	for i, im := range resp.Data {
		out.Data[i] = image{URL: im.URL, B64JSON: im.B64JSON, RevisedPrompt: im.RevisedPrompt}
	}
	served(w.Header(), &resp.Served)
	writeJSON(w, http.StatusOK, &out)
}

func validSize(s string) bool {
	w, h, ok := strings.Cut(s, "x")
	if !ok {
		return false
	}
	wi, err1 := strconv.Atoi(w)
	hi, err2 := strconv.Atoi(h)
	return err1 == nil && err2 == nil && wi > 0 && hi > 0 && wi <= 8192 && hi <= 8192
}

// chatStream answers a chat as Server-Sent Events. The upstream is opened
// before any byte is written, so a failure to start still gets a proper
// status and error body; a failure after that ends with an error event.
func (s *Server) chatStream(w http.ResponseWriter, r *http.Request, req *llmgate.ChatRequest) {
	sse := s.eventWriter(w)
	st, err := s.Backend.ChatStream(sse.streamContext(r), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	defer st.Close()
	var (
		id     string
		sv     llmgate.Served
		finish llmgate.FinishReason
		u      *llmgate.Usage
		c      *llmgate.Cost
		ev     deltaEvent // reused: the event is written before the next
	)
	for {
		ch, err := st.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			streamError(sse, r, err)
			return
		}
		if ch.Served != nil {
			sv = *ch.Served
			served(w.Header(), &sv)
		}
		if id == "" {
			id = ch.ID
		}
		if ch.Usage != nil {
			// Copies: the stream may reuse the chunk's memory.
			uv := *ch.Usage
			u, c = &uv, nil
			if ch.Cost != nil {
				cv := *ch.Cost
				c = &cv
			}
		}
		for i := range ch.Deltas {
			d := &ch.Deltas[i]
			if d.FinishReason != "" {
				finish = d.FinishReason
			}
			if d.Role == "" && d.Content == "" && len(d.ToolCalls) == 0 {
				continue
			}
			ev = deltaEvent{ID: id, Index: d.Index, Delta: delta{Role: string(d.Role), Content: d.Content}}
			for _, tc := range d.ToolCalls {
				ev.Delta.ToolCalls = append(ev.Delta.ToolCalls, toolCallDelta{Index: tc.Index, ID: tc.ID, Name: tc.Name, Arguments: tc.Arguments})
			}
			if err := sse.delta(&ev); err != nil {
				return // the client is gone; Close records it
			}
		}
		sse.firstOutput(ch)
	}
	sse.done(doneEventOf(id, &sv, finish, u, c))
}

// streamError ends a native stream with an error event.
func streamError(sse *eventWriter, r *http.Request, err error) {
	e := llmgate.AsError(err)
	infoOf(r).code = e.Code
	sse.event("error", &errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, CorrelationID: infoOf(r).caller.CorrelationID, Provider: e.Provider}})
}

// doneEventOf is a native stream's last event. Like streamError, it is a
// function of its own to keep its temporaries out of chatStream's frame,
// which stays on the handler's stack for the stream's whole life.
//
//go:noinline
func doneEventOf(id string, sv *llmgate.Served, finish llmgate.FinishReason, u *llmgate.Usage, c *llmgate.Cost) *doneEvent {
	done := &doneEvent{ID: id, Provider: sv.Provider, Model: sv.Model, Deployment: sv.Deployment, Attempts: sv.Attempts, FinishReason: string(finish), Cost: costOf(c)}
	if u != nil {
		done.Usage = usageOf(*u)
	}
	return done
}

type delta struct {
	Role      string          `json:"role,omitempty"`
	Content   string          `json:"content,omitempty"`
	ToolCalls []toolCallDelta `json:"toolCalls,omitempty"`
}

type toolCallDelta struct {
	Index     int    `json:"index"`
	ID        string `json:"id,omitempty"`
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments,omitempty"`
}

// deltaEvent is the data of a stream's "delta" event.
type deltaEvent struct {
	ID    string `json:"id"`
	Index int    `json:"index"`
	Delta delta  `json:"delta"`
}

// doneEvent is the data of a stream's last event.
type doneEvent struct {
	ID           string `json:"id"`
	Provider     string `json:"provider"`
	Model        string `json:"model"`
	Deployment   string `json:"deployment"`
	Attempts     int    `json:"attempts"`
	FinishReason string `json:"finishReason"`
	Usage        usage  `json:"usage"`
	Cost         *cost  `json:"cost"`
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	h := s.Backend.Health(r.Context())
	out := healthResponse{Status: h.Status, Version: s.Version, Providers: make([]providerHealth, len(h.Providers))}
	for i, p := range h.Providers {
		ph := providerHealth{Name: p.Name, Configured: p.Configured, MissingConfig: p.MissingConfig, Deployments: make([]deploymentHealth, len(p.Deployments))}
		for j, d := range p.Deployments {
			ph.Deployments[j] = deploymentHealth{Name: d.Name, State: d.State, ConsecutiveFailures: d.ConsecutiveFailures, InFlight: d.InFlight,
				LatencyMs: float64(d.Latency.Microseconds()) / 1000, OpenUntil: timeOrNil(d.OpenUntil), RateLimitedUntil: timeOrNil(d.RateLimitedUntil)}
		}
		out.Providers[i] = ph
	}
	writeJSON(w, http.StatusOK, &out)
}

type healthResponse struct {
	Status    string           `json:"status" example:"ok"`
	Version   string           `json:"version"`
	Providers []providerHealth `json:"providers"`
}

type providerHealth struct {
	Name          string             `json:"name"`
	Configured    bool               `json:"configured"`
	MissingConfig string             `json:"missingConfig,omitempty" doc:"What to set to configure the provider."`
	Deployments   []deploymentHealth `json:"deployments"`
}

type deploymentHealth struct {
	Name                string     `json:"name"`
	State               string     `json:"state" enum:"healthy,open,half_open" doc:"open: out of rotation after repeated failures; half_open: being probed."`
	ConsecutiveFailures int        `json:"consecutiveFailures"`
	InFlight            int        `json:"inFlight"`
	LatencyMs           float64    `json:"latencyMs" doc:"Moving average of successful attempts' latency."`
	OpenUntil           *time.Time `json:"openUntil,omitempty" doc:"When an open deployment is probed again."`
	RateLimitedUntil    *time.Time `json:"rateLimitedUntil,omitempty" doc:"When a rate-limited deployment takes traffic again."`
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func (s *Server) usage(w http.ResponseWriter, r *http.Request) {
	if s.Usage == nil {
		s.writeError(w, r, llmgate.Errorf(llmgate.ENotFound, "usage is not available: the ledger is off"))
		return
	}
	q, err := usageQuery(r, s.Now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rows, err := s.Usage.Usage(r.Context(), q)
	if err != nil {
		s.writeError(w, r, &llmgate.Error{Code: llmgate.EInternal, Message: "could not read the ledger", Err: err})
		return
	}
	out := usageResponse{From: q.From.UTC(), To: q.To.UTC(), GroupBy: string(q.GroupBy), Data: make([]usageRow, len(rows))}
	for i, row := range rows {
		out.Data[i] = usageRow{
			Key: row.Key, Requests: row.Requests, Attempts: row.Attempts, Errors: row.Errors,
			PromptTokens: row.PromptTokens, CompletionTokens: row.CompletionTokens, TotalTokens: row.TotalTokens,
			CachedTokens: row.CachedTokens, Cost: row.Cost, Currency: row.Currency, Unpriced: row.Unpriced,
		}
	}
	writeJSON(w, http.StatusOK, &out)
}

// usageQuery reads from, to (RFC 3339; default the last 30 days), groupBy
// (default day), clientId and userId.
func usageQuery(r *http.Request, now time.Time) (llmgate.UsageQuery, error) {
	v := r.URL.Query()
	q := llmgate.UsageQuery{To: now, GroupBy: llmgate.GroupDay, ClientID: v.Get("clientId"), UserID: v.Get("userId")}
	q.From = now.Add(-30 * 24 * time.Hour)
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := v.Get(p.name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return q, invalid("%s must be an RFC 3339 time, such as 2026-11-01T00:00:00Z", p.name)
			}
			*p.dst = t
		}
	}
	if !q.From.Before(q.To) {
		return q, invalid("from must be before to")
	}
	if g := v.Get("groupBy"); g != "" {
		q.GroupBy = llmgate.UsageGroup(g)
	}
	switch q.GroupBy {
	case llmgate.GroupClient, llmgate.GroupUser, llmgate.GroupModel, llmgate.GroupProvider, llmgate.GroupDay:
	default:
		return q, invalid("groupBy must be client, user, model, provider or day")
	}
	return q, nil
}

type usageResponse struct {
	From    time.Time  `json:"from"`
	To      time.Time  `json:"to"`
	GroupBy string     `json:"groupBy"`
	Data    []usageRow `json:"data"`
}

type usageRow struct {
	Key              string        `json:"key" doc:"The client, user, provider/model, provider or day (YYYY-MM-DD, UTC)."`
	Requests         int64         `json:"requests"`
	Attempts         int64         `json:"attempts" doc:"Upstream calls, retries and failovers included."`
	Errors           int64         `json:"errors"`
	PromptTokens     int64         `json:"promptTokens"`
	CompletionTokens int64         `json:"completionTokens"`
	TotalTokens      int64         `json:"totalTokens"`
	CachedTokens     int64         `json:"cachedTokens"`
	Cost             llmgate.Money `json:"cost" doc:"Exact sum over priced requests."`
	Currency         string        `json:"currency"`
	Unpriced         int64         `json:"unpriced" doc:"Requests whose model has no price."`
}
