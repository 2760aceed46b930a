// Package azure is the llm-gate adapter for Azure OpenAI: chat completions
// (streamed or not), embeddings and image generation on the deployments of
// one Azure OpenAI resource.
package azure

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

// DefaultAPIVersion is the data-plane API version used when
// Config.APIVersion is empty: the generally available version of October 2024.
const DefaultAPIVersion = "2024-10-21"

// DefaultName is the provider name used in errors when Config.Name is empty.
const DefaultName = "azure_openai"

// Config configures a Client.
type Config struct {
	// Endpoint is the resource root, such as https://NAME.openai.azure.com.
	// A trailing slash is ignored.
	Endpoint string
	// APIKey is one of the resource's keys, sent as the api-key header.
	APIKey string
	// APIVersion is sent as the api-version query parameter; empty means
	// DefaultAPIVersion.
	APIVersion string
	// Deployments maps a catalog model name to the deployment that serves
	// it; a missing name is used as the deployment name.
	Deployments map[string]string
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Name is the provider's name in errors; empty means DefaultName.
	Name string
	// MaxResponseBytes bounds a non-streamed response body; zero means
	// openaiwire.DefaultMaxResponseBytes.
	MaxResponseBytes int64
}

// Client calls the deployments of one Azure OpenAI resource. It is safe for
// concurrent use.
type Client struct {
	up          openaiwire.Upstream
	root        string // Endpoint without trailing slashes
	query       string // "?api-version=…"
	deployments map[string]string
	header      http.Header
}

var (
	_ llmgate.Chatter        = (*Client)(nil)
	_ llmgate.ChatStreamer   = (*Client)(nil)
	_ llmgate.Embedder       = (*Client)(nil)
	_ llmgate.ImageGenerator = (*Client)(nil)
)

// ErrEndpoint is returned by New for an Endpoint that is not an absolute
// http or https URL without query or fragment.
var ErrEndpoint = errors.New("azure: Endpoint must be an absolute http or https URL without query or fragment")

// ErrNoAPIKey is returned by New when Config.APIKey is empty.
var ErrNoAPIKey = errors.New("azure: APIKey is required")

// New returns a Client for cfg.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil {
		// The parse error quotes the URL, which may hold credentials.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%w: %w", ErrEndpoint, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil, ErrEndpoint
	}
	if cfg.APIKey == "" {
		return nil, ErrNoAPIKey
	}
	version := cfg.APIVersion
	if version == "" {
		version = DefaultAPIVersion
	}
	name := cfg.Name
	if name == "" {
		name = DefaultName
	}
	h := http.Header{}
	h.Set("api-key", cfg.APIKey)
	return &Client{
		up: openaiwire.Upstream{
			Provider:         name,
			HTTPClient:       cfg.HTTPClient,
			MaxResponseBytes: cfg.MaxResponseBytes,
			Secret:           cfg.APIKey,
		},
		root:        strings.TrimRight(cfg.Endpoint, "/"),
		query:       "?" + url.Values{"api-version": {version}}.Encode(),
		deployments: cfg.Deployments,
		header:      h,
	}, nil
}

// endpoint returns the address of operation op ("chat/completions") on the
// deployment that serves the catalog model.
func (c *Client) endpoint(model, op string) openaiwire.Endpoint {
	dep, ok := c.deployments[model]
	if !ok {
		dep = model
	}
	return openaiwire.Endpoint{
		URL:    c.root + "/openai/deployments/" + url.PathEscape(dep) + "/" + op + c.query,
		Header: c.header,
	}
}

// Chat implements llmgate.Chatter.
func (c *Client) Chat(ctx context.Context, req *llmgate.ChatRequest) (*llmgate.ChatResponse, error) {
	return c.up.Chat(ctx, c.endpoint(req.Model, "chat/completions"), req, openaiwire.ChatOptions{})
}

// ChatStream implements llmgate.ChatStreamer. The first chunk carries Served
// with Model and Upstream (the time until response headers) set.
func (c *Client) ChatStream(ctx context.Context, req *llmgate.ChatRequest) (llmgate.ChatStream, error) {
	s, err := c.up.ChatStream(ctx, c.endpoint(req.Model, "chat/completions"), req, openaiwire.ChatOptions{})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Embed implements llmgate.Embedder.
func (c *Client) Embed(ctx context.Context, req *llmgate.EmbeddingRequest) (*llmgate.EmbeddingResponse, error) {
	return c.up.Embed(ctx, c.endpoint(req.Model, "embeddings"), req, "")
}

// GenerateImage implements llmgate.ImageGenerator.
func (c *Client) GenerateImage(ctx context.Context, req *llmgate.ImageRequest) (*llmgate.ImageResponse, error) {
	return c.up.GenerateImage(ctx, c.endpoint(req.Model, "images/generations"), req, "")
}
