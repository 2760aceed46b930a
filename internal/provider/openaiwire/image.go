package openaiwire

import (
	"encoding/json"
	"fmt"

	"github.com/llmgate/llmgate"
)

// The values the Images API uses when a request leaves size or quality out,
// reported in ImageResponse for pricing.
const (
	defaultImageSize    = "1024x1024"
	defaultImageQuality = "standard"
)

// imageRequest is the body of POST /images/generations.
type imageRequest struct {
	Prompt         string `json:"prompt"`
	Model          string `json:"model,omitempty"`
	N              int    `json:"n,omitempty"`
	Size           string `json:"size,omitempty"`
	Quality        string `json:"quality,omitempty"`
	Style          string `json:"style,omitempty"`
	ResponseFormat string `json:"response_format,omitempty"`
	User           string `json:"user,omitempty"`
}

type imageResponse struct {
	Created int64       `json:"created"`
	Data    []imageData `json:"data"`
	// Size and Quality are reported by newer models (gpt-image-1).
	Size    string `json:"size"`
	Quality string `json:"quality"`
}

type imageData struct {
	URL           string `json:"url"`
	B64JSON       string `json:"b64_json"`
	RevisedPrompt string `json:"revised_prompt"`
}

func encodeImageRequest(req *llmgate.ImageRequest, model string) ([]byte, error) {
	b, err := json.Marshal(&imageRequest{
		Prompt:         req.Prompt,
		Model:          model,
		N:              req.N,
		Size:           req.Size,
		Quality:        req.Quality,
		Style:          req.Style,
		ResponseFormat: req.ResponseFormat,
		User:           req.User,
	})
	if err != nil {
		return nil, &llmgate.Error{Code: llmgate.EInvalidRequest, Message: "the request cannot be encoded as JSON", Err: fmt.Errorf("encoding image request: %w", err)}
	}
	return b, nil
}

// decodeImageResponse translates an images body. Size and Quality come from
// the response when it reports them, else from req, else the API's defaults.
func decodeImageResponse(body []byte, req *llmgate.ImageRequest) (*llmgate.ImageResponse, error) {
	var w imageResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("decoding images: %w", err)
	}
	r := &llmgate.ImageResponse{
		Created: unixTime(w.Created),
		Data:    make([]llmgate.Image, len(w.Data)),
		Size:    firstNonEmpty(w.Size, req.Size, defaultImageSize),
		Quality: firstNonEmpty(w.Quality, req.Quality, defaultImageQuality),
	}
	for i, d := range w.Data {
		r.Data[i] = llmgate.Image{URL: d.URL, B64JSON: d.B64JSON, RevisedPrompt: d.RevisedPrompt}
	}
	return r, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
