package httpapi

import (
	"encoding/json"
	"html/template"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/llmgate/llmgate"
)

// opDoc documents one route. The OpenAPI document is generated from these
// and from the very types the handlers decode and encode.
type opDoc struct {
	id          string
	summary     string
	description string
	body        any // the request body type, nil for none
	resp        any // the 200 response body type
	stream      bool
	streamDoc   string // how the stream looks, when it is not the native one
	query       []*huma.Param
}

var (
	docHealth = opDoc{id: "health", summary: "Liveness and readiness",
		description: "The gateway's state and the state of each provider deployment. Needs no caller headers.",
		resp:        healthResponse{}}
	docProviders = opDoc{id: "listProviders", summary: "List providers and models",
		description: "The provider and model catalog with prices, in the seed's shape.",
		resp:        catalogBody{}}
	docChat = opDoc{id: "chat", summary: "Chat",
		description: "Sends the conversation to the model. With `\"stream\": true` the answer is Server-Sent Events: `delta` events, then one `done` event with usage, cost and finishReason, or an `error` event if the provider fails mid-way.",
		body:        chatRequest{}, resp: chatResponse{}, stream: true}
	docEmbeddings = opDoc{id: "embeddings", summary: "Embeddings",
		description: "Turns one or more texts into vectors.",
		body:        embeddingRequest{}, resp: embeddingResponse{}}
	docImages = opDoc{id: "generateImages", summary: "Generate images",
		description: "Creates images from a prompt.",
		body:        imageRequest{}, resp: imageResponse{}}
	docUsage = opDoc{id: "usage", summary: "Usage totals",
		description: "Requests, tokens and exact cost from the ledger over [from, to), grouped by client, user, model, provider or day. Needs no caller headers.",
		resp:        usageResponse{},
		query: []*huma.Param{
			{Name: "from", In: "query", Description: "Start of the range, RFC 3339. Default: 30 days before `to`.", Schema: &huma.Schema{Type: "string", Format: "date-time"}},
			{Name: "to", In: "query", Description: "End of the range (exclusive), RFC 3339. Default: now.", Schema: &huma.Schema{Type: "string", Format: "date-time"}},
			{Name: "groupBy", In: "query", Description: "The grouping. Default: day.", Schema: &huma.Schema{Type: "string", Enum: []any{"client", "user", "model", "provider", "day"}}},
			{Name: "clientId", In: "query", Description: "Only this client's requests.", Schema: &huma.Schema{Type: "string"}},
			{Name: "userId", In: "query", Description: "Only this user's requests.", Schema: &huma.Schema{Type: "string"}},
		}}
)

var (
	docOpenAIChat = opDoc{id: "openaiChatCompletions", summary: "Chat completions (OpenAI-compatible)",
		description: "OpenAI's chat completions API: point an OpenAI SDK's base URL at `{API_PATH}/openai/v1`. `model` is `provider/model`, an alias, or a bare model name. `stream: true` answers `chat.completion.chunk` events and `[DONE]`. Errors use OpenAI's error shape, with the gateway's code in `code`.",
		body:        oaChatRequest{}, resp: oaChatResponse{}, stream: true, streamDoc: "Server-Sent Events of chat.completion.chunk objects, then `data: [DONE]`."}
	docOpenAIEmbeddings = opDoc{id: "openaiEmbeddings", summary: "Embeddings (OpenAI-compatible)",
		description: "OpenAI's embeddings API; `encoding_format` float or base64.", body: oaEmbeddingRequest{}, resp: oaEmbeddingResponse{}}
	docOpenAIImages = opDoc{id: "openaiImages", summary: "Image generation (OpenAI-compatible)",
		description: "OpenAI's image generation API.", body: oaImageRequest{}, resp: oaImageResponse{}}
	docOpenAIModels = opDoc{id: "openaiModels", summary: "Models (OpenAI-compatible)",
		description: "Every enabled model of every configured provider as `provider/model`, and the routing aliases.", resp: oaModelList{}}
	docAnthropicMessages = opDoc{id: "anthropicMessages", summary: "Messages (Anthropic-compatible)",
		description: "Anthropic's Messages API: point an Anthropic SDK's base URL at `{API_PATH}/anthropic`. `model` is `provider/model`, an alias, or a bare model name; any provider can answer. Errors use Anthropic's error shape.",
		body:        anRequest{}, resp: anResponse{}, stream: true, streamDoc: "Server-Sent Events in Anthropic's sequence: message_start, content_block_start, content_block_delta, content_block_stop, message_delta, message_stop (or error)."}
)

// routingParams are the headers that override routing on any chat route.
var routingParams = []*huma.Param{
	{Name: headerFallbacks, In: "header", Description: "Comma-separated models (provider/model) or aliases to fall back to, in order; empty turns the configured fallbacks off.", Schema: &huma.Schema{Type: "string"}},
	{Name: headerTimeout, In: "header", Description: "Bound on the whole request, retries included, as a duration such as 30s.", Schema: &huma.Schema{Type: "string"}},
}

// callerParams are the headers every native route requires.
var callerParams = []*huma.Param{
	{Name: headerCorrelationID, In: "header", Required: true, Description: "A UUID that correlates the request; echoed in the response and in every log line and ledger row.", Schema: &huma.Schema{Type: "string", Format: "uuid"}},
	{Name: headerUserID, In: "header", Required: true, Description: "The user making the request (at most 256 bytes).", Schema: &huma.Schema{Type: "string", MaxLength: ptr(maxIDLen)}},
	{Name: headerClientID, In: "header", Required: true, Description: "The client application (at most 256 bytes). X-Client-Id is accepted too, for proxies that drop headers with underscores.", Schema: &huma.Schema{Type: "string", MaxLength: ptr(maxIDLen)}},
}

func ptr[T any](v T) *T { return &v }

// buildOpenAPI generates the OpenAPI 3.1 document of routes.
func buildOpenAPI(s *Server, routes []route) *huma.OpenAPI {
	reg := huma.NewMapRegistry("#/components/schemas/", huma.DefaultSchemaNamer)
	// Money is an exact decimal written as a JSON number.
	reg.RegisterTypeAlias(reflect.TypeOf(llmgate.Money(0)), reflect.TypeOf(float64(0)))
	reg.RegisterTypeAlias(reflect.TypeOf(json.RawMessage(nil)), reflect.TypeOf(map[string]any{}))
	doc := &huma.OpenAPI{
		OpenAPI: "3.1.0",
		Info: &huma.Info{
			Title:       s.Title,
			Version:     s.Version,
			Description: s.Description + "\n\n" + codesTable(),
		},
		Servers:    []*huma.Server{{URL: "/"}},
		Components: &huma.Components{Schemas: reg},
	}
	errSchema := reg.Schema(reflect.TypeOf(errorBody{}), true, "ErrorBody")
	if detail := reg.Map()["ErrorDetail"]; detail != nil {
		code := detail.Properties["code"]
		for _, c := range llmgate.Codes {
			code.Enum = append(code.Enum, string(c.Code))
		}
	}
	errSchemas := map[string]*huma.Schema{
		"openai":    reg.Schema(reflect.TypeOf(openAIError{}), true, ""),
		"anthropic": reg.Schema(reflect.TypeOf(anError{}), true, ""),
	}
	for _, rt := range routes {
		d := rt.doc
		schema := errSchema
		if es := errSchemas[rt.api]; es != nil {
			schema = es
		}
		errResp := func(desc string) *huma.Response {
			return &huma.Response{Description: desc, Content: map[string]*huma.MediaType{"application/json": {Schema: schema}}}
		}
		op := &huma.Operation{
			OperationID: d.id,
			Method:      rt.method,
			Path:        s.APIPath + rt.path,
			Summary:     d.summary,
			Description: d.description,
			Parameters:  d.query,
			Responses:   map[string]*huma.Response{},
		}
		switch {
		case rt.native:
			op.Parameters = append(op.Parameters, callerParams...)
			op.Responses["400"] = errResp("Invalid headers or body: invalid_header, invalid_json, invalid_request, unsupported, context_length_exceeded, content_filtered, upstream_bad_request.")
		case rt.api != "":
			for _, p := range callerParams {
				opt := *p
				opt.Required = false
				opt.Description = "Optional here. " + p.Description
				op.Parameters = append(op.Parameters, &opt)
			}
			op.Responses["400"] = errResp("Invalid body: invalid_json, invalid_request, unsupported, context_length_exceeded, content_filtered, upstream_bad_request.")
		}
		if d.stream {
			op.Parameters = append(op.Parameters, routingParams...)
		}
		if d.body != nil {
			op.RequestBody = &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{
				"application/json": {Schema: reg.Schema(reflect.TypeOf(d.body), true, "")},
			}}
			op.Responses["404"] = errResp("provider_not_found or model_not_found.")
			op.Responses["403"] = errResp("model_disabled.")
			op.Responses["413"] = errResp("body_too_large.")
			op.Responses["429"] = errResp("rate_limited; the Retry-After header says when to try again.")
			op.Responses["502"] = errResp("upstream_auth, upstream_not_found, upstream_error, upstream_bad_response, upstream_connection.")
			op.Responses["503"] = errResp("provider_not_configured, upstream_unavailable, no_healthy_deployment, shutting_down.")
			op.Responses["504"] = errResp("upstream_timeout.")
		}
		ok := &huma.Response{Description: "OK", Content: map[string]*huma.MediaType{
			"application/json": {Schema: reg.Schema(reflect.TypeOf(d.resp), true, "")},
		}}
		if d.stream {
			desc := d.streamDoc
			if desc == "" {
				desc = "Server-Sent Events: `event: delta` with DeltaEvent data, then `event: done` with DoneEvent data, or `event: error` with ErrorBody data."
				reg.Schema(reflect.TypeOf(deltaEvent{}), true, "")
				reg.Schema(reflect.TypeOf(doneEvent{}), true, "")
			}
			ok.Content["text/event-stream"] = &huma.MediaType{Schema: &huma.Schema{Type: "string", Description: desc}}
		}
		if rt.api != "" && d.body != nil {
			ok.Headers = map[string]*huma.Param{
				"X-LLMGate-Provider":   {Description: "The provider that answered.", Schema: &huma.Schema{Type: "string"}},
				"X-LLMGate-Deployment": {Description: "The deployment (region) that answered.", Schema: &huma.Schema{Type: "string"}},
				"X-LLMGate-Attempts":   {Description: "Upstream calls made.", Schema: &huma.Schema{Type: "integer"}},
			}
		}
		op.Responses["200"] = ok
		op.Responses["500"] = errResp("internal.")
		doc.AddOperation(op)
	}
	return doc
}

// codesTable documents the closed set of error codes in Markdown.
func codesTable() string {
	var b strings.Builder
	b.WriteString("## Errors\n\nEvery error has the body `{\"error\":{\"code\",\"message\",\"correlationId\",\"provider\"}}`. The codes:\n\n| code | status | meaning |\n| --- | --- | --- |\n")
	for _, c := range llmgate.Codes {
		status := StatusOf(c.Code)
		b.WriteString("| `" + string(c.Code) + "` | " + strconv.Itoa(status) + " | " + c.Description + " |\n")
	}
	return b.String()
}

var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js" crossorigin></script>
<script>
window.ui = SwaggerUIBundle({url: {{.Spec}}, dom_id: "#swagger-ui", deepLinking: true});
</script>
</body>
</html>
`))

// docs serves Swagger UI over the OpenAPI document.
func (s *Server) docs(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	docsPage.Execute(w, struct{ Title, Spec string }{s.Title, s.APIPath + "/openapi.json"})
}

// Schema describes oaContent in the OpenAPI document.
func (oaContent) Schema(r huma.Registry) *huma.Schema {
	return &huma.Schema{OneOf: []*huma.Schema{
		{Type: "string"},
		{Type: "array", Items: r.Schema(reflect.TypeOf(oaContentPart{}), true, "")},
		{Type: "null"},
	}}
}

// Schema describes oaToolChoice in the OpenAPI document.
func (oaToolChoice) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{OneOf: []*huma.Schema{
		{Type: "string", Enum: []any{"auto", "none", "required"}},
		{Type: "object", Description: `{"type":"function","function":{"name":…}}`},
	}}
}

// Schema describes anSystem in the OpenAPI document.
func (anSystem) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{OneOf: []*huma.Schema{{Type: "string"}, {Type: "array", Items: &huma.Schema{Type: "object", Description: "A text block."}}}}
}

// Schema describes anContent in the OpenAPI document.
func (anContent) Schema(r huma.Registry) *huma.Schema {
	return &huma.Schema{OneOf: []*huma.Schema{{Type: "string"}, {Type: "array", Items: &huma.Schema{Type: "object", Description: "A content block: text, image, tool_use or tool_result."}}}}
}
