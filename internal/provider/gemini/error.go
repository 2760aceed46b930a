package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate"
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
	switch {
	case status == http.StatusBadRequest:
		switch {
		case ae.hasReason("API_KEY_INVALID"):
			// Gemini answers an invalid key with 400 INVALID_ARGUMENT and
			// this ErrorInfo reason.
			return llmgate.EUpstreamAuth
		case strings.Contains(ae.Message, tokenLimitText):
			return llmgate.EContextLengthExceeded
		}
		return llmgate.EUpstreamBadRequest
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return llmgate.EUpstreamAuth
	case status == http.StatusNotFound:
		return llmgate.EUpstreamNotFound
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		return llmgate.EUpstreamTimeout
	case status == http.StatusTooManyRequests:
		return llmgate.ERateLimited
	case status == http.StatusServiceUnavailable:
		return llmgate.EUpstreamUnavailable
	case status >= 500:
		return llmgate.EUpstreamError
	case status >= 400:
		return llmgate.EUpstreamBadRequest
	}
	return llmgate.EUpstreamBadResponse
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
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			return time.Duration(s * float64(time.Second))
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(t.Sub(now), 0)
		}
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

// redactedError hides secrets in the text of the error it wraps while
// keeping it available to errors.Is and errors.As.
type redactedError struct {
	err    error
	secret string
}

func (e *redactedError) Error() string { return redact(e.err.Error(), e.secret) }
func (e *redactedError) Unwrap() error { return e.err }

// redactError removes secret from e's message and from the text of its
// cause, in place, and returns e.
func redactError(e *llmgate.Error, secret string) *llmgate.Error {
	e.Message = redact(e.Message, secret)
	if e.Err == nil {
		return e
	}
	if r, ok := e.Err.(*redactedError); ok && r.secret == secret {
		return e
	}
	e.Err = &redactedError{err: e.Err, secret: secret}
	return e
}

// transportError classifies a failure to exchange bytes with Gemini. The
// *url.Error that net/http returns names the URL: only its cause is kept.
func transportError(ctx context.Context, provider, op string, err error) *llmgate.Error {
	err = stripURL(err)
	e := &llmgate.Error{Provider: provider, Err: fmt.Errorf("%s: %w", op, err)}
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled):
		e.Code, e.Message = llmgate.EClientClosed, "the request was canceled"
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout()):
		e.Code, e.Message = llmgate.EUpstreamTimeout, "the provider did not answer in time"
	default:
		e.Code, e.Message = llmgate.EUpstreamConnection, "the connection to the provider failed"
	}
	return e
}

// stripURL returns the cause of the innermost *url.Error in err's chain.
func stripURL(err error) error {
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	return err
}
