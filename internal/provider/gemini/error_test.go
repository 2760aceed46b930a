package gemini

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

const testKey = "AIzaSyTest0123456789abcdefghijklmnopqrs"

func TestHTTPError(t *testing.T) {
	tests := []struct {
		file       string
		status     int
		header     http.Header
		code       llmgate.ErrorCode
		msg        string
		retryAfter time.Duration
	}{
		{"error_400.json", 400, nil, llmgate.EUpstreamBadRequest, "contents is not specified", 0},
		{"error_400_token_limit.json", 400, nil, llmgate.EContextLengthExceeded, "exceeds the maximum number of tokens", 0},
		{"error_400_api_key_invalid.json", 400, nil, llmgate.EUpstreamAuth, "API key not valid", 0},
		{"error_403.json", 403, nil, llmgate.EUpstreamAuth, "unregistered callers", 0},
		{"error_404.json", 404, nil, llmgate.EUpstreamNotFound, "is not found", 0},
		{"error_429.json", 429, nil, llmgate.ERateLimited, "exceeded your current quota", 17 * time.Second},
		{"error_429.json", 429, http.Header{"Retry-After": {"3"}}, llmgate.ERateLimited, "quota", 3 * time.Second},
		{"error_500.json", 500, nil, llmgate.EUpstreamError, "internal error", 0},
		{"error_503.json", 503, nil, llmgate.EUpstreamUnavailable, "overloaded", 0},
		{"error_504.json", 504, nil, llmgate.EUpstreamTimeout, "Deadline expired", 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			e := httpError("gemini", testKey, tt.status, tt.header, providertest.ReadFile(t, tt.file))
			if e.Code != tt.code || e.UpstreamStatus != tt.status || e.Provider != "gemini" {
				t.Errorf("got code %s status %d provider %q, want %s %d gemini", e.Code, e.UpstreamStatus, e.Provider, tt.code, tt.status)
			}
			if !strings.Contains(e.Message, tt.msg) {
				t.Errorf("message %q, want it to contain %q", e.Message, tt.msg)
			}
			if e.RetryAfter != tt.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", e.RetryAfter, tt.retryAfter)
			}
		})
	}
}

func TestHTTPErrorUnreadableBodies(t *testing.T) {
	tests := []struct {
		body   string
		status int
		code   llmgate.ErrorCode
	}{
		{"<html><body>Bad Gateway</body></html>", 502, llmgate.EUpstreamError},
		{"", 429, llmgate.ERateLimited},
		{`{"error": "flat"}`, 400, llmgate.EUpstreamBadRequest},
		{`[{"error": {"code": 429, "message": "Resource exhausted.", "status": "RESOURCE_EXHAUSTED"}}]`, 429, llmgate.ERateLimited},
		{"", 418, llmgate.EUpstreamBadRequest},
	}
	for _, tt := range tests {
		e := httpError("gemini", "", tt.status, nil, []byte(tt.body))
		if e.Code != tt.code || e.Message == "" {
			t.Errorf("body %q status %d: got %s %q, want %s", tt.body, tt.status, e.Code, e.Message, tt.code)
		}
	}
	e := httpError("gemini", "", 429, nil, []byte(`[{"error": {"code": 429, "message": "Resource exhausted.", "status": "RESOURCE_EXHAUSTED"}}]`))
	if e.Message != "Resource exhausted." {
		t.Errorf("array body: message %q", e.Message)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	info := &apiError{Details: []errorDetail{{Type: "type.googleapis.com/google.rpc.Help"}, {Type: retryAfterDetail, RetryDelay: "1.5s"}}}
	tests := []struct {
		name   string
		header http.Header
		ae     *apiError
		want   time.Duration
	}{
		{"retry info", nil, info, 1500 * time.Millisecond},
		{"header wins", http.Header{"Retry-After": {"2"}}, info, 2 * time.Second},
		{"http date", http.Header{"Retry-After": {now.Add(time.Minute).Format(http.TimeFormat)}}, &apiError{}, time.Minute},
		{"bad header falls back", http.Header{"Retry-After": {"soon"}}, info, 1500 * time.Millisecond},
		{"bad delay", nil, &apiError{Details: []errorDetail{{Type: retryAfterDetail, RetryDelay: "17"}}}, 0},
		{"retry info of another type", nil, &apiError{Details: []errorDetail{{Type: "x", RetryDelay: "5s"}}}, 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.header, tt.ae, now); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestStreamErrorCodes(t *testing.T) {
	tests := []struct {
		ae   apiError
		code llmgate.ErrorCode
	}{
		{apiError{Code: 503, Status: "UNAVAILABLE"}, llmgate.EUpstreamUnavailable},
		{apiError{Status: "RESOURCE_EXHAUSTED"}, llmgate.ERateLimited},
		{apiError{Status: "INVALID_ARGUMENT", Message: "The input token count (9) exceeds the maximum number of tokens allowed (8)."}, llmgate.EContextLengthExceeded},
		{apiError{Status: "PERMISSION_DENIED"}, llmgate.EUpstreamAuth},
		{apiError{Status: "DEADLINE_EXCEEDED"}, llmgate.EUpstreamTimeout},
		{apiError{Code: 500}, llmgate.EUpstreamError},
		{apiError{Status: "WHATEVER"}, llmgate.EUpstreamError},
	}
	for _, tt := range tests {
		e := streamError("gemini", "", &tt.ae)
		if e.Code != tt.code || e.Message == "" {
			t.Errorf("%+v: got %s %q, want %s", tt.ae, e.Code, e.Message, tt.code)
		}
	}
}

// The key never reaches an error's text, in the message or in the cause
// the logs print, whether it is the configured key or another Google key.
func TestErrorRedaction(t *testing.T) {
	other := "AIzaSyOther9876543210zyxwvutsrqponmlkji"
	body := `{"error":{"code":400,"message":"API key ` + testKey + ` and ` + other + ` rejected at https://x.test/v1beta/models/m?key=secret-value","status":"INVALID_ARGUMENT"}}`
	e := httpError("gemini", testKey, 400, nil, []byte(body))
	for _, s := range []string{e.Error(), e.Message} {
		for _, secret := range []string{testKey, other, "secret-value"} {
			if strings.Contains(s, secret) {
				t.Errorf("%q leaks %q", s, secret)
			}
		}
	}
	// A key of another shape (a proxy's token) is only known as the
	// configured secret.
	const proxyKey = "proxy-token-not-shaped-like-google"
	for _, body := range []string{
		"proxy error for key " + proxyKey,
		`{"error":{"code":401,"message":"bad token ` + proxyKey + `","status":"UNAUTHENTICATED"}}`,
	} {
		e := httpError("gemini", proxyKey, 401, nil, []byte(body))
		if strings.Contains(e.Error(), proxyKey) || strings.Contains(e.Message, proxyKey) {
			t.Errorf("%q leaks the key", e.Error())
		}
	}
}
