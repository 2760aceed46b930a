// Package config reads llm-gate's configuration from flags, the environment,
// a .env file, a YAML config file and the embedded defaults, in that order of
// precedence, and validates it before the gateway starts.
//
// The seed's variable names (HEIMDALL_*, AZURE_OPENAI_<REGION>_*,
// HTTPX_CLIENT_VERIFY, LOG_LEVEL) work exactly as the seed documents them;
// gateway settings use the prefix LLMGATE_. The embedded defaults.yaml holds
// every default and the catalog, which equals the seed's.
package config

import (
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/llmgate/llmgate"
)

// Config is the whole configuration of the gateway.
type Config struct {
	Server   Server
	Log      Log
	Database Database
	Ledger   Ledger
	Upstream Upstream
	Mock     Mock
	OpenAI   OpenAI
	Azure    Azure
	// Anthropic configures the anthropic provider.
	Anthropic Anthropic
	// Gemini configures the gemini provider (Gemini Developer API).
	Gemini Gemini
	// Bedrock configures the bedrock provider (AWS Bedrock Converse).
	Bedrock Bedrock
	// Compatible lists the configured OpenAI-compatible servers, each a
	// provider of the same name: the built-in presets (mistral, groq,
	// deepseek, together, openrouter, ollama, vllm) whose variables are set,
	// then those of the config file's compatible list, in that order. A
	// server is configured when its base URL is known and its key is set or
	// optional.
	Compatible []Compatible
	// Routing configures model groups, balancing, retries, fallbacks and
	// circuit breaking.
	Routing Routing
	// Providers is the catalog: the embedded defaults merged with the config
	// file.
	Providers []Provider
	// File is the YAML config file that was read, "" if none.
	File string

	// compatibleDefs are every compatible server defined, configured or
	// not, so that Catalog can say what a missing one needs.
	compatibleDefs []compatibleDef
}

// Server configures the HTTP server.
type Server struct {
	// Host is the address to listen on; default 0.0.0.0 (HEIMDALL_SERVER_HOST).
	Host string
	// Port is the TCP port; default 8080 (HEIMDALL_SERVER_PORT). Zero picks a
	// free port.
	Port int
	// APIPath prefixes every route; default "/llm-gate" (HEIMDALL_API_PATH).
	// It is "" or starts with "/" and never ends with "/".
	APIPath string
	// Title is the API's title in the OpenAPI document; default "HEIMDALL".
	Title string
	// Description is the API's description in the OpenAPI document.
	Description string
	// MaxBodyBytes limits a request body; default 10 MiB.
	MaxBodyBytes int64
	// ReadHeaderTimeout bounds reading request headers; default 10s.
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes idle keep-alive connections; default 120s.
	IdleTimeout time.Duration
	// BodyReadTimeout bounds reading a request body; default 60s.
	BodyReadTimeout time.Duration
	// ShutdownTimeout bounds the graceful shutdown; default 30s.
	ShutdownTimeout time.Duration
	// PprofAddr, when set, serves net/http/pprof on its own listener at
	// this host:port (LLMGATE_PPROF_ADDR); default "" (off). It is meant
	// for a loopback address: the profiles are not authenticated.
	PprofAddr string
	// GCMinHeap is the heap size below which the garbage collector does
	// not start a cycle (LLMGATE_GC_MIN_HEAP); default 32 MiB, 0 leaves
	// Go's own pacing. GOGC in the environment overrides it.
	GCMinHeap int64
}

// Log configures logging.
type Log struct {
	// Level is the minimum level logged; default info (LOG_LEVEL).
	Level slog.Level
}

// Database configures the ledger's store.
type Database struct {
	// URL is "sqlite:PATH" or "postgres://…"; default
	// "sqlite:data/llmgate.db" (LLMGATE_DATABASE_URL).
	URL string
}

// Ledger configures the asynchronous, batched ledger writer.
type Ledger struct {
	// BatchSize is the largest number of records written at once; default 1024.
	BatchSize int
	// FlushInterval is the longest a record waits before being written;
	// default 500ms.
	FlushInterval time.Duration
	// QueueSize is the number of records buffered in memory; default 8192.
	// Rows that find it full wait in the writer's overflow list.
	QueueSize int
}

// Upstream configures the HTTP client that calls providers.
type Upstream struct {
	// Timeout bounds a whole non-streaming upstream request; default 10m
	// (LLMGATE_UPSTREAM_TIMEOUT).
	Timeout time.Duration
	// ConnectTimeout bounds dialing and the TLS handshake; default 10s.
	ConnectTimeout time.Duration
	// TLSVerify checks upstream certificates; default true
	// (HTTPX_CLIENT_VERIFY).
	TLSVerify bool
	// MaxIdleConnsPerHost sizes the keep-alive pool per host; default 64.
	MaxIdleConnsPerHost int
	// MaxResponseBytes limits an upstream response body; default 32 MiB.
	MaxResponseBytes int64
	// HTTP2 lets calls to providers over TLS use HTTP/2 when the provider
	// offers it, through net/http's Transport; off (the default), every
	// call is HTTP/1.1, written and read on the request's own goroutine
	// (transport.H1), which costs less per call (LLMGATE_UPSTREAM_HTTP2).
	HTTP2 bool
}

// Mock configures the built-in mock provider.
type Mock struct {
	// Enabled lists and serves the mock provider (--mock, LLMGATE_MOCK).
	Enabled bool
	// Latency is waited before answering; default 0.
	Latency time.Duration
	// ChunkDelay is waited between streamed chunks; default 0.
	ChunkDelay time.Duration
	// PromptTokens is the prompt token count reported; 0 counts the words
	// of the prompt.
	PromptTokens int
	// CompletionTokens is the completion token count reported; 0 counts the
	// words of the reply.
	CompletionTokens int
	// Reply is the mock's answer; "" echoes the last user message.
	Reply string
	// EmbeddingDimensions is the length of the mock's vectors; default 8.
	EmbeddingDimensions int
	// ImageURL is the URL of every generated image; default
	// "https://mock.llm-gate.invalid/image.png".
	ImageURL string
}

// OpenAI configures the openai provider.
type OpenAI struct {
	// APIKey is the API key (OPENAI_API_KEY); the provider is configured
	// when it is set.
	APIKey string
	// BaseURL is the API root as the official SDK means it; default
	// "https://api.openai.com/v1" (OPENAI_BASE_URL).
	BaseURL string
	// Organization is sent as OpenAI-Organization when set (OPENAI_ORG_ID).
	Organization string
}

// Azure configures the azure_openai provider.
type Azure struct {
	// APIVersion is the api-version of regions that set none; default
	// "2024-10-21" (AZURE_OPENAI_API_VERSION).
	APIVersion string
	// Regions are the deployments, sorted by name, one per
	// AZURE_OPENAI_<REGION>_ENDPOINT / _API_KEY pair.
	Regions []AzureRegion
}

// AzureRegion is one Azure OpenAI resource.
type AzureRegion struct {
	// Name is the region in lower case as written in the variable names,
	// such as "west_us".
	Name string
	// Endpoint is the resource root, such as https://NAME.openai.azure.com,
	// without a trailing slash.
	Endpoint string
	APIKey   string
	// APIVersion is AZURE_OPENAI_<REGION>_API_VERSION or Azure.APIVersion.
	APIVersion string
}

// Anthropic configures the anthropic provider.
type Anthropic struct {
	// APIKey is the API key (ANTHROPIC_API_KEY); the provider is configured
	// when it is set.
	APIKey string
	// BaseURL is the API root as the official SDK means it, without /v1;
	// default "https://api.anthropic.com" (ANTHROPIC_BASE_URL).
	BaseURL string
	// Version is sent as the anthropic-version header; default "2023-06-01"
	// (ANTHROPIC_VERSION).
	Version string
}

// Gemini configures the gemini provider.
type Gemini struct {
	// APIKey is the API key: GEMINI_API_KEY, or GOOGLE_API_KEY when
	// GEMINI_API_KEY is unset. The provider is configured when it is set.
	APIKey string
	// BaseURL is the API root as the official SDK means it, without the API
	// version; default "https://generativelanguage.googleapis.com"
	// (GEMINI_BASE_URL).
	BaseURL string
}

// Bedrock configures the bedrock provider. The provider is configured when
// Region, AccessKeyID and SecretAccessKey are all set; its one deployment is
// named bedrock/<Region>.
type Bedrock struct {
	// Region is the AWS region, such as us-east-1 (AWS_REGION, or
	// AWS_DEFAULT_REGION when AWS_REGION is unset).
	Region string
	// AccessKeyID is AWS_ACCESS_KEY_ID.
	AccessKeyID string
	// SecretAccessKey is AWS_SECRET_ACCESS_KEY.
	SecretAccessKey string
	// SessionToken is AWS_SESSION_TOKEN, for temporary credentials; "" if
	// none.
	SessionToken string
	// BaseURL overrides the Bedrock runtime endpoint, for tests and proxies
	// (BEDROCK_BASE_URL); "" means the region's endpoint,
	// https://bedrock-runtime.<Region>.amazonaws.com.
	BaseURL string
}

// Compatible is one configured OpenAI-compatible server. Its catalog models
// are those of the provider of the same name.
type Compatible struct {
	// Name is the provider name, such as "mistral"; its one deployment is
	// named <Name>/default.
	Name string
	// BaseURL is the API root as the OpenAI SDK means it, such as
	// https://api.mistral.ai/v1, without a trailing slash.
	BaseURL string
	// APIKey is sent as a bearer token; "" when KeyOptional and none is set.
	APIKey string
	// KeyOptional is true for servers that may run without a key, such as
	// a local Ollama.
	KeyOptional bool
}

// Provider is one provider of the catalog.
type Provider struct {
	ID          string
	Name        string
	Label       string
	Description string
	Enabled     bool
	// Deployments maps a catalog model name to the upstream deployment or
	// model name; a model not in it is sent under its catalog name.
	Deployments map[string]string
	Models      []Model
}

// Model is one model of a provider.
type Model struct {
	ID            string
	Name          string
	Label         string
	Description   string
	Kind          llmgate.ModelKind
	ContextWindow int
	// TrainingData is the knowledge cut-off; its YAML key is the seed's
	// "tranningData".
	TrainingData string
	Enabled      bool
	// Prices is the price list; its YAML key is the seed's "price".
	Prices []Price
}

// Price is one entry of a model's price list: a token or a pixel price.
type Price struct {
	ID string
	// UnitOfMeasure is the number of tokens a token price is quoted for. It
	// is ignored for pixel prices, which are per image.
	UnitOfMeasure int64
	// Currency defaults to "USD".
	Currency string
	Token    *TokenPrice
	Pixel    *PixelPrice
}

// TokenPrice is the price of UnitOfMeasure tokens; a nil value is not priced.
type TokenPrice struct {
	InputValue       *llmgate.Money
	OutputValue      *llmgate.Money
	CachedInputValue *llmgate.Money
	CacheWriteValue  *llmgate.Money
}

// PixelPrice is the price of one image of a size and quality.
type PixelPrice struct {
	Width   int
	Height  int
	Quality string
	Value   llmgate.Money
}

// Addr returns the listen address, host:port, with IPv6 hosts bracketed.
func (c *Config) Addr() string {
	return net.JoinHostPort(c.Server.Host, strconv.Itoa(c.Server.Port))
}

// Names of the providers the gateway has adapters for.
const (
	providerAzure     = "azure_openai"
	providerOpenAI    = "openai"
	providerMock      = "mock"
	providerAnthropic = "anthropic"
	providerGemini    = "gemini"
	providerBedrock   = "bedrock"
)

// builtinProviders are the providers with adapters of their own; a
// compatible server may not take one of their names.
var builtinProviders = map[string]bool{
	providerAzure: true, providerOpenAI: true, providerMock: true,
	providerAnthropic: true, providerGemini: true, providerBedrock: true,
}

// Catalog converts Providers to the domain catalog and says which providers
// are configured. The mock provider is listed only when Mock.Enabled. The
// catalog shares no memory with c.
func (c *Config) Catalog() *llmgate.Catalog {
	cat := &llmgate.Catalog{Providers: make([]llmgate.ProviderInfo, 0, len(c.Providers))}
	for _, p := range c.Providers {
		if p.Name == providerMock && !c.Mock.Enabled {
			continue
		}
		info := llmgate.ProviderInfo{
			ID:          p.ID,
			Name:        p.Name,
			Label:       p.Label,
			Description: p.Description,
			Enabled:     p.Enabled,
			Models:      make([]llmgate.ModelInfo, 0, len(p.Models)),
		}
		info.Configured, info.MissingConfig = c.configured(p.Name)
		for _, m := range p.Models {
			info.Models = append(info.Models, m.info())
		}
		cat.Providers = append(cat.Providers, info)
	}
	return cat
}

// configured reports whether the named provider can send requests and, if
// not, what to set.
func (c *Config) configured(name string) (bool, string) {
	switch name {
	case providerAzure:
		if len(c.Azure.Regions) > 0 {
			return true, ""
		}
		return false, "set AZURE_OPENAI_<REGION>_ENDPOINT and AZURE_OPENAI_<REGION>_API_KEY"
	case providerOpenAI:
		if c.OpenAI.APIKey != "" {
			return true, ""
		}
		return false, "set OPENAI_API_KEY"
	case providerMock:
		if c.Mock.Enabled {
			return true, ""
		}
		return false, "set LLMGATE_MOCK=true or pass --mock"
	case providerAnthropic:
		if c.Anthropic.APIKey != "" {
			return true, ""
		}
		return false, "set " + envAnthropicKey
	case providerGemini:
		if c.Gemini.APIKey != "" {
			return true, ""
		}
		return false, "set " + envGeminiKey
	case providerBedrock:
		if c.Bedrock.configured() {
			return true, ""
		}
		return false, "set " + envAWSRegion + ", " + envAWSAccessKey + " and " + envAWSSecretKey
	}
	for _, d := range c.compatibleDefs {
		if d.name == name {
			return d.configured(), d.missing()
		}
	}
	return false, "no adapter for provider " + name
}

func (b *Bedrock) configured() bool {
	return b.Region != "" && b.AccessKeyID != "" && b.SecretAccessKey != ""
}

func (m *Model) info() llmgate.ModelInfo {
	mi := llmgate.ModelInfo{
		ID:            m.ID,
		Name:          m.Name,
		Label:         m.Label,
		Description:   m.Description,
		Kind:          m.Kind,
		ContextWindow: m.ContextWindow,
		TrainingData:  m.TrainingData,
		Enabled:       m.Enabled,
	}
	if len(m.Prices) > 0 {
		mi.Prices = make([]llmgate.Price, len(m.Prices))
	}
	for i, p := range m.Prices {
		dp := llmgate.Price{ID: p.ID, UnitOfMeasure: p.UnitOfMeasure, Currency: p.Currency}
		if p.Token != nil {
			dp.Token = &llmgate.TokenPrice{
				Input:       cloneMoney(p.Token.InputValue),
				Output:      cloneMoney(p.Token.OutputValue),
				CachedInput: cloneMoney(p.Token.CachedInputValue),
				CacheWrite:  cloneMoney(p.Token.CacheWriteValue),
			}
		}
		if p.Pixel != nil {
			px := llmgate.PixelPrice(*p.Pixel)
			dp.Pixel = &px
		}
		mi.Prices[i] = dp
	}
	return mi
}

func cloneMoney(m *llmgate.Money) *llmgate.Money {
	if m == nil {
		return nil
	}
	v := *m
	return &v
}
