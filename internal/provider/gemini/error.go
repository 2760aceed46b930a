package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/transport"
)

// parseErrorBody reads a Google API error answer. Some Google front ends
// wrap it in a one-element array; ok is false when body is neither.
func parseErrorBody(body []byte) (e apiError, ok bool) {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var list []errorBody
		if json.Unmarshal(body, &list) != nil || len(list) == 0 || list[0].Error == nil {
			return e, false
		}
		return *list[0].Error, true
	}
	var w errorBody
	if json.Unmarshal(body, &w) != nil || w.Error == nil {
		return e, false
	}
	return *w.Error, true
}

// maxErrorSnippet bounds how much of an unreadable error body goes into
// Error.Err for the logs.
const maxErrorSnippet = 512

// httpError translates an error answer: the code from the HTTP status and
// the body's details, the message from the body, RetryAfter from the
// Retry-After header or the RetryInfo detail on a 429 or 503. The secret is
// removed from every text.
func httpError(provider, secret string, status int, header http.Header, body []byte) *llmgate.Error {
	ae, ok := parseErrorBody(body)
	e := &llmgate.Error{Provider: provider, UpstreamStatus: status, Code: classify(status, &ae)}
	e.Message = ae.Message
	if e.Message == "" {
		e.Message = fmt.Sprintf("the provider answered HTTP %d %s", status, http.StatusText(status))
	}
	if ok {
		e.Err = fmt.Errorf("upstream HTTP %d, status %q", status, ae.Status)
	} else {
		snippet := body[:min(len(body), maxErrorSnippet)]
		e.Err = fmt.Errorf("upstream HTTP %d, body %q", status, snippet)
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		e.RetryAfter = retryAfter(header, &ae, time.Now())
	}
	return redactError(e, secret)
}

// tokenLimitText is the wording of Gemini's answer to a prompt longer than
// the model's context window ("The input token count (N) exceeds the
// maximum number of tokens allowed (M)."). Gemini gives that case no code
// of its own, so the message is the only way to tell it from other invalid
// arguments; this is a documented fallback, not the rule.
const tokenLimitText = "exceeds the maximum number of tokens"

func classify(status int, ae *apiError) llmgate.ErrorCode {
	if status == http.StatusBadRequest {
		switch {
		case ae.hasReason("API_KEY_INVALID"):
			// Gemini answers an invalid key with 400 INVALID_ARGUMENT and
			// this ErrorInfo reason.
			return llmgate.EUpstreamAuth
		case strings.Contains(ae.Message, tokenLimitText):
			return llmgate.EContextLengthExceeded
		}
		return llmgate.EUpstreamBadRequest
	}
	return transport.StatusErrorCode(status)
}

func (ae *apiError) hasReason(reason string) bool {
	for _, d := range ae.Details {
		if d.Reason == reason {
			return true
		}
	}
	return false
}

// statusCodes maps the canonical status names of google.rpc.Code to the
// HTTP statuses Google APIs send them with, for errors inside a stream.
var statusCodes = map[string]int{
	"INVALID_ARGUMENT":    http.StatusBadRequest,
	"FAILED_PRECONDITION": http.StatusBadRequest,
	"OUT_OF_RANGE":        http.StatusBadRequest,
	"UNAUTHENTICATED":     http.StatusUnauthorized,
	"PERMISSION_DENIED":   http.StatusForbidden,
	"NOT_FOUND":           http.StatusNotFound,
	"RESOURCE_EXHAUSTED":  http.StatusTooManyRequests,
	"CANCELLED":           499,
	"INTERNAL":            http.StatusInternalServerError,
	"UNKNOWN":             http.StatusInternalServerError,
	"UNAVAILABLE":         http.StatusServiceUnavailable,
	"DEADLINE_EXCEEDED":   http.StatusGatewayTimeout,
}

// streamError translates an error object sent inside a stream, where the
// HTTP status was already 200: the body's code, or its status name, stands
// in for it.
func streamError(provider, secret string, ae *apiError) *llmgate.Error {
	status := ae.Code
	if status < 400 || status > 599 {
		status = statusCodes[ae.Status]
	}
	e := &llmgate.Error{Provider: provider, Message: ae.Message}
	if status == 0 {
		e.Code = llmgate.EUpstreamError
	} else {
		e.Code = classify(status, ae)
	}
	if e.Message == "" {
		e.Message = "the provider reported an error in the stream"
	}
	e.Err = fmt.Errorf("stream error, code %d, status %q", ae.Code, ae.Status)
	if e.Code == llmgate.ERateLimited || e.Code == llmgate.EUpstreamUnavailable {
		e.RetryAfter = retryAfter(nil, ae, time.Now())
	}
	return redactError(e, secret)
}

// retryAfterDetail is the type of the RetryInfo detail.
const retryAfterDetail = "type.googleapis.com/google.rpc.RetryInfo"

// retryAfter reads how long Gemini asks a client to wait: the Retry-After
// header, in seconds or as an HTTP date, else the retryDelay of the
// RetryInfo detail, a protobuf Duration such as "17s" or "0.5s".
func retryAfter(h http.Header, ae *apiError, now time.Time) time.Duration {
	if d, ok := transport.RetryAfter(h.Get("Retry-After"), now); ok {
		return d
	}
	for _, d := range ae.Details {
		if d.Type != retryAfterDetail {
			continue
		}
		if v, err := time.ParseDuration(d.RetryDelay); err == nil && v > 0 {
			return v
		}
	}
	return 0
}

// redactedText replaces secrets in messages.
const redactedText = "[REDACTED]"

var (
	// googleAPIKey matches Google API keys, which start with AIza, for
	// messages that echo a key other than the configured one.
	googleAPIKey = regexp.MustCompile(`AIza[0-9A-Za-z_\-]{35}`)
	// secretParam matches the value of a query parameter that carries a
	// credential, such as Google's key=.
	secretParam = regexp.MustCompile(`(?i)([?&;](?:key|api[-_]?key|access_token|token)=)[^&\s"'#]+`)
)

// redact removes secret and anything shaped like a Google credential from s.
func redact(s, secret string) string {
	if secret != "" && strings.Contains(s, secret) {
		s = strings.ReplaceAll(s, secret, redactedText)
	}
	if strings.Contains(s, "AIza") {
		s = googleAPIKey.ReplaceAllString(s, redactedText)
	}
	if strings.Contains(s, "=") {
		s = secretParam.ReplaceAllString(s, "${1}"+redactedText)
	}
	return s
}

// redactError removes secret, and anything shaped like a Google credential,
// from e's message and from the text of its cause, in place, and returns e.
func redactError(e *llmgate.Error, secret string) *llmgate.Error {
	return transport.RedactError(e, func(s string) string { return redact(s, secret) })
}
