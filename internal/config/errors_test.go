package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/llmgate/llmgate"
)

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		dotenv string
		file   string
		want   []string // substrings of the error
	}{
		{name: "port not a number", env: map[string]string{envPort: "abc"}, want: []string{envPort, `"abc" is not a port number`}},
		{name: "port out of range", env: map[string]string{envPort: "70000"}, want: []string{envPort, "70000 is out of range"}},
		{name: "negative port", env: map[string]string{envPort: "-1"}, want: []string{envPort, "out of range"}},
		{name: "flag port", args: []string{"--port", "x"}, want: []string{"--port", `"x" is not a port number`}},
		{name: "flag log level", args: []string{"--log-level=loud"}, want: []string{"--log-level", `"loud" is not a log level`}},
		{name: "bad verify", env: map[string]string{envVerify: "maybe"}, want: []string{envVerify, `"maybe" is not a boolean`}},
		{name: "bad mock bool", env: map[string]string{envMock: "sure"}, want: []string{envMock, `"sure" is not a boolean`}},
		{name: "bad log level", env: map[string]string{envLogLevel: "TRACE"}, want: []string{envLogLevel, `"TRACE" is not a log level`}},
		{name: "negative size", env: map[string]string{envMaxBodyBytes: "-5"}, want: []string{envMaxBodyBytes, "negative"}},
		{name: "zero size", env: map[string]string{envMaxBodyBytes: "0"}, want: []string{envMaxBodyBytes, "must be > 0"}},
		{name: "bad size", env: map[string]string{envMaxBodyBytes: "10MB"}, want: []string{envMaxBodyBytes, `"10MB" is not a size`}},
		{name: "bad duration", env: map[string]string{envUpstreamTimeout: "10"}, want: []string{envUpstreamTimeout, `"10" is not a duration`}},
		{name: "negative duration", env: map[string]string{envShutdownTimeout: "-1s"}, want: []string{envShutdownTimeout, "must be > 0"}},
		{name: "pprof address without a port", env: map[string]string{envPprofAddr: "localhost"}, want: []string{envPprofAddr, `"localhost" is not host:port`}},
		{name: "bad gc heap size", env: map[string]string{envGCMinHeap: "32MB"}, want: []string{envGCMinHeap, `"32MB" is not a size`}},
		{name: "unknown gateway variable", env: map[string]string{"LLMGATE_DATABSE_URL": "sqlite:x"}, want: []string{"unknown variable LLMGATE_DATABSE_URL"}},
		{name: "unknown gateway variable in .env", dotenv: "LLMGATE_MOCKK=true\n", want: []string{"unknown variable LLMGATE_MOCKK"}},
		{name: "bad database url", env: map[string]string{envDatabaseURL: "mysql://x"}, want: []string{"database.url", "sqlite:PATH or postgres://"}},
		{name: "bad openai url", env: map[string]string{envOpenAIURL: "api.openai.com"}, want: []string{"openai.baseURL", envOpenAIURL, "absolute http(s) URL"}},
		{name: "endpoint without key", env: map[string]string{"AZURE_OPENAI_WEST_US_ENDPOINT": "https://w.example.com"},
			want: []string{"AZURE_OPENAI_WEST_US_ENDPOINT is set but AZURE_OPENAI_WEST_US_API_KEY is not"}},
		{name: "key without endpoint", env: map[string]string{"AZURE_OPENAI_SWEDEN_CENTRAL_API_KEY": "k"},
			want: []string{"AZURE_OPENAI_SWEDEN_CENTRAL_API_KEY is set but AZURE_OPENAI_SWEDEN_CENTRAL_ENDPOINT is not"}},
		{name: "version without endpoint", env: map[string]string{"AZURE_OPENAI_EAST_US_API_VERSION": "2024-06-01"},
			want: []string{"AZURE_OPENAI_EAST_US_API_VERSION is set but AZURE_OPENAI_EAST_US_ENDPOINT is not"}},
		{name: "endpoint not a URL", env: map[string]string{"AZURE_OPENAI_EAST_US_ENDPOINT": "e.openai.azure.com", "AZURE_OPENAI_EAST_US_API_KEY": "k"},
			want: []string{"AZURE_OPENAI_EAST_US_ENDPOINT", "absolute http(s) URL"}},
		{name: "endpoint with another scheme", env: map[string]string{"AZURE_OPENAI_EAST_US_ENDPOINT": "ftp://e.example.com", "AZURE_OPENAI_EAST_US_API_KEY": "k"},
			want: []string{"AZURE_OPENAI_EAST_US_ENDPOINT", "absolute http(s) URL"}},
		{name: "several errors at once", env: map[string]string{envPort: "abc", envVerify: "maybe"}, want: []string{envPort, envVerify}},
		{name: "unknown flag", args: []string{"--prot", "1"}, want: []string{"command line", "prot"}},
		{name: "extra argument", args: []string{"serve"}, want: []string{`unexpected argument "serve"`}},
		{name: "missing config file", env: map[string]string{envConfig: "nope.yaml"}, want: []string{"reading config file", "nope.yaml"}},
		{name: "bad .env", dotenv: "FOO=\"unterminated\n", want: []string{".env", "syntax error"}},

		{name: "unknown top-level key", file: "server:\n  port: 1\nsevrer:\n  host: x\n", want: []string{`sevrer (line 3): unknown key "sevrer"`}},
		{name: "unknown nested key", file: "server:\n  apiPath: /x\n  api_path: /y\n", want: []string{`server.api_path (line 3): unknown key`}},
		{name: "unknown key in a model", file: "providers:\n  - name: azure_openai\n    models:\n      - name: gpt-4\n        contextWindw: 1\n",
			want: []string{"providers[azure_openai].models[gpt-4].contextWindw (line 5): unknown key"}},
		{name: "correct spelling is not the seed's key", file: "providers:\n  - name: azure_openai\n    models:\n      - name: gpt-4\n        trainingData: x\n",
			want: []string{"trainingData (line 5): unknown key"}},
		{name: "duplicate key", file: "server:\n  port: 1\n  port: 2\n", want: []string{"server.port (line 3): duplicate key"}},
		{name: "bad int", file: "server:\n  port: eighty\n", want: []string{`server.port (line 2): "eighty" is not an integer`}},
		{name: "bad duration in file", file: "upstream:\n  timeout: 10\n", want: []string{`upstream.timeout (line 2): "10" is not a duration`}},
		{name: "bad bool in file", file: "mock:\n  enabled: maybe\n", want: []string{`mock.enabled (line 2): "maybe" is not a boolean`}},
		{name: "bad level in file", file: "log:\n  level: loud\n", want: []string{`log.level (line 2)`}},
		{name: "bad size in file", file: "server:\n  maxBodyBytes: lots\n", want: []string{`server.maxBodyBytes (line 2)`}},
		{name: "bad money", file: "providers:\n  - name: azure_openai\n    models:\n      - name: gpt-4\n        price:\n          - unitOfMeasure: 1000\n            token: {inputValue: abc}\n",
			want: []string{"providers[azure_openai].models[gpt-4].price[0].token.inputValue (line 7)", "not a decimal amount"}},
		{name: "money too precise", file: "providers:\n  - name: p\n    models:\n      - name: m\n        price:\n          - unitOfMeasure: 1000\n            token: {inputValue: 0.0000000000001}\n",
			want: []string{"inputValue (line 7)"}},
		{name: "list where a mapping belongs", file: "server: [1, 2]\n", want: []string{"server (line 1): must be a mapping"}},
		{name: "mapping where a value belongs", file: "server:\n  host: {a: b}\n", want: []string{"server.host (line 2): must be a single value"}},
		{name: "two documents", file: "server: {port: 1}\n---\nserver: {port: 2}\n", want: []string{"single YAML document"}},
		{name: "syntax error", file: "server:\n  port: [1\n", want: []string{"parsing YAML"}},

		{name: "token price unit", file: "providers:\n  - name: azure_openai\n    models:\n      - name: gpt-4\n        price:\n          - token: {inputValue: 1}\n",
			want: []string{"providers[azure_openai].models[gpt-4].price[0].unitOfMeasure: must be > 0"}},
		{name: "pixel size", file: "providers:\n  - name: azure_openai\n    models:\n      - name: dall-e-2\n        price:\n          - pixel: {width: 0, height: 10, value: 1}\n",
			want: []string{"providers[azure_openai].models[dall-e-2].price[0].pixel.width: must be > 0"}},
		{name: "pixel without value", file: "providers:\n  - name: p\n    models:\n      - name: m\n        price:\n          - pixel: {width: 1, height: 1}\n",
			want: []string{"providers[p].models[m].price[0].pixel.value: required"}},
		{name: "price both token and pixel", file: "providers:\n  - name: p\n    models:\n      - name: m\n        price:\n          - unitOfMeasure: 1\n            token: {inputValue: 1}\n            pixel: {width: 1, height: 1, value: 1}\n",
			want: []string{"providers[p].models[m].price[0]: needs exactly one of token and pixel"}},
		{name: "empty currency", file: "providers:\n  - name: p\n    models:\n      - name: m\n        price:\n          - {unitOfMeasure: 1, currency: \"\", token: {inputValue: 1}}\n",
			want: []string{"providers[p].models[m].price[0].currency: must not be empty"}},
		{name: "negative price", file: "providers:\n  - name: p\n    models:\n      - name: m\n        price:\n          - {unitOfMeasure: 1, token: {inputValue: -1}}\n",
			want: []string{"providers[p].models[m].price[0].token.inputValue: must not be negative"}},
		{name: "bad kind", file: "providers:\n  - name: azure_openai\n    models:\n      - name: gpt-4\n        kind: audio\n",
			want: []string{`providers[azure_openai].models[gpt-4].kind: "audio" is not chat, embedding or image`}},
		{name: "provider without name", file: "providers:\n  - label: X\n", want: []string{"providers[0].name: required"}},
		{name: "model without name", file: "providers:\n  - name: p\n    models:\n      - label: X\n", want: []string{"providers[p].models[0].name: required"}},
		{name: "provider twice", file: "providers:\n  - name: p\n  - name: p\n", want: []string{"providers[p]: listed twice"}},
		{name: "duplicate id", file: "providers:\n  - name: p\n    id: 3b276615-51e7-4f05-ae95-4bf4fc6f99bb\n",
			want: []string{"providers[p].id: 3b276615-51e7-4f05-ae95-4bf4fc6f99bb is also the id of providers[azure_openai]"}},
		{name: "deployment of an unknown model", file: "providers:\n  - name: azure_openai\n    deployments: {gpt-5: my-gpt5}\n",
			want: []string{"providers[azure_openai].deployments[gpt-5]: no model of that name"}},
		{name: "bad values in file sections", file: "server: {maxBodyBytes: 0}\nledger: {batchSize: 0}\nmock: {latency: -1s, embeddingDimensions: 0}\n",
			want: []string{"server.maxBodyBytes: must be > 0", "ledger.batchSize: must be > 0", "mock.latency: must not be negative", "mock.embeddingDimensions: must be > 0"}},
		{name: "region in file without key", file: "azure:\n  regions:\n    - {name: x, endpoint: \"https://x.example.com\"}\n", want: []string{"azure.regions[x].apiKey: must be set"}},
		{name: "file port out of range", file: "server: {port: 70000}\n", want: []string{"server.port: 70000 is out of range"}},
		{name: "api path without slash", file: "server: {apiPath: gate}\n", want: []string{`server.apiPath: "gate" must start with /`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.args, tt.env, tt.dotenv, tt.file)
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

func TestErrorsWrapCauses(t *testing.T) {
	_, err := load(t, nil, nil, "", "providers:\n  - name: p\n    models:\n      - name: m\n        price:\n          - {unitOfMeasure: 1, token: {inputValue: x}}\n")
	if !errors.Is(err, llmgate.ErrMoneySyntax) {
		t.Errorf("err = %v, want it to wrap llmgate.ErrMoneySyntax", err)
	}
	_, err = Load(nil, []string{envConfig + "=missing.yaml"}, t.TempDir())
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v, want it to wrap os.ErrNotExist", err)
	}
}

// TestSecretsNotInErrors makes Load fail in every way a key could be
// echoed and checks that the key's value never appears.
func TestSecretsNotInErrors(t *testing.T) {
	const key = "sk-SENTINEL-0123456789abcdef"
	tests := []struct {
		name   string
		env    map[string]string
		dotenv string
		file   string
	}{
		{name: "azure key without endpoint", env: map[string]string{"AZURE_OPENAI_WEST_US_API_KEY": key}},
		{name: "key pasted as endpoint", env: map[string]string{"AZURE_OPENAI_WEST_US_ENDPOINT": key, "AZURE_OPENAI_WEST_US_API_KEY": key}},
		{name: "key pasted as base URL", env: map[string]string{envOpenAIKey: key, envOpenAIURL: key}},
		{name: "key with a bad unrelated value", env: map[string]string{envOpenAIKey: key, envPort: "abc"}},
		{name: "key in a database URL", env: map[string]string{envDatabaseURL: "mysql://u:" + key + "@db"}},
		{name: "unterminated quote in .env", dotenv: "OPENAI_API_KEY=\"" + key + "\n"},
		{name: "bad variable name in .env", dotenv: "OPENAI-API-KEY=" + key + "\n"},
		{name: "bare key line in .env", dotenv: "A=1\n" + key + "\n"},
		{name: "key as a list in YAML", file: "openai:\n  apiKey: [" + key + "]\n"},
		{name: "key in YAML region without endpoint", file: "azure:\n  regions:\n    - {name: x, apiKey: " + key + "}\n"},
		{name: "key as YAML region endpoint", file: "azure:\n  regions:\n    - {name: x, apiKey: " + key + ", endpoint: " + key + "}\n"},
		{name: "key in an unknown YAML key", file: "openai:\n  apiKey: " + key + "\n  apikey2: " + key + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, nil, tt.env, tt.dotenv, tt.file)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			if strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "SENTINEL") {
				t.Errorf("error contains the key: %v", err)
			}
		})
	}
}

func TestDotEnvRealEnvironmentWins(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, ".env"), "HEIMDALL_API_TITLE=from-dotenv\nHEIMDALL_API_DESCRIPTION=\"dotenv ${HEIMDALL_API_TITLE}\"\n")
	c, err := Load(nil, []string{"HEIMDALL_API_TITLE=from-env"}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Title != "from-env" {
		t.Errorf("title = %q", c.Server.Title)
	}
	// Expansion inside .env sees only the file's own variables.
	if c.Server.Description != "dotenv from-dotenv" {
		t.Errorf("description = %q", c.Server.Description)
	}
}
