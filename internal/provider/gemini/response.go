package gemini

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/llmgate/llmgate"
)

// decodeChatResponse translates a generateContent answer received at now;
// Gemini gives no creation time. Served is left for the caller to fill. A
// prompt Gemini blocked, or an answer whose every candidate was blocked
// before it produced anything, is an EContentFiltered error: there is no
// answer to return.
func decodeChatResponse(body []byte, now time.Time) (*llmgate.ChatResponse, error) {
	var w generateContentResponse
	// The usual answer, text, takes the stream's hand-written decoder.
	if !decodeResponseFast(body, &w, "", "") {
		w = generateContentResponse{}
		if err := json.Unmarshal(body, &w); err != nil {
			return nil, fmt.Errorf("decoding generateContent response: %w", err)
		}
	}
	if err := blockedPrompt(&w); err != nil {
		return nil, err
	}
	if len(w.Candidates) == 0 {
		return nil, fmt.Errorf("the answer has no candidates")
	}
	r := &llmgate.ChatResponse{
		ID:      w.ResponseID,
		Created: now,
		Choices: make([]llmgate.Choice, len(w.Candidates)),
	}
	if w.UsageMetadata != nil {
		r.Usage = w.UsageMetadata.domain()
	}
	answered := false
	var refusal *candidate
	for i := range w.Candidates {
		c := &w.Candidates[i]
		d := &r.Choices[i]
		d.Index = c.Index
		d.Message.Role = llmgate.RoleAssistant
		d.Logprobs = rawOrNil(c.LogprobsResult)
		var text strings.Builder
		if c.Content != nil {
			for _, p := range c.Content.Parts {
				switch {
				case p.Thought:
					// A thought summary is not part of the answer.
				case p.FunctionCall != nil:
					d.Message.ToolCalls = append(d.Message.ToolCalls, toDomainCall(p.FunctionCall, p.ThoughtSignature, len(d.Message.ToolCalls)))
				default:
					text.WriteString(p.Text)
				}
			}
		}
		if text.Len() > 0 {
			d.Message.Content = []llmgate.Part{llmgate.TextPart(text.String())}
		}
		d.FinishReason = finishReason(c.FinishReason, len(d.Message.ToolCalls) > 0)
		if text.Len() > 0 || len(d.Message.ToolCalls) > 0 {
			answered = true
		} else if refusal == nil && (d.FinishReason == llmgate.FinishContentFilter || failedCall(c.FinishReason)) {
			refusal = c
		}
	}
	if !answered && refusal != nil {
		return nil, emptyCandidateError(refusal)
	}
	return r, nil
}

// blockedPrompt returns the EContentFiltered error for a prompt that
// Gemini refused, which it answers with a block reason and no candidates.
func blockedPrompt(w *generateContentResponse) error {
	f := w.PromptFeedback
	if f == nil || f.BlockReason == "" || len(w.Candidates) > 0 {
		return nil
	}
	msg := "Gemini blocked the prompt (" + f.BlockReason + ")"
	if f.BlockReasonMessage != "" {
		msg += ": " + f.BlockReasonMessage
	}
	return &llmgate.Error{Code: llmgate.EContentFiltered, Message: msg}
}

// emptyCandidateError explains a candidate that ended without producing
// anything: blocked under a content policy, or stopped on a function call
// Gemini itself could not form.
func emptyCandidateError(c *candidate) *llmgate.Error {
	if failedCall(c.FinishReason) {
		e := &llmgate.Error{Code: llmgate.EUpstreamBadResponse, Message: "Gemini stopped on a function call it could not form (" + c.FinishReason + ")"}
		if c.FinishMessage != "" {
			e.Err = fmt.Errorf("finish message: %s", c.FinishMessage)
		}
		return e
	}
	msg := "Gemini blocked the answer (" + c.FinishReason + ")"
	if c.FinishMessage != "" {
		msg += ": " + c.FinishMessage
	}
	return &llmgate.Error{Code: llmgate.EContentFiltered, Message: msg}
}

// toDomainCall translates the n-th function call of a candidate. Gemini
// gives a call an id only sometimes; call_<n> stands in otherwise. The
// thought signature travels in the ID (see toolCallID).
func toDomainCall(fc *functionCall, sig string, n int) llmgate.ToolCall {
	id := fc.ID
	if id == "" {
		id = "call_" + strconv.Itoa(n)
	}
	args := string(fc.Args)
	if len(fc.Args) == 0 || string(fc.Args) == "null" {
		args = "{}"
	}
	return llmgate.ToolCall{ID: toolCallID(id, sig), Name: fc.Name, Arguments: args}
}

// finishReason maps Gemini's finish reason. A candidate that called a
// function and stopped normally reports tool_calls, as OpenAI does. An
// empty reason means the candidate has not finished (in a stream). Reasons
// with no domain equivalent (OTHER, LANGUAGE, MALFORMED_FUNCTION_CALL, …)
// become stop.
func finishReason(r string, called bool) llmgate.FinishReason {
	switch r {
	case "":
		return ""
	case "STOP":
		if called {
			return llmgate.FinishToolCalls
		}
		return llmgate.FinishStop
	case "MAX_TOKENS":
		return llmgate.FinishLength
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
		"IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
		return llmgate.FinishContentFilter
	}
	if called {
		return llmgate.FinishToolCalls
	}
	return llmgate.FinishStop
}

// failedCall reports the finish reasons of a function call that Gemini
// produced wrongly.
func failedCall(r string) bool {
	switch r {
	case "MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS":
		return true
	}
	return false
}

// domain translates the usage. Gemini counts thinking apart from the
// answer; the domain counts it in CompletionTokens, as OpenAI does.
func (u *usageMetadata) domain() llmgate.Usage {
	d := llmgate.Usage{
		PromptTokens:     u.PromptTokenCount,
		CompletionTokens: u.CandidatesTokenCount + u.ThoughtsTokenCount,
		TotalTokens:      u.TotalTokenCount,
		CachedTokens:     u.CachedContentTokenCount,
		ReasoningTokens:  u.ThoughtsTokenCount,
	}
	if d.TotalTokens == 0 {
		d.TotalTokens = d.PromptTokens + d.CompletionTokens
	}
	return d
}

// rawOrNil drops a JSON null, which json.RawMessage keeps as the text "null".
func rawOrNil(m json.RawMessage) json.RawMessage {
	if len(m) == 0 || string(m) == "null" {
		return nil
	}
	return m
}
