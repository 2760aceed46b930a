// Package openai is the llm-gate adapter for the OpenAI API: chat
// completions (streamed or not), embeddings and image generation.
package openai

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/openaiwire"
)

// DefaultBaseURL is the OpenAI API's base URL, as the official SDKs mean it:
// paths such as /chat/completions are appended to it.
const DefaultBaseURL = "https://api.openai.com/v1"

// DefaultName is the provider name used in errors when Config.Name is empty.
const DefaultName = "openai"

// Config configures a Client. Its zero value talks to the OpenAI API
// without a key.
type Config struct {
	// BaseURL is the API's base URL; empty means DefaultBaseURL. It may point
	// at any OpenAI-compatible server.
	BaseURL string
	// APIKey is sent as a bearer token; empty sends no Authorization header,
	// for compatible servers that need none.
	APIKey string
	// Organization, when set, is sent as the OpenAI-Organization header.
	Organization string
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Name is the provider's name in errors; empty means DefaultName.
	Name string
	// Models maps a catalog model name to the upstream model name; a
	// missing name is sent unchanged.
	Models map[string]string
	// MaxResponseBytes bounds a non-streamed response body; zero means
	// openaiwire.DefaultMaxResponseBytes.
	MaxResponseBytes int64
}

// Client calls the OpenAI API. It is safe for concurrent use.
type Client struct {
	up     openaiwire.Upstream
	models map[string]string
	header http.Header
	chat   string
	embed  string
	image  string
}

var (
	_ llmgate.Chatter        = (*Client)(nil)
	_ llmgate.ChatStreamer   = (*Client)(nil)
	_ llmgate.Embedder       = (*Client)(nil)
	_ llmgate.ImageGenerator = (*Client)(nil)
)

// ErrBaseURL is returned by New for a BaseURL that is not an absolute http
// or https URL.
var ErrBaseURL = errors.New("openai: BaseURL must be an absolute http or https URL")

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil {
		// The parse error quotes the URL, which may hold credentials.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%w: %w", ErrBaseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		return nil, ErrBaseURL
	}
	name := cfg.Name
	if name == "" {
		name = DefaultName
	}
	h := http.Header{}
	if cfg.APIKey != "" {
		h.Set("Authorization", "Bearer "+cfg.APIKey)
	}
	if cfg.Organization != "" {
		h.Set("OpenAI-Organization", cfg.Organization)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return &Client{
		up: openaiwire.Upstream{
			Provider:         name,
			HTTPClient:       cfg.HTTPClient,
			MaxResponseBytes: cfg.MaxResponseBytes,
			Secret:           cfg.APIKey,
		},
		models: cfg.Models,
		header: h,
		chat:   u.JoinPath("chat", "completions").String(),
		embed:  u.JoinPath("embeddings").String(),
		image:  u.JoinPath("images", "generations").String(),
	}, nil
}

// model returns the upstream name of a catalog model.
func (c *Client) model(name string) string {
	if m, ok := c.models[name]; ok {
		return m
	}
	return name
}

// Chat implements llmgate.Chatter.
func (c *Client) Chat(ctx context.Context, req *llmgate.ChatRequest) (*llmgate.ChatResponse, error) {
	return c.up.Chat(ctx, openaiwire.Endpoint{URL: c.chat, Header: c.header}, req, openaiwire.ChatOptions{Model: c.model(req.Model)})
}

// ChatStream implements llmgate.ChatStreamer. The first chunk carries Served
// with Model and Upstream (the time until response headers) set.
func (c *Client) ChatStream(ctx context.Context, req *llmgate.ChatRequest) (llmgate.ChatStream, error) {
	s, err := c.up.ChatStream(ctx, openaiwire.Endpoint{URL: c.chat, Header: c.header}, req, openaiwire.ChatOptions{Model: c.model(req.Model)})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Embed implements llmgate.Embedder.
func (c *Client) Embed(ctx context.Context, req *llmgate.EmbeddingRequest) (*llmgate.EmbeddingResponse, error) {
	return c.up.Embed(ctx, openaiwire.Endpoint{URL: c.embed, Header: c.header}, req, c.model(req.Model))
}

// GenerateImage implements llmgate.ImageGenerator.
func (c *Client) GenerateImage(ctx context.Context, req *llmgate.ImageRequest) (*llmgate.ImageResponse, error) {
	return c.up.GenerateImage(ctx, openaiwire.Endpoint{URL: c.image, Header: c.header}, req, c.model(req.Model))
}
