package config

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/joho/godotenv"
)

// ErrHelp is returned by Load when the arguments ask for help (-h, --help).
// The caller prints Usage and exits with status 0. It wraps flag.ErrHelp.
var ErrHelp = fmt.Errorf("help requested: %w", flag.ErrHelp)

// The variables Load reads, besides the AZURE_OPENAI_<REGION>_* family.
const (
	envTitle        = "HEIMDALL_API_TITLE"
	envDescription  = "HEIMDALL_API_DESCRIPTION"
	envAPIPath      = "HEIMDALL_API_PATH"
	envHost         = "HEIMDALL_SERVER_HOST"
	envPort         = "HEIMDALL_SERVER_PORT"
	envVerify       = "HTTPX_CLIENT_VERIFY"
	envLogLevel     = "LOG_LEVEL"
	envAzureVersion = "AZURE_OPENAI_API_VERSION"
	envOpenAIKey    = "OPENAI_API_KEY"
	envOpenAIURL    = "OPENAI_BASE_URL"
	envOpenAIOrg    = "OPENAI_ORG_ID"

	envAnthropicKey     = "ANTHROPIC_API_KEY"
	envAnthropicURL     = "ANTHROPIC_BASE_URL"
	envAnthropicVersion = "ANTHROPIC_VERSION"
	envGeminiKey        = "GEMINI_API_KEY"
	envGoogleKey        = "GOOGLE_API_KEY"
	envGeminiURL        = "GEMINI_BASE_URL"
	envAWSRegion        = "AWS_REGION"
	envAWSDefaultRegion = "AWS_DEFAULT_REGION"
	envAWSAccessKey     = "AWS_ACCESS_KEY_ID"
	envAWSSecretKey     = "AWS_SECRET_ACCESS_KEY"
	envAWSSessionToken  = "AWS_SESSION_TOKEN"
	envBedrockURL       = "BEDROCK_BASE_URL"

	envConfig          = "LLMGATE_CONFIG"
	envDatabaseURL     = "LLMGATE_DATABASE_URL"
	envMock            = "LLMGATE_MOCK"
	envMaxBodyBytes    = "LLMGATE_MAX_BODY_BYTES"
	envUpstreamTimeout = "LLMGATE_UPSTREAM_TIMEOUT"
	envUpstreamHTTP2   = "LLMGATE_UPSTREAM_HTTP2"
	envShutdownTimeout = "LLMGATE_SHUTDOWN_TIMEOUT"
	envMaxAttempts     = "LLMGATE_MAX_ATTEMPTS"
	envStrategy        = "LLMGATE_ROUTING_STRATEGY"
	envPprofAddr       = "LLMGATE_PPROF_ADDR"
	envGCMinHeap       = "LLMGATE_GC_MIN_HEAP"

	gatewayPrefix = "LLMGATE_"
	azurePrefix   = "AZURE_OPENAI_"
)

// knownGateway is every LLMGATE_ variable; any other is a start-up error, so
// that a misspelt one is not silently ignored.
var knownGateway = map[string]bool{
	envConfig:          true,
	envDatabaseURL:     true,
	envMock:            true,
	envMaxBodyBytes:    true,
	envUpstreamTimeout: true,
	envUpstreamHTTP2:   true,
	envShutdownTimeout: true,
	envMaxAttempts:     true,
	envStrategy:        true,
	envPprofAddr:       true,
	envGCMinHeap:       true,
}

// Load reads the configuration. args are the command-line arguments without
// the program name, environ is the environment as os.Environ returns it,
// and dir is the working directory, where a .env file is looked for and
// against which a relative config file path is resolved. Precedence is
// flags, then environ, then .env, then the config file (--config or
// LLMGATE_CONFIG), then the embedded defaults. An empty variable counts as
// unset. Load returns ErrHelp for -h and --help. Its errors never contain
// the value of an API key.
func Load(args []string, environ []string, dir string) (*Config, error) {
	fl, err := parseFlags(args)
	if err != nil {
		return nil, err
	}
	env, err := readEnv(environ, dir)
	if err != nil {
		return nil, err
	}

	c, err := defaults()
	if err != nil {
		return nil, err
	}

	path := env[envConfig]
	if fl.config != nil {
		path = *fl.config
	}
	if path != "" {
		if !filepath.IsAbs(path) && dir != "" {
			path = filepath.Join(dir, path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading config file: %w", err)
		}
		f, err := parseFile(data)
		if err != nil {
			return nil, fmt.Errorf("config file %s: %w", path, err)
		}
		if err := f.apply(c); err != nil {
			return nil, fmt.Errorf("config file %s: %w", path, err)
		}
		c.File = path
	}

	if err := applyEnv(c, env); err != nil {
		return nil, err
	}
	if err := fl.apply(c); err != nil {
		return nil, err
	}
	c.normalize()
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// defaults returns the configuration of the embedded defaults.yaml.
func defaults() (*Config, error) {
	f, err := parseFile(defaultsYAML)
	if err != nil {
		return nil, fmt.Errorf("embedded defaults: %w", err)
	}
	c := new(Config)
	if err := f.apply(c); err != nil {
		return nil, fmt.Errorf("embedded defaults: %w", err)
	}
	return c, nil
}

// readEnv merges the .env file in dir under environ: a real variable wins
// over the file's. Empty values are dropped, because an empty variable
// counts as unset.
func readEnv(environ []string, dir string) (map[string]string, error) {
	env := make(map[string]string, len(environ))
	data, err := os.ReadFile(filepath.Join(dir, ".env"))
	switch {
	case err == nil:
		dot, perr := godotenv.Parse(bytes.NewReader(data))
		if perr != nil {
			// The parser's message quotes the file's text, which may hold a
			// key, so it is not passed on.
			return nil, fmt.Errorf("reading %s: syntax error in a variable assignment (expected NAME=value lines)", filepath.Join(dir, ".env"))
		}
		for k, v := range dot {
			env[k] = v
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return nil, fmt.Errorf("reading .env: %w", err)
	}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		env[k] = v
	}
	for k, v := range env {
		if v == "" {
			delete(env, k)
		}
	}
	return env, nil
}

// applyEnv applies the environment onto c.
func applyEnv(c *Config, env map[string]string) error {
	var unknown []string
	// A variable a compatible server names for its key or URL is known,
	// whatever its prefix.
	named := c.compatibleVariables()
	for k := range env {
		if strings.HasPrefix(k, gatewayPrefix) && !knownGateway[k] && !named[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("unknown variable %s: the %s variables are %s", strings.Join(unknown, ", "), gatewayPrefix, strings.Join(sortedKeys(knownGateway), ", "))
	}

	str := func(dst *string, name string) {
		if v, ok := env[name]; ok {
			*dst = v
		}
	}
	str(&c.Server.Title, envTitle)
	str(&c.Server.Description, envDescription)
	str(&c.Server.APIPath, envAPIPath)
	str(&c.Server.Host, envHost)
	str(&c.OpenAI.APIKey, envOpenAIKey)
	str(&c.OpenAI.BaseURL, envOpenAIURL)
	str(&c.OpenAI.Organization, envOpenAIOrg)
	str(&c.Azure.APIVersion, envAzureVersion)
	str(&c.Database.URL, envDatabaseURL)
	str(&c.Anthropic.APIKey, envAnthropicKey)
	str(&c.Anthropic.BaseURL, envAnthropicURL)
	str(&c.Anthropic.Version, envAnthropicVersion)
	// GOOGLE_API_KEY is the Google SDKs' other name for the key; the
	// specific one wins.
	str(&c.Gemini.APIKey, envGoogleKey)
	str(&c.Gemini.APIKey, envGeminiKey)
	str(&c.Gemini.BaseURL, envGeminiURL)
	str(&c.Bedrock.Region, envAWSDefaultRegion)
	str(&c.Bedrock.Region, envAWSRegion)
	str(&c.Bedrock.BaseURL, envBedrockURL)
	str(&c.Routing.Strategy, envStrategy)
	str(&c.Server.PprofAddr, envPprofAddr)

	var errs []error
	parse := func(name string, fn func(string) error) {
		if v, ok := env[name]; ok {
			if err := fn(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		}
	}
	parse(envPort, func(s string) (err error) { c.Server.Port, err = parsePort(s); return })
	parse(envVerify, func(s string) (err error) { c.Upstream.TLSVerify, err = parseBool(s); return })
	parse(envLogLevel, func(s string) (err error) { c.Log.Level, err = parseLevel(s); return })
	parse(envMock, func(s string) (err error) { c.Mock.Enabled, err = parseBool(s); return })
	parse(envMaxBodyBytes, func(s string) (err error) { c.Server.MaxBodyBytes, err = parsePositiveSize(s); return })
	parse(envGCMinHeap, func(s string) (err error) { c.Server.GCMinHeap, err = parseSize(s); return })
	parse(envUpstreamTimeout, func(s string) (err error) { c.Upstream.Timeout, err = parsePositiveDuration(s); return })
	parse(envUpstreamHTTP2, func(s string) (err error) { c.Upstream.HTTP2, err = parseBool(s); return })
	parse(envShutdownTimeout, func(s string) (err error) { c.Server.ShutdownTimeout, err = parsePositiveDuration(s); return })
	parse(envMaxAttempts, func(s string) (err error) { c.Routing.MaxAttempts, err = parsePositiveInt(s); return })
	if err := applyAzureEnv(c, env); err != nil {
		errs = append(errs, err)
	}
	if err := applyAWSEnv(c, env); err != nil {
		errs = append(errs, err)
	}
	if err := applyCompatibleEnv(c, env); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// applyAWSEnv reads the standard AWS credential variables. An access key
// without its secret, or the reverse, is an error naming the missing
// variable; so is a session token without both.
func applyAWSEnv(c *Config, env map[string]string) error {
	key, hasKey := env[envAWSAccessKey]
	secret, hasSecret := env[envAWSSecretKey]
	token, hasToken := env[envAWSSessionToken]
	switch {
	case hasKey && !hasSecret:
		return fmt.Errorf("%s is set but %s is not", envAWSAccessKey, envAWSSecretKey)
	case hasSecret && !hasKey:
		return fmt.Errorf("%s is set but %s is not", envAWSSecretKey, envAWSAccessKey)
	case hasToken && !hasKey:
		return fmt.Errorf("%s is set but %s and %s are not", envAWSSessionToken, envAWSAccessKey, envAWSSecretKey)
	}
	if hasKey {
		c.Bedrock.AccessKeyID, c.Bedrock.SecretAccessKey = key, secret
	}
	if hasToken {
		c.Bedrock.SessionToken = token
	}
	return nil
}

// applyAzureEnv finds the regions of AZURE_OPENAI_<REGION>_ENDPOINT,
// AZURE_OPENAI_<REGION>_API_KEY and AZURE_OPENAI_<REGION>_API_VERSION for
// any region name. AZURE_OPENAI_API_VERSION (no region) is the default
// version, not a region.
func applyAzureEnv(c *Config, env map[string]string) error {
	type vars struct{ endpoint, key, version bool }
	regions := map[string]*vars{}
	get := func(region string) *vars {
		if regions[region] == nil {
			regions[region] = new(vars)
		}
		return regions[region]
	}
	for k := range env {
		rest, ok := strings.CutPrefix(k, azurePrefix)
		if !ok {
			continue
		}
		// Order matters: "_API_KEY" and "_API_VERSION" end differently, and
		// the suffix must leave a non-empty region name before it.
		if r, ok := strings.CutSuffix(rest, "_ENDPOINT"); ok && r != "" {
			get(r).endpoint = true
		} else if r, ok := strings.CutSuffix(rest, "_API_KEY"); ok && r != "" {
			get(r).key = true
		} else if r, ok := strings.CutSuffix(rest, "_API_VERSION"); ok && r != "" {
			get(r).version = true
		}
	}
	var errs []error
	for _, r := range sortedKeys(regions) {
		v := regions[r]
		prefix := azurePrefix + r
		// A region of the config file may hold the other half of the pair.
		var endpoint, key string
		for _, have := range c.Azure.Regions {
			if have.Name == strings.ToLower(r) {
				endpoint, key = have.Endpoint, have.APIKey
			}
		}
		if v.endpoint {
			endpoint = env[prefix+"_ENDPOINT"]
		}
		if v.key {
			key = env[prefix+"_API_KEY"]
		}
		switch {
		case endpoint == "":
			given := prefix + "_API_KEY"
			if !v.key {
				given = prefix + "_API_VERSION"
			}
			errs = append(errs, fmt.Errorf("%s is set but %s_ENDPOINT is not", given, prefix))
			continue
		case key == "":
			errs = append(errs, fmt.Errorf("%s_ENDPOINT is set but %s_API_KEY is not", prefix, prefix))
			continue
		}
		if err := checkHTTPURL(endpoint); err != nil {
			errs = append(errs, fmt.Errorf("%s_ENDPOINT: %w", prefix, err))
			continue
		}
		region := c.region(strings.ToLower(r))
		region.Endpoint = endpoint
		region.APIKey = key
		if v.version {
			region.APIVersion = env[prefix+"_API_VERSION"]
		}
	}
	return errors.Join(errs...)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// flags are the command-line flags; a nil field was not given.
type flags struct {
	config      *string // --config= (empty) overrides LLMGATE_CONFIG with no file
	host        *string
	port        *string
	apiPath     *string
	logLevel    *string
	databaseURL *string
	mock        *bool
}

func newFlagSet() (*flag.FlagSet, *flags, map[string]any) {
	fs := flag.NewFlagSet("llmgate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	vals := map[string]any{
		"config":       fs.String("config", "", "YAML config `PATH` (env "+envConfig+")"),
		"host":         fs.String("host", "", "listen `HOST` (env "+envHost+")"),
		"port":         fs.String("port", "", "listen `PORT` (env "+envPort+")"),
		"api-path":     fs.String("api-path", "", "`PATH` prefixing every route (env "+envAPIPath+")"),
		"log-level":    fs.String("log-level", "", "`LEVEL`: DEBUG, INFO, WARNING, ERROR or CRITICAL (env "+envLogLevel+")"),
		"database-url": fs.String("database-url", "", "ledger database `URL`: sqlite:PATH or postgres://… (env "+envDatabaseURL+")"),
		"mock":         fs.Bool("mock", false, "enable the built-in mock provider (env "+envMock+")"),
	}
	return fs, new(flags), vals
}

func parseFlags(args []string) (*flags, error) {
	fs, fl, vals := newFlagSet()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, ErrHelp
		}
		return nil, fmt.Errorf("command line: %w", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("command line: unexpected argument %q", fs.Arg(0))
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "config":
			fl.config = vals[f.Name].(*string)
		case "host":
			fl.host = vals[f.Name].(*string)
		case "port":
			fl.port = vals[f.Name].(*string)
		case "api-path":
			fl.apiPath = vals[f.Name].(*string)
		case "log-level":
			fl.logLevel = vals[f.Name].(*string)
		case "database-url":
			fl.databaseURL = vals[f.Name].(*string)
		case "mock":
			fl.mock = vals[f.Name].(*bool)
		}
	})
	return fl, nil
}

func (fl *flags) apply(c *Config) error {
	set(&c.Server.Host, fl.host)
	set(&c.Server.APIPath, fl.apiPath)
	set(&c.Database.URL, fl.databaseURL)
	set(&c.Mock.Enabled, fl.mock)
	if fl.port != nil {
		p, err := parsePort(*fl.port)
		if err != nil {
			return fmt.Errorf("--port: %w", err)
		}
		c.Server.Port = p
	}
	if fl.logLevel != nil {
		l, err := parseLevel(*fl.logLevel)
		if err != nil {
			return fmt.Errorf("--log-level: %w", err)
		}
		c.Log.Level = l
	}
	return nil
}

// Usage returns the --help text: the flags, and every environment variable
// with its default.
func Usage() string {
	c, err := defaults()
	if err != nil {
		// The embedded defaults are tested; this cannot happen in a build
		// that passed its tests.
		panic(err)
	}
	var b strings.Builder
	b.WriteString("Usage: llmgate [flags]\n\nllm-gate is a gateway between applications and LLM providers.\n\nFlags:\n")
	fs, _, _ := newFlagSet()
	fs.SetOutput(&b)
	fs.PrintDefaults()
	b.WriteString("  -h, --help\n    \tprint this help\n")

	b.WriteString("\nPrecedence: flags > environment > .env file in the working directory > config file > defaults.\nAn empty variable counts as unset.\n\nEnvironment variables (default in brackets):\n")
	vars := []struct{ name, def, what string }{
		{envTitle, c.Server.Title, "API title"},
		{envDescription, c.Server.Description, "API description"},
		{envAPIPath, c.Server.APIPath, "path prefixing every route"},
		{envHost, c.Server.Host, "listen host"},
		{envPort, strconv.Itoa(c.Server.Port), "listen port"},
		{envVerify, strconv.FormatBool(c.Upstream.TLSVerify), "verify upstream TLS certificates: True/False, 1/0, yes/no"},
		{envLogLevel, strings.ToUpper(c.Log.Level.String()), "DEBUG, INFO, WARNING, ERROR or CRITICAL"},
		{"AZURE_OPENAI_<REGION>_ENDPOINT", "", "Azure OpenAI resource root (https://NAME.openai.azure.com) of a region, any name"},
		{"AZURE_OPENAI_<REGION>_API_KEY", "", "API key of that region; required with its endpoint"},
		{"AZURE_OPENAI_<REGION>_API_VERSION", envAzureVersion, "api-version of that region"},
		{envAzureVersion, c.Azure.APIVersion, "api-version of regions that set none"},
		{envOpenAIKey, "", "OpenAI API key; configures the openai provider"},
		{envOpenAIURL, c.OpenAI.BaseURL, "OpenAI API base URL"},
		{envOpenAIOrg, "", "OpenAI organization id"},
		{envConfig, "", "YAML config file (catalog, prices, deployments, limits)"},
		{envDatabaseURL, c.Database.URL, "ledger database: sqlite:PATH or postgres://…"},
		{envMock, strconv.FormatBool(c.Mock.Enabled), "enable the built-in mock provider"},
		{envMaxBodyBytes, formatSize(c.Server.MaxBodyBytes), "largest request body, bytes or with KiB/MiB/GiB"},
		{envUpstreamTimeout, c.Upstream.Timeout.String(), "timeout of a whole non-streaming upstream request"},
		{envUpstreamHTTP2, strconv.FormatBool(c.Upstream.HTTP2), "let calls to providers over TLS use HTTP/2 (net/http's Transport) rather than HTTP/1.1 on the request's goroutine"},
		{envShutdownTimeout, c.Server.ShutdownTimeout.String(), "graceful shutdown timeout"},
		{envPprofAddr, c.Server.PprofAddr, "host:port serving net/http/pprof (off when empty; use a loopback address)"},
		{envGCMinHeap, formatSize(c.Server.GCMinHeap), "heap below which the garbage collector does not run; 0 for Go's own pacing; GOGC overrides"},
		{envMaxAttempts, strconv.Itoa(c.Routing.MaxAttempts), "attempts of one request, retries and fallbacks included"},
		{envStrategy, c.Routing.Strategy, "balancing strategy of model groups: " + strings.Join(strategies, ", ")},
		{envAnthropicKey, "", "Anthropic API key; configures the anthropic provider"},
		{envAnthropicURL, c.Anthropic.BaseURL, "Anthropic API base URL"},
		{envAnthropicVersion, c.Anthropic.Version, "anthropic-version header"},
		{envGeminiKey, "", "Gemini API key; configures the gemini provider"},
		{envGoogleKey, "", "Gemini API key when " + envGeminiKey + " is unset"},
		{envGeminiURL, c.Gemini.BaseURL, "Gemini API base URL"},
		{envAWSRegion, c.Bedrock.Region, "AWS region of the bedrock provider"},
		{envAWSDefaultRegion, "", "AWS region when " + envAWSRegion + " is unset"},
		{envAWSAccessKey, "", "AWS access key id; with the secret and a region, configures the bedrock provider"},
		{envAWSSecretKey, "", "AWS secret access key; required with the access key id"},
		{envAWSSessionToken, "", "AWS session token of temporary credentials"},
		{envBedrockURL, c.Bedrock.BaseURL, "Bedrock runtime endpoint override (tests, proxies); unset uses the region's"},
	}
	for _, d := range c.compatibleDefs {
		if d.baseURLEnv != "" {
			vars = append(vars, struct{ name, def, what string }{d.baseURLEnv, d.baseURL, "base URL of the OpenAI-compatible " + d.name + " server"})
		}
		if d.apiKeyEnv != "" {
			what := "API key of the " + d.name + " server; configures the provider " + d.name
			if d.keyOptional {
				what = "API key of the " + d.name + " server, if it needs one"
			}
			vars = append(vars, struct{ name, def, what string }{d.apiKeyEnv, "", what})
		}
	}
	for _, v := range vars {
		def := v.def
		if def == "" {
			def = "unset"
		}
		fmt.Fprintf(&b, "  %s [%s]\n    \t%s\n", v.name, def, v.what)
	}
	return b.String()
}

// parsePort reads a TCP port, 0 to 65535.
func parsePort(s string) (int, error) {
	p, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a port number", s)
	}
	if p < 0 || p > 65535 {
		return 0, fmt.Errorf("port %d is out of range 0-65535", p)
	}
	return p, nil
}

// parseBool reads the booleans the seed's Python settings accept: True,
// False, 1, 0, yes, no, on, off, in any case.
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (use true or false)", s)
}

// parseLevel reads Python's logging level names, in any case. CRITICAL
// maps to slog's error level, the highest it has.
func parseLevel(s string) (slog.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "DEBUG":
		return slog.LevelDebug, nil
	case "INFO":
		return slog.LevelInfo, nil
	case "WARNING", "WARN":
		return slog.LevelWarn, nil
	case "ERROR", "CRITICAL":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is not a log level (DEBUG, INFO, WARNING, ERROR or CRITICAL)", s)
}

var sizeUnits = []struct {
	suffix string
	mult   int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

// parseSize reads a byte count: an integer, optionally followed by B, KiB,
// MiB or GiB.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(rest), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a size (bytes, or a number with KiB, MiB or GiB)", s)
	}
	if n < 0 {
		return 0, fmt.Errorf("size %q is negative", s)
	}
	if n > (1<<63-1)/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return n * mult, nil
}

func parsePositiveSize(s string) (int64, error) {
	n, err := parseSize(s)
	if err == nil && n == 0 {
		err = errors.New("size must be > 0")
	}
	return n, err
}

func formatSize(n int64) string {
	for _, u := range sizeUnits[:3] {
		if n >= u.mult && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// parsePositiveInt reads an integer >= 1.
func parsePositiveInt(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	if n < 1 {
		return 0, fmt.Errorf("%d must be >= 1", n)
	}
	return n, nil
}

func parsePositiveDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 30s or 5m", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration %s must be > 0", d)
	}
	return d, nil
}
