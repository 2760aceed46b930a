package config

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/google/go-cmp/cmp"

	"github.com/llmgate/llmgate"
)

func TestMerge(t *testing.T) {
	file := `providers:
  - name: azure_openai
    deployments:
      gpt-4o: my-gpt4o-deployment
    models:
      # override a price: the list replaces the default one
      - name: gpt-4
        price:
          - id: 00000000-0000-4000-8000-000000000001
            unitOfMeasure: 1000
            token: {inputValue: 0.03, outputValue: 0.06, cachedInputValue: 0.015}
      # disable a model, keeping everything else
      - name: gpt-35-turbo
        enabled: false
      # change one field only
      - name: gpt-4o
        contextWindow: 100000
      # add a model, kind guessed from its name
      - name: text-embedding-3-large
        price:
          - unitOfMeasure: 1000000
            token: {inputValue: 0.13}
      - name: gpt-image-1
      - name: o3-mini
        kind: chat
        tranningData: Oct 2023
  # disable a provider
  - name: openai
    enabled: false
  # add a provider
  - name: acme
    label: Acme
    description: Acme provider
    models:
      - name: acme-sonnet
        contextWindow: 200000
        price:
          - unitOfMeasure: 1000000
            currency: EUR
            token: {inputValue: 3, outputValue: 15, cacheWriteValue: 3.75}
`
	c := mustLoad(t, nil, nil, "", file)
	base := mustLoad(t, nil, nil, "", "")

	azure := findProvider(t, c, "azure_openai")
	gpt4 := findModel(t, azure, "gpt-4")
	wantPrice := []Price{{
		ID: "00000000-0000-4000-8000-000000000001", UnitOfMeasure: 1000, Currency: "USD",
		Token: &TokenPrice{InputValue: money("0.03"), OutputValue: money("0.06"), CachedInputValue: money("0.015")},
	}}
	if diff := cmp.Diff(wantPrice, gpt4.Prices); diff != "" {
		t.Errorf("gpt-4 prices (-want +got):\n%s", diff)
	}
	baseGPT4 := findModel(t, findProvider(t, base, "azure_openai"), "gpt-4")
	if gpt4.ID != baseGPT4.ID || gpt4.Label != baseGPT4.Label || gpt4.ContextWindow != 8192 || !gpt4.Enabled {
		t.Errorf("gpt-4 lost its defaults: %+v", gpt4)
	}
	if m := findModel(t, azure, "gpt-35-turbo"); m.Enabled || m.Label != "GPT-3.5 Turbo" {
		t.Errorf("gpt-35-turbo = %+v", m)
	}
	gpt4o := findModel(t, azure, "gpt-4o")
	if gpt4o.ContextWindow != 100000 || len(gpt4o.Prices) != 2 || gpt4o.TrainingData != "Oct 2023" {
		t.Errorf("gpt-4o = %+v", gpt4o)
	}
	if diff := cmp.Diff(map[string]string{"gpt-4o": "my-gpt4o-deployment"}, azure.Deployments); diff != "" {
		t.Errorf("deployments (-want +got):\n%s", diff)
	}
	kinds := map[string]llmgate.ModelKind{}
	for _, name := range []string{"text-embedding-3-large", "gpt-image-1", "o3-mini"} {
		m := findModel(t, azure, name)
		kinds[name] = m.Kind
		if !m.Enabled || m.ID == "" || m.Label != name {
			t.Errorf("new model %s = %+v", name, m)
		}
	}
	if diff := cmp.Diff(map[string]llmgate.ModelKind{"text-embedding-3-large": "embedding", "gpt-image-1": "image", "o3-mini": "chat"}, kinds); diff != "" {
		t.Errorf("guessed kinds (-want +got):\n%s", diff)
	}
	if n := len(azure.Models); n != 10 {
		t.Errorf("azure_openai has %d models, want 7 + 3", n)
	}
	var appended []string
	for _, m := range azure.Models[7:] {
		appended = append(appended, m.Name)
	}
	if diff := cmp.Diff([]string{"text-embedding-3-large", "gpt-image-1", "o3-mini"}, appended); diff != "" {
		t.Errorf("appended models (-want +got):\n%s", diff)
	}

	if p := findProvider(t, c, "openai"); p.Enabled || len(p.Models) != len(findProvider(t, base, "openai").Models) {
		t.Errorf("openai = enabled %v, %d models", p.Enabled, len(p.Models))
	}

	anthropic := findProvider(t, c, "acme")
	if c.Providers[len(c.Providers)-1].Name != "acme" || !anthropic.Enabled || anthropic.Label != "Acme" || anthropic.ID == "" {
		t.Errorf("acme = %+v", anthropic)
	}
	claude := findModel(t, anthropic, "acme-sonnet")
	if claude.Kind != llmgate.KindChat || claude.ContextWindow != 200000 || claude.Prices[0].Currency != "EUR" ||
		claude.Prices[0].Token.CacheWriteValue.String() != "3.75" || claude.Prices[0].ID == "" {
		t.Errorf("claude = %+v", claude)
	}

	// Derived ids are stable from one load to the next.
	again := mustLoad(t, nil, nil, "", file)
	if a := findProvider(t, again, "acme"); a.ID != anthropic.ID || a.Models[0].ID != claude.ID || a.Models[0].Prices[0].ID != claude.Prices[0].ID {
		t.Error("derived ids changed between loads")
	}
}

func TestMergeEmptyPriceListMakesUnpriced(t *testing.T) {
	c := mustLoad(t, nil, nil, "", "providers:\n  - name: azure_openai\n    models:\n      - name: gpt-4\n        price: []\n")
	if p := findModel(t, findProvider(t, c, "azure_openai"), "gpt-4").Prices; len(p) != 0 {
		t.Errorf("prices = %+v, want none", p)
	}
}

func TestMergeAnchors(t *testing.T) {
	file := `x-price: &usd
  unitOfMeasure: 1000000
  currency: USD
`
	// Unknown top-level keys are rejected even when used as anchors.
	if _, err := load(t, nil, nil, "", file); err == nil {
		t.Error("an unknown top-level key was accepted")
	}
	file = `providers:
  - name: p
    models:
      - name: a
        price:
          - &p1 {unitOfMeasure: 1000000, token: {inputValue: 1}}
      - name: b
        price:
          - *p1
`
	c := mustLoad(t, nil, nil, "", file)
	p := findProvider(t, c, "p")
	if a, b := p.Models[0].Prices[0], p.Models[1].Prices[0]; a.Token.InputValue.String() != "1.0" || b.Token.InputValue.String() != "1.0" || a.ID == b.ID {
		t.Errorf("aliased prices: %+v %+v", a, b)
	}
}

func TestCatalog(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		file string
		want map[string][2]string // provider → {configured, missing}
	}{
		{
			name: "nothing configured",
			want: unconfigured(nil),
		},
		{
			name: "everything configured",
			env: map[string]string{
				"AZURE_OPENAI_WEST_US_ENDPOINT": "https://w.example.com", "AZURE_OPENAI_WEST_US_API_KEY": "k",
				envOpenAIKey: "sk", envAnthropicKey: "ak", envGeminiKey: "gk",
				envAWSRegion: "us-east-1", envAWSAccessKey: "AKID", envAWSSecretKey: "secret",
				"MISTRAL_API_KEY": "m", "GROQ_API_KEY": "g", "DEEPSEEK_API_KEY": "d", "TOGETHER_API_KEY": "t",
				"OPENROUTER_API_KEY": "o", "OLLAMA_BASE_URL": "http://localhost:11434/v1", "VLLM_BASE_URL": "http://vllm:8000/v1",
			},
			args: []string{"--mock"},
			want: map[string][2]string{
				"azure_openai": {"true", ""}, "openai": {"true", ""}, "mock": {"true", ""},
				"anthropic": {"true", ""}, "gemini": {"true", ""}, "bedrock": {"true", ""},
				"mistral": {"true", ""}, "groq": {"true", ""}, "deepseek": {"true", ""}, "together": {"true", ""},
				"openrouter": {"true", ""}, "ollama": {"true", ""}, "vllm": {"true", ""},
			},
		},
		{
			name: "unknown provider",
			env:  map[string]string{envMock: "true"},
			file: "providers:\n  - name: acme\n    models: [{name: acme-1}]\n",
			want: unconfigured(map[string][2]string{
				"mock": {"true", ""},
				"acme": {"false", "no adapter for provider acme"},
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := mustLoad(t, tt.args, tt.env, "", tt.file)
			got := map[string][2]string{}
			for _, p := range c.Catalog().Providers {
				conf := "false"
				if p.Configured {
					conf = "true"
				}
				got[p.Name] = [2]string{conf, p.MissingConfig}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("catalog (-want +got):\n%s", diff)
			}
		})
	}
}

// unconfigured is the Catalog state of every default provider with no
// credentials (mock aside, which is not listed), overridden by extra.
func unconfigured(extra map[string][2]string) map[string][2]string {
	m := map[string][2]string{
		"azure_openai": {"false", "set AZURE_OPENAI_<REGION>_ENDPOINT and AZURE_OPENAI_<REGION>_API_KEY"},
		"openai":       {"false", "set OPENAI_API_KEY"},
		"anthropic":    {"false", "set ANTHROPIC_API_KEY"},
		"gemini":       {"false", "set GEMINI_API_KEY"},
		"bedrock":      {"false", "set AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
		"mistral":      {"false", "set MISTRAL_API_KEY"},
		"groq":         {"false", "set GROQ_API_KEY"},
		"deepseek":     {"false", "set DEEPSEEK_API_KEY"},
		"together":     {"false", "set TOGETHER_API_KEY"},
		"openrouter":   {"false", "set OPENROUTER_API_KEY"},
		"ollama":       {"false", "set OLLAMA_BASE_URL"},
		"vllm":         {"false", "set VLLM_BASE_URL"},
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func TestCatalogConversion(t *testing.T) {
	c := mustLoad(t, []string{"--mock"}, nil, "", "providers:\n  - name: openai\n    enabled: false\n")
	cat := c.Catalog()
	if len(cat.Providers) != len(c.Providers) {
		t.Fatalf("%d providers", len(cat.Providers))
	}
	az := cat.Providers[0]
	if az.ID != "3b276615-51e7-4f05-ae95-4bf4fc6f99bb" || az.Label != "Azure OpenAI" || !az.Enabled || len(az.Models) != 7 {
		t.Errorf("azure_openai = %+v", az)
	}
	if cat.Providers[1].Enabled {
		t.Error("openai should be disabled")
	}
	gpt4o := az.Models[4]
	want := llmgate.ModelInfo{
		ID: "55eead83-9eef-4117-bb8a-76034b3ea965", Name: "gpt-4o", Label: "GPT-4o", Description: "GPT-4 multimodal",
		Kind: llmgate.KindChat, ContextWindow: 128000, TrainingData: "Oct 2023", Enabled: true,
		Prices: []llmgate.Price{
			{ID: "fd028109-ce01-449e-8d57-9ce8b0bd18f0", UnitOfMeasure: 1000000, Currency: "USD",
				Token: &llmgate.TokenPrice{Input: money("5"), Output: money("15")}},
			{ID: "f033eaae-469e-424f-ab92-f21070b1b169", UnitOfMeasure: 1000000, Currency: "USD",
				Pixel: &llmgate.PixelPrice{Width: 1024, Height: 1024, Quality: "Standard", Value: llmgate.MustParseMoney("0.003825")}},
		},
	}
	if diff := cmp.Diff(want, gpt4o); diff != "" {
		t.Errorf("gpt-4o (-want +got):\n%s", diff)
	}
	if az.Models[0].Prices != nil {
		t.Errorf("gpt-35-turbo prices = %v, want nil", az.Models[0].Prices)
	}
	// The catalog shares no memory with the config.
	*gpt4o.Prices[0].Token.Input = 0
	gpt4o.Prices[1].Pixel.Value = 0
	if again := c.Catalog().Providers[0].Models[4]; again.Prices[0].Token.Input.String() != "5.0" || again.Prices[1].Pixel.Value.String() != "0.003825" {
		t.Error("changing the catalog changed the config")
	}
	// Without --mock, the mock provider is not listed.
	for _, p := range mustLoad(t, nil, nil, "", "").Catalog().Providers {
		if p.Name == "mock" {
			t.Error("mock listed while disabled")
		}
	}
}

func TestAddr(t *testing.T) {
	for _, tt := range []struct {
		host string
		port int
		want string
	}{
		{"0.0.0.0", 8080, "0.0.0.0:8080"},
		{"::", 80, "[::]:80"},
		{"fe80::1", 9000, "[fe80::1]:9000"},
		{"", 8080, ":8080"},
		{"localhost", 0, "localhost:0"},
	} {
		c := &Config{Server: Server{Host: tt.host, Port: tt.port}}
		if got := c.Addr(); got != tt.want {
			t.Errorf("Addr(%q, %d) = %q, want %q", tt.host, tt.port, got, tt.want)
		}
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestWatch(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "llmgate.yaml")
	writeFile(t, path, "server: {port: 1}\n")

	ctx, cancel := context.WithCancel(context.Background())
	var calls atomic.Int32
	done := make(chan error, 1)
	go func() { done <- Watch(ctx, path, func() { calls.Add(1) }) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watch returned %v", err)
		}
	}()

	// Replace the file the way editors do: write a temporary file, rename it
	// over the original. Repeat until the first notification, since the
	// watch may not be set up yet when the first replace happens.
	replace := func(content string) {
		tmp := filepath.Join(dir, ".llmgate.yaml.tmp")
		writeFile(t, tmp, content)
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for calls.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("onChange not called after replacing the file")
		}
		replace("server: {port: 2}\n")
		// Give the debounce time to fire before replacing again, since
		// every replace restarts it.
		wait := time.Now().Add(time.Second)
		for calls.Load() == 0 && time.Now().Before(wait) {
			time.Sleep(10 * time.Millisecond)
		}
	}
	// A burst of changes is debounced into few calls, and every later
	// change is seen.
	before := calls.Load()
	for i := 0; i < 5; i++ {
		replace("server: {port: 3}\n")
	}
	waitFor(t, "a call after the burst", func() bool { return calls.Load() > before })
	if n := calls.Load() - before; n > 2 {
		t.Errorf("a burst of 5 replaces gave %d calls, want them debounced", n)
	}
	// A plain write counts too.
	before = calls.Load()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("# edited\n"); err != nil {
		t.Fatal(err)
	}
	f.Close()
	waitFor(t, "a call after a write", func() bool { return calls.Load() > before })
}

func TestWatchRelevant(t *testing.T) {
	const path = "/etc/llmgate/llmgate.yaml"
	tests := []struct {
		ev   fsnotify.Event
		want bool
	}{
		{fsnotify.Event{Name: path, Op: fsnotify.Write}, true},
		{fsnotify.Event{Name: path, Op: fsnotify.Create}, true},
		{fsnotify.Event{Name: path, Op: fsnotify.Rename}, true},
		{fsnotify.Event{Name: path, Op: fsnotify.Write | fsnotify.Chmod}, true},
		{fsnotify.Event{Name: "/etc/llmgate/./llmgate.yaml", Op: fsnotify.Write}, true},
		{fsnotify.Event{Name: path, Op: fsnotify.Chmod}, false},
		{fsnotify.Event{Name: path, Op: fsnotify.Remove}, false},
		{fsnotify.Event{Name: "/etc/llmgate/other.yaml", Op: fsnotify.Write}, false},
		{fsnotify.Event{Name: "/etc/llmgate/llmgate.yaml.swp", Op: fsnotify.Create}, false},
	}
	for _, tt := range tests {
		if got := relevant(tt.ev, path); got != tt.want {
			t.Errorf("relevant(%v) = %v, want %v", tt.ev, got, tt.want)
		}
	}
}

func TestWatchStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Watch(ctx, filepath.Join(t.TempDir(), "c.yaml"), func() {}) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Watch = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Watch did not return after cancel")
	}
	if err := Watch(context.Background(), filepath.Join(t.TempDir(), "missing-dir", "c.yaml"), func() {}); err == nil {
		t.Error("Watch of a file in a missing directory succeeded")
	}
}
