package llmgate

import "context"

// Caller identifies who made a request. It travels in the request's context
// so that every log line and ledger row of the request can name it.
type Caller struct {
	// CorrelationID is the client's X-Correlation-Id, a UUID.
	CorrelationID string
	// UserID is the client's X-User-Id.
	UserID string
	// ClientID is the client application's client_id.
	ClientID string
	// API is the surface the request came in on: "native", "openai" or
	// "anthropic".
	API string
}

type callerKey struct{}

// CallerKey is the context key of the Caller: a context's Value(CallerKey())
// is a *Caller. WithCaller stores one there; an adapter's own context type
// may answer the key from its state instead, saving a context per request.
func CallerKey() any { return callerKey{} }

// WithCaller returns a copy of ctx that carries c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, &c)
}

// CallerFrom returns the Caller carried by ctx, or the zero Caller.
func CallerFrom(ctx context.Context) Caller {
	if c, _ := ctx.Value(callerKey{}).(*Caller); c != nil {
		return *c
	}
	return Caller{}
}
