// Package providertest is the conformance suite every provider adapter runs:
// the same scenarios, with the same assertions, whatever the provider's wire
// format. An adapter's test supplies a Harness that builds its client and a
// fake upstream answering each Scenario in the provider's own format; Run
// drives the client through every scenario and checks the domain values
// that come back.
//
// It also holds what the adapters' own unit tests share: fixtures and
// golden files in testdata (ReadFile, CheckGolden and the -update flag),
// and the pieces of a stream test (CloseCounter, Drain, BodyReaders).
package providertest

import (
	"net/http"
	"testing"

	"github.com/llmgate/llmgate"
)

// Feature names a capability that some scenarios exercise. A Harness
// declares the features its provider cannot honour (Harness.Unsupported)
// and those that do not apply to it (Harness.Skip); every other feature is
// expected to work.
type Feature string

// The features of the suite.
const (
	// FeatureStream is streamed chat: deltas, one finish reason, usage,
	// io.EOF at the end, an idempotent Close.
	FeatureStream Feature = "stream"
	// FeatureSystem is a system prompt that must reach the upstream.
	FeatureSystem Feature = "system"
	// FeatureMultiTurn is a conversation of several turns that must all
	// reach the upstream.
	FeatureMultiTurn Feature = "multi_turn"
	// FeatureTools is a tool call and the follow-up request carrying its result.
	FeatureTools Feature = "tools"
	// FeatureStreamToolSplit is a streamed tool call whose arguments come in
	// several chunks and must be reassembled.
	FeatureStreamToolSplit Feature = "stream_tool_split"
	// FeatureVision is an image given as a data: URL, which must reach the
	// upstream.
	FeatureVision Feature = "vision"
	// FeatureJSONSchema is response_format json_schema.
	FeatureJSONSchema Feature = "json_schema"
	// FeatureJSONObject is response_format json_object.
	FeatureJSONObject Feature = "json_object"
	// FeatureStop is stop sequences.
	FeatureStop Feature = "stop"
	// FeatureMaxTokens is a token limit that ends the answer with finish
	// reason "length".
	FeatureMaxTokens Feature = "max_tokens"
	// FeatureErrors is the translation of the upstream's error answers.
	FeatureErrors Feature = "errors"
	// FeatureStreamCut is a stream that ends before its completion.
	FeatureStreamCut Feature = "stream_cut"
	// FeatureCancel is a stream whose context is cancelled mid-way.
	FeatureCancel Feature = "cancel"
)

// Answer is what a fake upstream must send for a scenario.
type Answer string

// The answers a Harness's upstream must be able to give, in the provider's
// own wire format. Unless said otherwise an answer is a success with usage
// (prompt and completion tokens both above zero) and, when Scenario.Stream is
// set, is streamed in the provider's streaming format.
const (
	// AnswerText is Scenario.Text as the assistant's answer, finish reason
	// "stop" (end_turn, STOP, …). Streamed, the text is split over at least
	// two chunks.
	AnswerText Answer = "text"
	// AnswerStop is Scenario.Text, ended by the stop sequence Scenario.Stop
	// (for providers that report it: stop_sequence and its value).
	AnswerStop Answer = "stop"
	// AnswerLength is Scenario.Text cut by the token limit (finish_reason
	// "length", max_tokens, MAX_TOKENS, …).
	AnswerLength Answer = "length"
	// AnswerToolCall is a call of Scenario.Tool (its ID, name and arguments)
	// with the provider's tool-call finish reason. Streamed, the arguments
	// are split over at least two chunks where the wire format allows it.
	AnswerToolCall Answer = "tool_call"
	// AnswerUnauthorized is the provider's answer to a bad credential (401,
	// or what the provider sends instead). It must echo Scenario.Secret in
	// its body, as hostile or careless upstreams do, so that the suite can
	// check that the adapter removes it.
	AnswerUnauthorized Answer = "unauthorized"
	// AnswerModelNotFound is the provider's 404 for an unknown model.
	AnswerModelNotFound Answer = "model_not_found"
	// AnswerRateLimited is the provider's 429 with a wait of one second
	// (Retry-After: 1, or the provider's own way of saying it).
	AnswerRateLimited Answer = "rate_limited"
	// AnswerServerError is the provider's 500.
	AnswerServerError Answer = "server_error"
	// AnswerContextLength is the provider's answer to a prompt longer than
	// the model's context window.
	AnswerContextLength Answer = "context_length"
	// AnswerStreamCut is a stream that sends part of Scenario.Text and ends
	// without the provider's end of stream (no [DONE], no message_stop, no
	// finish reason, no metadata event).
	AnswerStreamCut Answer = "stream_cut"
	// AnswerStreamHang is a stream that sends part of Scenario.Text, flushes
	// it, then sends nothing more until the request's context is done.
	AnswerStreamHang Answer = "stream_hang"
)

// ToolCall is the tool call a scenario expects.
type ToolCall struct {
	ID        string
	Name      string
	Arguments string // a JSON object
}

// Scenario is one exchange of the suite. The harness's upstream answers it
// with Answer; Name is unique within the suite and names the subtest.
type Scenario struct {
	Name    string
	Feature Feature
	Answer  Answer
	// Stream says the client calls ChatStream; the upstream answers in its
	// streaming format.
	Stream bool
	// Text is the assistant's text for answers that carry text.
	Text string
	// Stop is the stop sequence the request carries, for AnswerStop.
	Stop string
	// Tool is the call to make, for AnswerToolCall.
	Tool ToolCall
	// Secret is Harness.Secret, for AnswerUnauthorized to echo.
	Secret string
}

// Harness is what a provider's test supplies to Run.
type Harness struct {
	// Provider is the provider name the adapter's errors carry.
	Provider string
	// Model is the catalog model name of the suite's requests.
	Model string
	// Secret is the credential the client is built with. No error text may
	// hold it. Empty for a provider without credentials.
	Secret string
	// New returns the client under test. baseURL is the fake upstream's
	// address and client an HTTP client that reaches it; both are zero when
	// Upstream is nil. s is the scenario about to run, for a client whose
	// answers are set by its configuration rather than by an upstream.
	New func(t *testing.T, baseURL string, client *http.Client, s Scenario) llmgate.Chatter
	// Upstream returns the handler that answers s in the provider's wire
	// format. A nil Upstream means the client calls no upstream (the mock);
	// the suite then checks only what the client returns.
	Upstream func(t *testing.T, s Scenario) http.Handler
	// Unsupported lists the features the provider cannot honour. For them
	// the suite expects an *llmgate.Error with code EUnsupported, returned
	// before any request reaches the upstream: never a silent drop.
	Unsupported map[Feature]bool
	// WholeToolCalls says the wire format streams each tool call whole, as
	// Gemini does, so that the suite cannot require a call's arguments to
	// come in several fragments; it still checks the call.
	WholeToolCalls bool
	// Skip lists the features that do not apply to the provider, each with
	// the reason, which the suite logs.
	Skip map[Feature]string
}
