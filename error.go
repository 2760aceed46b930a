package llmgate

import (
	"errors"
	"fmt"
	"time"
)

// ErrorCode is the stable, machine-readable kind of an error a client sees.
// The set is closed: Codes lists every member.
type ErrorCode string

// The error codes. Their HTTP statuses are mapped in one place, the HTTP
// adapter; their meanings are in Codes.
const (
	EInvalidRequest        ErrorCode = "invalid_request"
	EInvalidJSON           ErrorCode = "invalid_json"
	EInvalidHeader         ErrorCode = "invalid_header"
	EBodyTooLarge          ErrorCode = "body_too_large"
	ENotFound              ErrorCode = "not_found"
	EMethodNotAllowed      ErrorCode = "method_not_allowed"
	EProviderNotFound      ErrorCode = "provider_not_found"
	EModelNotFound         ErrorCode = "model_not_found"
	EModelDisabled         ErrorCode = "model_disabled"
	EProviderNotConfigured ErrorCode = "provider_not_configured"
	EUnsupported           ErrorCode = "unsupported"
	EContextLengthExceeded ErrorCode = "context_length_exceeded"
	EContentFiltered       ErrorCode = "content_filtered"
	ERateLimited           ErrorCode = "rate_limited"
	EUpstreamAuth          ErrorCode = "upstream_auth"
	EUpstreamBadRequest    ErrorCode = "upstream_bad_request"
	EUpstreamNotFound      ErrorCode = "upstream_not_found"
	EUpstreamError         ErrorCode = "upstream_error"
	EUpstreamUnavailable   ErrorCode = "upstream_unavailable"
	EUpstreamTimeout       ErrorCode = "upstream_timeout"
	EUpstreamBadResponse   ErrorCode = "upstream_bad_response"
	EUpstreamConnection    ErrorCode = "upstream_connection"
	ENoHealthyDeployment   ErrorCode = "no_healthy_deployment"
	EClientClosed          ErrorCode = "client_closed"
	EShuttingDown          ErrorCode = "shutting_down"
	EInternal              ErrorCode = "internal"
)

// CodeInfo documents one error code.
type CodeInfo struct {
	Code        ErrorCode
	Description string
}

// Codes is the closed set of error codes, in documentation order.
var Codes = []CodeInfo{
	{EInvalidRequest, "The request body is well-formed JSON but breaks a rule: a missing field, a value out of range, a parameter the model cannot honour."},
	{EInvalidJSON, "The request body is not valid JSON, or a field has the wrong JSON type."},
	{EInvalidHeader, "A required header (X-Correlation-Id, X-User-Id, client_id) is missing or malformed."},
	{EBodyTooLarge, "The request body is larger than the configured limit."},
	{ENotFound, "No endpoint at this path."},
	{EMethodNotAllowed, "The endpoint does not accept this HTTP method."},
	{EProviderNotFound, "The catalog has no provider of this name."},
	{EModelNotFound, "The provider has no model of this name in the catalog."},
	{EModelDisabled, "The model or its provider is disabled in the catalog."},
	{EProviderNotConfigured, "The provider has no credentials; the message names the variables to set."},
	{EUnsupported, "The model or provider cannot do this operation (for example embeddings on a chat model)."},
	{EContextLengthExceeded, "The prompt and requested output do not fit the model's context window."},
	{EContentFiltered, "The provider refused the prompt or the answer under its content policy."},
	{ERateLimited, "The provider's rate limit or quota was hit; Retry-After says when to try again."},
	{EUpstreamAuth, "The provider rejected the gateway's credentials; an operator must fix them."},
	{EUpstreamBadRequest, "The provider rejected the request as invalid."},
	{EUpstreamNotFound, "The provider does not know the model or deployment."},
	{EUpstreamError, "The provider failed with a server error."},
	{EUpstreamUnavailable, "The provider is overloaded or unavailable."},
	{EUpstreamTimeout, "The provider did not answer in time."},
	{EUpstreamBadResponse, "The provider's answer could not be read."},
	{EUpstreamConnection, "The gateway could not connect to the provider, or the connection broke."},
	{ENoHealthyDeployment, "Every deployment of the model is out of rotation after repeated failures."},
	{EClientClosed, "The client went away before the answer was complete (ledger only)."},
	{EShuttingDown, "The gateway is shutting down and takes no new requests."},
	{EInternal, "An unexpected error inside the gateway."},
}

// Error is the gateway's error type. Adapters return it, or wrap it, so that
// the HTTP layer can choose a status from Code without reading messages.
type Error struct {
	Code ErrorCode
	// Message is safe to show to the client: it never holds a credential or
	// an upstream URL.
	Message string
	// Provider names the provider the error came from, if any.
	Provider string
	// UpstreamStatus is the provider's HTTP status, if there was one.
	UpstreamStatus int
	// RetryAfter is how long the provider asked us to wait, if it said.
	RetryAfter time.Duration
	// Err is the underlying cause, for logs; it is never shown to clients.
	Err error
}

// Errorf returns an Error with a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Error implements the error interface.
func (e *Error) Error() string {
	s := string(e.Code) + ": " + e.Message
	if e.Provider != "" {
		s = e.Provider + ": " + s
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is match an Error by code: errors.Is(err, &Error{Code: c}).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == "" && t.Provider == ""
}

// AsError returns the *Error in err's chain, or an EInternal Error wrapping
// err when there is none. It returns nil for a nil err.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: EInternal, Message: "internal error", Err: err}
}

// ErrorCodeOf returns the code of err, EInternal for an error without one,
// and "" for nil.
func ErrorCodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	return AsError(err).Code
}

// Retryable reports whether a request that failed with code may be sent
// again, to another deployment or later to the same one, without risk: the
// upstream refused it or never finished it, and the fault is the upstream's
// (or its configuration's), not the request's.
func (c ErrorCode) Retryable() bool {
	switch c {
	case ERateLimited, EUpstreamError, EUpstreamUnavailable, EUpstreamTimeout,
		EUpstreamConnection, EUpstreamAuth, EUpstreamNotFound, EProviderNotConfigured,
		ENoHealthyDeployment, EUpstreamBadResponse:
		return true
	}
	return false
}
