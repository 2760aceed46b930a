package transport

import "github.com/llmgate/llmgate"

// RedactedError shows the text of Err passed through Redact, which removes
// secrets, and keeps Err available to errors.Is and errors.As. Which
// secrets, and which shapes of credential, Redact removes is the adapter's
// to say.
type RedactedError struct {
	Err    error
	Redact func(string) string
}

func (e *RedactedError) Error() string { return e.Redact(e.Err.Error()) }

// Unwrap returns Err.
func (e *RedactedError) Unwrap() error { return e.Err }

// RedactError passes e's Message through redact and wraps its cause in a
// RedactedError, in place, and returns e. A cause that is already a
// RedactedError is left as it is, so that an error redacted on its way out
// of several layers is wrapped once.
func RedactError(e *llmgate.Error, redact func(string) string) *llmgate.Error {
	e.Message = redact(e.Message)
	if e.Err == nil {
		return e
	}
	if _, ok := e.Err.(*RedactedError); !ok {
		e.Err = &RedactedError{Err: e.Err, Redact: redact}
	}
	return e
}
