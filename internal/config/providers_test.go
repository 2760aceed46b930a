package config

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/llmgate/llmgate"
)

func TestProviderVariables(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		dotenv string
		want   func(*Config) bool
	}{
		{name: "anthropic", env: map[string]string{envAnthropicKey: "ak", envAnthropicURL: "http://proxy.test/anthropic/", envAnthropicVersion: "2024-01-01"},
			want: func(c *Config) bool {
				return c.Anthropic == Anthropic{APIKey: "ak", BaseURL: "http://proxy.test/anthropic", Version: "2024-01-01"}
			}},
		{name: "gemini key", env: map[string]string{envGeminiKey: "gk"},
			want: func(c *Config) bool { return c.Gemini.APIKey == "gk" }},
		{name: "google key when gemini key is unset", env: map[string]string{envGoogleKey: "goog"},
			want: func(c *Config) bool { return c.Gemini.APIKey == "goog" }},
		{name: "gemini key wins over google key", env: map[string]string{envGeminiKey: "gk", envGoogleKey: "goog"},
			want: func(c *Config) bool { return c.Gemini.APIKey == "gk" }},
		{name: "empty gemini key is unset", env: map[string]string{envGeminiKey: "", envGoogleKey: "goog"},
			want: func(c *Config) bool { return c.Gemini.APIKey == "goog" }},
		{name: "google key from .env, gemini key from the environment", env: map[string]string{envGeminiKey: "gk"}, dotenv: envGoogleKey + "=goog\n",
			want: func(c *Config) bool { return c.Gemini.APIKey == "gk" }},
		{name: "gemini url", env: map[string]string{envGeminiURL: "http://gemini.test/"},
			want: func(c *Config) bool { return c.Gemini.BaseURL == "http://gemini.test" }},
		{name: "bedrock", env: map[string]string{envAWSRegion: "eu-west-1", envAWSAccessKey: "AKID", envAWSSecretKey: "sec", envAWSSessionToken: "tok", envBedrockURL: "http://bedrock.test/"},
			want: func(c *Config) bool {
				return c.Bedrock == Bedrock{Region: "eu-west-1", AccessKeyID: "AKID", SecretAccessKey: "sec", SessionToken: "tok", BaseURL: "http://bedrock.test"}
			}},
		{name: "default region when AWS_REGION is unset", env: map[string]string{envAWSDefaultRegion: "us-west-2"},
			want: func(c *Config) bool { return c.Bedrock.Region == "us-west-2" }},
		{name: "AWS_REGION wins", env: map[string]string{envAWSDefaultRegion: "us-west-2", envAWSRegion: "ap-southeast-1"},
			want: func(c *Config) bool { return c.Bedrock.Region == "ap-southeast-1" }},
		{name: "credentials without a region are not an error", env: map[string]string{envAWSAccessKey: "AKID", envAWSSecretKey: "sec"},
			want: func(c *Config) bool {
				return c.Bedrock.Region == "" && c.Bedrock.AccessKeyID == "AKID" && !c.Bedrock.configured()
			}},
		{name: "max attempts", env: map[string]string{envMaxAttempts: "7"},
			want: func(c *Config) bool { return c.Routing.MaxAttempts == 7 }},
		{name: "strategy", env: map[string]string{envStrategy: "least_in_flight"},
			want: func(c *Config) bool { return c.Routing.Strategy == StrategyLeastInFlight }},
		{name: "upstream timeout is the default attempt timeout", env: map[string]string{envUpstreamTimeout: "45s"},
			want: func(c *Config) bool { return c.Routing.Timeouts.Attempt == 45*time.Second }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, nil, tt.env, tt.dotenv, "")
			if !tt.want(c) {
				t.Errorf("unexpected config: anthropic %+v gemini %+v bedrock %+v routing %+v", c.Anthropic, c.Gemini, c.Bedrock, c.Routing)
			}
		})
	}
}

func TestCompatiblePresets(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []Compatible
	}{
		{name: "none", want: nil},
		{name: "mistral", env: map[string]string{"MISTRAL_API_KEY": "m"},
			want: []Compatible{{Name: "mistral", BaseURL: "https://api.mistral.ai/v1", APIKey: "m"}}},
		{name: "groq", env: map[string]string{"GROQ_API_KEY": "g"},
			want: []Compatible{{Name: "groq", BaseURL: "https://api.groq.com/openai/v1", APIKey: "g"}}},
		{name: "deepseek", env: map[string]string{"DEEPSEEK_API_KEY": "d"},
			want: []Compatible{{Name: "deepseek", BaseURL: "https://api.deepseek.com/v1", APIKey: "d"}}},
		{name: "together", env: map[string]string{"TOGETHER_API_KEY": "t"},
			want: []Compatible{{Name: "together", BaseURL: "https://api.together.xyz/v1", APIKey: "t"}}},
		{name: "openrouter", env: map[string]string{"OPENROUTER_API_KEY": "o"},
			want: []Compatible{{Name: "openrouter", BaseURL: "https://openrouter.ai/api/v1", APIKey: "o"}}},
		{name: "base URL override", env: map[string]string{"MISTRAL_API_KEY": "m", "MISTRAL_BASE_URL": "http://proxy.test/mistral/v1/"},
			want: []Compatible{{Name: "mistral", BaseURL: "http://proxy.test/mistral/v1", APIKey: "m"}}},
		{name: "a base URL alone does not configure a keyed server", env: map[string]string{"GROQ_BASE_URL": "http://groq.test/v1"}, want: nil},
		{name: "ollama by base URL alone", env: map[string]string{"OLLAMA_BASE_URL": "http://localhost:11434/v1"},
			want: []Compatible{{Name: "ollama", BaseURL: "http://localhost:11434/v1", KeyOptional: true}}},
		{name: "vllm without a key", env: map[string]string{"VLLM_BASE_URL": "http://vllm:8000/v1"},
			want: []Compatible{{Name: "vllm", BaseURL: "http://vllm:8000/v1", KeyOptional: true}}},
		{name: "vllm with a key", env: map[string]string{"VLLM_BASE_URL": "http://vllm:8000/v1", "VLLM_API_KEY": "v"},
			want: []Compatible{{Name: "vllm", BaseURL: "http://vllm:8000/v1", APIKey: "v", KeyOptional: true}}},
		{name: "empty key is unset", env: map[string]string{"MISTRAL_API_KEY": "", "GROQ_API_KEY": "g"},
			want: []Compatible{{Name: "groq", BaseURL: "https://api.groq.com/openai/v1", APIKey: "g"}}},
		{name: "several, in preset order", env: map[string]string{"OPENROUTER_API_KEY": "o", "MISTRAL_API_KEY": "m", "OLLAMA_BASE_URL": "http://o.test/v1"},
			want: []Compatible{
				{Name: "mistral", BaseURL: "https://api.mistral.ai/v1", APIKey: "m"},
				{Name: "openrouter", BaseURL: "https://openrouter.ai/api/v1", APIKey: "o"},
				{Name: "ollama", BaseURL: "http://o.test/v1", KeyOptional: true},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, nil, tt.env, "", "")
			if diff := cmp.Diff(tt.want, c.Compatible); diff != "" {
				t.Errorf("compatible (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCompatibleFromFile(t *testing.T) {
	file := `compatible:
  - {name: myllm, baseURL: "http://myllm.test/v1/", apiKeyEnv: MYLLM_KEY}
  - {name: literal, baseURL: "http://literal.test/v1", apiKey: file-key, apiKeyEnv: LITERAL_KEY}
  - {name: local, baseURL: "http://local.test/v1", keyOptional: true}
  - {name: gated, baseURLEnv: GATED_URL, apiKeyEnv: LLMGATE_GATED_KEY}
  - {name: nokey, baseURL: "http://nokey.test/v1", apiKeyEnv: NOKEY_KEY}
  - {name: mistral, baseURL: "http://mistral-file.test/v1"}
providers:
  - name: myllm
    models:
      - {name: my-model, contextWindow: 8192}
  - name: nokey
    models: [{name: n-1}]
`
	env := map[string]string{
		"MYLLM_KEY": "my-key", "LITERAL_KEY": "env-key",
		"GATED_URL": "http://gated.test/v1", "LLMGATE_GATED_KEY": "gated-key",
		"MISTRAL_API_KEY": "m",
	}
	c := mustLoad(t, nil, env, "", file)
	want := []Compatible{
		// A preset's base URL from the file.
		{Name: "mistral", BaseURL: "http://mistral-file.test/v1", APIKey: "m"},
		{Name: "myllm", BaseURL: "http://myllm.test/v1", APIKey: "my-key"},
		// The variable wins over the file's literal key.
		{Name: "literal", BaseURL: "http://literal.test/v1", APIKey: "env-key"},
		{Name: "local", BaseURL: "http://local.test/v1", KeyOptional: true},
		// apiKeyEnv may name an LLMGATE_ variable.
		{Name: "gated", BaseURL: "http://gated.test/v1", APIKey: "gated-key"},
	}
	if diff := cmp.Diff(want, c.Compatible); diff != "" {
		t.Errorf("compatible (-want +got):\n%s", diff)
	}
	got := map[string][2]string{}
	for _, p := range c.Catalog().Providers {
		conf := "false"
		if p.Configured {
			conf = "true"
		}
		got[p.Name] = [2]string{conf, p.MissingConfig}
	}
	for name, w := range map[string][2]string{
		"myllm": {"true", ""}, "nokey": {"false", "set NOKEY_KEY"}, "mistral": {"true", ""},
	} {
		if got[name] != w {
			t.Errorf("catalog %s = %v, want %v", name, got[name], w)
		}
	}
	if m := findModel(t, findProvider(t, c, "myllm"), "my-model"); m.ContextWindow != 8192 || m.Kind != llmgate.KindChat || len(m.Prices) != 0 {
		t.Errorf("my-model = %+v", m)
	}

	// Without the variable, the literal key of the file is used.
	c = mustLoad(t, nil, nil, "", file)
	for _, s := range c.Compatible {
		if s.Name == "literal" && s.APIKey != "file-key" {
			t.Errorf("literal key = %q, want the file's", s.APIKey)
		}
	}
}

func TestCatalogMissingMessages(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		file string
		want map[string][2]string
	}{
		{name: "gemini by google key", env: map[string]string{envGoogleKey: "g"},
			want: map[string][2]string{"gemini": {"true", ""}}},
		{name: "bedrock needs all three", env: map[string]string{envAWSRegion: "us-east-1"},
			want: map[string][2]string{"bedrock": {"false", "set AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"}}},
		{name: "bedrock with region from AWS_DEFAULT_REGION", env: map[string]string{envAWSDefaultRegion: "us-east-1", envAWSAccessKey: "a", envAWSSecretKey: "s"},
			want: map[string][2]string{"bedrock": {"true", ""}}},
		{name: "file server without a base URL variable", file: "compatible:\n  - {name: x, apiKeyEnv: X_KEY}\nproviders:\n  - {name: x, models: [{name: m}]}\n",
			want: map[string][2]string{"x": {"false", "set compatible[x].baseURL in the config file"}}},
		{name: "file server with a URL variable", file: "compatible:\n  - {name: x, baseURLEnv: X_URL, keyOptional: true}\nproviders:\n  - {name: x, models: [{name: m}]}\n",
			want: map[string][2]string{"x": {"false", "set X_URL"}}},
		{name: "file server without a key variable", file: "compatible:\n  - {name: x, baseURL: \"http://x.test\"}\nproviders:\n  - {name: x, models: [{name: m}]}\n",
			want: map[string][2]string{"x": {"false", "set compatible[x].apiKeyEnv in the config file"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, nil, tt.env, "", tt.file)
			for _, p := range c.Catalog().Providers {
				w, ok := tt.want[p.Name]
				if !ok {
					continue
				}
				conf := "false"
				if p.Configured {
					conf = "true"
				}
				if got := [2]string{conf, p.MissingConfig}; got != w {
					t.Errorf("%s = %v, want %v", p.Name, got, w)
				}
				delete(tt.want, p.Name)
			}
			if len(tt.want) > 0 {
				t.Errorf("not in the catalog: %v", tt.want)
			}
		})
	}
}

func TestProviderErrors(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		file string
		want []string
	}{
		{name: "access key without secret", env: map[string]string{envAWSAccessKey: "a", envAWSRegion: "us-east-1"},
			want: []string{"AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"}},
		{name: "secret without access key", env: map[string]string{envAWSSecretKey: "s"},
			want: []string{"AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"}},
		{name: "session token without keys", env: map[string]string{envAWSSessionToken: "t"},
			want: []string{"AWS_SESSION_TOKEN is set but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not"}},
		{name: "bad region", env: map[string]string{envAWSRegion: "US East"},
			want: []string{"bedrock.region (AWS_REGION): is not an AWS region name"}},
		{name: "bad bedrock url", env: map[string]string{envBedrockURL: "bedrock.local"},
			want: []string{"bedrock.baseURL (BEDROCK_BASE_URL): must be an absolute http(s) URL"}},
		{name: "bad anthropic url", env: map[string]string{envAnthropicURL: "api.anthropic.com"},
			want: []string{"anthropic.baseURL (ANTHROPIC_BASE_URL): must be an absolute http(s) URL"}},
		{name: "empty anthropic version", file: "anthropic:\n  version: \"\"\n",
			want: []string{"anthropic.version: must not be empty"}},
		{name: "bad gemini url", env: map[string]string{envGeminiURL: "ftp://g.test"},
			want: []string{"gemini.baseURL (GEMINI_BASE_URL): must be an absolute http(s) URL"}},
		{name: "bad preset url", env: map[string]string{"MISTRAL_BASE_URL": "mistral"},
			want: []string{"compatible[mistral].baseURL (MISTRAL_BASE_URL): must be an absolute http(s) URL"}},
		{name: "vllm key without url", env: map[string]string{"VLLM_API_KEY": "v"},
			want: []string{"VLLM_API_KEY is set but VLLM_BASE_URL is not"}},
		{name: "file server key without url", env: map[string]string{"X_KEY": "k"}, file: "compatible:\n  - {name: x, apiKeyEnv: X_KEY}\n",
			want: []string{"X_KEY is set but compatible[x].baseURL is not"}},
		{name: "file server with a bad url", file: "compatible:\n  - {name: x, baseURL: \"x.test\", keyOptional: true}\n",
			want: []string{"compatible[x].baseURL: must be an absolute http(s) URL"}},
		{name: "built-in name", file: "compatible:\n  - {name: openai, baseURL: \"http://o.test\"}\n",
			want: []string{`compatible[openai].name: "openai" is a built-in provider`}},
		{name: "bad name", file: "compatible:\n  - {name: My/LLM, baseURL: \"http://o.test\"}\n",
			want: []string{`compatible[My/LLM].name: "My/LLM" must be lower-case`}},
		{name: "duplicate server", file: "compatible:\n  - {name: x}\n  - {name: x}\n",
			want: []string{"compatible[x]: listed twice"}},
		{name: "server without name", file: "compatible:\n  - {baseURL: \"http://x.test\"}\n",
			want: []string{"compatible[0].name: required"}},
		{name: "bad variable name", file: "compatible:\n  - {name: x, apiKeyEnv: MY-KEY, baseURLEnv: \"1URL\"}\n",
			want: []string{`compatible[x].apiKeyEnv: "MY-KEY" is not a variable name`, `compatible[x].baseURLEnv: "1URL" is not a variable name`}},
		{name: "unknown compatible key", file: "compatible:\n  - {name: x, apiKeyENV: K}\n",
			want: []string{`compatible[x].apiKeyENV (line 2): unknown key "apiKeyENV"`}},
		{name: "credentials are not file keys", file: "bedrock:\n  region: us-east-1\n  accessKeyID: a\n",
			want: []string{`bedrock.accessKeyID (line 3): unknown key`}},
		{name: "zero max attempts", env: map[string]string{envMaxAttempts: "0"},
			want: []string{"LLMGATE_MAX_ATTEMPTS: 0 must be >= 1"}},
		{name: "bad max attempts", env: map[string]string{envMaxAttempts: "three"},
			want: []string{`LLMGATE_MAX_ATTEMPTS: "three" is not an integer`}},
		{name: "bad strategy variable", env: map[string]string{envStrategy: "random"},
			want: []string{`routing.strategy: "random" is not one of round_robin, least_in_flight, lowest_latency, priority`}},
		{name: "unknown routing variable", env: map[string]string{"LLMGATE_MAX_ATTEMPT": "3"},
			want: []string{"unknown variable LLMGATE_MAX_ATTEMPT"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, nil, tt.env, "", tt.file)
			if err == nil {
				t.Fatalf("Load succeeded, want an error containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

// TestNewSecretsNotInErrors extends TestSecretsNotInErrors to the keys of
// the providers added after the seed.
func TestNewSecretsNotInErrors(t *testing.T) {
	const key = "sk-SENTINEL-0123456789abcdef"
	tests := []struct {
		name string
		env  map[string]string
		file string
	}{
		{name: "anthropic key pasted as base URL", env: map[string]string{envAnthropicKey: key, envAnthropicURL: key}},
		{name: "gemini key pasted as base URL", env: map[string]string{envGeminiKey: key, envGeminiURL: key}},
		{name: "google key with a bad base URL", env: map[string]string{envGoogleKey: key, envGeminiURL: key}},
		{name: "aws secret without access key", env: map[string]string{envAWSSecretKey: key}},
		{name: "aws access key without secret", env: map[string]string{envAWSAccessKey: key}},
		{name: "aws session token alone", env: map[string]string{envAWSSessionToken: key}},
		{name: "aws secret pasted as region", env: map[string]string{envAWSRegion: key, envAWSAccessKey: "a", envAWSSecretKey: key}},
		{name: "aws secret pasted as bedrock URL", env: map[string]string{envBedrockURL: key, envAWSAccessKey: "a", envAWSSecretKey: key}},
		{name: "preset key pasted as base URL", env: map[string]string{"MISTRAL_API_KEY": key, "MISTRAL_BASE_URL": key}},
		{name: "vllm key without URL", env: map[string]string{"VLLM_API_KEY": key}},
		{name: "file server key without URL", env: map[string]string{"X_KEY": key}, file: "compatible:\n  - {name: x, apiKeyEnv: X_KEY}\n"},
		{name: "literal compatible key as a list", file: "compatible:\n  - name: x\n    apiKey: [" + key + "]\n"},
		{name: "literal compatible key with a bad URL", file: "compatible:\n  - {name: x, apiKey: " + key + ", baseURL: " + key + "}\n"},
		{name: "anthropic key as a mapping", file: "anthropic:\n  apiKey: {k: " + key + "}\n"},
		{name: "gemini key as a list", file: "gemini:\n  apiKey: [" + key + "]\n"},
		{name: "key with a bad routing value", env: map[string]string{envAnthropicKey: key, envMaxAttempts: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, nil, tt.env, "", tt.file)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "SENTINEL") {
				t.Errorf("error contains the key: %v", err)
			}
		})
	}
}

func TestProviderPrecedence(t *testing.T) {
	tests := []struct {
		name    string
		env     string
		fileKey string
		vals    [3]string // env, .env, file
		def     string
		get     func(*Config) string
	}{
		{"anthropic url", envAnthropicURL, "anthropic:\n  baseURL: %s\n", [3]string{"http://e.test", "http://d.test", "http://y.test"}, "https://api.anthropic.com",
			func(c *Config) string { return c.Anthropic.BaseURL }},
		{"gemini url", envGeminiURL, "gemini:\n  baseURL: %s\n", [3]string{"http://e.test", "http://d.test", "http://y.test"}, "https://generativelanguage.googleapis.com",
			func(c *Config) string { return c.Gemini.BaseURL }},
		{"bedrock region", envAWSRegion, "bedrock:\n  region: %s\n", [3]string{"us-east-1", "us-west-2", "eu-west-1"}, "",
			func(c *Config) string { return c.Bedrock.Region }},
		{"max attempts", envMaxAttempts, "routing:\n  maxAttempts: %s\n", [3]string{"5", "6", "7"}, "3",
			func(c *Config) string { return strconv.Itoa(c.Routing.MaxAttempts) }},
		{"strategy", envStrategy, "routing:\n  strategy: %s\n", [3]string{"priority", "least_in_flight", "lowest_latency"}, "round_robin",
			func(c *Config) string { return c.Routing.Strategy }},
		{"preset url", "MISTRAL_BASE_URL", "compatible:\n  - name: mistral\n    baseURL: %s\n", [3]string{"http://e.test", "http://d.test", "http://y.test"}, "https://api.mistral.ai/v1",
			func(c *Config) string { return c.compatibleDef("mistral").baseURL }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := []struct {
				env, dotenv, file, want string
			}{
				{tt.vals[0], tt.vals[1], tt.vals[2], tt.vals[0]},
				{"", tt.vals[1], tt.vals[2], tt.vals[1]},
				{"", "", tt.vals[2], tt.vals[2]},
				{"", "", "", tt.def},
			}
			for i, s := range steps {
				env := map[string]string{}
				if s.env != "" {
					env[tt.env] = s.env
				}
				dotenv := ""
				if s.dotenv != "" {
					dotenv = tt.env + "=" + s.dotenv + "\n"
				}
				file := ""
				if s.file != "" {
					file = strings.Replace(tt.fileKey, "%s", s.file, 1)
				}
				c := mustLoad(t, nil, env, dotenv, file)
				if got := tt.get(c); got != s.want {
					t.Errorf("step %d: got %q, want %q", i, got, s.want)
				}
			}
		})
	}
}

func TestUsageNewVariables(t *testing.T) {
	u := Usage()
	for _, s := range []string{
		"ANTHROPIC_API_KEY [unset]", "ANTHROPIC_BASE_URL [https://api.anthropic.com]", "ANTHROPIC_VERSION [2023-06-01]",
		"GEMINI_API_KEY [unset]", "GOOGLE_API_KEY [unset]", "GEMINI_BASE_URL [https://generativelanguage.googleapis.com]",
		"AWS_REGION [unset]", "AWS_DEFAULT_REGION [unset]", "AWS_ACCESS_KEY_ID [unset]", "AWS_SECRET_ACCESS_KEY [unset]",
		"AWS_SESSION_TOKEN [unset]", "BEDROCK_BASE_URL [unset]",
		"MISTRAL_API_KEY [unset]", "MISTRAL_BASE_URL [https://api.mistral.ai/v1]",
		"GROQ_API_KEY [unset]", "GROQ_BASE_URL [https://api.groq.com/openai/v1]",
		"DEEPSEEK_API_KEY [unset]", "DEEPSEEK_BASE_URL [https://api.deepseek.com/v1]",
		"TOGETHER_API_KEY [unset]", "TOGETHER_BASE_URL [https://api.together.xyz/v1]",
		"OPENROUTER_API_KEY [unset]", "OPENROUTER_BASE_URL [https://openrouter.ai/api/v1]",
		"OLLAMA_BASE_URL [unset]", "VLLM_BASE_URL [unset]", "VLLM_API_KEY [unset]",
		"LLMGATE_MAX_ATTEMPTS [3]", "LLMGATE_ROUTING_STRATEGY [round_robin]",
	} {
		if !strings.Contains(u, s) {
			t.Errorf("Usage lacks %q", s)
		}
	}
}
