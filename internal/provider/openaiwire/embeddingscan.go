package openaiwire

import (
	"github.com/llmgate/llmgate/internal/jsonscan"
)

// The members of an embeddings answer that encoding/json would fill: a key
// that differs from one of them only in case is left to it.
var (
	embeddingKeys     = jsonscan.NewKeySet("data", "model", "usage")
	embeddingDataKeys = jsonscan.NewKeySet("index", "embedding")
	embeddingUseKeys  = jsonscan.NewKeySet("prompt_tokens", "total_tokens")
)

// decodeEmbeddingsFast fills w, which must be zero, from an embeddings
// answer whose vectors are arrays of numbers, the encoding the adapter asks
// for. It reports false, leaving w in any state, for anything else (a
// vector in base64, a key in another case, a repeated data or usage, a
// value of another type, malformed data); the caller then decodes the body
// with encoding/json. An answer is thousands of numbers a vector, which
// encoding/json scanned twice, once to find the vector for its
// UnmarshalJSON and again inside it, at about 200 ns a number.
//
// raws, when not nil, receives each vector's JSON text, a view of data, in
// the order of w.Data; a vector of null has none.
func decodeEmbeddingsFast(data []byte, w *embeddingResponse, raws *[][]byte) bool {
	s := jsonscan.New(data)
	if !s.Enter('{') {
		return false
	}
	seenData, seenUsage := false, false
	for first := true; ; {
		key, ok := s.Member(&first)
		if !ok {
			break
		}
		switch string(key) {
		case "data":
			// encoding/json decodes a repeated array into the elements of
			// the first.
			if seenData || !decodeEmbeddingData(&s, data, w, raws) {
				return false
			}
			seenData = true
		case "model":
			s.SetString(&w.Model, "")
		case "usage":
			// A repeated object is merged into the first.
			if seenUsage || !decodeEmbeddingUsage(&s, w) {
				return false
			}
			seenUsage = true
		default:
			if embeddingKeys.Folds(key) {
				return false
			}
			s.Skip()
		}
	}
	return s.End()
}

func decodeEmbeddingData(s *jsonscan.Scanner, data []byte, w *embeddingResponse, raws *[][]byte) bool {
	if s.Peek() == 'n' {
		return s.Null()
	}
	if !s.Enter('[') {
		return false
	}
	// encoding/json makes an empty array an empty slice, not nil.
	w.Data = make([]embeddingData, 0, 1)
	for first := true; s.Next(']', &first); {
		w.Data = append(w.Data, embeddingData{})
		d := &w.Data[len(w.Data)-1]
		var raw []byte
		if s.Peek() == 'n' {
			s.Null()
			if raws != nil {
				*raws = append(*raws, nil)
			}
			continue
		}
		if !s.Enter('{') {
			return false
		}
		seenVector := false
		for first := true; ; {
			key, ok := s.Member(&first)
			if !ok {
				break
			}
			switch string(key) {
			case "index":
				s.SetInt(&d.Index)
			case "embedding":
				// vector.UnmarshalJSON replaces the vector, so a repeated
				// one would win; that and base64 are left to encoding/json.
				hint := 1536 // text-embedding-3-small's length
				if n := len(w.Data); n > 1 {
					hint = len(w.Data[n-2].Embedding)
				}
				if seenVector {
					return false
				}
				seenVector = true
				s.Peek()
				start := s.Offset()
				v, numbers := s.Numbers(hint)
				if !s.OK() {
					return false
				}
				d.Embedding = v
				if numbers {
					raw = data[start:s.Offset()]
				}
			default:
				if embeddingDataKeys.Folds(key) {
					return false
				}
				s.Skip()
			}
		}
		if raws != nil {
			*raws = append(*raws, raw)
		}
	}
	return s.OK()
}

func decodeEmbeddingUsage(s *jsonscan.Scanner, w *embeddingResponse) bool {
	if s.Peek() == 'n' {
		return s.Null()
	}
	if !s.Enter('{') {
		return false
	}
	for first := true; ; {
		key, ok := s.Member(&first)
		if !ok {
			break
		}
		switch string(key) {
		case "prompt_tokens":
			s.SetInt(&w.Usage.PromptTokens)
		case "total_tokens":
			s.SetInt(&w.Usage.TotalTokens)
		default:
			if embeddingUseKeys.Folds(key) {
				return false
			}
			s.Skip()
		}
	}
	return s.OK()
}
