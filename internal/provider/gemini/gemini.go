// Package gemini is the llm-gate adapter for the Google Gemini API (the
// Generative Language API): chat through generateContent and
// streamGenerateContent, embeddings through batchEmbedContents.
//
// The key is sent in the x-goog-api-key header, never in the URL, so that
// it cannot leak through a URL in an error or a log line.
package gemini

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/jsonscan"
	"github.com/llmgate/llmgate/internal/provider/transport"
)

// DefaultBaseURL is the Gemini API's base URL, as the official SDKs mean it:
// the API version and paths such as /models/{model}:generateContent are
// appended to it.
const DefaultBaseURL = "https://generativelanguage.googleapis.com"

// DefaultAPIVersion is the API version used when Config.APIVersion is empty.
const DefaultAPIVersion = "v1beta"

// DefaultName is the provider name used in errors when Config.Name is empty.
const DefaultName = "gemini"

// DefaultMaxResponseBytes bounds a non-streamed response body when
// Config.MaxResponseBytes is zero.
const DefaultMaxResponseBytes = 32 << 20

// Config configures a Client. Its zero value talks to the Gemini API
// without a key.
type Config struct {
	// BaseURL is the API's base URL; empty means DefaultBaseURL. It must not
	// carry a query or fragment.
	BaseURL string
	// APIKey is sent in the x-goog-api-key header; empty sends none.
	APIKey string
	// APIVersion is the path segment after BaseURL; empty means
	// DefaultAPIVersion.
	APIVersion string
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Name is the provider's name in errors; empty means DefaultName.
	Name string
	// Models maps a catalog model name to the upstream model id (such as
	// "gemini-2.5-flash"); a missing name is sent unchanged.
	Models map[string]string
	// MaxResponseBytes bounds a non-streamed response body; zero means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
}

// Client calls the Gemini API. It is safe for concurrent use.
type Client struct {
	name    string
	key     string
	client  *http.Client
	base    string // scheme://host/path/version, without a trailing slash
	models  map[string]string
	maxBody int64
	maxLine int
	now     func() time.Time
}

var (
	_ llmgate.Chatter      = (*Client)(nil)
	_ llmgate.ChatStreamer = (*Client)(nil)
	_ llmgate.Embedder     = (*Client)(nil)
)

// ErrBaseURL is returned by New for a BaseURL that is not an absolute http
// or https URL without query or fragment.
var ErrBaseURL = errors.New("gemini: BaseURL must be an absolute http or https URL without query or fragment")

// ErrAPIVersion is returned by New for an APIVersion that is not a single
// path segment.
var ErrAPIVersion = errors.New("gemini: APIVersion must be a single path segment such as v1beta")

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil {
		// The parse error quotes the URL, which may hold credentials.
		return nil, fmt.Errorf("%w: %w", ErrBaseURL, transport.StripURL(err))
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, ErrBaseURL
	}
	version := cfg.APIVersion
	if version == "" {
		version = DefaultAPIVersion
	}
	if strings.ContainsAny(version, "/?#%") || version == "." || version == ".." {
		return nil, ErrAPIVersion
	}
	name := cfg.Name
	if name == "" {
		name = DefaultName
	}
	maxBody := cfg.MaxResponseBytes
	if maxBody <= 0 {
		maxBody = DefaultMaxResponseBytes
	}
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return &Client{
		name:    name,
		key:     cfg.APIKey,
		client:  client,
		base:    u.JoinPath(version).String(),
		models:  cfg.Models,
		maxBody: maxBody,
		now:     time.Now,
	}, nil
}

// model returns the upstream id of a catalog model. The "models/" prefix
// that Gemini's own names carry is accepted and removed.
func (c *Client) model(name string) string {
	if m, ok := c.models[name]; ok {
		name = m
	}
	return strings.TrimPrefix(name, "models/")
}

// endpoint returns the URL of method on model; the model id is escaped as
// one path segment, so that it cannot reach another path.
func (c *Client) endpoint(model, method string) string {
	return c.base + "/models/" + url.PathEscape(model) + ":" + method
}

// Chat implements llmgate.Chatter. Served.Model is req.Model and
// Served.Upstream the time until the whole body was read.
func (c *Client) Chat(ctx context.Context, req *llmgate.ChatRequest) (*llmgate.ChatResponse, error) {
	body, err := encodeChatRequest(req, jsonscan.LiteralsFrom(ctx))
	if err != nil {
		return nil, c.fail(err)
	}
	data, latency, err := c.do(ctx, c.endpoint(c.model(req.Model), "generateContent"), body)
	if err != nil {
		return nil, err
	}
	r, err := decodeChatResponse(data, c.now().UTC().Truncate(time.Second))
	if err != nil {
		return nil, c.decodeFail(err)
	}
	r.Served.Model = req.Model
	r.Served.Upstream = latency
	return r, nil
}

// ChatStream implements llmgate.ChatStreamer, whatever req.Stream says. It
// returns once Gemini has answered with headers; the first chunk carries
// Served with Model set to req.Model and Upstream to the time until those
// headers.
func (c *Client) ChatStream(ctx context.Context, req *llmgate.ChatRequest) (llmgate.ChatStream, error) {
	body, err := encodeChatRequest(req, jsonscan.LiteralsFrom(ctx))
	if err != nil {
		return nil, c.fail(err)
	}
	resp, latency, err := c.send(ctx, c.endpoint(c.model(req.Model), "streamGenerateContent")+"?alt=sse", body, "text/event-stream")
	if err != nil {
		return nil, err
	}
	s := newStream(ctx, resp.Body, c.name, c.key, DefaultMaxLineBytes, c.now().UTC().Truncate(time.Second))
	s.served = &llmgate.Served{Model: req.Model, Upstream: latency}
	return s, nil
}

// Embed implements llmgate.Embedder. The usage is an estimate (see
// decodeEmbeddingResponse): Gemini does not count embedding tokens.
func (c *Client) Embed(ctx context.Context, req *llmgate.EmbeddingRequest) (*llmgate.EmbeddingResponse, error) {
	model := c.model(req.Model)
	body, err := encodeEmbeddingRequest(req, model)
	if err != nil {
		return nil, c.fail(err)
	}
	data, latency, err := c.do(ctx, c.endpoint(model, "batchEmbedContents"), body)
	if err != nil {
		return nil, err
	}
	r, err := decodeEmbeddingResponse(data, req.Input)
	if err != nil {
		return nil, c.decodeFail(err)
	}
	r.Served.Model = req.Model
	r.Served.Upstream = latency
	return r, nil
}

// do posts body and returns the whole answer and the time it took.
func (c *Client) do(ctx context.Context, endpoint string, body []byte) ([]byte, time.Duration, error) {
	start := time.Now()
	resp, _, err := c.send(ctx, endpoint, body, "application/json")
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	data, err := transport.ReadLimited(resp.Body, resp.ContentLength, c.maxBody)
	if errors.Is(err, transport.ErrTooLarge) {
		return nil, 0, c.fail(&llmgate.Error{Code: llmgate.EUpstreamBadResponse, UpstreamStatus: resp.StatusCode,
			Message: fmt.Sprintf("the provider's answer is larger than %d bytes", c.maxBody), Err: err})
	}
	if err != nil {
		return nil, 0, c.fail(transport.Error(ctx, c.name, "reading response", err))
	}
	return data, time.Since(start), nil
}

// send posts body and returns a successful response with its body unread,
// and the time until its headers; an error status becomes an *llmgate.Error.
func (c *Client) send(ctx context.Context, endpoint string, body []byte, accept string) (*http.Response, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, 0, c.fail(&llmgate.Error{Code: llmgate.EInternal, Message: "the provider's address is invalid", Err: transport.StripURL(err)})
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", accept)
	if c.key != "" {
		req.Header.Set("x-goog-api-key", c.key)
	}
	start := time.Now()
	resp, err := transport.Do(c.client, req)
	if err != nil {
		return nil, 0, c.fail(transport.Error(ctx, c.name, "sending request", err))
	}
	latency := time.Since(start)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		data, err := transport.ReadErrorBody(resp)
		if err != nil {
			return nil, 0, c.fail(transport.Error(ctx, c.name, "reading error response", err))
		}
		return nil, 0, httpError(c.name, c.key, resp.StatusCode, resp.Header, data)
	}
	return resp, latency, nil
}

// fail names the provider in err and removes the key from its text.
func (c *Client) fail(err error) error {
	var e *llmgate.Error
	if errors.As(err, &e) {
		if e.Provider == "" {
			e.Provider = c.name
		}
		return redactError(e, c.key)
	}
	return err
}

// decodeFail classifies a failure to translate an answer: the errors that
// decoding returns on purpose (a blocked prompt) keep their code, anything
// else means the answer could not be read.
func (c *Client) decodeFail(err error) error {
	var e *llmgate.Error
	if errors.As(err, &e) {
		return c.fail(err)
	}
	return c.fail(&llmgate.Error{Code: llmgate.EUpstreamBadResponse, Message: "the provider's answer could not be read", Err: err})
}
