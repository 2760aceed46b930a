package anthropic

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/transport"
)

// statusOverloaded is the status of Anthropic's overloaded_error; net/http
// has no name for it.
const statusOverloaded = 529

// maxErrorSnippet bounds how much of an unreadable error body goes into
// Error.Err for the logs.
const maxErrorSnippet = 512

// httpError translates an error answer into the gateway's error: the code
// from the error type (or the status when the body is not Anthropic's), the
// message from the body, RetryAfter from the headers on a 429 or 529.
func httpError(provider string, status int, header http.Header, body []byte) *llmgate.Error {
	var w errorBody
	ok := json.Unmarshal(body, &w) == nil && w.Error.Type != ""
	e := &llmgate.Error{Provider: provider, UpstreamStatus: status}
	if ok {
		e.Code = classify(w.Error.Type, w.Error.Message)
		e.Message = w.Error.Message
		e.Err = fmt.Errorf("upstream HTTP %d, type %q, request id %q", status, w.Error.Type, w.RequestID)
	} else {
		e.Code = classifyStatus(status)
		snippet := body
		if len(snippet) > maxErrorSnippet {
			snippet = snippet[:maxErrorSnippet]
		}
		e.Err = fmt.Errorf("upstream HTTP %d, body %q", status, snippet)
	}
	if e.Message == "" {
		e.Message = fmt.Sprintf("the provider answered HTTP %d %s", status, http.StatusText(status))
	}
	if e.Code == llmgate.ERateLimited || e.Code == llmgate.EUpstreamUnavailable {
		e.RetryAfter = retryAfter(header, time.Now())
	}
	return e
}

// classify maps an error type, from an error answer or an error event, to
// a code. Types are documented at https://docs.anthropic.com/en/api/errors.
func classify(typ, msg string) llmgate.ErrorCode {
	switch typ {
	case "invalid_request_error":
		if contextTooLong(msg) {
			return llmgate.EContextLengthExceeded
		}
		return llmgate.EUpstreamBadRequest
	case "request_too_large":
		// The 32 MB request limit, enforced in front of the API: the
		// request itself is at fault, and no deployment of Anthropic
		// will take it.
		return llmgate.EUpstreamBadRequest
	case "authentication_error", "permission_error", "billing_error":
		// billing_error (402) is an account the operator must fix, like a
		// bad key; another deployment may have a funded account.
		return llmgate.EUpstreamAuth
	case "not_found_error":
		return llmgate.EUpstreamNotFound
	case "rate_limit_error":
		return llmgate.ERateLimited
	case "timeout_error":
		return llmgate.EUpstreamTimeout
	case "overloaded_error":
		return llmgate.EUpstreamUnavailable
	}
	// api_error and types added later.
	return llmgate.EUpstreamError
}

// contextTooLong reports whether an invalid_request_error says the prompt
// does not fit the context window. Anthropic gives these no error type or
// code of their own, so, as the one exception to classifying by type, the
// message is matched against the two wordings the API uses: "prompt is too
// long: N tokens > M maximum" and "input length and `max_tokens` exceed
// context limit: …".
func contextTooLong(msg string) bool {
	msg = strings.ToLower(msg)
	return strings.Contains(msg, "prompt is too long") || strings.Contains(msg, "exceed context limit")
}

// classifyStatus maps a status whose body is not Anthropic's error shape,
// such as a proxy's HTML page.
func classifyStatus(status int) llmgate.ErrorCode {
	switch status {
	case http.StatusPaymentRequired:
		return llmgate.EUpstreamAuth
	case statusOverloaded:
		return llmgate.EUpstreamUnavailable
	}
	return transport.StatusErrorCode(status)
}

// eventError translates an error event of a stream, which has no status.
func eventError(provider string, ae *apiError) *llmgate.Error {
	e := &llmgate.Error{Provider: provider, Code: classify(ae.Type, ae.Message), Message: ae.Message,
		Err: fmt.Errorf("stream error event, type %q", ae.Type)}
	if e.Message == "" {
		e.Message = "the provider reported an error in the stream"
	}
	return e
}

// The rate limit headers: when a limit is replenished (RFC 3339), and how
// much of it remains.
var rateLimits = [...]string{"requests", "tokens", "input-tokens", "output-tokens"}

// retryAfter reads how long the provider asks a client to wait: retry-after
// in seconds (or as an HTTP date), else the latest reset time of the limits
// that are exhausted, or of all of them when none says it is.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if d, ok := transport.RetryAfter(h.Get("Retry-After"), now); ok {
		return d
	}
	anyOut := false
	for _, l := range rateLimits {
		if h.Get("anthropic-ratelimit-"+l+"-remaining") == "0" {
			anyOut = true
		}
	}
	var d time.Duration
	for _, l := range rateLimits {
		if anyOut && h.Get("anthropic-ratelimit-"+l+"-remaining") != "0" {
			continue
		}
		if t, err := time.Parse(time.RFC3339, h.Get("anthropic-ratelimit-"+l+"-reset")); err == nil {
			d = max(d, t.Sub(now))
		}
	}
	return d
}

const redactedText = "[REDACTED]"

var (
	// anthropicKey matches Anthropic API keys (sk-ant-api03-…).
	anthropicKey = regexp.MustCompile(`sk-ant-[A-Za-z0-9_\-]{8,}`)
	// urlUserinfo matches the credentials part of a URL.
	urlUserinfo = regexp.MustCompile(`(?i)([a-z][a-z0-9+.\-]*://)[^/\s@?#]*@`)
)

// redact removes secret, anything shaped like an Anthropic key and URL
// credentials from s.
func redact(s, secret string) string {
	if secret != "" && strings.Contains(s, secret) {
		s = strings.ReplaceAll(s, secret, redactedText)
	}
	if strings.Contains(s, "sk-ant-") {
		s = anthropicKey.ReplaceAllString(s, redactedText)
	}
	if strings.Contains(s, "://") {
		s = urlUserinfo.ReplaceAllString(s, "${1}"+redactedText+"@")
	}
	return s
}

// scrub removes secret from the text of err, and sets the provider of an
// *llmgate.Error that has none. Every error leaving the package passes here.
func scrub(err error, provider, secret string) error {
	redactSecret := func(s string) string { return redact(s, secret) }
	var e *llmgate.Error
	if !errors.As(err, &e) {
		return &transport.RedactedError{Err: err, Redact: redactSecret}
	}
	if e.Provider == "" {
		e.Provider = provider
	}
	transport.RedactError(e, redactSecret)
	if e != err {
		// A wrapper's own text may repeat the message; show it redacted too.
		return &transport.RedactedError{Err: err, Redact: redactSecret}
	}
	return e
}
