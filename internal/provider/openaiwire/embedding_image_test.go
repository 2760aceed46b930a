package openaiwire

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/provider/providertest"
)

func TestEncodeEmbeddingRequest(t *testing.T) {
	tests := []struct {
		name  string
		req   *llmgate.EmbeddingRequest
		model string
	}{
		{"full", &llmgate.EmbeddingRequest{Model: "text-embedding-3-small", Input: []string{"The food was delicious", "and the waiter..."}, Dimensions: ptr(256), User: "user-1"}, "text-embedding-3-small"},
		{"azure_minimal", &llmgate.EmbeddingRequest{Model: "ada", Input: []string{"hello"}}, ""},
		{"no_input", &llmgate.EmbeddingRequest{Model: "ada"}, "ada"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := encodeEmbeddingRequest(tt.req, tt.model)
			if err != nil {
				t.Fatal(err)
			}
			providertest.CheckGolden(t, "embeddings_request_"+tt.name+".golden.json", got)
		})
	}
}

func TestDecodeEmbeddingResponse(t *testing.T) {
	tests := []struct {
		file string
		want *llmgate.EmbeddingResponse
	}{
		{"embeddings_response.json", &llmgate.EmbeddingResponse{
			Data: []llmgate.Embedding{
				// Arrays of numbers keep their JSON text.
				{Index: 0, Vector: []float64{0.0023064255, -0.009327292, 0.015797347}, JSON: []byte("[0.0023064255, -0.009327292, 0.015797347]")},
				{Index: 1, Vector: []float64{-0.0069540725, 0.0011428941, 0}, JSON: []byte("[-0.0069540725, 0.0011428941, 0.0]")},
			},
			Usage: llmgate.Usage{PromptTokens: 8, TotalTokens: 8},
		}},
		// Base64 little-endian float32, returned out of order.
		{"embeddings_response_base64.json", &llmgate.EmbeddingResponse{
			Data: []llmgate.Embedding{
				{Index: 0, Vector: []float64{0, -1}},
				{Index: 1, Vector: []float64{1, -2, 0.5}},
			},
			Usage: llmgate.Usage{PromptTokens: 5, TotalTokens: 5},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := decodeEmbeddingResponse(providertest.ReadFile(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeEmbeddingResponseMalformed(t *testing.T) {
	for _, body := range []string{
		`{"data":[{"embedding":"AAA"}]}`,     // 2 bytes: not a float32 multiple
		`{"data":[{"embedding":"!!!!"}]}`,    // not base64
		`{"data":[{"embedding":{"x":1}}]}`,   // neither form
		`{"data":[{"embedding":["one"]}]}`,   // not numbers
		`{"data":[{"embedding":"AAAAAAAA}]}`, // broken JSON string
		`[]`,
	} {
		if _, err := decodeEmbeddingResponse([]byte(body)); err == nil {
			t.Errorf("decodeEmbeddingResponse(%s) succeeded, want an error", body)
		}
	}
}

func TestEncodeImageRequest(t *testing.T) {
	tests := []struct {
		name  string
		req   *llmgate.ImageRequest
		model string
	}{
		{"dalle3_full", &llmgate.ImageRequest{Model: "dall-e-3", Prompt: "A cute baby sea otter", N: 1, Size: "1792x1024", Quality: "hd", Style: "natural", ResponseFormat: "b64_json", User: "user-1"}, "dall-e-3"},
		{"azure_minimal", &llmgate.ImageRequest{Model: "dall-e-3", Prompt: "A lighthouse"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := encodeImageRequest(tt.req, tt.model)
			if err != nil {
				t.Fatal(err)
			}
			providertest.CheckGolden(t, "images_request_"+tt.name+".golden.json", got)
		})
	}
}

func TestDecodeImageResponse(t *testing.T) {
	tests := []struct {
		file string
		req  *llmgate.ImageRequest
		want *llmgate.ImageResponse
	}{
		{"images_response_url.json", &llmgate.ImageRequest{Prompt: "otter"}, &llmgate.ImageResponse{
			Created: time.Unix(1713833628, 0).UTC(),
			Data: []llmgate.Image{{
				URL:           "https://oaidalleapiprodscus.blob.core.windows.net/private/org-x/user-y/img-z.png?st=2024-04-23T00%3A53%3A48Z&se=2024-04-23T02%3A53%3A48Z&sp=r&sig=abc",
				RevisedPrompt: "A cute baby sea otter floating on its back in calm blue water.",
			}},
			Size:    "1024x1024",
			Quality: "standard",
		}},
		{"images_response_url.json", &llmgate.ImageRequest{Prompt: "otter", Size: "1024x1792", Quality: "hd"}, &llmgate.ImageResponse{
			Created: time.Unix(1713833628, 0).UTC(),
			Data: []llmgate.Image{{
				URL:           "https://oaidalleapiprodscus.blob.core.windows.net/private/org-x/user-y/img-z.png?st=2024-04-23T00%3A53%3A48Z&se=2024-04-23T02%3A53%3A48Z&sp=r&sig=abc",
				RevisedPrompt: "A cute baby sea otter floating on its back in calm blue water.",
			}},
			Size:    "1024x1792",
			Quality: "hd",
		}},
		// gpt-image-1 reports the size and quality it used.
		{"images_response_b64.json", &llmgate.ImageRequest{Prompt: "otter", Quality: "auto"}, &llmgate.ImageResponse{
			Created: time.Unix(1745000000, 0).UTC(),
			Data: []llmgate.Image{
				{B64JSON: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="},
				{B64JSON: "iVBORw0KGgo="},
			},
			Size:    "1536x1024",
			Quality: "high",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := decodeImageResponse(providertest.ReadFile(t, tt.file), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := decodeImageResponse([]byte(`{"data":{}}`), &llmgate.ImageRequest{}); err == nil {
		t.Error("malformed images body decoded without error")
	}
}
