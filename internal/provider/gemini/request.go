package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"strings"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/jsonscan"
)

// encodeChatRequest returns the generateContent body for req. It is pure:
// every parameter Gemini cannot honour is an *llmgate.Error (EUnsupported),
// every malformed one EInvalidRequest, and nothing is dropped silently. The
// texts lits holds are written in the client's own JSON form.
func encodeChatRequest(req *llmgate.ChatRequest, lits *jsonscan.Literals) ([]byte, error) {
	w, err := toWireChat(req)
	if err != nil {
		return nil, err
	}
	if b, ok := appendChatRequest(make([]byte, 0, chatRequestSize(w)), w, lits); ok {
		return b, nil
	}
	// encoding/json says what is wrong.
	b, err := json.Marshal(w)
	if err != nil {
		return nil, &llmgate.Error{Code: llmgate.EInvalidRequest, Message: "the request cannot be encoded as JSON", Err: fmt.Errorf("encoding generateContent request: %w", err)}
	}
	return b, nil
}

func unsupported(format string, args ...any) *llmgate.Error {
	return llmgate.Errorf(llmgate.EUnsupported, format, args...)
}

func invalid(format string, args ...any) *llmgate.Error {
	return llmgate.Errorf(llmgate.EInvalidRequest, format, args...)
}

func toWireChat(req *llmgate.ChatRequest) (*generateContentRequest, error) {
	p := &req.Params
	if p.User != "" {
		return nil, unsupported("Gemini has no field for the end user's id: remove the user parameter")
	}
	if p.ParallelToolCalls != nil && !*p.ParallelToolCalls {
		return nil, unsupported("Gemini cannot be told to avoid parallel tool calls: remove parallel_tool_calls=false")
	}
	w := &generateContentRequest{Contents: make([]content, 0, len(req.Messages))}
	media := mediaResolution{}
	for i := range req.Messages {
		if err := addMessage(w, req.Messages, i, &media); err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
	}
	if len(w.Contents) == 0 {
		return nil, invalid("Gemini needs at least one user or assistant message")
	}
	gc, err := toGenerationConfig(p)
	if err != nil {
		return nil, err
	}
	if media.level != "" {
		if gc == nil {
			gc = &generationConfig{}
		}
		gc.MediaResolution = media.level
	}
	w.GenerationConfig = gc
	if err := addTools(w, p); err != nil {
		return nil, err
	}
	return w, nil
}

// addMessage appends message i of msgs to w, merging it into the previous
// content when both have the same role, as Gemini wants turns to alternate.
func addMessage(w *generateContentRequest, msgs []llmgate.Message, i int, media *mediaResolution) error {
	m := &msgs[i]
	if m.Name != "" && m.Role != llmgate.RoleTool {
		return unsupported("Gemini has no field for a message author's name: remove name %q", m.Name)
	}
	switch m.Role {
	case llmgate.RoleSystem, llmgate.RoleDeveloper:
		if len(m.ToolCalls) > 0 || m.ToolCallID != "" {
			return invalid("a %s message cannot carry tool calls", m.Role)
		}
		if m.HasImages() {
			return unsupported("Gemini's system instruction takes text only, not images")
		}
		if w.SystemInstruction == nil {
			w.SystemInstruction = &content{}
		}
		for _, p := range m.Content {
			if p.Text != "" {
				w.SystemInstruction.Parts = append(w.SystemInstruction.Parts, part{Text: p.Text})
			}
		}
		return nil
	case llmgate.RoleUser:
		if len(m.ToolCalls) > 0 || m.ToolCallID != "" {
			return invalid("a user message cannot carry tool calls")
		}
		parts, err := contentParts(m.Content, media)
		if err != nil {
			return err
		}
		if len(parts) == 0 {
			return invalid("the message has no content; Gemini rejects empty turns")
		}
		appendContent(w, "user", parts)
		return nil
	case llmgate.RoleAssistant:
		if m.ToolCallID != "" {
			return invalid("an assistant message cannot answer a tool call")
		}
		parts, err := contentParts(m.Content, media)
		if err != nil {
			return err
		}
		calls, err := functionCallParts(m.ToolCalls)
		if err != nil {
			return err
		}
		parts = append(parts, calls...)
		if len(parts) == 0 {
			return invalid("the message has no content; Gemini rejects empty turns")
		}
		appendContent(w, "model", parts)
		return nil
	case llmgate.RoleTool:
		p, err := functionResponsePart(msgs, i)
		if err != nil {
			return err
		}
		// Gemini takes function results in a user turn; the results of
		// parallel calls must share one, which the merge gives them.
		appendContent(w, "user", []part{p})
		return nil
	}
	return invalid("unknown role %q", m.Role)
}

func appendContent(w *generateContentRequest, role string, parts []part) {
	if n := len(w.Contents); n > 0 && w.Contents[n-1].Role == role {
		w.Contents[n-1].Parts = append(w.Contents[n-1].Parts, parts...)
		return
	}
	w.Contents = append(w.Contents, content{Role: role, Parts: parts})
}

// contentParts translates text and image parts; empty text parts are left
// out because Gemini rejects a part with no data.
func contentParts(ps []llmgate.Part, media *mediaResolution) ([]part, error) {
	out := make([]part, 0, len(ps))
	for _, p := range ps {
		switch p.Type {
		case llmgate.PartText:
			if p.Text != "" {
				out = append(out, part{Text: p.Text})
			}
		case llmgate.PartImage:
			ip, err := imagePart(p.ImageURL)
			if err != nil {
				return nil, err
			}
			if err := media.add(p.ImageDetail); err != nil {
				return nil, err
			}
			out = append(out, ip)
		default:
			return nil, invalid("unsupported content part type %q", p.Type)
		}
	}
	return out, nil
}

// imagePart turns a data: URL into inline data and an http(s) URL into file
// data, whose MIME type Gemini requires; it is guessed from the extension.
func imagePart(raw string) (part, error) {
	if rest, ok := strings.CutPrefix(raw, "data:"); ok {
		meta, data, ok := strings.Cut(rest, ",")
		mime, isBase64 := strings.CutSuffix(meta, ";base64")
		if !ok || !isBase64 || mime == "" || data == "" {
			return part{}, invalid("an image data: URL must have the form data:<mime type>;base64,<data>")
		}
		return part{InlineData: &blob{MimeType: mime, Data: data}}, nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return part{}, invalid("an image URL must be an http(s) URL or a data: URL")
	}
	if isFilesAPI(u) {
		// The Files API knows the type of what was uploaded.
		return part{FileData: &fileData{FileURI: raw}}, nil
	}
	mime, ok := imageTypes[strings.ToLower(path.Ext(u.Path))]
	if !ok {
		return part{}, invalid("Gemini needs the MIME type of an image given by URL, and the URL's extension does not tell it (png, jpg, jpeg, webp, heic, heif): send the image as a data: URL or as a Gemini Files API uri")
	}
	return part{FileData: &fileData{MimeType: mime, FileURI: raw}}, nil
}

// imageTypes are the image formats Gemini accepts, by file extension.
var imageTypes = map[string]string{
	".png":  "image/png",
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".webp": "image/webp",
	".heic": "image/heic",
	".heif": "image/heif",
}

func isFilesAPI(u *url.URL) bool {
	return u.Host == "generativelanguage.googleapis.com" && strings.Contains(u.Path, "/files/")
}

// mediaResolution gathers the images' detail settings into Gemini's one
// request-wide media resolution.
type mediaResolution struct {
	detail string
	level  string
}

func (m *mediaResolution) add(detail string) error {
	var level string
	switch detail {
	case "", "auto":
		return nil
	case "low":
		level = "MEDIA_RESOLUTION_LOW"
	case "high":
		level = "MEDIA_RESOLUTION_HIGH"
	default:
		return invalid("unknown image detail %q", detail)
	}
	if m.level != "" && m.level != level {
		return unsupported("Gemini sets one media resolution for the whole request: images with detail %q and %q cannot be mixed", m.detail, detail)
	}
	m.detail, m.level = detail, level
	return nil
}

// skipSignature is the value Gemini's thought signature documentation gives
// for function calls that Gemini did not generate (a history from another
// model or provider), which Gemini 3 would otherwise reject.
const skipSignature = "skip_thought_signature_validator"

func functionCallParts(calls []llmgate.ToolCall) ([]part, error) {
	if len(calls) == 0 {
		return nil, nil
	}
	out := make([]part, len(calls))
	signed := false
	for i, c := range calls {
		if c.Name == "" {
			return nil, invalid("tool call %d has no function name", i)
		}
		args, err := callArguments(c.Arguments)
		if err != nil {
			return nil, fmt.Errorf("tool call %q: %w", c.Name, err)
		}
		_, sig := splitToolCallID(c.ID)
		signed = signed || sig != ""
		out[i] = part{FunctionCall: &functionCall{Name: c.Name, Args: args}, ThoughtSignature: sig}
	}
	if !signed {
		// Gemini 3 validates the signature of the first call of a step;
		// parallel calls carry it on the first one only.
		out[0].ThoughtSignature = skipSignature
	}
	return out, nil
}

// callArguments returns a tool call's arguments as the JSON object Gemini
// wants; empty arguments are an empty object.
func callArguments(s string) (json.RawMessage, error) {
	b := bytes.TrimSpace([]byte(s))
	if len(b) == 0 {
		return json.RawMessage("{}"), nil
	}
	if b[0] != '{' || !json.Valid(b) {
		return nil, invalid("the arguments must be a JSON object")
	}
	return b, nil
}

// functionResponsePart translates tool message i. Gemini names the function
// a result belongs to, so the name is found in the nearest earlier
// assistant message that made the call.
func functionResponsePart(msgs []llmgate.Message, i int) (part, error) {
	m := &msgs[i]
	if len(m.ToolCalls) > 0 {
		return part{}, invalid("a tool message cannot carry tool calls")
	}
	if m.HasImages() {
		return part{}, unsupported("Gemini takes tool results as text, not images")
	}
	name := ""
	if m.ToolCallID != "" {
		name = findCallName(msgs[:i], m.ToolCallID)
		if name == "" {
			return part{}, invalid("tool_call_id %q matches no tool call of an earlier assistant message", m.ToolCallID)
		}
		if m.Name != "" && m.Name != name {
			return part{}, invalid("tool message name %q differs from the function %q that call %q called", m.Name, name, m.ToolCallID)
		}
	} else {
		if m.Name == "" {
			return part{}, invalid("a tool message needs the tool_call_id of the call it answers")
		}
		name = m.Name
	}
	return part{FunctionResponse: &functionResponse{Name: name, Response: functionResponseValue{Output: toolOutput(m.Text())}}}, nil
}

func findCallName(msgs []llmgate.Message, id string) string {
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Role != llmgate.RoleAssistant {
			continue
		}
		for _, c := range msgs[i].ToolCalls {
			if c.ID == id {
				return c.Name
			}
		}
	}
	return ""
}

// toolOutput is a tool's text, or the JSON object or array it holds, so
// that the model sees structure rather than a quoted string.
func toolOutput(s string) any {
	b := bytes.TrimSpace([]byte(s))
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') && json.Valid(b) {
		return json.RawMessage(b)
	}
	return s
}

func toGenerationConfig(p *llmgate.ChatParams) (*generationConfig, error) {
	gc := &generationConfig{
		StopSequences:    p.Stop,
		CandidateCount:   p.N,
		MaxOutputTokens:  p.MaxTokens,
		Temperature:      p.Temperature,
		TopP:             p.TopP,
		Seed:             p.Seed,
		PresencePenalty:  p.PresencePenalty,
		FrequencyPenalty: p.FrequencyPenalty,
	}
	if p.Logprobs != nil && *p.Logprobs {
		gc.ResponseLogprobs = true
		gc.Logprobs = p.TopLogprobs
	} else if p.TopLogprobs != nil {
		return nil, invalid("top_logprobs requires logprobs=true")
	}
	if rf := p.ResponseFormat; rf != nil {
		switch rf.Type {
		case "", "text":
		case "json_object":
			gc.ResponseMimeType = "application/json"
		case "json_schema":
			schema := bytes.TrimSpace(rf.Schema)
			if len(schema) == 0 || schema[0] != '{' || !json.Valid(schema) {
				return nil, invalid("a json_schema response format needs a JSON Schema object")
			}
			// Gemini always holds the answer to the schema, so Strict is
			// honoured either way; the schema's name has no effect on the
			// answer and Gemini has no field for it.
			gc.ResponseMimeType = "application/json"
			gc.ResponseJSONSchema = schema
		default:
			return nil, invalid("unknown response format type %q", rf.Type)
		}
	}
	if isZero(gc) {
		return nil, nil
	}
	return gc, nil
}

func isZero(gc *generationConfig) bool {
	return len(gc.StopSequences) == 0 && gc.ResponseMimeType == "" && gc.CandidateCount == nil &&
		gc.MaxOutputTokens == nil && gc.Temperature == nil && gc.TopP == nil && gc.Seed == nil &&
		gc.PresencePenalty == nil && gc.FrequencyPenalty == nil && !gc.ResponseLogprobs
}

// addTools translates the tools and the tool choice. A strict tool asks for
// calls that match its schema, which Gemini's VALIDATED mode gives where
// AUTO would not; ANY already constrains decoding to the declarations.
func addTools(w *generateContentRequest, p *llmgate.ChatParams) error {
	strict := false
	if len(p.Tools) > 0 {
		decls := make([]functionDeclaration, len(p.Tools))
		for i, t := range p.Tools {
			if t.Name == "" {
				return invalid("tool %d has no name", i)
			}
			params := bytes.TrimSpace(t.Parameters)
			if len(params) > 0 && (params[0] != '{' || !json.Valid(params)) {
				return invalid("the parameters of tool %q must be a JSON Schema object", t.Name)
			}
			decls[i] = functionDeclaration{Name: t.Name, Description: t.Description, ParametersJSONSchema: params}
			strict = strict || (t.Strict != nil && *t.Strict)
		}
		w.Tools = []tool{{FunctionDeclarations: decls}}
	}
	auto := "AUTO"
	if strict {
		auto = "VALIDATED"
	}
	tc := p.ToolChoice
	if tc == nil {
		if strict {
			w.ToolConfig = &toolConfig{FunctionCallingConfig: functionCallingConfig{Mode: auto}}
		}
		return nil
	}
	var fc functionCallingConfig
	switch tc.Mode {
	case "auto":
		fc.Mode = auto
	case "none":
		fc.Mode = "NONE"
	case "required":
		fc.Mode = "ANY"
	case "function":
		if !hasTool(p.Tools, tc.Name) {
			return invalid("tool_choice names function %q, which is not among the tools", tc.Name)
		}
		fc.Mode = "ANY"
		fc.AllowedFunctionNames = []string{tc.Name}
	default:
		return invalid("unknown tool choice mode %q", tc.Mode)
	}
	if len(p.Tools) == 0 {
		if fc.Mode == "ANY" {
			return invalid("tool_choice %q needs tools", tc.Mode)
		}
		return nil // without tools, auto and none both mean no calls
	}
	w.ToolConfig = &toolConfig{FunctionCallingConfig: fc}
	return nil
}

func hasTool(tools []llmgate.Tool, name string) bool {
	for _, t := range tools {
		if t.Name == name && name != "" {
			return true
		}
	}
	return false
}

// A Gemini function call carries a thought signature that Gemini 3 requires
// back with the call in the next request, and the domain's ToolCall has no
// field for it. The adapter carries it in the call's ID instead: the ID
// Gemini gave (or call_<n>), then signatureSep, then the signature in
// unpadded base64url, which keeps the ID within [A-Za-z0-9_-] as other
// providers require of tool call ids.
const signatureSep = "__ts_"

// toolCallID returns the domain ID of a call with the given base ID and
// standard-base64 thought signature.
func toolCallID(base, sig string) string {
	if sig == "" {
		return base
	}
	r := strings.NewReplacer("+", "-", "/", "_", "=", "")
	return base + signatureSep + r.Replace(sig)
}

// splitToolCallID undoes toolCallID, returning the signature in standard
// base64 as Gemini sent it.
func splitToolCallID(id string) (base, sig string) {
	base, enc, ok := strings.Cut(id, signatureSep)
	if !ok || enc == "" {
		return id, ""
	}
	r := strings.NewReplacer("-", "+", "_", "/")
	sig = r.Replace(enc)
	if n := len(sig) % 4; n != 0 {
		sig += strings.Repeat("=", 4-n)
	}
	return base, sig
}
