package config

import (
	"encoding/json"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/llmgate/llmgate"
)

// load runs Load in a fresh directory holding the given .env and config.yaml
// contents ("" means no such file). A config file, when given, is passed
// with LLMGATE_CONFIG unless env or args already name one.
func load(t *testing.T, args []string, env map[string]string, dotenv, file string) (*Config, error) {
	t.Helper()
	dir := t.TempDir()
	if dotenv != "" {
		writeFile(t, filepath.Join(dir, ".env"), dotenv)
	}
	environ := make([]string, 0, len(env)+1)
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	if file != "" {
		writeFile(t, filepath.Join(dir, "config.yaml"), file)
		if _, ok := env[envConfig]; !ok {
			environ = append(environ, envConfig+"=config.yaml")
		}
	}
	return Load(args, environ, dir)
}

func mustLoad(t *testing.T, args []string, env map[string]string, dotenv, file string) *Config {
	t.Helper()
	c, err := load(t, args, env, dotenv, file)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func money(s string) *llmgate.Money {
	m := llmgate.MustParseMoney(s)
	return &m
}

func findProvider(t *testing.T, c *Config, name string) *Provider {
	t.Helper()
	for i := range c.Providers {
		if c.Providers[i].Name == name {
			return &c.Providers[i]
		}
	}
	t.Fatalf("no provider %s", name)
	return nil
}

func findModel(t *testing.T, p *Provider, name string) *Model {
	t.Helper()
	for i := range p.Models {
		if p.Models[i].Name == name {
			return &p.Models[i]
		}
	}
	t.Fatalf("provider %s has no model %s", p.Name, name)
	return nil
}

func TestDefaults(t *testing.T) {
	c := mustLoad(t, nil, nil, "", "")
	want := Config{
		Server: Server{
			Host: "0.0.0.0", Port: 8080, APIPath: "/llm-gate", Title: "HEIMDALL",
			Description:       "Responsible for being the application integration with GenAI models",
			MaxBodyBytes:      10 << 20,
			ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second,
			BodyReadTimeout: 60 * time.Second, ShutdownTimeout: 30 * time.Second, GCMinHeap: 32 << 20,
		},
		Log:       Log{Level: slog.LevelInfo},
		Database:  Database{URL: "sqlite:data/llmgate.db"},
		Ledger:    Ledger{BatchSize: 1024, FlushInterval: 500 * time.Millisecond, QueueSize: 8192},
		Upstream:  Upstream{Timeout: 10 * time.Minute, ConnectTimeout: 10 * time.Second, TLSVerify: true, MaxIdleConnsPerHost: 64, MaxResponseBytes: 32 << 20},
		Mock:      Mock{EmbeddingDimensions: 8, ImageURL: "https://mock.llm-gate.invalid/image.png"},
		OpenAI:    OpenAI{BaseURL: "https://api.openai.com/v1"},
		Azure:     Azure{APIVersion: "2024-10-21"},
		Anthropic: Anthropic{BaseURL: "https://api.anthropic.com", Version: "2023-06-01"},
		Gemini:    Gemini{BaseURL: "https://generativelanguage.googleapis.com"},
		Routing: Routing{
			Strategy: "round_robin", MaxAttempts: 3, BackoffBase: 100 * time.Millisecond, BackoffMax: 5 * time.Second,
			BudgetRatio: 0.2, MinRetriesPerSecond: 10, FailureThreshold: 5, Cooldown: 30 * time.Second,
			// Attempt defaults to the upstream timeout.
			Timeouts: RouteTimeouts{Attempt: 10 * time.Minute},
		},
	}
	got := *c
	got.Providers = nil
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(Config{})); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	var names []string
	for _, p := range c.Providers {
		names = append(names, p.Name)
	}
	wantNames := []string{"azure_openai", "openai", "mock", "anthropic", "gemini", "bedrock",
		"mistral", "groq", "deepseek", "together", "openrouter", "ollama", "vllm"}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("providers (-want +got):\n%s", diff)
	}
	if c.Addr() != "0.0.0.0:8080" {
		t.Errorf("Addr = %q", c.Addr())
	}
}

// seedCatalog is the seed's /providers response, decoded exactly.
type seedCatalog struct {
	Data []struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Label       string `json:"label"`
		Description string `json:"description"`
		Model       []struct {
			ID            string  `json:"id"`
			Name          string  `json:"name"`
			Label         string  `json:"label"`
			Description   string  `json:"description"`
			ContextWindow *int    `json:"contextWindow"`
			TranningData  *string `json:"tranningData"`
			Enabled       bool    `json:"enabled"`
			Price         []struct {
				ID            string `json:"id"`
				UnitOfMeasure int64  `json:"unitOfMeasure"`
				Currency      string `json:"currency"`
				Token         *struct {
					InputValue  *llmgate.Money `json:"inputValue"`
					OutputValue *llmgate.Money `json:"outputValue"`
				} `json:"token"`
				Pixel *struct {
					Width   int           `json:"width"`
					Height  int           `json:"height"`
					Quality string        `json:"quality"`
					Value   llmgate.Money `json:"value"`
				} `json:"pixel"`
			} `json:"price"`
		} `json:"model"`
	} `json:"data"`
}

// TestDefaultCatalogMatchesSeed compares the embedded azure_openai provider
// with the seed's /providers response, field by field and in order.
func TestDefaultCatalogMatchesSeed(t *testing.T) {
	data, err := os.ReadFile("testdata/seed_providers.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var seed seedCatalog
	if err := dec.Decode(&seed); err != nil {
		t.Fatal(err)
	}
	if len(seed.Data) != 1 {
		t.Fatalf("seed has %d providers", len(seed.Data))
	}
	sp := seed.Data[0]
	want := Provider{ID: sp.ID, Name: sp.Name, Label: sp.Label, Description: sp.Description, Enabled: true}
	for _, sm := range sp.Model {
		m := Model{ID: sm.ID, Name: sm.Name, Label: sm.Label, Description: sm.Description, Enabled: sm.Enabled}
		if sm.ContextWindow != nil {
			m.ContextWindow = *sm.ContextWindow
		}
		if sm.TranningData != nil {
			m.TrainingData = *sm.TranningData
		}
		for _, sp := range sm.Price {
			p := Price{ID: sp.ID, UnitOfMeasure: sp.UnitOfMeasure, Currency: sp.Currency}
			if sp.Token != nil {
				p.Token = &TokenPrice{InputValue: sp.Token.InputValue, OutputValue: sp.Token.OutputValue}
			}
			if sp.Pixel != nil {
				p.Pixel = &PixelPrice{Width: sp.Pixel.Width, Height: sp.Pixel.Height, Quality: sp.Pixel.Quality, Value: sp.Pixel.Value}
			}
			m.Prices = append(m.Prices, p)
		}
		want.Models = append(want.Models, m)
	}

	c := mustLoad(t, nil, nil, "", "")
	got := *findProvider(t, c, "azure_openai")
	kinds := map[string]llmgate.ModelKind{}
	for i := range got.Models {
		kinds[got.Models[i].Name] = got.Models[i].Kind
		got.Models[i].Kind = ""
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("azure_openai differs from the seed (-seed +defaults):\n%s", diff)
	}
	wantKinds := map[string]llmgate.ModelKind{
		"gpt-35-turbo": "chat", "gpt-4": "chat", "gpt-4o": "chat", "gpt-4o-mini": "chat",
		"dall-e-2": "image", "dall-e-3": "image", "text-embedding-ada-002": "embedding",
	}
	if diff := cmp.Diff(wantKinds, kinds); diff != "" {
		t.Errorf("kinds (-want +got):\n%s", diff)
	}
	// Spot-check that prices kept their exact decimals.
	if v := findModel(t, &got, "gpt-4o").Prices[1].Pixel.Value.String(); v != "0.003825" {
		t.Errorf("gpt-4o pixel price = %s", v)
	}
}

func TestDefaultOpenAIAndMock(t *testing.T) {
	c := mustLoad(t, nil, nil, "", "")
	openai := findProvider(t, c, "openai")
	if openai.Label != "OpenAI" || openai.Description != "OpenAI provider" || !openai.Enabled {
		t.Errorf("openai provider = %+v", openai)
	}
	tokens := []struct {
		model           string
		kind            llmgate.ModelKind
		context         int
		training        string
		in, out, cached string
	}{
		{"gpt-4o", "chat", 128000, "Oct 2023", "2.5", "10.0", "1.25"},
		{"gpt-4o-mini", "chat", 128000, "Oct 2023", "0.15", "0.6", "0.075"},
		{"gpt-4.1", "chat", 1047576, "Jun 2024", "2.0", "8.0", "0.5"},
		{"gpt-4.1-mini", "chat", 1047576, "Jun 2024", "0.4", "1.6", "0.1"},
		{"text-embedding-3-small", "embedding", 8191, "", "0.02", "", ""},
		{"text-embedding-3-large", "embedding", 8191, "", "0.13", "", ""},
		{"text-embedding-ada-002", "embedding", 8191, "", "0.1", "", ""},
	}
	str := func(m *llmgate.Money) string {
		if m == nil {
			return ""
		}
		return m.String()
	}
	for _, tt := range tokens {
		m := findModel(t, openai, tt.model)
		if m.Kind != tt.kind || m.ContextWindow != tt.context || m.TrainingData != tt.training || len(m.Prices) != 1 {
			t.Errorf("%s = %+v", tt.model, m)
			continue
		}
		p := m.Prices[0]
		if p.UnitOfMeasure != 1_000_000 || p.Currency != "USD" || p.Token == nil {
			t.Errorf("%s price = %+v", tt.model, p)
			continue
		}
		got := [3]string{str(p.Token.InputValue), str(p.Token.OutputValue), str(p.Token.CachedInputValue)}
		if got != [3]string{tt.in, tt.out, tt.cached} {
			t.Errorf("%s token price = %v, want %v", tt.model, got, [3]string{tt.in, tt.out, tt.cached})
		}
	}
	pixels := func(m *Model) []string {
		var s []string
		for _, p := range m.Prices {
			s = append(s, p.Pixel.Quality+" "+strconv.Itoa(p.Pixel.Width)+"x"+strconv.Itoa(p.Pixel.Height)+" "+p.Pixel.Value.String())
		}
		return s
	}
	if diff := cmp.Diff([]string{" 1024x1024 0.02", " 512x512 0.018", " 256x256 0.016"}, pixels(findModel(t, openai, "dall-e-2"))); diff != "" {
		t.Errorf("openai dall-e-2 (-want +got):\n%s", diff)
	}
	wantD3 := []string{
		"Standard 1024x1024 0.04", "Standard 1792x1024 0.08", "Standard 1024x1792 0.08",
		"HD 1024x1024 0.08", "HD 1792x1024 0.12", "HD 1024x1792 0.12",
	}
	if diff := cmp.Diff(wantD3, pixels(findModel(t, openai, "dall-e-3"))); diff != "" {
		t.Errorf("openai dall-e-3 (-want +got):\n%s", diff)
	}

	mock := findProvider(t, c, "mock")
	if mock.Label != "Mock" || mock.Description != "Deterministic built-in provider for trying llm-gate without keys and for load tests" {
		t.Errorf("mock provider = %+v", mock)
	}
	mc := findModel(t, mock, "mock-chat")
	if mc.Kind != "chat" || mc.ContextWindow != 128000 || str(mc.Prices[0].Token.InputValue) != "1.0" || str(mc.Prices[0].Token.OutputValue) != "2.0" {
		t.Errorf("mock-chat = %+v", mc)
	}
	if m := findModel(t, mock, "mock-chat-unpriced"); m.Kind != "chat" || len(m.Prices) != 0 {
		t.Errorf("mock-chat-unpriced = %+v", m)
	}
	if m := findModel(t, mock, "mock-embedding"); m.Kind != "embedding" || str(m.Prices[0].Token.InputValue) != "0.1" {
		t.Errorf("mock-embedding = %+v", m)
	}
	mi := findModel(t, mock, "mock-image")
	if diff := cmp.Diff([]string{"Standard 1024x1024 0.04", "HD 1024x1024 0.08", " 512x512 0.02"}, pixels(mi)); mi.Kind != "image" || diff != "" {
		t.Errorf("mock-image kind %s, prices (-want +got):\n%s", mi.Kind, diff)
	}

	// Every id of the defaults is a UUID, and no two are the same.
	seen := map[string]bool{}
	checkID := func(what, id string) {
		if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
			t.Errorf("%s: id %q is not a UUID", what, id)
		}
		if seen[id] {
			t.Errorf("%s: id %s used twice", what, id)
		}
		seen[id] = true
	}
	for _, p := range c.Providers {
		checkID(p.Name, p.ID)
		for _, m := range p.Models {
			checkID(p.Name+"/"+m.Name, m.ID)
			for _, pr := range m.Prices {
				checkID(p.Name+"/"+m.Name+" price", pr.ID)
			}
		}
	}
}

func TestPrecedence(t *testing.T) {
	type layers struct{ flag, env, dotenv, file string }
	tests := []struct {
		name    string
		flag    string // flag name, "" if none
		env     string // variable name
		fileKey string // YAML "section:\n  key: %s"
		vals    layers
		def     string
		get     func(*Config) string
	}{
		{"host", "host", envHost, "server:\n  host: %s\n", layers{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"}, "0.0.0.0", func(c *Config) string { return c.Server.Host }},
		{"port", "port", envPort, "server:\n  port: %s\n", layers{"1001", "1002", "1003", "1004"}, "8080", func(c *Config) string { return strconv.Itoa(c.Server.Port) }},
		{"api path", "api-path", envAPIPath, "server:\n  apiPath: %s\n", layers{"/f", "/e", "/d", "/y"}, "/llm-gate", func(c *Config) string { return c.Server.APIPath }},
		{"log level", "log-level", envLogLevel, "log:\n  level: %s\n", layers{"DEBUG", "WARNING", "ERROR", "CRITICAL"}, "INFO", func(c *Config) string {
			return map[slog.Level]string{slog.LevelDebug: "DEBUG", slog.LevelInfo: "INFO", slog.LevelWarn: "WARNING", slog.LevelError: "ERROR"}[c.Log.Level]
		}},
		{"database", "database-url", envDatabaseURL, "database:\n  url: %s\n", layers{"sqlite:f.db", "sqlite:e.db", "sqlite:d.db", "sqlite:y.db"}, "sqlite:data/llmgate.db", func(c *Config) string { return c.Database.URL }},
		{"mock", "mock", envMock, "mock:\n  enabled: %s\n", layers{"false", "true", "false", "true"}, "false", func(c *Config) string {
			if c.Mock.Enabled {
				return "true"
			}
			return "false"
		}},
		{"title", "", envTitle, "server:\n  title: %s\n", layers{"", "E", "D", "Y"}, "HEIMDALL", func(c *Config) string { return c.Server.Title }},
		{"upstream timeout", "", envUpstreamTimeout, "upstream:\n  timeout: %s\n", layers{"", "1m0s", "2m0s", "3m0s"}, "10m0s", func(c *Config) string { return c.Upstream.Timeout.String() }},
		{"tls verify", "", envVerify, "upstream:\n  tlsVerify: %s\n", layers{"", "False", "true", "false"}, "true", func(c *Config) string {
			if c.Upstream.TLSVerify {
				return "true"
			}
			return "false"
		}},
		{"upstream http2", "", envUpstreamHTTP2, "upstream:\n  http2: %s\n", layers{"", "true", "false", "true"}, "false", func(c *Config) string {
			return strconv.FormatBool(c.Upstream.HTTP2)
		}},
	}
	norm := map[string]string{"False": "false", "CRITICAL": "ERROR"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Remove the layers from the top one by one; the highest left wins.
			steps := []struct {
				use  layers
				want string
			}{
				{tt.vals, tt.vals.flag},
				{layers{"", tt.vals.env, tt.vals.dotenv, tt.vals.file}, tt.vals.env},
				{layers{"", "", tt.vals.dotenv, tt.vals.file}, tt.vals.dotenv},
				{layers{"", "", "", tt.vals.file}, tt.vals.file},
				{layers{}, tt.def},
			}
			for i, s := range steps {
				if s.want == "" {
					continue // this key has no such layer
				}
				var args []string
				if s.use.flag != "" {
					args = []string{"--" + tt.flag + "=" + s.use.flag}
				}
				env := map[string]string{}
				if s.use.env != "" {
					env[tt.env] = s.use.env
				}
				dotenv := ""
				if s.use.dotenv != "" {
					dotenv = tt.env + "=" + s.use.dotenv + "\n"
				}
				file := ""
				if s.use.file != "" {
					file = strings.Replace(tt.fileKey, "%s", s.use.file, 1)
				}
				c := mustLoad(t, args, env, dotenv, file)
				want := s.want
				if n, ok := norm[want]; ok {
					want = n
				}
				if got := tt.get(c); got != want {
					t.Errorf("step %d: got %q, want %q", i, got, want)
				}
			}
		})
	}
}

func TestSeedVariables(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want func(*Config) bool
	}{
		{map[string]string{envTitle: "My API"}, func(c *Config) bool { return c.Server.Title == "My API" }},
		{map[string]string{envDescription: "Desc"}, func(c *Config) bool { return c.Server.Description == "Desc" }},
		{map[string]string{envAPIPath: "/gate/"}, func(c *Config) bool { return c.Server.APIPath == "/gate" }},
		{map[string]string{envAPIPath: "/"}, func(c *Config) bool { return c.Server.APIPath == "" }},
		{map[string]string{envHost: "::1", envPort: "9090"}, func(c *Config) bool { return c.Addr() == "[::1]:9090" }},
		{map[string]string{envPort: "0"}, func(c *Config) bool { return c.Server.Port == 0 }},
		{map[string]string{envVerify: "False"}, func(c *Config) bool { return !c.Upstream.TLSVerify }},
		{map[string]string{envVerify: "false"}, func(c *Config) bool { return !c.Upstream.TLSVerify }},
		{map[string]string{envVerify: "0"}, func(c *Config) bool { return !c.Upstream.TLSVerify }},
		{map[string]string{envVerify: "no"}, func(c *Config) bool { return !c.Upstream.TLSVerify }},
		{map[string]string{envVerify: "True"}, func(c *Config) bool { return c.Upstream.TLSVerify }},
		{map[string]string{envVerify: "1"}, func(c *Config) bool { return c.Upstream.TLSVerify }},
		{map[string]string{envVerify: "yes"}, func(c *Config) bool { return c.Upstream.TLSVerify }},
		{map[string]string{envLogLevel: "DEBUG"}, func(c *Config) bool { return c.Log.Level == slog.LevelDebug }},
		{map[string]string{envLogLevel: "info"}, func(c *Config) bool { return c.Log.Level == slog.LevelInfo }},
		{map[string]string{envLogLevel: "Warning"}, func(c *Config) bool { return c.Log.Level == slog.LevelWarn }},
		{map[string]string{envLogLevel: "warn"}, func(c *Config) bool { return c.Log.Level == slog.LevelWarn }},
		{map[string]string{envLogLevel: "ERROR"}, func(c *Config) bool { return c.Log.Level == slog.LevelError }},
		{map[string]string{envLogLevel: "critical"}, func(c *Config) bool { return c.Log.Level == slog.LevelError }},
		{map[string]string{envOpenAIKey: "sk-test", envOpenAIURL: "http://localhost:1234/v1/", envOpenAIOrg: "org-1"}, func(c *Config) bool {
			return c.OpenAI == OpenAI{APIKey: "sk-test", BaseURL: "http://localhost:1234/v1", Organization: "org-1"}
		}},
		{map[string]string{envDatabaseURL: "postgres://u@db/llmgate"}, func(c *Config) bool { return c.Database.URL == "postgres://u@db/llmgate" }},
		{map[string]string{envMock: "true"}, func(c *Config) bool { return c.Mock.Enabled }},
		{map[string]string{envMaxBodyBytes: "1048576"}, func(c *Config) bool { return c.Server.MaxBodyBytes == 1<<20 }},
		{map[string]string{envMaxBodyBytes: "2MiB"}, func(c *Config) bool { return c.Server.MaxBodyBytes == 2<<20 }},
		{map[string]string{envUpstreamTimeout: "90s"}, func(c *Config) bool { return c.Upstream.Timeout == 90*time.Second }},
		{map[string]string{envUpstreamHTTP2: "1"}, func(c *Config) bool { return c.Upstream.HTTP2 }},
		{map[string]string{envShutdownTimeout: "5s"}, func(c *Config) bool { return c.Server.ShutdownTimeout == 5*time.Second }},
		{map[string]string{envPprofAddr: "127.0.0.1:6060"}, func(c *Config) bool { return c.Server.PprofAddr == "127.0.0.1:6060" }},
		{map[string]string{envGCMinHeap: "64MiB"}, func(c *Config) bool { return c.Server.GCMinHeap == 64<<20 }},
		{map[string]string{envGCMinHeap: "0"}, func(c *Config) bool { return c.Server.GCMinHeap == 0 }},
		{map[string]string{envAzureVersion: "2025-01-01"}, func(c *Config) bool { return c.Azure.APIVersion == "2025-01-01" && len(c.Azure.Regions) == 0 }},
	}
	for _, tt := range tests {
		c := mustLoad(t, nil, tt.env, "", "")
		if !tt.want(c) {
			t.Errorf("env %v: unexpected config %+v", tt.env, c)
		}
	}
}

// TestSeedDotEnvTemplate loads the seed's .env template verbatim: its empty
// Azure values mean "not set".
func TestSeedDotEnvTemplate(t *testing.T) {
	const tmpl = `# HEIMDALL
HEIMDALL_API_TITLE="HEIMDALL"
HEIMDALL_API_DESCRIPTION="Responsible for being the application integration with GenAI models"
HEIMDALL_API_PATH="/llm-gate"
HEIMDALL_SERVER_HOST="0.0.0.0"
HEIMDALL_SERVER_PORT="8080"

# AZURE OPENAI
AZURE_OPENAI_WEST_US_API_KEY=
AZURE_OPENAI_WEST_US_ENDPOINT=
AZURE_OPENAI_EAST_US_API_KEY=
AZURE_OPENAI_EAST_US_ENDPOINT=

#HttpClient
HTTPX_CLIENT_VERIFY="False"

#LOG
LOG_LEVEL="INFO"
`
	c := mustLoad(t, nil, nil, tmpl, "")
	if len(c.Azure.Regions) != 0 || c.Upstream.TLSVerify || c.Log.Level != slog.LevelInfo || c.Addr() != "0.0.0.0:8080" || c.Server.APIPath != "/llm-gate" {
		t.Errorf("config = %+v", c)
	}
	// Filled in, the same template configures both regions.
	filled := strings.NewReplacer(
		"WEST_US_API_KEY=", "WEST_US_API_KEY=kw",
		"WEST_US_ENDPOINT=", "WEST_US_ENDPOINT=https://w.openai.azure.com/",
		"EAST_US_API_KEY=", "EAST_US_API_KEY=ke",
		"EAST_US_ENDPOINT=", "EAST_US_ENDPOINT=https://e.openai.azure.com",
	).Replace(tmpl)
	c = mustLoad(t, nil, nil, filled, "")
	want := []AzureRegion{
		{Name: "east_us", Endpoint: "https://e.openai.azure.com", APIKey: "ke", APIVersion: "2024-10-21"},
		{Name: "west_us", Endpoint: "https://w.openai.azure.com", APIKey: "kw", APIVersion: "2024-10-21"},
	}
	if diff := cmp.Diff(want, c.Azure.Regions); diff != "" {
		t.Errorf("regions (-want +got):\n%s", diff)
	}
}

func TestAzureRegions(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []AzureRegion
	}{
		{
			name: "any region names, sorted",
			env: map[string]string{
				"AZURE_OPENAI_WEST_US_ENDPOINT": "https://w.example.com", "AZURE_OPENAI_WEST_US_API_KEY": "k1",
				"AZURE_OPENAI_SWEDEN_CENTRAL_ENDPOINT": "https://s.example.com", "AZURE_OPENAI_SWEDEN_CENTRAL_API_KEY": "k2",
				"AZURE_OPENAI_FRANCE_CENTRAL_ENDPOINT": "http://f.example.com:8443/", "AZURE_OPENAI_FRANCE_CENTRAL_API_KEY": "k3",
				"AZURE_OPENAI_EAST_US_ENDPOINT": "https://e.example.com", "AZURE_OPENAI_EAST_US_API_KEY": "k4",
			},
			want: []AzureRegion{
				{"east_us", "https://e.example.com", "k4", "2024-10-21"},
				{"france_central", "http://f.example.com:8443", "k3", "2024-10-21"},
				{"sweden_central", "https://s.example.com", "k2", "2024-10-21"},
				{"west_us", "https://w.example.com", "k1", "2024-10-21"},
			},
		},
		{
			name: "API_VERSION variables are versions, not regions",
			env: map[string]string{
				"AZURE_OPENAI_API_VERSION":         "2025-02-01",
				"AZURE_OPENAI_EAST_US_ENDPOINT":    "https://e.example.com",
				"AZURE_OPENAI_EAST_US_API_KEY":     "k",
				"AZURE_OPENAI_EAST_US_API_VERSION": "2024-06-01",
				"AZURE_OPENAI_WEST_US_ENDPOINT":    "https://w.example.com",
				"AZURE_OPENAI_WEST_US_API_KEY":     "k",
			},
			want: []AzureRegion{
				{"east_us", "https://e.example.com", "k", "2024-06-01"},
				{"west_us", "https://w.example.com", "k", "2025-02-01"},
			},
		},
		{
			name: "a region called API",
			env: map[string]string{
				"AZURE_OPENAI_API_ENDPOINT": "https://a.example.com", "AZURE_OPENAI_API_API_KEY": "k",
			},
			want: []AzureRegion{{"api", "https://a.example.com", "k", "2024-10-21"}},
		},
		{
			name: "empty values are unset",
			env: map[string]string{
				"AZURE_OPENAI_WEST_US_ENDPOINT": "", "AZURE_OPENAI_WEST_US_API_KEY": "",
				"AZURE_OPENAI_EAST_US_ENDPOINT": "https://e.example.com", "AZURE_OPENAI_EAST_US_API_KEY": "k",
				"AZURE_OPENAI_EAST_US_API_VERSION": "",
			},
			want: []AzureRegion{{"east_us", "https://e.example.com", "k", "2024-10-21"}},
		},
		{
			name: "unrelated AZURE_OPENAI variables are not regions",
			env:  map[string]string{"AZURE_OPENAI_API_VERSION": "2025-02-01"},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, nil, tt.env, "", "")
			if diff := cmp.Diff(tt.want, c.Azure.Regions); diff != "" {
				t.Errorf("regions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAzureRegionsFromFile(t *testing.T) {
	file := `azure:
  apiVersion: "2024-02-01"
  regions:
    - {name: WEST_US, endpoint: "https://file.example.com", apiKey: file-key}
    - {name: brazil_south, endpoint: "https://b.example.com", apiKey: b-key, apiVersion: "2023-05-15"}
`
	env := map[string]string{"AZURE_OPENAI_WEST_US_ENDPOINT": "https://env.example.com"}
	c := mustLoad(t, nil, env, "", file)
	want := []AzureRegion{
		{"brazil_south", "https://b.example.com", "b-key", "2023-05-15"},
		{"west_us", "https://env.example.com", "file-key", "2024-02-01"},
	}
	if diff := cmp.Diff(want, c.Azure.Regions); diff != "" {
		t.Errorf("regions (-want +got):\n%s", diff)
	}
}

func TestHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help", "-help"} {
		_, err := Load([]string{arg}, nil, t.TempDir())
		if !errors.Is(err, ErrHelp) || !errors.Is(err, flag.ErrHelp) {
			t.Errorf("%s: err = %v, want ErrHelp", arg, err)
		}
	}
}

func TestUsage(t *testing.T) {
	u := Usage()
	for _, s := range []string{
		"-config", "-host", "-port", "-api-path", "-log-level", "-database-url", "-mock", "--help",
		envTitle, envDescription, envAPIPath, envHost, envPort, envVerify, envLogLevel,
		"AZURE_OPENAI_<REGION>_ENDPOINT", "AZURE_OPENAI_<REGION>_API_KEY", "AZURE_OPENAI_<REGION>_API_VERSION", envAzureVersion,
		envOpenAIKey, envOpenAIURL, envOpenAIOrg,
		"HEIMDALL_SERVER_PORT [8080]", "LLMGATE_DATABASE_URL [sqlite:data/llmgate.db]", "AZURE_OPENAI_API_VERSION [2024-10-21]",
		"LLMGATE_MAX_BODY_BYTES [10MiB]", "LLMGATE_UPSTREAM_TIMEOUT [10m0s]", "LOG_LEVEL [INFO]",
	} {
		if !strings.Contains(u, s) {
			t.Errorf("Usage lacks %q", s)
		}
	}
	for k := range knownGateway {
		if !strings.Contains(u, k) {
			t.Errorf("Usage lacks %s", k)
		}
	}
}

func TestConfigFileByFlagAndRelativePath(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.yaml"), "server:\n  port: 1111\n")
	writeFile(t, filepath.Join(dir, "b.yaml"), "server:\n  port: 2222\n")
	c, err := Load([]string{"--config", "b.yaml"}, []string{envConfig + "=a.yaml"}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Port != 2222 || c.File != filepath.Join(dir, "b.yaml") {
		t.Errorf("port %d, file %q", c.Server.Port, c.File)
	}
	c, err = Load([]string{"--config="}, []string{envConfig + "=a.yaml"}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Port != 8080 || c.File != "" {
		t.Errorf("--config= : port %d, file %q", c.Server.Port, c.File)
	}
	// LLMGATE_CONFIG may come from .env too.
	writeFile(t, filepath.Join(dir, ".env"), envConfig+"=a.yaml\n")
	c, err = Load(nil, nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Port != 1111 {
		t.Errorf(".env config: port %d", c.Server.Port)
	}
}

func TestFileSettings(t *testing.T) {
	file := `# every section
server:
  title: T
  description: D
  maxBodyBytes: 1024
  readHeaderTimeout: 1s
  idleTimeout: 2s
  bodyReadTimeout: 3s
  shutdownTimeout: 4s
ledger: {batchSize: 10, flushInterval: 1s, queueSize: 100}
upstream: {timeout: 1m, connectTimeout: 2s, tlsVerify: false, maxIdleConnsPerHost: 5, maxResponseBytes: 1KiB, http2: true}
mock:
  enabled: true
  latency: 10ms
  chunkDelay: 5ms
  promptTokens: 3
  completionTokens: 4
  reply: hi
  embeddingDimensions: 16
  imageURL: http://img.test/x.png
openai: {apiKey: from-file, baseURL: "https://proxy.test/v1", organization: org}
`
	c := mustLoad(t, nil, map[string]string{envOpenAIKey: "from-env"}, "", file)
	if c.Server.Title != "T" || c.Server.Description != "D" || c.Server.MaxBodyBytes != 1024 ||
		c.Server.ReadHeaderTimeout != time.Second || c.Server.IdleTimeout != 2*time.Second ||
		c.Server.BodyReadTimeout != 3*time.Second || c.Server.ShutdownTimeout != 4*time.Second {
		t.Errorf("server = %+v", c.Server)
	}
	if c.Ledger != (Ledger{10, time.Second, 100}) {
		t.Errorf("ledger = %+v", c.Ledger)
	}
	if c.Upstream != (Upstream{time.Minute, 2 * time.Second, false, 5, 1024, true}) {
		t.Errorf("upstream = %+v", c.Upstream)
	}
	if c.Mock != (Mock{true, 10 * time.Millisecond, 5 * time.Millisecond, 3, 4, "hi", 16, "http://img.test/x.png"}) {
		t.Errorf("mock = %+v", c.Mock)
	}
	// The environment wins over the file's key.
	if c.OpenAI != (OpenAI{"from-env", "https://proxy.test/v1", "org"}) {
		t.Errorf("openai = %+v", c.OpenAI)
	}
}

func TestEmptyConfigFile(t *testing.T) {
	base := mustLoad(t, nil, nil, "", "")
	for _, file := range []string{"\n", "# nothing\n", "---\n", "~\n"} {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "c.yaml"), file)
		c, err := Load([]string{"--config", "c.yaml"}, nil, dir)
		if err != nil {
			t.Errorf("%q: %v", file, err)
			continue
		}
		if len(c.Providers) != len(base.Providers) || c.Server.Port != 8080 {
			t.Errorf("%q: config changed", file)
		}
	}
}
