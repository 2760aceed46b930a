package openaiwire

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/jsonappend"
)

// embeddingRequest is the body of POST /embeddings, as encoding/json
// would write it: the reference encodeEmbeddingRequest is tested against.
type embeddingRequest struct {
	Input          []string `json:"input"`
	Model          string   `json:"model,omitempty"`
	Dimensions     *int     `json:"dimensions,omitempty"`
	User           string   `json:"user,omitempty"`
	EncodingFormat string   `json:"encoding_format"`
}

type embeddingResponse struct {
	Data  []embeddingData `json:"data"`
	Model string          `json:"model"`
	Usage struct {
		PromptTokens int `json:"prompt_tokens"`
		TotalTokens  int `json:"total_tokens"`
	} `json:"usage"`
}

type embeddingData struct {
	Index     int    `json:"index"`
	Embedding vector `json:"embedding"`
}

// vector is an embedding as a JSON array of numbers or, when the request
// asked for encoding_format "base64", as base64 text of little-endian
// float32 values.
type vector []float64

var errVectorLength = errors.New("base64 embedding is not a whole number of float32 values")

// UnmarshalJSON accepts both encodings of an embedding.
func (v *vector) UnmarshalJSON(b []byte) error {
	if len(b) == 0 || b[0] != '"' {
		return json.Unmarshal(b, (*[]float64)(v))
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("base64 embedding: %w", err)
	}
	if len(raw)%4 != 0 {
		return errVectorLength
	}
	out := make([]float64, len(raw)/4)
	for i := range out {
		out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i*4:])))
	}
	*v = out
	return nil
}

// encodeEmbeddingRequest returns the embeddings body for req under the
// upstream model name model (empty leaves it out): what json.Marshal writes
// for the embeddingRequest wire value (TestEncodeEmbeddingRequestMatchesMarshal),
// written by hand, because a batch of texts to embed is often hundreds of
// KB, which encoding/json escaped one byte at a time.
func encodeEmbeddingRequest(req *llmgate.EmbeddingRequest, model string) ([]byte, error) {
	n := 128 + len(model) + len(req.User)
	for _, in := range req.Input {
		n += 3 + len(in) + len(in)/8
	}
	b := append(make([]byte, 0, n), `{"input":[`...)
	for i, in := range req.Input {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonappend.String(b, in)
	}
	b = append(b, ']')
	if model != "" {
		b = jsonappend.String(append(b, `,"model":`...), model)
	}
	if req.Dimensions != nil {
		b = strconv.AppendInt(append(b, `,"dimensions":`...), int64(*req.Dimensions), 10)
	}
	if req.User != "" {
		b = jsonappend.String(append(b, `,"user":`...), req.User)
	}
	return append(b, `,"encoding_format":"float"}`...), nil
}

// decodeEmbeddingResponse translates an embeddings body, ordering the
// vectors by their index. Served is left for the caller to fill.
func decodeEmbeddingResponse(body []byte) (*llmgate.EmbeddingResponse, error) {
	var w embeddingResponse
	var raws [][]byte
	if !decodeEmbeddingsFast(body, &w, &raws) {
		w, raws = embeddingResponse{}, nil
		if err := json.Unmarshal(body, &w); err != nil {
			return nil, fmt.Errorf("decoding embeddings: %w", err)
		}
	}
	r := &llmgate.EmbeddingResponse{
		Data: make([]llmgate.Embedding, len(w.Data)),
		Usage: llmgate.Usage{
			PromptTokens: w.Usage.PromptTokens,
			TotalTokens:  w.Usage.TotalTokens,
		},
	}
	for i, d := range w.Data {
		r.Data[i] = llmgate.Embedding{Index: d.Index, Vector: d.Embedding}
		if len(raws) == len(r.Data) {
			r.Data[i].JSON = raws[i]
		}
	}
	llmgate.CopyVectorJSON(r.Data)
	// The API returns input order; sort only if it did not, without
	// allocating in the common case.
	for i := 1; i < len(r.Data); i++ {
		for j := i; j > 0 && r.Data[j].Index < r.Data[j-1].Index; j-- {
			r.Data[j], r.Data[j-1] = r.Data[j-1], r.Data[j]
		}
	}
	return r, nil
}
