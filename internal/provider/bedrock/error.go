package bedrock

import (
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
		code = statusCode(status)
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

// statusCode classifies an error answer whose type is unknown.
func statusCode(status int) llmgate.ErrorCode {
	switch {
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
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return 0
}

// transportError classifies a failure to exchange bytes with Bedrock. The
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

// redactedError hides secrets in the text of the error it wraps while
// keeping it available to errors.Is and errors.As.
type redactedError struct {
	err     error
	secrets []string
}

func (e *redactedError) Error() string { return redact(e.err.Error(), e.secrets) }
func (e *redactedError) Unwrap() error { return e.err }

// redactError removes the secrets from e's message and from the text of its
// cause, in place, and returns e.
func redactError(e *llmgate.Error, secrets []string) *llmgate.Error {
	e.Message = redact(e.Message, secrets)
	if e.Err != nil {
		if _, ok := e.Err.(*redactedError); !ok {
			e.Err = &redactedError{err: e.Err, secrets: secrets}
		}
	}
	return e
}
