package llmgate

// Catalog is the set of providers and models the gateway offers, with their
// prices. It is built from configuration and read-only once built.
type Catalog struct {
	Providers []ProviderInfo
}

// ProviderInfo describes one provider of the catalog.
type ProviderInfo struct {
	ID          string
	Name        string
	Label       string
	Description string
	Models      []ModelInfo
	// Enabled is false when the provider is switched off in configuration.
	Enabled bool
	// Configured is true when the provider has credentials and at least one
	// deployment to send requests to.
	Configured bool
	// MissingConfig names the settings to provide when Configured is false.
	MissingConfig string
}

// ModelKind is what a model does.
type ModelKind string

// The kinds of model.
const (
	KindChat      ModelKind = "chat"
	KindEmbedding ModelKind = "embedding"
	KindImage     ModelKind = "image"
)

// ModelInfo describes one model of a provider.
type ModelInfo struct {
	ID          string
	Name        string
	Label       string
	Description string
	// Kind is what the model does; it decides which endpoints accept it.
	Kind ModelKind
	// ContextWindow is the model's context size in tokens; zero if unknown.
	ContextWindow int
	// TrainingData is the model's knowledge cut-off, such as "Oct 2023".
	TrainingData string
	Prices       []Price
	Enabled      bool
}

// Price is one entry of a model's price list: a token price or an image
// (pixel) price.
type Price struct {
	ID string
	// UnitOfMeasure is the number of tokens a token price is quoted for.
	UnitOfMeasure int64
	Currency      string
	Token         *TokenPrice
	Pixel         *PixelPrice
}

// TokenPrice is the price of UnitOfMeasure tokens. A nil field is not priced.
type TokenPrice struct {
	Input  *Money
	Output *Money
	// CachedInput is the price of prompt tokens read from the provider's
	// cache; nil means they cost the same as Input.
	CachedInput *Money
	// CacheWrite is the price of prompt tokens written to the provider's
	// cache; nil means they cost the same as Input.
	CacheWrite *Money
}

// PixelPrice is the price of one image of a size and quality.
type PixelPrice struct {
	Width  int
	Height int
	// Quality is empty when the price does not depend on quality.
	Quality string
	Value   Money
}
