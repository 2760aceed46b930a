// Package anthropic is the llm-gate adapter for Anthropic's Messages API:
// chat, streamed or not, with vision, tools and structured output.
//
// The domain's requests are OpenAI-shaped; this package translates them.
// System and developer messages become the top-level system prompt,
// consecutive turns of one role are merged, tool results become user turns,
// and parameters the API cannot honour (penalties, seed, n, logprobs,
// response_format json_object, a temperature above 1) are refused with a
// clear error rather than dropped.
package anthropic

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

// DefaultBaseURL is the API's base URL as the official SDKs mean it: the
// path /v1/messages is appended to it.
const DefaultBaseURL = "https://api.anthropic.com"

// DefaultVersion is the anthropic-version header sent when Config.Version is
// empty.
const DefaultVersion = "2023-06-01"

// DefaultName is the provider name used in errors when Config.Name is empty.
const DefaultName = "anthropic"

// DefaultMaxResponseBytes bounds a non-streamed response body when
// Config.MaxResponseBytes is zero.
const DefaultMaxResponseBytes = 32 << 20

// DefaultMaxTokens is the max_tokens sent, when a request sets none and
// Config.DefaultMaxTokens is zero. The API requires the field.
const DefaultMaxTokens = 4096

// Config configures a Client. Its zero value talks to the Anthropic API
// without a key.
type Config struct {
	// BaseURL is the API's base URL; empty means DefaultBaseURL.
	BaseURL string
	// APIKey is sent as the x-api-key header; empty sends none.
	APIKey string
	// Version is the anthropic-version header; empty means DefaultVersion.
	Version string
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Name is the provider's name in errors; empty means DefaultName.
	Name string
	// Models maps a catalog model name to the upstream model id; a missing
	// name is sent unchanged.
	Models map[string]string
	// MaxResponseBytes bounds a non-streamed response body; zero means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// DefaultMaxTokens is the max_tokens of a request that sets none; zero
	// means DefaultMaxTokens.
	DefaultMaxTokens int
}

// Client calls the Anthropic Messages API. It is safe for concurrent use.
type Client struct {
	name      string
	secret    string
	client    *http.Client
	header    http.Header
	endpoint  string
	models    map[string]string
	maxBody   int64
	maxTokens int
}

var (
	_ llmgate.Chatter      = (*Client)(nil)
	_ llmgate.ChatStreamer = (*Client)(nil)
)

// ErrBaseURL is returned by New for a BaseURL that is not an absolute http
// or https URL.
var ErrBaseURL = errors.New("anthropic: BaseURL must be an absolute http or https URL")

// ErrConfig is returned by New for a negative limit.
var ErrConfig = errors.New("anthropic: invalid configuration")

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
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" || u.RawQuery != "" {
		return nil, ErrBaseURL
	}
	if cfg.DefaultMaxTokens < 0 {
		return nil, fmt.Errorf("%w: DefaultMaxTokens is negative", ErrConfig)
	}
	if cfg.MaxResponseBytes < 0 {
		return nil, fmt.Errorf("%w: MaxResponseBytes is negative", ErrConfig)
	}
	c := &Client{
		name:      orDefault(cfg.Name, DefaultName),
		secret:    cfg.APIKey,
		client:    cfg.HTTPClient,
		header:    http.Header{},
		models:    cfg.Models,
		maxBody:   cfg.MaxResponseBytes,
		maxTokens: cfg.DefaultMaxTokens,
	}
	if c.client == nil {
		c.client = http.DefaultClient
	}
	if c.maxBody == 0 {
		c.maxBody = DefaultMaxResponseBytes
	}
	if c.maxTokens == 0 {
		c.maxTokens = DefaultMaxTokens
	}
	if cfg.APIKey != "" {
		c.header.Set("X-Api-Key", cfg.APIKey)
	}
	c.header.Set("Anthropic-Version", orDefault(cfg.Version, DefaultVersion))
	c.header.Set("Content-Type", "application/json")
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	c.endpoint = u.JoinPath("v1", "messages").String()
	return c, nil
}

// orDefault returns s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// model returns the upstream id of a catalog model.
func (c *Client) model(name string) string {
	if m, ok := c.models[name]; ok {
		return m
	}
	return name
}

// Chat implements llmgate.Chatter. The response's Served has Model set to
// req.Model and Upstream to the time until the whole body was read.
func (c *Client) Chat(ctx context.Context, req *llmgate.ChatRequest) (*llmgate.ChatResponse, error) {
	body, err := encodeRequest(req, c.model(req.Model), c.maxTokens, false, jsonscan.LiteralsFrom(ctx))
	if err != nil {
		return nil, c.fail(err)
	}
	start := time.Now()
	resp, err := c.send(ctx, body, "application/json")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := transport.ReadLimited(resp.Body, resp.ContentLength, c.maxBody)
	if errors.Is(err, transport.ErrTooLarge) {
		return nil, c.fail(&llmgate.Error{Code: llmgate.EUpstreamBadResponse, UpstreamStatus: resp.StatusCode,
			Message: fmt.Sprintf("the provider's answer is larger than %d bytes", c.maxBody), Err: err})
	}
	if err != nil {
		return nil, c.fail(transport.Error(ctx, c.name, "reading response", err))
	}
	r, err := decodeResponse(data)
	if err != nil {
		return nil, c.fail(&llmgate.Error{Code: llmgate.EUpstreamBadResponse, UpstreamStatus: resp.StatusCode, Message: "the provider's answer could not be read", Err: err})
	}
	r.Served.Model = req.Model
	r.Served.Upstream = time.Since(start)
	return r, nil
}

// ChatStream implements llmgate.ChatStreamer, whatever req.Stream says. It
// returns once the upstream has answered with headers; the first chunk
// carries Served with Model set to req.Model and Upstream to the time until
// those headers.
func (c *Client) ChatStream(ctx context.Context, req *llmgate.ChatRequest) (llmgate.ChatStream, error) {
	body, err := encodeRequest(req, c.model(req.Model), c.maxTokens, true, jsonscan.LiteralsFrom(ctx))
	if err != nil {
		return nil, c.fail(err)
	}
	start := time.Now()
	resp, err := c.send(ctx, body, "text/event-stream")
	if err != nil {
		return nil, err
	}
	s := newStream(ctx, resp.Body, c.name, c.secret, maxEventBytes)
	s.served = &llmgate.Served{Model: req.Model, Upstream: time.Since(start)}
	return s, nil
}

// send posts body and returns a successful response with its body unread;
// an error status becomes an *llmgate.Error.
func (c *Client) send(ctx context.Context, body []byte, accept string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, c.fail(&llmgate.Error{Code: llmgate.EInternal, Message: "the provider's address is invalid", Err: transport.StripURL(err)})
	}
	req.Header = c.header.Clone()
	req.Header.Set("Accept", accept)
	resp, err := transport.Do(c.client, req)
	if err != nil {
		return nil, c.fail(transport.Error(ctx, c.name, "sending request", err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		data, err := transport.ReadErrorBody(resp)
		if err != nil {
			return nil, c.fail(transport.Error(ctx, c.name, "reading error response", err))
		}
		return nil, c.fail(httpError(c.name, resp.StatusCode, resp.Header, data))
	}
	return resp, nil
}

// fail removes the API key from err's text and names the provider.
func (c *Client) fail(err error) error { return scrub(err, c.name, c.secret) }
