package gateway

import "github.com/llmgate/llmgate"

// TokenCounter counts the tokens of text as model would. It returns a
// negative number when it cannot count.
type TokenCounter interface {
	Count(model, text string) int
}

// Per OpenAI's accounting of chat prompts: each message costs a few tokens
// of framing, and the reply is primed with a few more.
const (
	tokensPerMessage = 3
	tokensPerReply   = 3
)

// promptTokens estimates the tokens of a chat request's messages.
func promptTokens(c TokenCounter, model string, msgs []llmgate.Message) (int, bool) {
	n := tokensPerReply
	for i := range msgs {
		m := &msgs[i]
		k := c.Count(model, string(m.Role)+" "+m.Text())
		if k < 0 {
			return 0, false
		}
		n += tokensPerMessage + k
		for _, tc := range m.ToolCalls {
			n += c.Count(model, tc.Name) + c.Count(model, tc.Arguments)
		}
	}
	return n, true
}

// estimateChat fills u from the request and the answer's text when the
// provider reported no usage, and marks it estimated.
func estimateChat(c TokenCounter, model string, msgs []llmgate.Message, answer string, u *llmgate.Usage) {
	if c == nil || u.PromptTokens != 0 || u.CompletionTokens != 0 {
		return
	}
	p, ok := promptTokens(c, model, msgs)
	comp := c.Count(model, answer)
	if !ok || comp < 0 {
		return
	}
	*u = llmgate.Usage{PromptTokens: p, CompletionTokens: comp, TotalTokens: p + comp, Estimated: true}
}

// answerText is the text of every choice and tool call of a response.
func answerText(r *llmgate.ChatResponse) string {
	if len(r.Choices) == 1 && len(r.Choices[0].Message.ToolCalls) == 0 {
		return r.Choices[0].Message.Text()
	}
	var b []byte
	for i := range r.Choices {
		m := &r.Choices[i].Message
		b = append(b, m.Text()...)
		for _, tc := range m.ToolCalls {
			b = append(b, tc.Name...)
			b = append(b, tc.Arguments...)
		}
	}
	return string(b)
}

// estimateEmbedding counts the inputs when the provider reported no tokens,
// or only a rough estimate of its own.
func estimateEmbedding(c TokenCounter, model string, input []string, u *llmgate.Usage) {
	if c == nil || (u.PromptTokens != 0 && !u.Estimated) {
		return
	}
	n := 0
	for _, in := range input {
		k := c.Count(model, in)
		if k < 0 {
			return
		}
		n += k
	}
	*u = llmgate.Usage{PromptTokens: n, TotalTokens: n, Estimated: true}
}
