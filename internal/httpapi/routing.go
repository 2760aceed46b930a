package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/llmgate/llmgate"
)

// The headers that override routing on every surface, for clients (such as
// the official SDKs) that cannot add body fields.
const (
	headerFallbacks = "X-LLMGate-Fallbacks"
	headerTimeout   = "X-LLMGate-Timeout"
)

// The canonical forms of header names that are not spelled canonically:
// Header.Get and Header.Set canonicalize such a name, with an allocation, on
// every call.
var (
	canonFallbacks  = http.CanonicalHeaderKey(headerFallbacks)
	canonTimeout    = http.CanonicalHeaderKey(headerTimeout)
	canonClientID   = http.CanonicalHeaderKey(headerClientID)
	canonProvider   = http.CanonicalHeaderKey("X-LLMGate-Provider")
	canonModel      = http.CanonicalHeaderKey("X-LLMGate-Model")
	canonDeployment = http.CanonicalHeaderKey("X-LLMGate-Deployment")
	canonAttempts   = http.CanonicalHeaderKey("X-LLMGate-Attempts")
	canonCost       = http.CanonicalHeaderKey("X-LLMGate-Cost")
)

// headerValue is h.Get(key) for a key already in canonical form.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// routingOverrides applies the request's routing overrides to req: the body
// field first, then the headers, which win.
func routingOverrides(r *http.Request, body *routing, req *llmgate.ChatRequest) error {
	if body != nil {
		if body.Fallbacks != nil {
			req.Fallbacks = body.Fallbacks
		}
		for _, f := range []struct {
			name, value string
			dst         *time.Duration
		}{
			{"routing.timeout", body.Timeout, &req.Timeouts.Request},
			{"routing.attemptTimeout", body.AttemptTimeout, &req.Timeouts.Attempt},
			{"routing.firstTokenTimeout", body.FirstTokenTimeout, &req.Timeouts.FirstToken},
		} {
			if err := parseTimeout(f.name, f.value, f.dst); err != nil {
				return err
			}
		}
	}
	if h, ok := r.Header[canonFallbacks]; ok {
		req.Fallbacks = []string{}
		for _, v := range h {
			for _, f := range strings.Split(v, ",") {
				if f = strings.TrimSpace(f); f != "" {
					req.Fallbacks = append(req.Fallbacks, f)
				}
			}
		}
	}
	return parseTimeout(headerTimeout, headerValue(r.Header, canonTimeout), &req.Timeouts.Request)
}

func parseTimeout(name, v string, dst *time.Duration) error {
	if v == "" {
		return nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 || d > 24*time.Hour {
		return invalid("%s must be a positive duration such as 30s", name)
	}
	*dst = d
	return nil
}
