package llmgate

import "time"

// ImageRequest asks for images generated from a prompt.
type ImageRequest struct {
	Provider string
	Model    string
	Prompt   string
	// N is the number of images; zero means one.
	N int
	// Size is WIDTHxHEIGHT, such as "1024x1024"; empty means the model's default.
	Size string
	// Quality is "standard" or "hd" (DALL·E 3), or a provider's own value.
	Quality string
	// Style is "vivid" or "natural" (DALL·E 3).
	Style string
	// ResponseFormat is "url" or "b64_json"; empty means "url".
	ResponseFormat string
	User           string
}

// Image is one generated image, by URL or as base64 data.
type Image struct {
	URL           string
	B64JSON       string
	RevisedPrompt string
}

// ImageResponse holds the generated images.
type ImageResponse struct {
	Created time.Time
	Served
	Data []Image
	// Size and Quality are the values used for pricing, the defaults filled in.
	Size    string
	Quality string
	// Cost is nil when the model has no price for this size and quality.
	Cost *Cost
}
