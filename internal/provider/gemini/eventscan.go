package gemini

import (
	"github.com/llmgate/llmgate/internal/jsonscan"
)

// The members encoding/json would fill, at each level of an event: a key
// that differs from one of them only in case is one the fast decoder
// leaves to encoding/json, which matches it.
var (
	responseKeys  = jsonscan.NewKeySet("candidates", "promptFeedback", "usageMetadata", "modelVersion", "responseId", "error")
	candidateKeys = jsonscan.NewKeySet("content", "finishReason", "finishMessage", "index", "logprobsResult")
	contentKeys   = jsonscan.NewKeySet("role", "parts")
	partKeys      = jsonscan.NewKeySet("text", "thought", "thoughtSignature", "inlineData", "fileData", "functionCall", "functionResponse")
	usageKeys     = jsonscan.NewKeySet("promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "cachedContentTokenCount", "totalTokenCount")
)

// Values read without a copy when they repeat, as they do on every event.
var (
	finishReasons = []string{"STOP", "MAX_TOKENS", "SAFETY", "RECITATION", "OTHER"}
	roles         = []string{"model"}
)

// decodeResponseFast fills w, which must be zero but for the capacity of
// its Candidates, from an event of the usual shape: candidates with text
// parts (thoughts included), finish reason and index, usage, model version
// and response id, with members encoding/json would not fill (safety
// ratings, token details) skipped. It reports false for anything else (a
// function call, inline data, logprobs, a blocked prompt, an error, a key
// repeated where encoding/json would merge, a key in another case,
// malformed data), leaving w in any state; the caller then decodes the
// data with encoding/json, which has the last word on those. Each event
// of a Gemini stream is a whole GenerateContentResponse, which encoding/json
// decoded with reflection and two dozen allocations.
//
// prevID and prevModel are the previous event's, whose strings are reused
// when they repeat. A whole answer of generateContent has the same shape,
// and takes the same decoder.
func decodeResponseFast(data []byte, w *generateContentResponse, prevID, prevModel string) bool {
	s := jsonscan.New(data)
	if !s.Enter('{') {
		return false
	}
	seenCands, seenUsage := false, false
	for first := true; ; {
		key, ok := s.Member(&first)
		if !ok {
			break
		}
		switch string(key) {
		case "candidates":
			// encoding/json decodes a repeated array into the elements of
			// the first.
			if seenCands || !decodeCandidatesFast(&s, w) {
				return false
			}
			seenCands = true
		case "usageMetadata":
			if seenUsage || !decodeUsageFast(&s, &w.UsageMetadata) {
				return false
			}
			seenUsage = true
		case "modelVersion":
			s.SetString(&w.ModelVersion, prevModel)
		case "responseId":
			s.SetString(&w.ResponseID, prevID)
		case "promptFeedback", "error":
			if !s.Null() {
				return false
			}
		default:
			if responseKeys.Folds(key) {
				return false
			}
			s.Skip()
		}
	}
	return s.End()
}

func decodeCandidatesFast(s *jsonscan.Scanner, w *generateContentResponse) bool {
	if s.Peek() == 'n' {
		return s.Null()
	}
	if !s.Enter('[') {
		return false
	}
	if w.Candidates == nil {
		// encoding/json makes an empty array an empty slice, not nil.
		w.Candidates = make([]candidate, 0, 1)
	}
	for first := true; s.Next(']', &first); {
		w.Candidates = append(w.Candidates, candidate{})
		c := &w.Candidates[len(w.Candidates)-1]
		if s.Peek() == 'n' {
			s.Null()
			continue
		}
		if !s.Enter('{') {
			return false
		}
		seenContent := false
		for first := true; ; {
			key, ok := s.Member(&first)
			if !ok {
				break
			}
			switch string(key) {
			case "content":
				// A repeated content is merged into the first.
				if seenContent || !decodeContentFast(s, &c.Content) {
					return false
				}
				seenContent = true
			case "finishReason":
				s.SetKnown(&c.FinishReason, finishReasons)
			case "finishMessage":
				s.SetKnown(&c.FinishMessage, nil)
			case "index":
				s.SetInt(&c.Index)
			case "logprobsResult":
				return false
			default:
				if candidateKeys.Folds(key) {
					return false
				}
				s.Skip()
			}
		}
	}
	return s.OK()
}

func decodeContentFast(s *jsonscan.Scanner, dst **content) bool {
	if s.Peek() == 'n' {
		return s.Null()
	}
	if !s.Enter('{') {
		return false
	}
	ct := new(content)
	*dst = ct
	seenParts := false
	for first := true; ; {
		key, ok := s.Member(&first)
		if !ok {
			break
		}
		switch string(key) {
		case "role":
			s.SetKnown(&ct.Role, roles)
		case "parts":
			if seenParts || !decodePartsFast(s, ct) {
				return false
			}
			seenParts = true
		default:
			if contentKeys.Folds(key) {
				return false
			}
			s.Skip()
		}
	}
	return s.OK()
}

func decodePartsFast(s *jsonscan.Scanner, ct *content) bool {
	if s.Peek() == 'n' {
		return s.Null()
	}
	if !s.Enter('[') {
		return false
	}
	// encoding/json makes an empty array an empty slice, not nil.
	ct.Parts = make([]part, 0, 1)
	for first := true; s.Next(']', &first); {
		ct.Parts = append(ct.Parts, part{})
		p := &ct.Parts[len(ct.Parts)-1]
		if s.Peek() == 'n' {
			s.Null()
			continue
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
			case "text":
				s.SetKnown(&p.Text, nil)
			case "thought":
				if s.Peek() == 'n' {
					s.Null()
					break
				}
				p.Thought = s.Bool()
			case "thoughtSignature":
				s.SetKnown(&p.ThoughtSignature, nil)
			case "inlineData", "fileData", "functionCall", "functionResponse":
				return false
			default:
				if partKeys.Folds(key) {
					return false
				}
				s.Skip()
			}
		}
	}
	return s.OK()
}

func decodeUsageFast(s *jsonscan.Scanner, dst **usageMetadata) bool {
	if s.Peek() == 'n' {
		return s.Null()
	}
	if !s.Enter('{') {
		return false
	}
	u := new(usageMetadata)
	*dst = u
	for first := true; ; {
		key, ok := s.Member(&first)
		if !ok {
			break
		}
		var n *int
		switch string(key) {
		case "promptTokenCount":
			n = &u.PromptTokenCount
		case "candidatesTokenCount":
			n = &u.CandidatesTokenCount
		case "thoughtsTokenCount":
			n = &u.ThoughtsTokenCount
		case "cachedContentTokenCount":
			n = &u.CachedContentTokenCount
		case "totalTokenCount":
			n = &u.TotalTokenCount
		default:
			if usageKeys.Folds(key) {
				return false
			}
			s.Skip()
			continue
		}
		s.SetInt(n)
	}
	return s.OK()
}

// decodeEmbeddingsFast fills w, which must be zero, from a
// batchEmbedContents answer, by the rules of decodeResponseFast: it reports
// false, leaving w in any state, for a key in another case, a repeated
// embeddings or values, a value of another type or malformed data, and the
// caller then decodes the body with encoding/json. raws receives each
// vector's JSON text, a view of data, in order; a vector with a null in
// it, or of null, has none. An answer is thousands of numbers a vector,
// which encoding/json decoded at about 100 ns a number.
func decodeEmbeddingsFast(data []byte, w *batchEmbedContentsResponse, raws *[][]byte) bool {
	s := jsonscan.New(data)
	if !s.Enter('{') {
		return false
	}
	seen := false
	for first := true; ; {
		key, ok := s.Member(&first)
		if !ok {
			break
		}
		switch {
		case string(key) == "embeddings":
			// encoding/json decodes a repeated array into the elements of
			// the first.
			if seen || !decodeEmbeddingList(&s, data, w, raws) {
				return false
			}
			seen = true
		case jsonscan.FoldsTo(key, []string{"embeddings"}):
			return false
		default:
			s.Skip()
		}
	}
	return s.End()
}

func decodeEmbeddingList(s *jsonscan.Scanner, data []byte, w *batchEmbedContentsResponse, raws *[][]byte) bool {
	if s.Peek() == 'n' {
		return s.Null()
	}
	if !s.Enter('[') {
		return false
	}
	// encoding/json makes an empty array an empty slice, not nil.
	w.Embeddings = make([]contentEmbedding, 0, 1)
	for first := true; s.Next(']', &first); {
		w.Embeddings = append(w.Embeddings, contentEmbedding{})
		e := &w.Embeddings[len(w.Embeddings)-1]
		var raw []byte
		if s.Peek() == 'n' {
			s.Null()
			*raws = append(*raws, nil)
			continue
		}
		if !s.Enter('{') {
			return false
		}
		seenValues := false
		for first := true; ; {
			key, ok := s.Member(&first)
			if !ok {
				break
			}
			switch {
			case string(key) == "values":
				// A repeated array would be decoded into the first's
				// elements.
				if seenValues {
					return false
				}
				seenValues = true
				size := 768 // text-embedding-004's length
				if n := len(w.Embeddings); n > 1 {
					size = len(w.Embeddings[n-2].Values)
				}
				s.Peek()
				start := s.Offset()
				v, plain := s.Numbers(size)
				if !s.OK() {
					return false
				}
				e.Values = v
				if plain {
					raw = data[start:s.Offset()]
				}
			case jsonscan.FoldsTo(key, []string{"values"}):
				return false
			default:
				s.Skip()
			}
		}
		*raws = append(*raws, raw)
	}
	return s.OK()
}
