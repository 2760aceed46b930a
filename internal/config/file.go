package config

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.yaml.in/yaml/v3"

	"github.com/llmgate/llmgate"
)

//go:embed defaults.yaml
var defaultsYAML []byte

// The file* types mirror Config for decoding a YAML file: a nil pointer is a
// key the file does not set, so that merging keeps the value below it. They
// are decoded by decodeNode, which rejects unknown keys and reports every
// error with its key path and line.

type fileConfig struct {
	Server     *fileServer      `yaml:"server"`
	Log        *fileLog         `yaml:"log"`
	Database   *fileDatabase    `yaml:"database"`
	Ledger     *fileLedger      `yaml:"ledger"`
	Upstream   *fileUpstream    `yaml:"upstream"`
	Mock       *fileMock        `yaml:"mock"`
	OpenAI     *fileOpenAI      `yaml:"openai"`
	Azure      *fileAzure       `yaml:"azure"`
	Anthropic  *fileAnthropic   `yaml:"anthropic"`
	Gemini     *fileGemini      `yaml:"gemini"`
	Bedrock    *fileBedrock     `yaml:"bedrock"`
	Compatible []fileCompatible `yaml:"compatible"`
	Routing    *fileRouting     `yaml:"routing"`
	Providers  []fileProvider   `yaml:"providers"`
}

type fileServer struct {
	Host              *string        `yaml:"host"`
	Port              *int           `yaml:"port"`
	APIPath           *string        `yaml:"apiPath"`
	Title             *string        `yaml:"title"`
	Description       *string        `yaml:"description"`
	MaxBodyBytes      *byteSize      `yaml:"maxBodyBytes"`
	ReadHeaderTimeout *time.Duration `yaml:"readHeaderTimeout"`
	IdleTimeout       *time.Duration `yaml:"idleTimeout"`
	BodyReadTimeout   *time.Duration `yaml:"bodyReadTimeout"`
	ShutdownTimeout   *time.Duration `yaml:"shutdownTimeout"`
	PprofAddr         *string        `yaml:"pprofAddr"`
	GCMinHeap         *byteSize      `yaml:"gcMinHeap"`
}

type fileLog struct {
	Level *slog.Level `yaml:"level"`
}

type fileDatabase struct {
	URL *string `yaml:"url"`
}

type fileLedger struct {
	BatchSize     *int           `yaml:"batchSize"`
	FlushInterval *time.Duration `yaml:"flushInterval"`
	QueueSize     *int           `yaml:"queueSize"`
}

type fileUpstream struct {
	Timeout             *time.Duration `yaml:"timeout"`
	ConnectTimeout      *time.Duration `yaml:"connectTimeout"`
	TLSVerify           *bool          `yaml:"tlsVerify"`
	MaxIdleConnsPerHost *int           `yaml:"maxIdleConnsPerHost"`
	MaxResponseBytes    *byteSize      `yaml:"maxResponseBytes"`
	HTTP2               *bool          `yaml:"http2"`
}

type fileMock struct {
	Enabled             *bool          `yaml:"enabled"`
	Latency             *time.Duration `yaml:"latency"`
	ChunkDelay          *time.Duration `yaml:"chunkDelay"`
	PromptTokens        *int           `yaml:"promptTokens"`
	CompletionTokens    *int           `yaml:"completionTokens"`
	Reply               *string        `yaml:"reply"`
	EmbeddingDimensions *int           `yaml:"embeddingDimensions"`
	ImageURL            *string        `yaml:"imageURL"`
}

type fileOpenAI struct {
	APIKey       *string `yaml:"apiKey" secret:"true"`
	BaseURL      *string `yaml:"baseURL"`
	Organization *string `yaml:"organization"`
}

type fileAzure struct {
	APIVersion *string      `yaml:"apiVersion"`
	Regions    []fileRegion `yaml:"regions"`
}

type fileRegion struct {
	Name       *string `yaml:"name"`
	Endpoint   *string `yaml:"endpoint"`
	APIKey     *string `yaml:"apiKey" secret:"true"`
	APIVersion *string `yaml:"apiVersion"`
}

type fileAnthropic struct {
	APIKey  *string `yaml:"apiKey" secret:"true"`
	BaseURL *string `yaml:"baseURL"`
	Version *string `yaml:"version"`
}

type fileGemini struct {
	APIKey  *string `yaml:"apiKey" secret:"true"`
	BaseURL *string `yaml:"baseURL"`
}

// fileBedrock holds what is not a credential: AWS credentials come from the
// standard AWS variables only.
type fileBedrock struct {
	Region  *string `yaml:"region"`
	BaseURL *string `yaml:"baseURL"`
}

type fileCompatible struct {
	Name        *string `yaml:"name"`
	BaseURL     *string `yaml:"baseURL"`
	BaseURLEnv  *string `yaml:"baseURLEnv"`
	APIKey      *string `yaml:"apiKey" secret:"true"`
	APIKeyEnv   *string `yaml:"apiKeyEnv"`
	KeyOptional *bool   `yaml:"keyOptional"`
}

type fileRouting struct {
	Strategy            *string        `yaml:"strategy"`
	MaxAttempts         *int           `yaml:"maxAttempts"`
	BackoffBase         *time.Duration `yaml:"backoffBase"`
	BackoffMax          *time.Duration `yaml:"backoffMax"`
	BudgetRatio         *float64       `yaml:"budgetRatio"`
	MinRetriesPerSecond *int           `yaml:"minRetriesPerSecond"`
	FailureThreshold    *int           `yaml:"failureThreshold"`
	Cooldown            *time.Duration `yaml:"cooldown"`
	Timeouts            *fileTimeouts  `yaml:"timeouts"`
	Groups              []fileGroup    `yaml:"groups"`
}

type fileTimeouts struct {
	Request    *time.Duration `yaml:"request"`
	Attempt    *time.Duration `yaml:"attempt"`
	FirstToken *time.Duration `yaml:"firstToken"`
}

type fileGroup struct {
	Name             *string       `yaml:"name"`
	Strategy         *string       `yaml:"strategy"`
	Members          *[]fileMember `yaml:"members"`
	Fallbacks        *[]string     `yaml:"fallbacks"`
	ContextFallbacks *[]string     `yaml:"contextFallbacks"`
	Timeouts         *fileTimeouts `yaml:"timeouts"`
}

type fileMember struct {
	Deployment *string `yaml:"deployment"`
	Provider   *string `yaml:"provider"`
	Model      *string `yaml:"model"`
	Weight     *int    `yaml:"weight"`
	Priority   *int    `yaml:"priority"`
}

type fileProvider struct {
	ID          *string           `yaml:"id"`
	Name        *string           `yaml:"name"`
	Label       *string           `yaml:"label"`
	Description *string           `yaml:"description"`
	Enabled     *bool             `yaml:"enabled"`
	Deployments map[string]string `yaml:"deployments"`
	Models      []fileModel       `yaml:"models"`
}

type fileModel struct {
	ID            *string      `yaml:"id"`
	Name          *string      `yaml:"name"`
	Label         *string      `yaml:"label"`
	Description   *string      `yaml:"description"`
	Kind          *string      `yaml:"kind"`
	ContextWindow *int         `yaml:"contextWindow"`
	TrainingData  *string      `yaml:"tranningData"`
	Enabled       *bool        `yaml:"enabled"`
	Prices        *[]filePrice `yaml:"price"`
}

type filePrice struct {
	ID            *string    `yaml:"id"`
	UnitOfMeasure *int64     `yaml:"unitOfMeasure"`
	Currency      *string    `yaml:"currency"`
	Token         *fileToken `yaml:"token"`
	Pixel         *filePixel `yaml:"pixel"`
}

type fileToken struct {
	InputValue       *llmgate.Money `yaml:"inputValue"`
	OutputValue      *llmgate.Money `yaml:"outputValue"`
	CachedInputValue *llmgate.Money `yaml:"cachedInputValue"`
	CacheWriteValue  *llmgate.Money `yaml:"cacheWriteValue"`
}

type filePixel struct {
	Width   *int           `yaml:"width"`
	Height  *int           `yaml:"height"`
	Quality *string        `yaml:"quality"`
	Value   *llmgate.Money `yaml:"value"`
}

// byteSize is a number of bytes written as an integer or with a binary
// suffix: 1048576, 1024KiB, 10MiB, 1GiB.
type byteSize int64

// parseFile decodes one YAML document strictly.
func parseFile(data []byte) (*fileConfig, error) {
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	var doc yaml.Node
	f := new(fileConfig)
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return f, nil // an empty file sets nothing
		}
		return nil, fmt.Errorf("parsing YAML: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("line %d: a config file holds a single YAML document", extra.Line)
	}
	if len(doc.Content) == 0 {
		return f, nil
	}
	root := doc.Content[0]
	if isNull(root) {
		return f, nil
	}
	if err := decodeNode(root, reflect.ValueOf(f).Elem(), "", false); err != nil {
		return nil, err
	}
	return f, nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// nodeError locates an error at a key path and a line of the file.
func nodeError(path string, n *yaml.Node, format string, args ...any) error {
	if path == "" {
		path = "document"
	}
	return fmt.Errorf("%s (line %d): %w", path, n.Line, fmt.Errorf(format, args...))
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	levelType    = reflect.TypeFor[slog.Level]()
	moneyType    = reflect.TypeFor[llmgate.Money]()
	sizeType     = reflect.TypeFor[byteSize]()
)

// decodeNode stores n into v, which is one of the file* types or a field of
// one. Keys are the fields' yaml tags; any other key is an error. A secret
// value is never quoted in an error.
func decodeNode(n *yaml.Node, v reflect.Value, path string, secret bool) error {
	for n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	t := v.Type()
	switch {
	case t.Kind() == reflect.Pointer:
		if isNull(n) {
			v.SetZero()
			return nil
		}
		elem := reflect.New(t.Elem())
		if err := decodeNode(n, elem.Elem(), path, secret); err != nil {
			return err
		}
		v.Set(elem)
		return nil
	case t.Kind() == reflect.Struct && t.PkgPath() == reflect.TypeFor[fileConfig]().PkgPath():
		return decodeStruct(n, v, path)
	case t.Kind() == reflect.Slice:
		if isNull(n) {
			v.SetZero()
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return nodeError(path, n, "must be a list")
		}
		s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if err := decodeNode(item, s.Index(i), fmt.Sprintf("%s[%s]", path, itemLabel(item, i)), secret); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case t.Kind() == reflect.Map:
		if isNull(n) {
			v.SetZero()
			return nil
		}
		if n.Kind != yaml.MappingNode {
			return nodeError(path, n, "must be a mapping")
		}
		m := reflect.MakeMapWithSize(t, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode || val.Kind != yaml.ScalarNode || isNull(val) {
				return nodeError(path, k, "must map names to names")
			}
			if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
				return nodeError(path+"."+k.Value, k, "duplicate key")
			}
			m.SetMapIndex(reflect.ValueOf(k.Value), reflect.ValueOf(val.Value))
		}
		v.Set(m)
		return nil
	}
	return decodeScalar(n, v, path, secret)
}

// itemLabel names a list item in a key path by its name key when it has
// one, by its index otherwise.
func itemLabel(n *yaml.Node, i int) string {
	if n.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == "name" && n.Content[j+1].Kind == yaml.ScalarNode && n.Content[j+1].Value != "" {
				return n.Content[j+1].Value
			}
		}
	}
	return strconv.Itoa(i)
}

func decodeStruct(n *yaml.Node, v reflect.Value, path string) error {
	if n.Kind != yaml.MappingNode {
		return nodeError(path, n, "must be a mapping")
	}
	t := v.Type()
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		key := k.Value
		kpath := key
		if path != "" {
			kpath = path + "." + key
		}
		if seen[key] {
			return nodeError(kpath, k, "duplicate key")
		}
		seen[key] = true
		field, ok := fieldByTag(t, key)
		if !ok {
			return nodeError(kpath, k, "unknown key %q", key)
		}
		if err := decodeNode(val, v.FieldByIndex(field.Index), kpath, field.Tag.Get("secret") == "true"); err != nil {
			return err
		}
	}
	return nil
}

func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Tag.Get("yaml") == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func decodeScalar(n *yaml.Node, v reflect.Value, path string, secret bool) error {
	if n.Kind != yaml.ScalarNode || isNull(n) {
		return nodeError(path, n, "must be a single value")
	}
	s := n.Value
	// quote shows a bad value in an error unless it may be a secret.
	quote := func() string {
		if secret {
			return "the value"
		}
		return strconv.Quote(s)
	}
	t := v.Type()
	switch {
	case t == durationType:
		d, err := time.ParseDuration(s)
		if err != nil {
			return nodeError(path, n, "%s is not a duration such as 30s or 5m", quote())
		}
		v.SetInt(int64(d))
	case t == levelType:
		l, err := parseLevel(s)
		if err != nil {
			return nodeError(path, n, "%w", err)
		}
		v.SetInt(int64(l))
	case t == moneyType:
		m, err := llmgate.ParseMoney(s)
		if err != nil {
			return nodeError(path, n, "%w", err)
		}
		v.SetInt(int64(m))
	case t == sizeType:
		b, err := parseSize(s)
		if err != nil {
			return nodeError(path, n, "%w", err)
		}
		v.SetInt(b)
	case t.Kind() == reflect.String:
		v.SetString(s)
	case t.Kind() == reflect.Bool:
		b, err := parseBool(s)
		if err != nil {
			return nodeError(path, n, "%w", err)
		}
		v.SetBool(b)
	case t.Kind() == reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nodeError(path, n, "%s is not a number", quote())
		}
		v.SetFloat(f)
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		i, err := strconv.ParseInt(s, 10, t.Bits())
		if err != nil {
			return nodeError(path, n, "%s is not an integer", quote())
		}
		v.SetInt(i)
	default:
		return nodeError(path, n, "cannot decode into %s", t)
	}
	return nil
}

// set copies *src into *dst when the file sets it.
func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// apply merges a decoded file onto c. Providers are matched by name, models
// by name within their provider; a model's price list, when given, replaces
// the one below; new providers and models are appended.
func (f *fileConfig) apply(c *Config) error {
	if s := f.Server; s != nil {
		set(&c.Server.Host, s.Host)
		set(&c.Server.Port, s.Port)
		set(&c.Server.APIPath, s.APIPath)
		set(&c.Server.Title, s.Title)
		set(&c.Server.Description, s.Description)
		if s.MaxBodyBytes != nil {
			c.Server.MaxBodyBytes = int64(*s.MaxBodyBytes)
		}
		set(&c.Server.ReadHeaderTimeout, s.ReadHeaderTimeout)
		set(&c.Server.IdleTimeout, s.IdleTimeout)
		set(&c.Server.BodyReadTimeout, s.BodyReadTimeout)
		set(&c.Server.ShutdownTimeout, s.ShutdownTimeout)
		set(&c.Server.PprofAddr, s.PprofAddr)
		if s.GCMinHeap != nil {
			c.Server.GCMinHeap = int64(*s.GCMinHeap)
		}
	}
	if l := f.Log; l != nil {
		set(&c.Log.Level, l.Level)
	}
	if d := f.Database; d != nil {
		set(&c.Database.URL, d.URL)
	}
	if l := f.Ledger; l != nil {
		set(&c.Ledger.BatchSize, l.BatchSize)
		set(&c.Ledger.FlushInterval, l.FlushInterval)
		set(&c.Ledger.QueueSize, l.QueueSize)
	}
	if u := f.Upstream; u != nil {
		set(&c.Upstream.Timeout, u.Timeout)
		set(&c.Upstream.ConnectTimeout, u.ConnectTimeout)
		set(&c.Upstream.TLSVerify, u.TLSVerify)
		set(&c.Upstream.MaxIdleConnsPerHost, u.MaxIdleConnsPerHost)
		set(&c.Upstream.HTTP2, u.HTTP2)
		if u.MaxResponseBytes != nil {
			c.Upstream.MaxResponseBytes = int64(*u.MaxResponseBytes)
		}
	}
	if m := f.Mock; m != nil {
		set(&c.Mock.Enabled, m.Enabled)
		set(&c.Mock.Latency, m.Latency)
		set(&c.Mock.ChunkDelay, m.ChunkDelay)
		set(&c.Mock.PromptTokens, m.PromptTokens)
		set(&c.Mock.CompletionTokens, m.CompletionTokens)
		set(&c.Mock.Reply, m.Reply)
		set(&c.Mock.EmbeddingDimensions, m.EmbeddingDimensions)
		set(&c.Mock.ImageURL, m.ImageURL)
	}
	if o := f.OpenAI; o != nil {
		set(&c.OpenAI.APIKey, o.APIKey)
		set(&c.OpenAI.BaseURL, o.BaseURL)
		set(&c.OpenAI.Organization, o.Organization)
	}
	if a := f.Azure; a != nil {
		set(&c.Azure.APIVersion, a.APIVersion)
		seen := map[string]bool{}
		for i, fr := range a.Regions {
			if fr.Name == nil || *fr.Name == "" {
				return fmt.Errorf("azure.regions[%d].name: required", i)
			}
			name := strings.ToLower(*fr.Name)
			if seen[name] {
				return fmt.Errorf("azure.regions[%s]: duplicate region", name)
			}
			seen[name] = true
			r := c.region(name)
			set(&r.Endpoint, fr.Endpoint)
			set(&r.APIKey, fr.APIKey)
			set(&r.APIVersion, fr.APIVersion)
		}
	}
	if a := f.Anthropic; a != nil {
		set(&c.Anthropic.APIKey, a.APIKey)
		set(&c.Anthropic.BaseURL, a.BaseURL)
		set(&c.Anthropic.Version, a.Version)
	}
	if g := f.Gemini; g != nil {
		set(&c.Gemini.APIKey, g.APIKey)
		set(&c.Gemini.BaseURL, g.BaseURL)
	}
	if b := f.Bedrock; b != nil {
		set(&c.Bedrock.Region, b.Region)
		set(&c.Bedrock.BaseURL, b.BaseURL)
	}
	if err := f.applyCompatible(c); err != nil {
		return err
	}
	if err := f.Routing.apply(&c.Routing); err != nil {
		return err
	}
	return f.applyProviders(c)
}

// applyCompatible merges the compatible servers by name onto those below;
// new ones are appended.
func (f *fileConfig) applyCompatible(c *Config) error {
	seen := map[string]bool{}
	for i, fc := range f.Compatible {
		if fc.Name == nil || *fc.Name == "" {
			return fmt.Errorf("compatible[%d].name: required", i)
		}
		name := *fc.Name
		if seen[name] {
			return fmt.Errorf("compatible[%s]: listed twice", name)
		}
		seen[name] = true
		d := c.compatibleDef(name)
		set(&d.baseURL, fc.BaseURL)
		set(&d.baseURLEnv, fc.BaseURLEnv)
		set(&d.apiKey, fc.APIKey)
		set(&d.apiKeyEnv, fc.APIKeyEnv)
		set(&d.keyOptional, fc.KeyOptional)
	}
	return nil
}

// apply merges the routing section onto r. Groups are matched by name; a
// key the file gives replaces the value below, lists included.
func (fr *fileRouting) apply(r *Routing) error {
	if fr == nil {
		return nil
	}
	set(&r.Strategy, fr.Strategy)
	set(&r.MaxAttempts, fr.MaxAttempts)
	set(&r.BackoffBase, fr.BackoffBase)
	set(&r.BackoffMax, fr.BackoffMax)
	set(&r.BudgetRatio, fr.BudgetRatio)
	set(&r.MinRetriesPerSecond, fr.MinRetriesPerSecond)
	set(&r.FailureThreshold, fr.FailureThreshold)
	set(&r.Cooldown, fr.Cooldown)
	fr.Timeouts.apply(&r.Timeouts)
	seen := map[string]bool{}
	for i, fg := range fr.Groups {
		if fg.Name == nil || *fg.Name == "" {
			return fmt.Errorf("routing.groups[%d].name: required", i)
		}
		name := *fg.Name
		path := "routing.groups[" + name + "]"
		if seen[name] {
			return fmt.Errorf("%s: listed twice", path)
		}
		seen[name] = true
		g := r.group(name)
		set(&g.Strategy, fg.Strategy)
		if fg.Members != nil {
			g.Members = make([]RouteMember, len(*fg.Members))
			for j, fm := range *fg.Members {
				m := RouteMember{Weight: 1}
				set(&m.Deployment, fm.Deployment)
				set(&m.Provider, fm.Provider)
				set(&m.Model, fm.Model)
				set(&m.Weight, fm.Weight)
				set(&m.Priority, fm.Priority)
				g.Members[j] = m
			}
		}
		if fg.Fallbacks != nil {
			g.Fallbacks = append([]string(nil), *fg.Fallbacks...)
		}
		if fg.ContextFallbacks != nil {
			g.ContextFallbacks = append([]string(nil), *fg.ContextFallbacks...)
		}
		fg.Timeouts.apply(&g.Timeouts)
	}
	return nil
}

func (ft *fileTimeouts) apply(t *RouteTimeouts) {
	if ft == nil {
		return
	}
	set(&t.Request, ft.Request)
	set(&t.Attempt, ft.Attempt)
	set(&t.FirstToken, ft.FirstToken)
}

// group returns the group called name, adding it if needed.
func (r *Routing) group(name string) *RouteGroup {
	for i := range r.Groups {
		if r.Groups[i].Name == name {
			return &r.Groups[i]
		}
	}
	r.Groups = append(r.Groups, RouteGroup{Name: name})
	return &r.Groups[len(r.Groups)-1]
}

// region returns the region called name, adding it if needed.
func (c *Config) region(name string) *AzureRegion {
	for i := range c.Azure.Regions {
		if c.Azure.Regions[i].Name == name {
			return &c.Azure.Regions[i]
		}
	}
	c.Azure.Regions = append(c.Azure.Regions, AzureRegion{Name: name})
	return &c.Azure.Regions[len(c.Azure.Regions)-1]
}

func (f *fileConfig) applyProviders(c *Config) error {
	seen := map[string]bool{}
	for i, fp := range f.Providers {
		if fp.Name == nil || *fp.Name == "" {
			return fmt.Errorf("providers[%d].name: required", i)
		}
		name := *fp.Name
		path := "providers[" + name + "]"
		if seen[name] {
			return fmt.Errorf("%s: listed twice", path)
		}
		seen[name] = true
		p := c.provider(name)
		set(&p.ID, fp.ID)
		set(&p.Label, fp.Label)
		set(&p.Description, fp.Description)
		set(&p.Enabled, fp.Enabled)
		if len(fp.Deployments) > 0 && p.Deployments == nil {
			p.Deployments = make(map[string]string, len(fp.Deployments))
		}
		for k, v := range fp.Deployments {
			p.Deployments[k] = v
		}
		if err := fp.applyModels(p, path); err != nil {
			return err
		}
	}
	return nil
}

// provider returns the provider called name, appending a new, enabled one
// with a derived id if needed.
func (c *Config) provider(name string) *Provider {
	for i := range c.Providers {
		if c.Providers[i].Name == name {
			return &c.Providers[i]
		}
	}
	c.Providers = append(c.Providers, Provider{
		ID:      derivedID("provider/" + name),
		Name:    name,
		Label:   name,
		Enabled: true,
	})
	return &c.Providers[len(c.Providers)-1]
}

func (fp *fileProvider) applyModels(p *Provider, path string) error {
	seen := map[string]bool{}
	for i, fm := range fp.Models {
		if fm.Name == nil || *fm.Name == "" {
			return fmt.Errorf("%s.models[%d].name: required", path, i)
		}
		name := *fm.Name
		mpath := path + ".models[" + name + "]"
		if seen[name] {
			return fmt.Errorf("%s: listed twice", mpath)
		}
		seen[name] = true
		m := p.model(name)
		set(&m.ID, fm.ID)
		set(&m.Label, fm.Label)
		set(&m.Description, fm.Description)
		if fm.Kind != nil {
			m.Kind = llmgate.ModelKind(*fm.Kind)
		}
		set(&m.ContextWindow, fm.ContextWindow)
		set(&m.TrainingData, fm.TrainingData)
		set(&m.Enabled, fm.Enabled)
		if fm.Prices != nil {
			prices, err := convertPrices(*fm.Prices, p.Name+"/"+name, mpath)
			if err != nil {
				return err
			}
			m.Prices = prices
		}
	}
	return nil
}

// model returns the model called name, appending a new, enabled one with a
// derived id and a kind guessed from its name if needed.
func (p *Provider) model(name string) *Model {
	for i := range p.Models {
		if p.Models[i].Name == name {
			return &p.Models[i]
		}
	}
	p.Models = append(p.Models, Model{
		ID:      derivedID("model/" + p.Name + "/" + name),
		Name:    name,
		Label:   name,
		Kind:    guessKind(name),
		Enabled: true,
	})
	return &p.Models[len(p.Models)-1]
}

// guessKind is a model's kind when the configuration does not say.
func guessKind(name string) llmgate.ModelKind {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "embedding"):
		return llmgate.KindEmbedding
	case strings.HasPrefix(n, "dall-e") || strings.HasPrefix(n, "gpt-image"):
		return llmgate.KindImage
	}
	return llmgate.KindChat
}

func convertPrices(fps []filePrice, idBase, path string) ([]Price, error) {
	prices := make([]Price, 0, len(fps))
	for i, fp := range fps {
		ppath := fmt.Sprintf("%s.price[%d]", path, i)
		p := Price{
			ID:       derivedID(fmt.Sprintf("price/%s/%d", idBase, i)),
			Currency: "USD",
		}
		set(&p.ID, fp.ID)
		set(&p.UnitOfMeasure, fp.UnitOfMeasure)
		set(&p.Currency, fp.Currency)
		if t := fp.Token; t != nil {
			p.Token = &TokenPrice{
				InputValue:       t.InputValue,
				OutputValue:      t.OutputValue,
				CachedInputValue: t.CachedInputValue,
				CacheWriteValue:  t.CacheWriteValue,
			}
		}
		if px := fp.Pixel; px != nil {
			if px.Value == nil {
				return nil, fmt.Errorf("%s.pixel.value: required", ppath)
			}
			p.Pixel = &PixelPrice{Value: *px.Value}
			set(&p.Pixel.Width, px.Width)
			set(&p.Pixel.Height, px.Height)
			set(&p.Pixel.Quality, px.Quality)
		}
		prices = append(prices, p)
	}
	return prices, nil
}

// derivedID is the id of a catalog entry that the configuration gives none:
// a name-based UUID, so that it stays the same from one start to the next.
func derivedID(name string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("llmgate:"+name)).String()
}
