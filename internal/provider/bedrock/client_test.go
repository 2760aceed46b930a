package bedrock

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/google/go-cmp/cmp"
	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

// Test credentials, in the shape of AWS's documentation examples.
const (
	testKeyID   = "AKIAIOSFODNN7EXAMPLE"
	testSecret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	testToken   = "FwoGZXIvYXdzEXAMPLESESSIONTOKENxyz0123456789abcdefghijklmnopqrstuvwxyz"
	testRegion  = "eu-west-3"
	profileARN  = "arn:aws:bedrock:eu-west-3:123456789012:inference-profile/eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
	escapedARN  = "arn%3Aaws%3Abedrock%3Aeu-west-3%3A123456789012%3Ainference-profile%2Feu.anthropic.claude-sonnet-4-5-20250929-v1%3A0"
	eventStream = "application/vnd.amazon.eventstream"
)

// authHeader matches a SigV4 Authorization header.
var authHeader = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$`)

// verifySigV4 checks that r carries a well-formed SigV4 signature by creds
// for Bedrock in region, then signs a copy of r with the SDK's signer at the
// request's own X-Amz-Date and compares the two signatures.
func verifySigV4(r *http.Request, body []byte, creds aws.Credentials, region string) error {
	m := authHeader.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		return fmt.Errorf("malformed Authorization header %q", r.Header.Get("Authorization"))
	}
	date := r.Header.Get("X-Amz-Date")
	if m[1] != creds.AccessKeyID || m[3] != region || m[4] != "bedrock" || !strings.HasPrefix(date, m[2]) {
		return fmt.Errorf("credential scope %s/%s/%s/%s, X-Amz-Date %q", m[1], m[2], m[3], m[4], date)
	}
	signed := strings.Split(m[5], ";")
	for _, h := range []string{"host", "x-amz-date", "content-type"} {
		if !contains(signed, h) {
			return fmt.Errorf("SignedHeaders %q lack %s", m[5], h)
		}
	}
	if tok := r.Header.Get("X-Amz-Security-Token"); tok != creds.SessionToken || (tok != "") != contains(signed, "x-amz-security-token") {
		return fmt.Errorf("X-Amz-Security-Token %q, want %q, signed: %v", tok, creds.SessionToken, contains(signed, "x-amz-security-token"))
	}
	when, err := time.Parse("20060102T150405Z", date)
	if err != nil {
		return err
	}
	again, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return err
	}
	for _, h := range signed {
		if h != "host" && h != "content-length" && h != "x-amz-date" && h != "x-amz-security-token" {
			again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, again, hex.EncodeToString(sum[:]), "bedrock", region, when); err != nil {
		return err
	}
	if got, want := r.Header.Get("Authorization"), again.Header.Get("Authorization"); got != want {
		return fmt.Errorf("signature mismatch:\n got  %s\n want %s", got, want)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// fakeBedrock is a test server standing in for the Bedrock runtime. It
// checks each request's signature and records it, then lets respond answer.
type fakeBedrock struct {
	*httptest.Server
	creds aws.Credentials

	mu       sync.Mutex
	requests []recorded
	respond  func(w http.ResponseWriter, r *http.Request)
}

type recorded struct {
	path, accept string
	body         []byte
}

func newFakeBedrock(t *testing.T, creds aws.Credentials, respond func(w http.ResponseWriter, r *http.Request)) *fakeBedrock {
	t.Helper()
	f := &fakeBedrock{creds: creds, respond: respond}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("reading request: %v", err)
			return
		}
		if err := verifySigV4(r, body, creds, testRegion); err != nil {
			t.Errorf("signature check: %v", err)
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("request %s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
		}
		f.mu.Lock()
		f.requests = append(f.requests, recorded{path: r.URL.EscapedPath(), accept: r.Header.Get("Accept"), body: body})
		f.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		f.respond(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeBedrock) last(t *testing.T) recorded {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		t.Fatal("no request reached the server")
	}
	return f.requests[len(f.requests)-1]
}

func newTestClient(t *testing.T, f *fakeBedrock, creds aws.Credentials) *Client {
	t.Helper()
	c, err := New(Config{
		Region:      testRegion,
		BaseURL:     f.URL,
		Credentials: credentials.StaticCredentialsProvider{Value: creds},
		HTTPClient:  f.Client(),
		Models:      map[string]string{"claude-sonnet": profileARN},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func answerJSON(body []byte, header ...string) func(w http.ResponseWriter, r *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}
}

func TestChat(t *testing.T) {
	for _, creds := range []aws.Credentials{
		{AccessKeyID: testKeyID, SecretAccessKey: testSecret},
		{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testToken},
	} {
		t.Run(fmt.Sprintf("session token %v", creds.SessionToken != ""), func(t *testing.T) {
			f := newFakeBedrock(t, creds, answerJSON(providertest.ReadFile(t, "converse_response_tool_use.json"), "X-Amzn-Requestid", "9f1e2d3c-0000-4000-8000-000000000001"))
			c := newTestClient(t, f, creds)
			got, err := c.Chat(context.Background(), toolChat)
			if err != nil {
				t.Fatal(err)
			}
			req := f.last(t)
			if want := "/model/" + escapedARN + "/converse"; req.path != want {
				t.Errorf("path = %s, want %s", req.path, want)
			}
			if req.accept != "application/json" {
				t.Errorf("Accept = %q", req.accept)
			}
			providertest.CheckGolden(t, "converse_request_tools.golden.json", req.body)
			if got.ID != "9f1e2d3c-0000-4000-8000-000000000001" || got.Served.Model != "claude-sonnet" || got.Served.Upstream <= 0 || got.Created.IsZero() {
				t.Errorf("ID %q, Served %+v, Created %v", got.ID, got.Served, got.Created)
			}
			want := &llmgate.Message{Role: llmgate.RoleAssistant, Content: []llmgate.Part{llmgate.TextPart("I'll check both.")}, ToolCalls: []llmgate.ToolCall{
				{ID: "tooluse_kZJMlvQmRJ6eAyJE5GIl7Q", Name: "get_weather", Arguments: `{"city": "Boston", "unit": "celsius"}`},
				{ID: "tooluse_2", Name: "get_time", Arguments: `{}`},
			}}
			if diff := cmp.Diff(want, &got.Choices[0].Message); diff != "" {
				t.Errorf("message mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestChatModelPath checks that model ids are sent as one escaped path
// segment, and unmapped names unchanged.
func TestChatModelPath(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	f := newFakeBedrock(t, creds, answerJSON(providertest.ReadFile(t, "converse_response_text.json")))
	c := newTestClient(t, f, creds)
	for name, want := range map[string]string{
		"claude-sonnet":                      "/model/" + escapedARN + "/converse",
		"amazon.nova-pro-v1:0":               "/model/amazon.nova-pro-v1%3A0/converse",
		"us.meta.llama3-3-70b-instruct-v1:0": "/model/us.meta.llama3-3-70b-instruct-v1%3A0/converse",
	} {
		req := *plainChat
		req.Model = name
		if _, err := c.Chat(context.Background(), &req); err != nil {
			t.Fatal(err)
		}
		if got := f.last(t).path; got != want {
			t.Errorf("model %s: path %s, want %s", name, got, want)
		}
	}
}

func TestChatStream(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testToken}
	frames := loadStream(t, "stream_tool_use.json")
	f := newFakeBedrock(t, creds, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", eventStream)
		w.Header().Set("X-Amzn-Requestid", "req-stream")
		// Send the frames in uneven pieces, flushing each, as a network would.
		for len(frames) > 0 {
			n := min(len(frames), 37)
			w.Write(frames[:n])
			w.(http.Flusher).Flush()
			frames = frames[n:]
		}
	})
	c := newTestClient(t, f, creds)
	s, err := c.ChatStream(context.Background(), plainChat)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	chunks, err := providertest.Drain(t, s)
	if err != io.EOF {
		t.Fatalf("err = %v, want io.EOF", err)
	}
	req := f.last(t)
	if want := "/model/" + escapedARN + "/converse-stream"; req.path != want || req.accept != eventStream {
		t.Errorf("path %s, Accept %q", req.path, req.accept)
	}
	providertest.CheckGolden(t, "converse_request_plain.golden.json", req.body)
	if len(chunks) != 9 {
		t.Fatalf("got %d chunks, want 9", len(chunks))
	}
	if sv := chunks[0].Served; sv == nil || sv.Model != "claude-sonnet" || sv.Upstream <= 0 {
		t.Errorf("first chunk Served = %+v", sv)
	}
	if c := chunks[0]; c.ID != "req-stream" || c.Model != "claude-sonnet" || c.Created.IsZero() {
		t.Errorf("first chunk ID %q, Model %q, Created %v", c.ID, c.Model, c.Created)
	}
	if u := chunks[8].Usage; u == nil || u.PromptTokens != 1060 {
		t.Errorf("last chunk Usage = %+v", u)
	}
}

// TestStreamCancel checks that canceling the request ends a Recv blocked
// on a silent upstream, promptly and with client_closed.
func TestStreamCancel(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	first := encodeFrames(t, []frameSpec{{Event: "messageStart", Payload: []byte(`{"role":"assistant"}`)}})
	f := newFakeBedrock(t, creds, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", eventStream)
		w.Write(first)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	c := newTestClient(t, f, creds)
	for _, how := range []string{"cancel", "close"} {
		t.Run(how, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s, err := c.ChatStream(ctx, plainChat)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Recv(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := s.Recv()
				done <- err
			}()
			if how == "cancel" {
				cancel()
			} else {
				s.Close()
			}
			select {
			case err := <-done:
				if code := llmgate.ErrorCodeOf(err); code != llmgate.EClientClosed {
					t.Errorf("err = %v, want client_closed", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("Recv still blocked 5s after the stream was abandoned")
			}
			s.Close()
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		file       string
		status     int
		errType    string
		code       llmgate.ErrorCode
		msg        string
		retryAfter time.Duration
	}{
		{"error_validation.json", 400, "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/", llmgate.EUpstreamBadRequest, "The provided model identifier is invalid.", 0},
		{"error_input_too_long.json", 400, "ValidationException", llmgate.EContextLengthExceeded, "Input is too long for requested model.", 0},
		{"error_prompt_too_long.json", 400, "ValidationException", llmgate.EContextLengthExceeded, "prompt is too long", 0},
		{"error_access_denied.json", 403, "AccessDeniedException", llmgate.EUpstreamAuth, "is not authorized to perform: bedrock:InvokeModel", 0},
		{"error_unrecognized_client.json", 403, "UnrecognizedClientException", llmgate.EUpstreamAuth, "security token", 0},
		{"error_signature.json", 403, "InvalidSignatureException", llmgate.EUpstreamAuth, "signature", 0},
		{"error_not_found.json", 404, "ResourceNotFoundException", llmgate.EUpstreamNotFound, "Could not resolve", 0},
		{"error_throttling.json", 429, "ThrottlingException", llmgate.ERateLimited, "Too many requests", 3 * time.Second},
		{"error_model_timeout.json", 408, "ModelTimeoutException", llmgate.EUpstreamTimeout, "timed out", 0},
		{"error_internal.json", 500, "InternalServerException", llmgate.EUpstreamError, "unexpected error", 0},
		{"error_service_unavailable.json", 503, "ServiceUnavailableException", llmgate.EUpstreamUnavailable, "unable to process", 3 * time.Second},
		{"error_model_not_ready.json", 429, "ModelNotReadyException", llmgate.EUpstreamUnavailable, "not ready", 3 * time.Second},
		{"error_model_error.json", 424, "ModelErrorException", llmgate.EUpstreamError, "Received 500", 0},
		// Without a type header the status decides.
		{"error_throttling.json", 429, "", llmgate.ERateLimited, "Too many requests", 3 * time.Second},
		{"error_502.html", 502, "", llmgate.EUpstreamError, "HTTP 502 Bad Gateway", 0},
	}
	creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.errType, func(t *testing.T) {
			f := newFakeBedrock(t, creds, func(w http.ResponseWriter, r *http.Request) {
				if tt.errType != "" {
					w.Header().Set("X-Amzn-ErrorType", tt.errType)
				}
				w.Header().Set("Retry-After", "3")
				w.WriteHeader(tt.status)
				w.Write(providertest.ReadFile(t, tt.file))
			})
			c := newTestClient(t, f, creds)
			_, chatErr := c.Chat(context.Background(), plainChat)
			_, streamErr := c.ChatStream(context.Background(), plainChat)
			for _, err := range []error{chatErr, streamErr} {
				var e *llmgate.Error
				if !errors.As(err, &e) {
					t.Fatalf("err = %v, want an *llmgate.Error", err)
				}
				if e.Code != tt.code || !strings.Contains(e.Message, tt.msg) || e.UpstreamStatus != tt.status || e.Provider != "bedrock" || e.RetryAfter != tt.retryAfter {
					t.Errorf("err = %+v\nwant code %s, message with %q, status %d, RetryAfter %v", e, tt.code, tt.msg, tt.status, tt.retryAfter)
				}
			}
		})
	}
}

// TestSecretsNeverInErrors checks the text of every kind of error for the
// secret key, the session token and the signature.
func TestSecretsNeverInErrors(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testToken}
	var signatures []string
	var mu sync.Mutex
	echo := func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		signatures = append(signatures, authHeader.FindStringSubmatch(r.Header.Get("Authorization"))[6])
		mu.Unlock()
		w.Header().Set("X-Amzn-ErrorType", "UnrecognizedClientException")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"message":"token %s, key %s, auth %s"}`, r.Header.Get("X-Amz-Security-Token"), testSecret, r.Header.Get("Authorization"))
	}
	f := newFakeBedrock(t, creds, echo)
	c := newTestClient(t, f, creds)
	_, err := c.Chat(context.Background(), plainChat)
	errs := []error{err}
	_, err = c.ChatStream(context.Background(), plainChat)
	errs = append(errs, err)

	// A connection that breaks, and a stream exception that echoes them.
	hijack := newFakeBedrock(t, creds, func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	})
	_, err = newTestClient(t, hijack, creds).Chat(context.Background(), plainChat)
	errs = append(errs, err)
	exc := newFakeBedrock(t, creds, func(w http.ResponseWriter, r *http.Request) {
		w.Write(encodeFrames(t, []frameSpec{{Exception: "validationException", Payload: []byte(`{"message":"bad token ` + testToken + ` ` + testSecret + `"}`)}}))
	})
	s, err := newTestClient(t, exc, creds).ChatStream(context.Background(), plainChat)
	if err != nil {
		t.Fatal(err)
	}
	_, err = providertest.Drain(t, s)
	errs = append(errs, err)

	mu.Lock()
	defer mu.Unlock()
	if len(signatures) != 2 {
		t.Fatalf("%d signed requests echoed, want 2", len(signatures))
	}
	for i, err := range errs {
		if err == nil {
			t.Fatalf("case %d: no error", i)
		}
		e := llmgate.AsError(err)
		for _, text := range []string{err.Error(), e.Message, fmt.Sprintf("%+v", e)} {
			for _, secret := range append([]string{testSecret, testToken}, signatures...) {
				if strings.Contains(text, secret) {
					t.Errorf("case %d: error text holds a secret: %s", i, text)
				}
			}
		}
	}
}

func TestTransportErrors(t *testing.T) {
	creds := aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}
	t.Run("connection refused", func(t *testing.T) {
		f := newFakeBedrock(t, creds, answerJSON(nil))
		c := newTestClient(t, f, creds)
		f.Close()
		_, err := c.Chat(context.Background(), plainChat)
		if code := llmgate.ErrorCodeOf(err); code != llmgate.EUpstreamConnection || strings.Contains(err.Error(), f.URL) {
			t.Errorf("err = %v, want upstream_connection without the URL", err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		f := newFakeBedrock(t, creds, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		c := newTestClient(t, f, creds)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Chat(ctx, plainChat)
		if code := llmgate.ErrorCodeOf(err); code != llmgate.EUpstreamTimeout {
			t.Errorf("err = %v, want upstream_timeout", err)
		}
	})
	t.Run("answer too large", func(t *testing.T) {
		f := newFakeBedrock(t, creds, answerJSON(providertest.ReadFile(t, "converse_response_text.json")))
		c := newTestClient(t, f, creds)
		c.maxBytes = 64
		_, err := c.Chat(context.Background(), plainChat)
		if code := llmgate.ErrorCodeOf(err); code != llmgate.EUpstreamBadResponse {
			t.Errorf("err = %v, want upstream_bad_response", err)
		}
	})
	t.Run("answer not json", func(t *testing.T) {
		f := newFakeBedrock(t, creds, answerJSON([]byte("<html>")))
		_, err := newTestClient(t, f, creds).Chat(context.Background(), plainChat)
		if code := llmgate.ErrorCodeOf(err); code != llmgate.EUpstreamBadResponse {
			t.Errorf("err = %v, want upstream_bad_response", err)
		}
	})
	t.Run("credentials fail", func(t *testing.T) {
		f := newFakeBedrock(t, creds, func(w http.ResponseWriter, r *http.Request) { t.Error("a request was sent without credentials") })
		c, err := New(Config{Region: testRegion, BaseURL: f.URL, HTTPClient: f.Client(),
			Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{}, errors.New("no credentials in the environment")
			})})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Chat(context.Background(), plainChat)
		if code := llmgate.ErrorCodeOf(err); code != llmgate.EUpstreamAuth {
			t.Errorf("err = %v, want upstream_auth", err)
		}
	})
	t.Run("invalid request is not sent", func(t *testing.T) {
		f := newFakeBedrock(t, creds, func(w http.ResponseWriter, r *http.Request) { t.Error("an invalid request was sent") })
		req := *plainChat
		req.Params.Seed = ptr(int64(1))
		_, err := newTestClient(t, f, creds).ChatStream(context.Background(), &req)
		if e := llmgate.AsError(err); e.Code != llmgate.EUnsupported || e.Provider != "bedrock" {
			t.Errorf("err = %v, want unsupported from bedrock", err)
		}
	})
}

func TestNew(t *testing.T) {
	creds := credentials.NewStaticCredentialsProvider(testKeyID, testSecret, "")
	tests := []struct {
		name string
		cfg  Config
		err  error
		base string
	}{
		{"default endpoint", Config{Region: "us-east-1", Credentials: creds}, nil, "https://bedrock-runtime.us-east-1.amazonaws.com"},
		{"custom endpoint", Config{Region: "us-east-1", Credentials: creds, BaseURL: "https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com/"}, nil, "https://vpce-1.bedrock-runtime.us-east-1.vpce.amazonaws.com"},
		{"no region", Config{Credentials: creds}, ErrRegion, ""},
		{"region with a host", Config{Region: "us-east-1.evil.com/", Credentials: creds}, ErrRegion, ""},
		{"no credentials", Config{Region: "us-east-1"}, ErrCredentials, ""},
		{"relative base", Config{Region: "us-east-1", Credentials: creds, BaseURL: "bedrock.local"}, ErrBaseURL, ""},
		{"base with user", Config{Region: "us-east-1", Credentials: creds, BaseURL: "https://u:p@example.com"}, ErrBaseURL, ""},
		{"base unparsable", Config{Region: "us-east-1", Credentials: creds, BaseURL: "https://exa mple.com/%zz"}, ErrBaseURL, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err == nil && c.base.String() != tt.base {
				t.Errorf("base = %s, want %s", c.base, tt.base)
			}
		})
	}
}

func TestCredentialsFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		environ []string
		want    *aws.Credentials
	}{
		{"static", []string{"HOME=/root", "AWS_ACCESS_KEY_ID=" + testKeyID, "AWS_SECRET_ACCESS_KEY=" + testSecret},
			&aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}},
		{"session", []string{"AWS_ACCESS_KEY_ID=" + testKeyID, "AWS_SECRET_ACCESS_KEY=" + testSecret, "AWS_SESSION_TOKEN=" + testToken},
			&aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret, SessionToken: testToken}},
		{"old names", []string{"AWS_ACCESS_KEY=" + testKeyID, "AWS_SECRET_KEY=" + testSecret},
			&aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}},
		{"later wins", []string{"AWS_ACCESS_KEY_ID=old", "AWS_SECRET_ACCESS_KEY=" + testSecret, "AWS_ACCESS_KEY_ID=" + testKeyID},
			&aws.Credentials{AccessKeyID: testKeyID, SecretAccessKey: testSecret}},
		{"no secret", []string{"AWS_ACCESS_KEY_ID=" + testKeyID}, nil},
		{"empty secret", []string{"AWS_ACCESS_KEY_ID=" + testKeyID, "AWS_SECRET_ACCESS_KEY="}, nil},
		{"profile only", []string{"AWS_PROFILE=dev"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := CredentialsFromEnv(tt.environ)
			if ok != (tt.want != nil) {
				t.Fatalf("ok = %v", ok)
			}
			if !ok {
				return
			}
			got, err := p.Retrieve(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			got.Source = ""
			if diff := cmp.Diff(*tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if got := RegionFromEnv([]string{"AWS_DEFAULT_REGION=eu-west-1", "AWS_REGION=eu-west-3"}); got != "eu-west-3" {
		t.Errorf("RegionFromEnv = %q, want AWS_REGION's eu-west-3", got)
	}
	if got := RegionFromEnv([]string{"AWS_DEFAULT_REGION=eu-west-1"}); got != "eu-west-1" {
		t.Errorf("RegionFromEnv = %q, want eu-west-1", got)
	}
}
