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
	if h, ok := r.Header[http.CanonicalHeaderKey(headerFallbacks)]; ok {
		req.Fallbacks = []string{}
		for _, v := range h {
			for _, f := range strings.Split(v, ",") {
				if f = strings.TrimSpace(f); f != "" {
					req.Fallbacks = append(req.Fallbacks, f)
				}
			}
		}
	}
	return parseTimeout(headerTimeout, r.Header.Get(headerTimeout), &req.Timeouts.Request)
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
