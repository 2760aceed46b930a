// Package bedrock is the llm-gate adapter for Amazon Bedrock's Converse and
// ConverseStream APIs, which speak one message format for every chat model
// Bedrock hosts (Anthropic Claude, Amazon Nova, Meta Llama, Mistral, …).
//
// Requests are signed with Signature Version 4 by the AWS SDK's signer, and
// streamed answers are read with the SDK's event-stream decoder; the
// Converse JSON itself is translated by this package's own wire types, so
// that the heavy generated bedrockruntime client is not needed.
package bedrock

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/jsonscan"
	"github.com/llmgate/llmgate/internal/provider/transport"
)

// DefaultName is the provider name used in errors when Config.Name is empty.
const DefaultName = "bedrock"

// DefaultMaxResponseBytes bounds a non-streamed response body when
// Config.MaxResponseBytes is zero.
const DefaultMaxResponseBytes = 32 << 20

// signingName is the service name in Bedrock's SigV4 credential scope: the
// runtime endpoint is bedrock-runtime, but it signs as bedrock.
const signingName = "bedrock"

// Config configures a Client.
type Config struct {
	// Region is the AWS region of the Bedrock runtime endpoint, such as
	// "us-east-1". It is required: it names the endpoint and is part of
	// every signature.
	Region string
	// BaseURL is the runtime endpoint; empty means
	// https://bedrock-runtime.{Region}.amazonaws.com. A VPC endpoint, a
	// FIPS endpoint or a test server may be given instead.
	BaseURL string
	// Credentials signs each request. It is required; a provider that is
	// not already an *aws.CredentialsCache is wrapped in one, so that
	// credentials that expire are refreshed once, not on every request.
	Credentials aws.CredentialsProvider
	// HTTPClient sends the requests; nil means http.DefaultClient.
	HTTPClient *http.Client
	// Name is the provider's name in errors; empty means DefaultName.
	Name string
	// Models maps a catalog model name to a Bedrock model id, inference
	// profile id or ARN; a missing name is sent unchanged.
	Models map[string]string
	// MaxResponseBytes bounds a non-streamed response body; zero means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64
}

// Client calls the Bedrock runtime's Converse and ConverseStream APIs. It is
// safe for concurrent use.
type Client struct {
	name     string
	region   string
	base     *url.URL
	creds    aws.CredentialsProvider
	signer   *v4.Signer
	http     *http.Client
	models   map[string]string
	maxBytes int64
}

var (
	_ llmgate.Chatter      = (*Client)(nil)
	_ llmgate.ChatStreamer = (*Client)(nil)
)

// The errors New returns for an unusable Config.
var (
	ErrRegion      = errors.New("bedrock: Region must be an AWS region name such as us-east-1")
	ErrCredentials = errors.New("bedrock: Credentials are required")
	ErrBaseURL     = errors.New("bedrock: BaseURL must be an absolute http or https URL")
)

// regionName matches AWS region names. The region becomes part of a host
// name, so anything else is refused rather than escaped.
var regionName = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)+$`)

// New returns a Client for cfg. It does no network I/O: credentials are
// first retrieved by the first request.
func New(cfg Config) (*Client, error) {
	if !regionName.MatchString(cfg.Region) {
		return nil, ErrRegion
	}
	if cfg.Credentials == nil {
		return nil, ErrCredentials
	}
	base := cfg.BaseURL
	if base == "" {
		base = "https://bedrock-runtime." + cfg.Region + ".amazonaws.com"
	}
	u, err := url.Parse(base)
	if err != nil {
		// The parse error quotes the URL, which may hold credentials.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("%w: %w", ErrBaseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, ErrBaseURL
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	creds := cfg.Credentials
	if _, ok := creds.(*aws.CredentialsCache); !ok {
		creds = aws.NewCredentialsCache(creds)
	}
	name := cfg.Name
	if name == "" {
		name = DefaultName
	}
	maxBytes := cfg.MaxResponseBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxResponseBytes
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{
		name:     name,
		region:   cfg.Region,
		base:     u,
		creds:    creds,
		signer:   v4.NewSigner(),
		http:     hc,
		models:   cfg.Models,
		maxBytes: maxBytes,
	}, nil
}

// CredentialsFromEnv returns static credentials from the standard AWS
// variables in environ ("KEY=value" entries, as os.Environ returns; a later
// entry wins over an earlier one): AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, or their older spellings AWS_ACCESS_KEY and
// AWS_SECRET_KEY, with AWS_SESSION_TOKEN for temporary credentials. ok is
// false when the key id or the secret is missing.
//
// Shared config files (AWS_PROFILE), SSO, web identity and instance roles are
// not read: they need the SDK's config module, whose default chain may call
// the instance metadata service and so stall start-up on a machine without
// it. A caller that wants them builds the provider itself and passes it in
// Config.Credentials.
func CredentialsFromEnv(environ []string) (aws.CredentialsProvider, bool) {
	env := lookupEnv(environ)
	id := firstNonEmpty(env["AWS_ACCESS_KEY_ID"], env["AWS_ACCESS_KEY"])
	secret := firstNonEmpty(env["AWS_SECRET_ACCESS_KEY"], env["AWS_SECRET_KEY"])
	if id == "" || secret == "" {
		return nil, false
	}
	p := credentials.NewStaticCredentialsProvider(id, secret, env["AWS_SESSION_TOKEN"])
	p.Value.Source = "llmgate environment"
	return p, true
}

// RegionFromEnv returns the region named by AWS_REGION, or else by
// AWS_DEFAULT_REGION, in environ; "" when neither is set.
func RegionFromEnv(environ []string) string {
	env := lookupEnv(environ)
	return firstNonEmpty(env["AWS_REGION"], env["AWS_DEFAULT_REGION"])
}

func lookupEnv(environ []string) map[string]string {
	env := make(map[string]string, 8)
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(k, "AWS_") {
			env[k] = strings.TrimSpace(v)
		}
	}
	return env
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// model returns the Bedrock model id of a catalog model.
func (c *Client) model(name string) string {
	if m, ok := c.models[name]; ok {
		return m
	}
	return name
}

// Chat implements llmgate.Chatter with the Converse API. The response's ID
// is Bedrock's request id; Served.Upstream is the time until the whole body
// was read.
func (c *Client) Chat(ctx context.Context, req *llmgate.ChatRequest) (*llmgate.ChatResponse, error) {
	body, err := encodeRequest(req, jsonscan.LiteralsFrom(ctx))
	if err != nil {
		return nil, c.requestError(err)
	}
	start := time.Now()
	resp, secrets, err := c.send(ctx, req.Model, "converse", "application/json", body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := transport.ReadLimited(resp.Body, resp.ContentLength, c.maxBytes)
	if errors.Is(err, transport.ErrTooLarge) {
		return nil, &llmgate.Error{Code: llmgate.EUpstreamBadResponse, Provider: c.name, UpstreamStatus: resp.StatusCode,
			Message: fmt.Sprintf("the provider's answer is larger than %d bytes", c.maxBytes), Err: err}
	}
	if err != nil {
		return nil, redactError(transport.Error(ctx, c.name, "reading response", err), secrets)
	}
	latency := time.Since(start)
	r, err := decodeResponse(data)
	if err != nil {
		return nil, &llmgate.Error{Code: llmgate.EUpstreamBadResponse, Provider: c.name, UpstreamStatus: resp.StatusCode,
			Message: "the provider's answer could not be read", Err: err}
	}
	r.ID = resp.Header.Get("X-Amzn-Requestid")
	r.Created = start.UTC()
	r.Served.Model = req.Model
	r.Served.Upstream = latency
	return r, nil
}

// ChatStream implements llmgate.ChatStreamer with the ConverseStream API,
// whatever req.Stream says. It returns once Bedrock has answered with
// headers; the first chunk carries Served with Model set to req.Model and
// Upstream to the time until those headers.
func (c *Client) ChatStream(ctx context.Context, req *llmgate.ChatRequest) (llmgate.ChatStream, error) {
	body, err := encodeRequest(req, jsonscan.LiteralsFrom(ctx))
	if err != nil {
		return nil, c.requestError(err)
	}
	start := time.Now()
	resp, secrets, err := c.send(ctx, req.Model, "converse-stream", "application/vnd.amazon.eventstream", body)
	if err != nil {
		return nil, err
	}
	s := newStream(ctx, resp.Body, c.name, secrets)
	s.id = resp.Header.Get("X-Amzn-Requestid")
	s.created = start.UTC()
	s.model = req.Model
	s.served = &llmgate.Served{Model: req.Model, Upstream: time.Since(start)}
	return s, nil
}

// requestError names the provider on a translation error.
func (c *Client) requestError(err error) error {
	var e *llmgate.Error
	if errors.As(err, &e) && e.Provider == "" {
		e.Provider = c.name
	}
	return err
}

// send signs and posts body to /model/{modelId}/{op} and returns a
// successful response with its body unread, and the secrets of the
// credentials it was signed with, for redaction. An error status becomes an
// *llmgate.Error.
func (c *Client) send(ctx context.Context, model, op, accept string, body []byte) (*http.Response, []string, error) {
	id := c.model(model)
	if id == "" {
		return nil, nil, &llmgate.Error{Code: llmgate.EInvalidRequest, Provider: c.name, Message: "the request names no model"}
	}
	u := *c.base
	u.Path = c.base.Path + "/model/" + id + "/" + op
	u.RawPath = c.base.EscapedPath() + "/model/" + escapeSegment(id) + "/" + op
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, &llmgate.Error{Code: llmgate.EInternal, Provider: c.name, Message: "the provider's address is invalid", Err: transport.StripURL(err)}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", accept)

	creds, err := c.creds.Retrieve(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil, transport.Error(ctx, c.name, "retrieving credentials", err)
		}
		return nil, nil, &llmgate.Error{Code: llmgate.EUpstreamAuth, Provider: c.name, Message: "the gateway could not obtain AWS credentials",
			Err: fmt.Errorf("retrieving credentials: %w", err)}
	}
	secrets := credentialSecrets(creds)
	sum := sha256.Sum256(body)
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), signingName, c.region, time.Now()); err != nil {
		return nil, nil, redactError(&llmgate.Error{Code: llmgate.EInternal, Provider: c.name, Message: "the request could not be signed",
			Err: fmt.Errorf("signing request: %w", err)}, secrets)
	}
	resp, err := transport.Do(c.http, req)
	if err != nil {
		return nil, nil, redactError(transport.Error(ctx, c.name, "sending request", err), secrets)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		defer resp.Body.Close()
		data, err := transport.ReadErrorBody(resp)
		if err != nil {
			return nil, nil, redactError(transport.Error(ctx, c.name, "reading error response", err), secrets)
		}
		return nil, nil, redactError(responseError(c.name, resp.StatusCode, resp.Header, data), secrets)
	}
	return resp, secrets, nil
}

// credentialSecrets returns the parts of creds that must never be shown.
// The access key id is an identifier, not a secret: AWS itself echoes it in
// signature errors.
func credentialSecrets(creds aws.Credentials) []string {
	var s []string
	if creds.SecretAccessKey != "" {
		s = append(s, creds.SecretAccessKey)
	}
	if creds.SessionToken != "" {
		s = append(s, creds.SessionToken)
	}
	return s
}

// escapeSegment escapes s as one path segment the way the AWS SDKs do:
// every byte outside RFC 3986's unreserved set is percent-encoded, so that
// the ':' and '/' of inference profile ARNs stay inside the segment.
// url.PathEscape would leave ':' alone, which Bedrock tolerates but the
// SDKs never send.
func escapeSegment(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}
