package anthropic

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

func TestHTTPError(t *testing.T) {
	tests := []struct {
		file       string
		status     int
		header     http.Header
		code       llmgate.ErrorCode
		msg        string
		retryAfter time.Duration
	}{
		{"error_400_prompt_too_long.json", 400, nil, llmgate.EContextLengthExceeded, "prompt is too long: 208310 tokens > 200000 maximum", 0},
		{"error_400_context_limit.json", 400, nil, llmgate.EContextLengthExceeded, "input length and `max_tokens` exceed context limit", 0},
		{"error_400_invalid.json", 400, nil, llmgate.EUpstreamBadRequest, "roles must alternate", 0},
		{"error_401.json", 401, nil, llmgate.EUpstreamAuth, "invalid x-api-key", 0},
		{"error_403.json", 403, nil, llmgate.EUpstreamAuth, "does not have permission", 0},
		{"error_404.json", 404, nil, llmgate.EUpstreamNotFound, "model: claude-sonnet-9", 0},
		{"error_413.json", 413, nil, llmgate.EUpstreamBadRequest, "maximum allowed number of bytes", 0},
		{"error_429.json", 429, http.Header{"Retry-After": {"17"}}, llmgate.ERateLimited, "exceed the rate limit", 17 * time.Second},
		{"error_500.json", 500, nil, llmgate.EUpstreamError, "Internal server error", 0},
		{"error_529.json", 529, http.Header{"Retry-After": {"2"}}, llmgate.EUpstreamUnavailable, "Overloaded", 2 * time.Second},
		{"error_502.html", 502, nil, llmgate.EUpstreamError, "the provider answered HTTP 502 Bad Gateway", 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			e := httpError("anthropic", tt.status, tt.header, providertest.ReadFile(t, tt.file))
			if e.Code != tt.code {
				t.Errorf("code = %q, want %q", e.Code, tt.code)
			}
			if !strings.Contains(e.Message, tt.msg) {
				t.Errorf("message = %q, want it to contain %q", e.Message, tt.msg)
			}
			if e.Provider != "anthropic" || e.UpstreamStatus != tt.status {
				t.Errorf("provider, status = %q, %d; want anthropic, %d", e.Provider, e.UpstreamStatus, tt.status)
			}
			if e.RetryAfter != tt.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", e.RetryAfter, tt.retryAfter)
			}
			if e.Err == nil {
				t.Error("Err is nil, want the upstream detail for the logs")
			}
		})
	}
}

func TestClassifyStatus(t *testing.T) {
	for status, want := range map[int]llmgate.ErrorCode{
		400: llmgate.EUpstreamBadRequest,
		401: llmgate.EUpstreamAuth,
		402: llmgate.EUpstreamAuth,
		403: llmgate.EUpstreamAuth,
		404: llmgate.EUpstreamNotFound,
		408: llmgate.EUpstreamTimeout,
		409: llmgate.EUpstreamBadRequest,
		429: llmgate.ERateLimited,
		500: llmgate.EUpstreamError,
		502: llmgate.EUpstreamError,
		503: llmgate.EUpstreamUnavailable,
		504: llmgate.EUpstreamTimeout,
		529: llmgate.EUpstreamUnavailable,
		302: llmgate.EUpstreamBadResponse,
	} {
		if got := httpError("p", status, nil, []byte("<html>")).Code; got != want {
			t.Errorf("status %d: code = %q, want %q", status, got, want)
		}
	}
}

func TestClassifyType(t *testing.T) {
	for typ, want := range map[string]llmgate.ErrorCode{
		"invalid_request_error": llmgate.EUpstreamBadRequest,
		"authentication_error":  llmgate.EUpstreamAuth,
		"permission_error":      llmgate.EUpstreamAuth,
		"billing_error":         llmgate.EUpstreamAuth,
		"not_found_error":       llmgate.EUpstreamNotFound,
		"request_too_large":     llmgate.EUpstreamBadRequest,
		"rate_limit_error":      llmgate.ERateLimited,
		"timeout_error":         llmgate.EUpstreamTimeout,
		"api_error":             llmgate.EUpstreamError,
		"overloaded_error":      llmgate.EUpstreamUnavailable,
		"brand_new_error":       llmgate.EUpstreamError,
	} {
		if got := classify(typ, "x"); got != want {
			t.Errorf("classify(%q) = %q, want %q", typ, got, want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
	}{
		{"none", http.Header{}, 0},
		{"seconds", http.Header{"Retry-After": {"30"}}, 30 * time.Second},
		{"http_date", http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, 90 * time.Second},
		{"retry_after_wins", http.Header{"Retry-After": {"5"}, "Anthropic-Ratelimit-Tokens-Reset": {at(time.Minute)}}, 5 * time.Second},
		// Only the exhausted limit counts.
		{"exhausted_limit", http.Header{
			"Anthropic-Ratelimit-Requests-Remaining": {"0"},
			"Anthropic-Ratelimit-Requests-Reset":     {at(20 * time.Second)},
			"Anthropic-Ratelimit-Tokens-Remaining":   {"5000"},
			"Anthropic-Ratelimit-Tokens-Reset":       {at(50 * time.Second)},
		}, 20 * time.Second},
		// Without a remaining count of zero, the latest reset.
		{"latest_reset", http.Header{
			"Anthropic-Ratelimit-Input-Tokens-Reset":  {at(10 * time.Second)},
			"Anthropic-Ratelimit-Output-Tokens-Reset": {at(40 * time.Second)},
		}, 40 * time.Second},
		{"reset_in_past", http.Header{"Anthropic-Ratelimit-Tokens-Reset": {at(-time.Minute)}}, 0},
		{"garbage", http.Header{"Retry-After": {"soon"}, "Anthropic-Ratelimit-Tokens-Reset": {"tomorrow"}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := retryAfter(tt.header, now); got != tt.want {
				t.Errorf("retryAfter = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	const key = "sk-ant-api03-SECRETSECRETSECRET-abc"
	for _, s := range []string{
		"invalid x-api-key: " + key,
		"key sk-ant-api03-OTHERKEYOTHERKEY was revoked",
		"proxy https://user:" + key + "@proxy.example.com failed",
	} {
		got := redact(s, key)
		if strings.Contains(got, "SECRET") || strings.Contains(got, "OTHERKEY") {
			t.Errorf("redact(%q) = %q, still holds a key", s, got)
		}
		if !strings.Contains(got, redactedText) {
			t.Errorf("redact(%q) = %q, want a redaction mark", s, got)
		}
	}
}
