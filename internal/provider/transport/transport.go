// Package transport holds what every provider adapter does alike when it
// talks HTTP to its upstream: classifying a failed exchange, reading a body
// with a size limit, parsing Retry-After, and keeping secrets out of the
// text of the errors it returns. What an answer means stays with each
// adapter.
package transport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/llmgate/llmgate"
)

// Error classifies a failure to exchange bytes with an upstream,
// during op ("sending request", "reading stream", …): EClientClosed when the
// request was canceled, EUpstreamTimeout when a deadline or a network
// timeout passed, EUpstreamConnection otherwise. ctx is the request's
// context, which tells a canceled client from a broken connection.
//
// The *url.Error that net/http returns names the URL, which may hold a
// secret (a key in the query, a resource name): only its cause is kept.
func Error(ctx context.Context, provider, op string, err error) *llmgate.Error {
	err = StripURL(err)
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

// StripURL returns the cause of the innermost *url.Error in err's chain, or
// err when there is none.
func StripURL(err error) error {
	var ue *url.Error
	for errors.As(err, &ue) {
		err = ue.Err
	}
	return err
}

// ErrTooLarge is returned by ReadLimited for a body longer than its limit.
var ErrTooLarge = errors.New("response body exceeds the size limit")

// ReadLimited reads r to its end, failing with ErrTooLarge past limit
// bytes. contentLength is the body's declared length, or -1 when unknown:
// a declared length over the limit fails before reading, and a known one
// sizes the buffer in a single allocation.
func ReadLimited(r io.Reader, contentLength, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	if err := ReadLimitedTo(&buf, r, contentLength, limit); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ReadLimitedTo is ReadLimited into buf, for a caller that reuses its
// buffers. A known contentLength sizes buf once, with the room ReadFrom
// needs to see the end without growing it.
func ReadLimitedTo(buf *bytes.Buffer, r io.Reader, contentLength, limit int64) error {
	if contentLength > limit {
		return ErrTooLarge
	}
	if contentLength > 0 {
		buf.Grow(int(contentLength) + bytes.MinRead)
	}
	n, err := buf.ReadFrom(io.LimitReader(r, limit+1))
	if err != nil {
		return err
	}
	if n > limit {
		return ErrTooLarge
	}
	return nil
}

// MaxErrorBodyBytes bounds the body of an error answer; real ones are
// small.
const MaxErrorBodyBytes = 1 << 20

// ReadErrorBody reads the body of an error answer, which the caller still
// closes. A body over MaxErrorBodyBytes reads as empty: the status alone
// then classifies the error.
func ReadErrorBody(resp *http.Response) ([]byte, error) {
	data, err := ReadLimited(resp.Body, resp.ContentLength, MaxErrorBodyBytes)
	if errors.Is(err, ErrTooLarge) {
		return nil, nil
	}
	return data, err
}

// RetryAfter parses the value of a Retry-After header, a number of seconds
// (a fraction allowed) or an HTTP date, into how long to wait from now; a
// date in the past means no wait. ok is false when v is empty or neither.
func RetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// StatusErrorCode returns the code of an error answer from its HTTP status
// alone, for when the body says nothing more precise: 401 and 403 are
// EUpstreamAuth, 404 EUpstreamNotFound, 408 and 504 EUpstreamTimeout, 429
// ERateLimited, 503 EUpstreamUnavailable, other 5xx EUpstreamError, other
// 4xx EUpstreamBadRequest, and anything else EUpstreamBadResponse.
func StatusErrorCode(status int) llmgate.ErrorCode {
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

// Do sends req through c's RoundTripper, or http.DefaultTransport when c or
// its Transport is nil, and returns the answer whatever its status.
//
// Unlike c.Do it never follows a redirect: a provider's API that redirects
// a POST is misconfigured, and following the redirect could carry the API
// key to another host, so the 3xx answer is returned as an error status
// like any other. It also skips the per-request copies http.Client makes to
// be able to redirect. A client with a cookie jar or a Timeout, which only
// http.Client enforces, is used through c.Do.
func Do(c *http.Client, req *http.Request) (*http.Response, error) {
	if c != nil && (c.Jar != nil || c.Timeout > 0) {
		return c.Do(req)
	}
	rt := http.DefaultTransport
	if c != nil && c.Transport != nil {
		rt = c.Transport
	}
	return rt.RoundTrip(req)
}
