package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/llmgate/llmgate"
)

// normalize puts values in the one form the rest of the gateway expects:
// no trailing slash on the API path and base URLs, regions sorted by name,
// each region with its api-version.
func (c *Config) normalize() {
	c.Server.APIPath = strings.TrimRight(c.Server.APIPath, "/")
	c.OpenAI.BaseURL = strings.TrimRight(c.OpenAI.BaseURL, "/")
	c.Anthropic.BaseURL = strings.TrimRight(c.Anthropic.BaseURL, "/")
	c.Gemini.BaseURL = strings.TrimRight(c.Gemini.BaseURL, "/")
	c.Bedrock.BaseURL = strings.TrimRight(c.Bedrock.BaseURL, "/")
	c.resolveCompatible()
	c.normalizeRouting()
	for i := range c.Azure.Regions {
		r := &c.Azure.Regions[i]
		r.Endpoint = strings.TrimRight(r.Endpoint, "/")
		if r.APIVersion == "" {
			r.APIVersion = c.Azure.APIVersion
		}
	}
	sort.Slice(c.Azure.Regions, func(i, j int) bool { return c.Azure.Regions[i].Name < c.Azure.Regions[j].Name })
}

// validate checks the merged configuration and returns every problem found,
// each named by its key path.
func (c *Config) validate() error {
	var errs []error
	check := func(ok bool, path, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
		}
	}
	s := &c.Server
	check(s.Port >= 0 && s.Port <= 65535, "server.port", "%d is out of range 0-65535", s.Port)
	check(s.APIPath == "" || strings.HasPrefix(s.APIPath, "/"), "server.apiPath", "%q must start with /", s.APIPath)
	check(s.MaxBodyBytes > 0, "server.maxBodyBytes", "must be > 0")
	check(s.GCMinHeap >= 0, "server.gcMinHeap", "must be >= 0")
	check(s.ReadHeaderTimeout > 0, "server.readHeaderTimeout", "must be > 0")
	check(s.IdleTimeout > 0, "server.idleTimeout", "must be > 0")
	check(s.BodyReadTimeout > 0, "server.bodyReadTimeout", "must be > 0")
	check(s.ShutdownTimeout > 0, "server.shutdownTimeout", "must be > 0")
	if s.PprofAddr != "" {
		if _, port, err := net.SplitHostPort(s.PprofAddr); err != nil || port == "" {
			errs = append(errs, fmt.Errorf("server.pprofAddr (%s): %q is not host:port", envPprofAddr, s.PprofAddr))
		}
	}

	if err := checkDatabaseURL(c.Database.URL); err != nil {
		errs = append(errs, fmt.Errorf("database.url: %w", err))
	}

	check(c.Ledger.BatchSize > 0, "ledger.batchSize", "must be > 0")
	check(c.Ledger.FlushInterval > 0, "ledger.flushInterval", "must be > 0")
	check(c.Ledger.QueueSize > 0, "ledger.queueSize", "must be > 0")

	u := &c.Upstream
	check(u.Timeout > 0, "upstream.timeout", "must be > 0")
	check(u.ConnectTimeout > 0, "upstream.connectTimeout", "must be > 0")
	check(u.MaxIdleConnsPerHost > 0, "upstream.maxIdleConnsPerHost", "must be > 0")
	check(u.MaxResponseBytes > 0, "upstream.maxResponseBytes", "must be > 0")

	m := &c.Mock
	check(m.Latency >= 0, "mock.latency", "must not be negative")
	check(m.ChunkDelay >= 0, "mock.chunkDelay", "must not be negative")
	check(m.PromptTokens >= 0, "mock.promptTokens", "must not be negative")
	check(m.CompletionTokens >= 0, "mock.completionTokens", "must not be negative")
	check(m.EmbeddingDimensions > 0, "mock.embeddingDimensions", "must be > 0")
	if err := checkHTTPURL(m.ImageURL); err != nil {
		errs = append(errs, fmt.Errorf("mock.imageURL: %w", err))
	}

	if err := checkHTTPURL(c.OpenAI.BaseURL); err != nil {
		errs = append(errs, fmt.Errorf("openai.baseURL (%s): %w", envOpenAIURL, err))
	}

	if err := checkHTTPURL(c.Anthropic.BaseURL); err != nil {
		errs = append(errs, fmt.Errorf("anthropic.baseURL (%s): %w", envAnthropicURL, err))
	}
	check(c.Anthropic.Version != "", "anthropic.version", "must not be empty")
	if err := checkHTTPURL(c.Gemini.BaseURL); err != nil {
		errs = append(errs, fmt.Errorf("gemini.baseURL (%s): %w", envGeminiURL, err))
	}
	check(c.Bedrock.Region == "" || awsRegionPattern.MatchString(c.Bedrock.Region), "bedrock.region ("+envAWSRegion+")",
		"is not an AWS region name such as us-east-1")
	if c.Bedrock.BaseURL != "" {
		if err := checkHTTPURL(c.Bedrock.BaseURL); err != nil {
			errs = append(errs, fmt.Errorf("bedrock.baseURL (%s): %w", envBedrockURL, err))
		}
	}
	errs = append(errs, c.validateCompatible()...)

	check(c.Azure.APIVersion != "", "azure.apiVersion", "must not be empty")
	for i, r := range c.Azure.Regions {
		path := fmt.Sprintf("azure.regions[%s]", r.Name)
		if r.Name == "" {
			path = fmt.Sprintf("azure.regions[%d]", i)
		}
		check(r.Name != "", path+".name", "must not be empty")
		check(i == 0 || c.Azure.Regions[i-1].Name != r.Name, path, "listed twice")
		check(r.APIKey != "", path+".apiKey", "must be set")
		if err := checkHTTPURL(r.Endpoint); err != nil {
			errs = append(errs, fmt.Errorf("%s.endpoint: %w", path, err))
		}
	}

	errs = append(errs, c.validateCatalog()...)
	errs = append(errs, c.validateRouting()...)
	return errors.Join(errs...)
}

// awsRegionPattern is the form of an AWS region name, which is also the
// second half of a bedrock deployment name.
var awsRegionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

func (c *Config) validateCatalog() []error {
	var errs []error
	check := func(ok bool, path, msg string) {
		if !ok {
			errs = append(errs, fmt.Errorf("%s: %s", path, msg))
		}
	}
	ids := map[string]string{} // id → path of the entry that has it
	checkID := func(id, path string) {
		if id == "" {
			errs = append(errs, fmt.Errorf("%s.id: must not be empty", path))
			return
		}
		if other, ok := ids[id]; ok {
			errs = append(errs, fmt.Errorf("%s.id: %s is also the id of %s", path, id, other))
			return
		}
		ids[id] = path
	}
	providers := map[string]bool{}
	for i, p := range c.Providers {
		path := fmt.Sprintf("providers[%s]", p.Name)
		if p.Name == "" {
			path = fmt.Sprintf("providers[%d]", i)
		}
		check(p.Name != "", path+".name", "must not be empty")
		check(!providers[p.Name], path, "listed twice")
		providers[p.Name] = true
		checkID(p.ID, path)

		models := map[string]bool{}
		for j, m := range p.Models {
			mpath := fmt.Sprintf("%s.models[%s]", path, m.Name)
			if m.Name == "" {
				mpath = fmt.Sprintf("%s.models[%d]", path, j)
			}
			check(m.Name != "", mpath+".name", "must not be empty")
			check(!models[m.Name], mpath, "listed twice")
			models[m.Name] = true
			checkID(m.ID, mpath)
			switch m.Kind {
			case llmgate.KindChat, llmgate.KindEmbedding, llmgate.KindImage:
			default:
				errs = append(errs, fmt.Errorf("%s.kind: %q is not chat, embedding or image", mpath, m.Kind))
			}
			check(m.ContextWindow >= 0, mpath+".contextWindow", "must not be negative")
			for k, pr := range m.Prices {
				ppath := fmt.Sprintf("%s.price[%d]", mpath, k)
				checkID(pr.ID, ppath)
				check(pr.Currency != "", ppath+".currency", "must not be empty")
				check((pr.Token == nil) != (pr.Pixel == nil), ppath, "needs exactly one of token and pixel")
				if t := pr.Token; t != nil {
					check(pr.UnitOfMeasure > 0, ppath+".unitOfMeasure", "must be > 0")
					check(t.InputValue != nil || t.OutputValue != nil || t.CachedInputValue != nil || t.CacheWriteValue != nil,
						ppath+".token", "needs at least one value")
					for _, v := range []struct {
						name string
						m    *llmgate.Money
					}{
						{"inputValue", t.InputValue}, {"outputValue", t.OutputValue},
						{"cachedInputValue", t.CachedInputValue}, {"cacheWriteValue", t.CacheWriteValue},
					} {
						check(v.m == nil || *v.m >= 0, ppath+".token."+v.name, "must not be negative")
					}
				}
				if px := pr.Pixel; px != nil {
					check(px.Width > 0, ppath+".pixel.width", "must be > 0")
					check(px.Height > 0, ppath+".pixel.height", "must be > 0")
					check(px.Value >= 0, ppath+".pixel.value", "must not be negative")
				}
			}
		}
		for _, model := range sortedKeys(p.Deployments) {
			check(models[model], fmt.Sprintf("%s.deployments[%s]", path, model), "no model of that name in the provider")
			check(p.Deployments[model] != "", fmt.Sprintf("%s.deployments[%s]", path, model), "deployment name must not be empty")
		}
	}
	return errs
}

// checkHTTPURL accepts an absolute http or https URL. Its errors do not
// quote the value, in case a key was pasted in its place.
func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an absolute http(s) URL such as https://NAME.example.com")
	}
	return nil
}

// checkDatabaseURL accepts sqlite:PATH and postgres:// or postgresql://
// URLs.
func checkDatabaseURL(s string) error {
	switch {
	case strings.HasPrefix(s, "sqlite:"):
		if strings.TrimPrefix(s, "sqlite:") == "" {
			return errors.New("sqlite: needs a file path, such as sqlite:data/llmgate.db")
		}
		return nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return nil
	}
	return errors.New("must be sqlite:PATH or postgres://… (the value is not shown: it may hold a password)")
}
