package openaiwire

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

func TestError(t *testing.T) {
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	tests := []struct {
		name       string
		status     int
		header     http.Header
		file       string
		wantCode   llmgate.ErrorCode
		wantMsg    string // prefix of the message
		wantRetry  time.Duration
		retryDelta time.Duration // tolerance for HTTP dates
	}{
		{"context length", 400, nil, "error_context_length.json", llmgate.EContextLengthExceeded, "This model's maximum context length is 128000 tokens.", 0, 0},
		{"context length by message", 400, nil, "error_context_length_nocode.json", llmgate.EContextLengthExceeded, "This model's maximum context length is 4096", 0, 0},
		{"azure content filter", 400, nil, "error_azure_content_filter.json", llmgate.EContentFiltered, "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.", 0, 0},
		{"openai content policy", 400, nil, "error_content_policy.json", llmgate.EContentFiltered, "Your request was rejected as a result of our safety system.", 0, 0},
		{"invalid parameter", 400, nil, "error_400_invalid.json", llmgate.EUpstreamBadRequest, "Invalid value for 'temperature'", 0, 0},
		{"unprocessable", 422, nil, "error_400_invalid.json", llmgate.EUpstreamBadRequest, "Invalid value", 0, 0},
		{"openai 401", 401, nil, "error_401.json", llmgate.EUpstreamAuth, "Incorrect API key provided: sk-proj-****", 0, 0},
		{"azure 401", 401, nil, "error_azure_401.json", llmgate.EUpstreamAuth, "Access denied due to invalid subscription key", 0, 0},
		{"403", 403, nil, "error_azure_401.json", llmgate.EUpstreamAuth, "Access denied", 0, 0},
		{"openai 404", 404, nil, "error_404.json", llmgate.EUpstreamNotFound, "The model `gpt-5-turbo` does not exist", 0, 0},
		{"azure 404", 404, nil, "error_azure_404.json", llmgate.EUpstreamNotFound, "The API deployment for this resource does not exist.", 0, 0},
		{"408", 408, nil, "error_500.json", llmgate.EUpstreamTimeout, "The server had an error", 0, 0},
		{"504", 504, nil, "error_502.html", llmgate.EUpstreamTimeout, "the provider answered HTTP 504 Gateway Timeout", 0, 0},
		{"429 retry-after seconds", 429, hdr("Retry-After", "20"), "error_429.json", llmgate.ERateLimited, "Rate limit reached for gpt-4o", 20 * time.Second, 0},
		{"429 retry-after-ms wins", 429, hdr("Retry-After", "20", "retry-after-ms", "1500", "x-ratelimit-reset-tokens", "6m0s"), "error_429.json", llmgate.ERateLimited, "Rate limit", 1500 * time.Millisecond, 0},
		{"429 retry-after wins over resets", 429, hdr("Retry-After", "3", "x-ratelimit-reset-requests", "1s"), "error_azure_429.json", llmgate.ERateLimited, "Requests to the ChatCompletions_Create Operation", 3 * time.Second, 0},
		{"429 retry-after date", 429, hdr("Retry-After", time.Now().Add(30*time.Second).UTC().Format(http.TimeFormat)), "error_429.json", llmgate.ERateLimited, "Rate limit", 30 * time.Second, 2 * time.Second},
		{"429 exhausted tokens", 429, hdr("x-ratelimit-remaining-requests", "499", "x-ratelimit-reset-requests", "120ms", "x-ratelimit-remaining-tokens", "0", "x-ratelimit-reset-tokens", "6m0s"), "error_429.json", llmgate.ERateLimited, "Rate limit", 6 * time.Minute, 0},
		{"429 exhausted requests", 429, hdr("x-ratelimit-remaining-requests", "0", "x-ratelimit-reset-requests", "20ms", "x-ratelimit-remaining-tokens", "100", "x-ratelimit-reset-tokens", "6m0s"), "error_429.json", llmgate.ERateLimited, "Rate limit", 20 * time.Millisecond, 0},
		{"429 resets only", 429, hdr("x-ratelimit-reset-requests", "1s", "x-ratelimit-reset-tokens", "2.5s"), "error_429.json", llmgate.ERateLimited, "Rate limit", 2500 * time.Millisecond, 0},
		{"429 unparsable headers", 429, hdr("Retry-After", "soon", "retry-after-ms", "-5", "x-ratelimit-reset-tokens", "later"), "error_429.json", llmgate.ERateLimited, "Rate limit", 0, 0},
		{"429 apim shape", 429, hdr("Retry-After", "2"), "error_apim_429.json", llmgate.ERateLimited, "Rate limit is exceeded. Try again in 2 seconds.", 2 * time.Second, 0},
		{"500", 500, hdr("Retry-After", "5"), "error_500.json", llmgate.EUpstreamError, "The server had an error while processing your request.", 0, 0},
		{"502 html", 502, nil, "error_502.html", llmgate.EUpstreamError, "the provider answered HTTP 502 Bad Gateway", 0, 0},
		{"503", 503, hdr("Retry-After", "7"), "error_503.json", llmgate.EUpstreamUnavailable, "The engine is currently overloaded", 7 * time.Second, 0},
		{"409 other 4xx", 409, nil, "error_400_invalid.json", llmgate.EUpstreamBadRequest, "Invalid value", 0, 0},
		{"302 not an error status", 302, nil, "error_502.html", llmgate.EUpstreamBadResponse, "the provider answered HTTP 302 Found", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Error("openai", tt.status, tt.header, providertest.ReadFile(t, tt.file))
			if e.Code != tt.wantCode {
				t.Errorf("Code = %s, want %s", e.Code, tt.wantCode)
			}
			if !strings.HasPrefix(e.Message, tt.wantMsg) {
				t.Errorf("Message = %q, want prefix %q", e.Message, tt.wantMsg)
			}
			if d := e.RetryAfter - tt.wantRetry; d < -tt.retryDelta || d > tt.retryDelta {
				t.Errorf("RetryAfter = %v, want %v ± %v", e.RetryAfter, tt.wantRetry, tt.retryDelta)
			}
			if e.Provider != "openai" || e.UpstreamStatus != tt.status || e.Err == nil {
				t.Errorf("Provider %q, UpstreamStatus %d, Err %v; want openai, %d, a cause", e.Provider, e.UpstreamStatus, e.Err, tt.status)
			}
		})
	}
}

func TestRetryAfterDate(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		value string
		want  time.Duration
	}{
		{"Sat, 01 Mar 2025 12:00:45 GMT", 45 * time.Second},
		{"Sat, 01 Mar 2025 11:59:00 GMT", 0}, // in the past
		{"Saturday, 01-Mar-25 12:01:00 GMT", time.Minute},
		{"0.25", 250 * time.Millisecond},
	} {
		h := http.Header{"Retry-After": {tt.value}}
		if got := retryAfter(h, now); got != tt.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}

func TestErrorRedactsCredentialShapes(t *testing.T) {
	body := []byte(`{"error":{"message":"key sk-proj-abcdefghijklmnopqrstuvwxyz012345 rejected at https://admin:hunter2@proxy.example.com/v1?api-key=s3cr3t&x=1 and https://h.example.com/?sig=AbC%2F&sp=r","type":"invalid_request_error","code":"invalid_api_key"}}`)
	e := Error("openai", 401, nil, body)
	for _, secret := range []string{"sk-proj-abcdefghijklmnopqrstuvwxyz012345", "hunter2", "s3cr3t", "AbC%2F"} {
		if strings.Contains(e.Error(), secret) {
			t.Errorf("error text leaks %q: %s", secret, e.Error())
		}
	}
	if !strings.Contains(e.Message, "x=1") || !strings.Contains(e.Message, "sp=r") {
		t.Errorf("redaction removed more than credentials: %s", e.Message)
	}
	html := []byte("<p>bad key sk-abcdefghijklmnopqrstuvwx</p>")
	if e := Error("openai", 502, nil, html); strings.Contains(e.Error(), "sk-abcdefghijklmnopqrstuvwx") {
		t.Errorf("unparsed body snippet leaks the key: %s", e.Error())
	}
}

func TestRedact(t *testing.T) {
	for _, tt := range []struct{ in, secret, want string }{
		{"key abc123 is wrong", "abc123", "key [REDACTED] is wrong"},
		{"no secret here", "abc123", "no secret here"},
		{"https://u:p@h/x", "", "https://[REDACTED]@h/x"},
		{"GET /a?api_key=zz&b=2", "", "GET /a?api_key=[REDACTED]&b=2"},
		{"see https://go.microsoft.com/fwlink/?linkid=2198766", "", "see https://go.microsoft.com/fwlink/?linkid=2198766"},
		{"masked sk-proj-****abcd stays", "", "masked sk-proj-****abcd stays"},
	} {
		if got := redact(tt.in, tt.secret); got != tt.want {
			t.Errorf("redact(%q, %q) = %q, want %q", tt.in, tt.secret, got, tt.want)
		}
	}
}
