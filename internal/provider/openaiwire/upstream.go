package openaiwire

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/jsonscan"
	"github.com/llmgate/llmgate/internal/provider/transport"
)

// DefaultMaxResponseBytes bounds a non-streamed response body when
// Upstream.MaxResponseBytes is zero.
const DefaultMaxResponseBytes = 32 << 20

// Endpoint is where one call goes: the full URL and the headers that
// authenticate it.
type Endpoint struct {
	URL    string
	Header http.Header
}

// Upstream sends requests in OpenAI's wire format and translates the
// answers. Its zero value is not usable: Provider names the provider in
// errors. An Upstream is safe for concurrent use.
type Upstream struct {
	// Provider names the provider in every error, such as "openai".
	Provider string
	// HTTPClient sends the requests, through transport.Do: redirects are
	// not followed. Nil means http.DefaultTransport.
	HTTPClient *http.Client
	// MaxResponseBytes bounds a non-streamed response body; zero means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// MaxLineBytes bounds one line of a stream; zero means
	// DefaultMaxLineBytes.
	MaxLineBytes int
	// Secret is the API key. It is removed from the text of every error,
	// for upstreams that echo it back.
	Secret string
}

// Chat sends req as a chat completion and returns the answer, with
// Served.Model set to req.Model and Served.Upstream to the time until the
// whole body was read.
func (u *Upstream) Chat(ctx context.Context, ep Endpoint, req *llmgate.ChatRequest, opts ChatOptions) (*llmgate.ChatResponse, error) {
	opts.Literals = jsonscan.LiteralsFrom(ctx)
	body, pooled, err := encodeChatRequest(req, opts, false)
	if err != nil {
		return nil, u.fail(err)
	}
	r, latency, err := call(ctx, u, ep, body, pooled, decodeChatResponse)
	if err != nil {
		return nil, err
	}
	r.Served.Model = req.Model
	r.Served.Upstream = latency
	return r, nil
}

// ChatStream sends req as a streamed chat completion, whatever req.Stream
// says, and returns the stream once the upstream has answered with headers.
// The first chunk carries Served with Model set to req.Model and Upstream to
// the time until those headers.
func (u *Upstream) ChatStream(ctx context.Context, ep Endpoint, req *llmgate.ChatRequest, opts ChatOptions) (*ChatStream, error) {
	opts.Literals = jsonscan.LiteralsFrom(ctx)
	body, pooled, err := encodeChatRequest(req, opts, true)
	if err != nil {
		return nil, u.fail(err)
	}
	resp, latency, err := u.send(ctx, ep, body, pooled, sseValue)
	if err != nil {
		return nil, err
	}
	s := newChatStream(ctx, resp.Body, u.Provider, u.Secret, u.MaxLineBytes)
	s.latency = latency
	s.served = &llmgate.Served{Model: req.Model, Upstream: latency}
	return s, nil
}

// Embed sends req to the embeddings API under the upstream model name model
// (empty omits it) and returns the vectors, with Served.Model set to
// req.Model and Served.Upstream to the upstream's time.
func (u *Upstream) Embed(ctx context.Context, ep Endpoint, req *llmgate.EmbeddingRequest, model string) (*llmgate.EmbeddingResponse, error) {
	body, err := encodeEmbeddingRequest(req, model)
	if err != nil {
		return nil, u.fail(err)
	}
	r, latency, err := call(ctx, u, ep, body, false, decodeEmbeddingResponse)
	if err != nil {
		return nil, err
	}
	r.Served.Model = req.Model
	r.Served.Upstream = latency
	return r, nil
}

// GenerateImage sends req to the images API under the upstream model name
// model (empty omits it), with Served filled as Embed does.
func (u *Upstream) GenerateImage(ctx context.Context, ep Endpoint, req *llmgate.ImageRequest, model string) (*llmgate.ImageResponse, error) {
	body, err := encodeImageRequest(req, model)
	if err != nil {
		return nil, u.fail(err)
	}
	r, latency, err := call(ctx, u, ep, body, false, func(data []byte) (*llmgate.ImageResponse, error) { return decodeImageResponse(data, req) })
	if err != nil {
		return nil, err
	}
	r.Served.Model = req.Model
	r.Served.Upstream = latency
	return r, nil
}

// answers holds the buffers non-streamed answers are read into; an answer
// is decoded into values of their own, so its buffer serves the next one.
var answers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledAnswer bounds the buffers answers keeps: pooled buffers are
// live memory, which the garbage collector's heap goal doubles.
const maxPooledAnswer = 64 << 10

// call posts body (pooled as send says), reads the whole answer within the
// size limit and decodes it with decode, which must not keep the bytes it
// is given. It returns the result and the time until the answer was read.
func call[T any](ctx context.Context, u *Upstream, ep Endpoint, body []byte, pooled bool, decode func([]byte) (T, error)) (T, time.Duration, error) {
	var zero T
	start := time.Now()
	resp, _, err := u.send(ctx, ep, body, pooled, jsonValue)
	if err != nil {
		return zero, 0, err
	}
	defer resp.Body.Close()
	limit := u.MaxResponseBytes
	if limit <= 0 {
		limit = DefaultMaxResponseBytes
	}
	buf := answers.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledAnswer {
			answers.Put(buf)
		}
	}()
	err = transport.ReadLimitedTo(buf, resp.Body, resp.ContentLength, limit)
	if errors.Is(err, transport.ErrTooLarge) {
		return zero, 0, u.fail(&llmgate.Error{Code: llmgate.EUpstreamBadResponse, Provider: u.Provider, UpstreamStatus: resp.StatusCode,
			Message: fmt.Sprintf("the provider's answer is larger than %d bytes", limit), Err: err})
	}
	if err != nil {
		return zero, 0, u.fail(transport.Error(ctx, u.Provider, "reading response", err))
	}
	latency := time.Since(start)
	r, err := decode(buf.Bytes())
	if err != nil {
		return zero, 0, u.badResponse(err)
	}
	return r, latency, nil
}

// send posts body and returns a successful response with its body unread,
// and the time until its headers; an error status becomes an *llmgate.Error.
// accept is the value of the Accept header, jsonValue or sseValue. A pooled
// body, from bufpool.Get, goes back to its pool once sent.
func (u *Upstream) send(ctx context.Context, ep Endpoint, body []byte, pooled bool, accept []string) (*http.Response, time.Duration, error) {
	req, release, err := transport.NewRequest(ctx, http.MethodPost, ep.URL, body, pooled)
	if err != nil {
		return nil, 0, u.fail(&llmgate.Error{Code: llmgate.EInternal, Provider: u.Provider, Message: "the provider's address is invalid", Err: transport.StripURL(err)})
	}
	setHeader(req.Header, ep.Header, accept)
	start := time.Now()
	resp, err := transport.Do(u.HTTPClient, req)
	release() // body is the transport's alone now, until it closes it
	if err != nil {
		return nil, 0, u.fail(transport.Error(ctx, u.Provider, "sending request", err))
	}
	latency := time.Since(start)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		data, err := transport.ReadErrorBody(resp)
		if err != nil {
			return nil, 0, u.fail(transport.Error(ctx, u.Provider, "reading error response", err))
		}
		return nil, 0, u.fail(Error(u.Provider, resp.StatusCode, resp.Header, data))
	}
	return resp, latency, nil
}

// The values of the headers send sets, shared by every request: nothing
// on the way to the wire changes a header's values in place.
var (
	jsonValue = []string{"application/json"}
	sseValue  = []string{"text/event-stream"}
)

// setHeader fills h, the empty header of a new request, as cloning ep and
// setting Content-Type to JSON and Accept to accept would, with less work:
// the two keys are already canonical, and h holds ep's value slices rather
// than copies. Each is cut to its length, so that an Add to the request
// copies rather than writes into ep's array; neither net/http nor a
// RoundTripper, which must not modify the request, changes values in place.
func setHeader(h, ep http.Header, accept []string) {
	for k, v := range ep {
		h[k] = v[:len(v):len(v)]
	}
	h["Content-Type"] = jsonValue
	h["Accept"] = accept
}

// fail removes the secret from err's text.
func (u *Upstream) fail(err error) error {
	var e *llmgate.Error
	if errors.As(err, &e) {
		if e.Provider == "" {
			e.Provider = u.Provider
		}
		return redactError(e, u.Secret)
	}
	return err
}

func (u *Upstream) badResponse(err error) error {
	return u.fail(&llmgate.Error{Code: llmgate.EUpstreamBadResponse, Provider: u.Provider, Message: "the provider's answer could not be read", Err: err})
}
