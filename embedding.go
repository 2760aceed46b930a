package llmgate

// EmbeddingRequest asks for the vectors of one or more texts.
//
// As a ChatRequest's, the long inputs of a request the HTTP API decoded
// from a large body are views of the body's buffer, reused once the request
// is answered: code that keeps one past the request must copy it first.
type EmbeddingRequest struct {
	Provider string
	Model    string
	Input    []string
	// Dimensions asks a model that supports it for shorter vectors.
	Dimensions *int
	User       string
}

// Embedding is the vector of one input.
type Embedding struct {
	Index  int
	Vector []float64
	// JSON is Vector as the provider wrote it, a JSON array of the same
	// numbers, when the adapter kept it; nil otherwise. The API's encoders
	// copy it rather than format thousands of numbers again. Code that
	// changes Vector sets JSON to nil.
	JSON []byte
}

// EmbeddingResponse holds one vector per input, in input order.
type EmbeddingResponse struct {
	Served
	Data  []Embedding
	Usage Usage
	// Cost is nil when the model has no price in the catalog.
	Cost *Cost
}

// CopyVectorJSON copies the JSON text of each embedding of data into one
// buffer of their own: an adapter's texts are views of an answer's buffer,
// which the next answer reuses.
func CopyVectorJSON(data []Embedding) {
	n := 0
	for i := range data {
		n += len(data[i].JSON)
	}
	buf := make([]byte, 0, n)
	for i := range data {
		if data[i].JSON == nil {
			continue
		}
		start := len(buf)
		buf = append(buf, data[i].JSON...)
		data[i].JSON = buf[start:len(buf):len(buf)]
	}
}
