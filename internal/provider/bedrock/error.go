package bedrock

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/transport"
)

// errorCodes maps the exception types of the Bedrock runtime, and the
// signing and authentication errors of AWS's front end, to the gateway's
// codes. The type comes from the x-amzn-ErrorType header or the body's
// __type, and is preferred over the status, which several types share
// (ThrottlingException and ModelNotReadyException are both 429).
var errorCodes = map[string]llmgate.ErrorCode{
	"ValidationException":                 llmgate.EUpstreamBadRequest,
	"AccessDeniedException":               llmgate.EUpstreamAuth,
	"UnrecognizedClientException":         llmgate.EUpstreamAuth,
	"InvalidSignatureException":           llmgate.EUpstreamAuth,
	"SignatureDoesNotMatch":               llmgate.EUpstreamAuth,
	"IncompleteSignature":                 llmgate.EUpstreamAuth,
	"IncompleteSignatureException":        llmgate.EUpstreamAuth,
	"MissingAuthenticationToken":          llmgate.EUpstreamAuth,
	"MissingAuthenticationTokenException": llmgate.EUpstreamAuth,
	"ExpiredTokenException":               llmgate.EUpstreamAuth,
	"InvalidClientTokenId":                llmgate.EUpstreamAuth,
	"ResourceNotFoundException":           llmgate.EUpstreamNotFound,
	"ThrottlingException":                 llmgate.ERateLimited,
	"ServiceQuotaExceededException":       llmgate.ERateLimited,
	"ModelTimeoutException":               llmgate.EUpstreamTimeout,
	"InternalServerException":             llmgate.EUpstreamError,
	"ModelErrorException":                 llmgate.EUpstreamError,
	"ModelStreamErrorException":           llmgate.EUpstreamError,
	"ServiceUnavailableException":         llmgate.EUpstreamUnavailable,
	"ModelNotReadyException":              llmgate.EUpstreamUnavailable,
}

// contextLengthPhrases are the wordings with which Bedrock and the models
// behind it reject a prompt that does not fit the context window. Bedrock
// has no exception type of its own for the case, so a ValidationException's
// message is the only signal.
var contextLengthPhrases = []string{
	"input is too long",
	"too many input tokens",
	"prompt is too long",
	"maximum context length",
	"context window",
	"input token count exceeds",
}

func contextLengthMessage(msg string) bool {
	msg = strings.ToLower(msg)
	for _, p := range contextLengthPhrases {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

// errorType returns the exception name of an AWS error answer. The header
// may carry a suffix ("ValidationException:http://internal.amazon.com/…")
// and __type a namespace ("com.amazon.bedrock#ValidationException").
func errorType(header http.Header, body *exceptionPayload) string {
	t := header.Get("X-Amzn-Errortype")
	if t == "" {
		t = body.Type
	}
	if i := strings.LastIndexByte(t, '#'); i >= 0 {
		t = t[i+1:]
	}
	t, _, _ = strings.Cut(t, ":")
	return strings.TrimSpace(t)
}

// maxErrorSnippet bounds how much of an unreadable error body goes into
// Error.Err for the logs.
const maxErrorSnippet = 512

// responseError translates a Bedrock error answer into the gateway's error:
// the code from the exception type or else the status, the message from
// the body, RetryAfter from a Retry-After header on a 429 or 503.
func responseError(provider string, status int, header http.Header, body []byte) *llmgate.Error {
	var p exceptionPayload
	parsed := json.Unmarshal(body, &p) == nil
	typ := errorType(header, &p)
	e := &llmgate.Error{Provider: provider, UpstreamStatus: status, Message: p.message()}
	code, known := errorCodes[typ]
	if !known {
		code = transport.StatusErrorCode(status)
	}
	if code == llmgate.EUpstreamBadRequest && contextLengthMessage(e.Message) {
		code = llmgate.EContextLengthExceeded
	}
	e.Code = code
	if e.Message == "" {
		e.Message = fmt.Sprintf("the provider answered HTTP %d %s", status, http.StatusText(status))
	}
	if parsed {
		e.Err = fmt.Errorf("upstream HTTP %d, type %q", status, typ)
	} else {
		snippet := body
		if len(snippet) > maxErrorSnippet {
			snippet = snippet[:maxErrorSnippet]
		}
		e.Err = fmt.Errorf("upstream HTTP %d, type %q, body %q", status, typ, snippet)
	}
	if code == llmgate.ERateLimited || code == llmgate.EUpstreamUnavailable {
		e.RetryAfter = retryAfter(header, time.Now())
	}
	return e
}

// exceptionError translates an exception event of a ConverseStream answer,
// named by its :exception-type header in lower camel case
// (throttlingException, …).
func exceptionError(provider, typ string, payload []byte) *llmgate.Error {
	var p exceptionPayload
	_ = json.Unmarshal(payload, &p) // a payload that is not JSON still ends the stream
	name := typ
	if name != "" {
		name = strings.ToUpper(name[:1]) + name[1:]
	}
	code, ok := errorCodes[name]
	if !ok {
		code = llmgate.EUpstreamError
	}
	msg := p.message()
	if code == llmgate.EUpstreamBadRequest && contextLengthMessage(msg) {
		code = llmgate.EContextLengthExceeded
	}
	if msg == "" {
		msg = "the provider reported an error in the stream"
	}
	e := &llmgate.Error{Code: code, Provider: provider, Message: msg, Err: fmt.Errorf("stream exception %q", typ)}
	if p.OriginalStatusCode != 0 {
		e.Err = fmt.Errorf("stream exception %q, model status %d: %s", typ, p.OriginalStatusCode, p.OriginalMessage)
	}
	return e
}

// retryAfter reads the Retry-After header, in seconds or as an HTTP date.
// Bedrock rarely sends one; zero means it did not say.
func retryAfter(h http.Header, now time.Time) time.Duration {
	d, _ := transport.RetryAfter(h.Get("Retry-After"), now)
	return d
}

// redactedText replaces secrets in messages.
const redactedText = "[REDACTED]"

// signatureParam matches a SigV4 signature in an Authorization header or a
// presigned URL, which an upstream or a proxy may echo. A signature is no
// key, but it authorizes its request until it expires.
var signatureParam = regexp.MustCompile(`(?i)(signature=)[0-9a-f]{64}`)

// redact removes every secret, and any request signature, from s.
func redact(s string, secrets []string) string {
	for _, secret := range secrets {
		if secret != "" && strings.Contains(s, secret) {
			s = strings.ReplaceAll(s, secret, redactedText)
		}
	}
	if strings.Contains(s, "ignature=") {
		s = signatureParam.ReplaceAllString(s, "${1}"+redactedText)
	}
	return s
}

// redactError removes the secrets, and any request signature, from e's
// message and from the text of its cause, in place, and returns e.
func redactError(e *llmgate.Error, secrets []string) *llmgate.Error {
	return transport.RedactError(e, func(s string) string { return redact(s, secrets) })
}
