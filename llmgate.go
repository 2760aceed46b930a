// Package llmgate is the domain of the llm-gate gateway: the canonical chat,
// embedding and image requests and responses, usage, cost, the error type,
// the catalog, the ledger record, and the small interfaces that the adapters
// under internal/ implement.
//
// The package imports nothing outside the standard library. Every provider,
// store and transport is an adapter that depends on it, never the reverse.
package llmgate

import (
	"context"
	"time"
)

// Chatter answers a chat request with a complete response.
type Chatter interface {
	Chat(ctx context.Context, req *ChatRequest) (*ChatResponse, error)
}

// ChatStreamer answers a chat request as a stream of chunks. Providers that can
// stream implement it beside Chatter; callers check for it with a type assertion.
type ChatStreamer interface {
	ChatStream(ctx context.Context, req *ChatRequest) (ChatStream, error)
}

// ChatStream yields the chunks of a streamed chat answer. Recv returns io.EOF
// after the last chunk. Close releases the upstream connection; it is safe to
// call more than once and after io.EOF.
//
// A chunk belongs to the stream: the next Recv may reuse its memory, the
// slices and pointers it holds included, so that a long answer does not
// allocate a chunk per token. A caller that keeps any of it past the next
// Recv copies it (ChatChunk.Clone); its strings stay valid.
//
// A stream whose Recv may wait, for the provider's connection or for a
// timer, calls the function StreamFlush finds in its context first, if any.
type ChatStream interface {
	Recv() (*ChatChunk, error)
	Close() error
}

type streamFlushKey struct{}

// WithStreamFlush returns a copy of ctx that carries flush, for the streams
// opened with it: each calls flush before it may wait, as ChatStream says.
// The HTTP layer passes a function that sends the events written since the
// last call, so that chunks which arrive together leave in one write, and
// no chunk waits behind a read that blocks.
func WithStreamFlush(ctx context.Context, flush func()) context.Context {
	return context.WithValue(ctx, streamFlushKey{}, flush)
}

// StreamFlush returns the function WithStreamFlush put in ctx, or nil.
func StreamFlush(ctx context.Context) func() {
	f, _ := ctx.Value(streamFlushKey{}).(func())
	return f
}

// Embedder turns text into vectors.
type Embedder interface {
	Embed(ctx context.Context, req *EmbeddingRequest) (*EmbeddingResponse, error)
}

// ImageGenerator creates images from a prompt.
type ImageGenerator interface {
	GenerateImage(ctx context.Context, req *ImageRequest) (*ImageResponse, error)
}

// Gateway is the port the HTTP layer drives: it routes each request to a
// provider deployment, prices it and records it in the ledger.
type Gateway interface {
	Chatter
	ChatStreamer
	Embedder
	ImageGenerator
}

// Health is the state of the gateway and of each provider deployment.
type Health struct {
	Status    string
	Providers []ProviderHealth
}

// ProviderHealth is the state of one provider of the catalog.
type ProviderHealth struct {
	Name          string
	Configured    bool
	MissingConfig string
	Deployments   []DeploymentHealth
}

// DeploymentHealth is the state of one deployment of a provider.
type DeploymentHealth struct {
	Name string
	// State is "healthy", "open" (out of rotation after repeated failures)
	// or "half_open" (being probed after its cooldown).
	State string
	// ConsecutiveFailures counts the failures since the last success.
	ConsecutiveFailures int
	InFlight            int
	// Latency is a moving average of successful attempts' latency.
	Latency time.Duration
	// OpenUntil is when an open deployment will be probed again.
	OpenUntil time.Time
	// RateLimitedUntil is when a deployment that answered 429 takes traffic again.
	RateLimitedUntil time.Time
}
