package httpapi

import (
	"net/http"
	"strconv"

	"github.com/llmgate/llmgate"
)

// StatusClientClosed is the status recorded when the client went away; it is
// never written to a client (there is none left to read it).
const StatusClientClosed = 499

// StatusOf maps an error code to the HTTP status the client gets. It is the
// one place where codes become statuses.
func StatusOf(c llmgate.ErrorCode) int {
	switch c {
	case "":
		return http.StatusOK
	case llmgate.EInvalidRequest, llmgate.EInvalidJSON, llmgate.EInvalidHeader,
		llmgate.EUnsupported, llmgate.EContextLengthExceeded, llmgate.EContentFiltered,
		llmgate.EUpstreamBadRequest:
		return http.StatusBadRequest
	case llmgate.EBodyTooLarge:
		return http.StatusRequestEntityTooLarge
	case llmgate.ENotFound, llmgate.EProviderNotFound, llmgate.EModelNotFound:
		return http.StatusNotFound
	case llmgate.EMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case llmgate.EModelDisabled:
		return http.StatusForbidden
	case llmgate.ERateLimited:
		return http.StatusTooManyRequests
	case llmgate.EUpstreamAuth, llmgate.EUpstreamNotFound, llmgate.EUpstreamError,
		llmgate.EUpstreamBadResponse, llmgate.EUpstreamConnection:
		return http.StatusBadGateway
	case llmgate.EProviderNotConfigured, llmgate.EUpstreamUnavailable,
		llmgate.ENoHealthyDeployment, llmgate.EShuttingDown:
		return http.StatusServiceUnavailable
	case llmgate.EUpstreamTimeout:
		return http.StatusGatewayTimeout
	case llmgate.EClientClosed:
		return StatusClientClosed
	}
	return http.StatusInternalServerError
}

// errorBody is the native API's one error shape.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code          llmgate.ErrorCode `json:"code" doc:"A stable machine-readable code; see the list in the API description."`
	Message       string            `json:"message" doc:"A human-readable explanation. It never contains a credential."`
	CorrelationID string            `json:"correlationId" doc:"The request's X-Correlation-Id."`
	Provider      string            `json:"provider" doc:"The provider the error came from, empty when none."`
}

// setRetryAfter passes the provider's Retry-After on, in whole seconds.
func setRetryAfter(h http.Header, e *llmgate.Error) {
	if e.RetryAfter > 0 {
		secs := int64((e.RetryAfter + 999_999_999) / 1_000_000_000)
		h.Set("Retry-After", strconv.FormatInt(secs, 10))
	}
}
