package gemini

import (
	"encoding/json"
	"fmt"

	"github.com/llmgate/llmgate"
)

// encodeEmbeddingRequest returns the batchEmbedContents body for req under
// the upstream model id model: one request per input, in order.
func encodeEmbeddingRequest(req *llmgate.EmbeddingRequest, model string) ([]byte, error) {
	if req.User != "" {
		return nil, unsupported("Gemini has no field for the end user's id: remove the user parameter")
	}
	if len(req.Input) == 0 {
		return nil, invalid("an embedding request needs at least one input")
	}
	if req.Dimensions != nil && *req.Dimensions <= 0 {
		return nil, invalid("dimensions must be positive")
	}
	w := batchEmbedContentsRequest{Requests: make([]embedContentRequest, len(req.Input))}
	name := "models/" + model
	for i, in := range req.Input {
		if in == "" {
			return nil, invalid("input %d is empty; Gemini cannot embed an empty text", i)
		}
		w.Requests[i] = embedContentRequest{
			Model:                name,
			Content:              content{Parts: []part{{Text: in}}},
			OutputDimensionality: req.Dimensions,
		}
	}
	b, err := json.Marshal(&w)
	if err != nil {
		return nil, &llmgate.Error{Code: llmgate.EInvalidRequest, Message: "the request cannot be encoded as JSON", Err: fmt.Errorf("encoding batchEmbedContents request: %w", err)}
	}
	return b, nil
}

// decodeEmbeddingResponse translates a batchEmbedContents answer to the
// request for inputs. Gemini reports no token counts for embeddings, so the
// usage is an estimate, marked as one: a token per four bytes of input,
// rounded up, per input.
func decodeEmbeddingResponse(body []byte, inputs []string) (*llmgate.EmbeddingResponse, error) {
	var w batchEmbedContentsResponse
	var raws [][]byte
	if !decodeEmbeddingsFast(body, &w, &raws) {
		w, raws = batchEmbedContentsResponse{}, nil
		if err := json.Unmarshal(body, &w); err != nil {
			return nil, fmt.Errorf("decoding batchEmbedContents response: %w", err)
		}
	}
	if len(w.Embeddings) != len(inputs) {
		return nil, fmt.Errorf("the answer has %d embeddings for %d inputs", len(w.Embeddings), len(inputs))
	}
	r := &llmgate.EmbeddingResponse{Data: make([]llmgate.Embedding, len(w.Embeddings))}
	for i, e := range w.Embeddings {
		if len(e.Values) == 0 {
			return nil, fmt.Errorf("embedding %d is empty", i)
		}
		r.Data[i] = llmgate.Embedding{Index: i, Vector: e.Values}
		if len(raws) == len(r.Data) {
			r.Data[i].JSON = raws[i]
		}
	}
	llmgate.CopyVectorJSON(r.Data)
	r.Usage = estimateUsage(inputs)
	return r, nil
}

// estimateUsage counts ceil(len/4) tokens per input, the usual rule of
// thumb for English text, until the gateway has a tokenizer.
func estimateUsage(inputs []string) llmgate.Usage {
	n := 0
	for _, in := range inputs {
		n += (len(in) + 3) / 4
	}
	return llmgate.Usage{PromptTokens: n, TotalTokens: n, Estimated: true}
}
