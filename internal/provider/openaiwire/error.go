package openaiwire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/transport"
)

// errorBody is an OpenAI or Azure OpenAI error answer. Some gateways in
// front of Azure (API Management) answer a bare {"statusCode","message"}
// instead, and some compatible servers put a string in "error".
type errorBody struct {
	Error   json.RawMessage `json:"error"`
	Message string          `json:"message"`
}

// apiError is the object under "error".
type apiError struct {
	Message    string      `json:"message"`
	Type       string      `json:"type"`
	Param      string      `json:"param"`
	Code       flexString  `json:"code"`
	InnerError *innerError `json:"innererror"`
}

// innerError is Azure's detail of a content filter refusal.
type innerError struct {
	Code                string          `json:"code"`
	ContentFilterResult json.RawMessage `json:"content_filter_result"`
}

// flexString is an error code, which most servers send as a string and some
// (Azure's "429", some compatible servers) as a number.
type flexString string

// UnmarshalJSON accepts a JSON string, number or null.
func (f *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) == 0 || string(b) == "null":
		return nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	default:
		*f = flexString(b)
	}
	return nil
}

// parseErrorBody reads an error answer; ok is false when body is not one.
func parseErrorBody(body []byte) (e apiError, ok bool) {
	var w errorBody
	if json.Unmarshal(body, &w) != nil {
		return e, false
	}
	raw := bytes.TrimSpace(w.Error)
	switch {
	case len(raw) > 0 && raw[0] == '{':
		if json.Unmarshal(raw, &e) != nil {
			return e, false
		}
		return e, true
	case len(raw) > 0 && raw[0] == '"':
		if json.Unmarshal(raw, &e.Message) != nil {
			return e, false
		}
		return e, true
	case w.Message != "":
		e.Message = w.Message
		return e, true
	}
	return e, false
}

// The error codes OpenAI and Azure use for a refusal under content policy:
// chat on both, images on OpenAI, images on Azure.
var contentFilterCodes = map[flexString]bool{
	"content_filter":           true,
	"content_policy_violation": true,
	"contentFilter":            true,
}

func (e *apiError) contentFiltered() bool {
	return contentFilterCodes[e.Code] || (e.InnerError != nil && e.InnerError.Code == "ResponsibleAIPolicyViolation")
}

// maxErrorSnippet bounds how much of an unreadable error body goes into
// Error.Err for the logs.
const maxErrorSnippet = 512

// Error translates an OpenAI or Azure OpenAI error answer into the gateway's
// error: the code from the status and the body's error code, the message
// from the body, RetryAfter from the rate-limit headers on a 429 or 503.
//
// Error does not know the API key: it removes URL credentials and strings
// shaped like OpenAI secret keys from the message, and a caller that holds a
// key must still remove it (Upstream does).
func Error(provider string, status int, header http.Header, body []byte) *llmgate.Error {
	ae, ok := parseErrorBody(body)
	e := &llmgate.Error{Provider: provider, UpstreamStatus: status, Code: classify(status, &ae)}
	e.Message = redact(ae.Message, "")
	if e.Message == "" {
		e.Message = fmt.Sprintf("the provider answered HTTP %d %s", status, http.StatusText(status))
	}
	if ok {
		e.Err = fmt.Errorf("upstream HTTP %d, type %q, code %q", status, ae.Type, string(ae.Code))
	} else {
		snippet := body
		if len(snippet) > maxErrorSnippet {
			snippet = snippet[:maxErrorSnippet]
		}
		e.Err = fmt.Errorf("upstream HTTP %d, body %q", status, redact(string(snippet), ""))
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		e.RetryAfter = retryAfter(header, time.Now())
	}
	return e
}

func classify(status int, ae *apiError) llmgate.ErrorCode {
	if status == http.StatusBadRequest || status == http.StatusUnprocessableEntity {
		switch {
		case ae.Code == "context_length_exceeded":
			return llmgate.EContextLengthExceeded
		case ae.contentFiltered():
			return llmgate.EContentFiltered
		case status == http.StatusBadRequest && strings.Contains(ae.Message, "maximum context length"):
			// Older answers and some compatible servers give no code; this
			// text is OpenAI's documented wording for the case.
			return llmgate.EContextLengthExceeded
		}
		return llmgate.EUpstreamBadRequest
	}
	return transport.StatusErrorCode(status)
}

// streamError translates an error object sent inside a stream, where there
// is no HTTP status to go by, from its code and type.
func streamError(provider string, ae *apiError) *llmgate.Error {
	e := &llmgate.Error{Provider: provider, Message: redact(ae.Message, "")}
	if e.Message == "" {
		e.Message = "the provider reported an error in the stream"
	}
	e.Err = fmt.Errorf("stream error, type %q, code %q", ae.Type, string(ae.Code))
	switch {
	case ae.Code == "context_length_exceeded":
		e.Code = llmgate.EContextLengthExceeded
	case ae.contentFiltered():
		e.Code = llmgate.EContentFiltered
	case ae.Code == "rate_limit_exceeded" || ae.Type == "rate_limit_error" || ae.Type == "tokens" || ae.Type == "requests":
		e.Code = llmgate.ERateLimited
	case ae.Type == "invalid_request_error":
		e.Code = llmgate.EUpstreamBadRequest
	default:
		e.Code = llmgate.EUpstreamError
	}
	return e
}

// retryAfter reads how long the provider asks a client to wait, preferring
// the most precise header: retry-after-ms (OpenAI, Azure), then Retry-After
// in seconds or as an HTTP date, then the x-ratelimit-reset-* durations
// ("1s", "6m0s", "20ms") of the limits that are exhausted, or of both when
// neither says it is.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("retry-after-ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms >= 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	if d, ok := transport.RetryAfter(h.Get("Retry-After"), now); ok {
		return d
	}
	reqOut := h.Get("x-ratelimit-remaining-requests") == "0"
	tokOut := h.Get("x-ratelimit-remaining-tokens") == "0"
	var d time.Duration
	for _, l := range [...]struct {
		header    string
		exhausted bool
	}{{"x-ratelimit-reset-requests", reqOut}, {"x-ratelimit-reset-tokens", tokOut}} {
		if (reqOut || tokOut) && !l.exhausted {
			continue
		}
		if v, err := time.ParseDuration(h.Get(l.header)); err == nil && v > d {
			d = v
		}
	}
	return d
}

// redactedText replaces secrets in messages.
const redactedText = "[REDACTED]"

var (
	// openAIKey matches OpenAI secret keys (sk-…, sk-proj-…) in full; the
	// masked form OpenAI echoes ("sk-proj-****abcd") does not match.
	openAIKey = regexp.MustCompile(`sk-[A-Za-z0-9_\-]{16,}`)
	// urlUserinfo matches the credentials part of a URL.
	urlUserinfo = regexp.MustCompile(`(?i)([a-z][a-z0-9+.\-]*://)[^/\s@?#]*@`)
	// secretParam matches the value of a query parameter that carries a
	// credential, such as Azure's api-key or a SAS signature.
	secretParam = regexp.MustCompile(`(?i)([?&;](?:api[-_]?key|key|sig|signature|token|access_token|secret|password|code)=)[^&\s"'#]+`)
)

// redact removes secret and anything that looks like a credential from s.
func redact(s, secret string) string {
	if secret != "" && strings.Contains(s, secret) {
		s = strings.ReplaceAll(s, secret, redactedText)
	}
	if strings.Contains(s, "sk-") {
		s = openAIKey.ReplaceAllString(s, redactedText)
	}
	if strings.Contains(s, "://") {
		s = urlUserinfo.ReplaceAllString(s, "${1}"+redactedText+"@")
	}
	if strings.Contains(s, "=") {
		s = secretParam.ReplaceAllString(s, "${1}"+redactedText)
	}
	return s
}

// redactError removes secret, and anything that looks like a credential,
// from e's message and from the text of its cause, in place, and returns e.
func redactError(e *llmgate.Error, secret string) *llmgate.Error {
	return transport.RedactError(e, func(s string) string { return redact(s, secret) })
}
