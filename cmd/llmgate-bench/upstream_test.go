package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate/cmd/llmgate-bench/internal/child"
)

// azurePost sends body to the Azure chat path of base.
func azurePost(t *testing.T, base, key string, body []byte) *http.Response {
	t.Helper()
	c := newClient(base, false, 4)
	t.Cleanup(c.close)
	req, err := http.NewRequest(http.MethodPost, c.url, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("api-key", key)
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestUpstreamNonStream(t *testing.T) {
	srv := httptest.NewServer(&upstream{APIKey: "k"})
	defer srv.Close()
	resp := azurePost(t, srv.URL, "k", chatBody(false, false, 4000, fillers["plain"]))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var v struct {
		Model   string `json:"model"`
		Choices []struct {
			Message struct{ Content string } `json:"message"`
		} `json:"choices"`
		Usage struct {
			Prompt     int `json:"prompt_tokens"`
			Completion int `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	if v.Model != "gpt-4o" || len(v.Choices) != 1 || v.Choices[0].Message.Content != upstreamReply || v.Usage.Prompt != 1000 || v.Usage.Completion != len(replyWords) {
		t.Fatalf("answer = %+v", v)
	}
	if r := azurePost(t, srv.URL, "wrong", chatBody(false, false, 1000, fillers["plain"])); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong key: status %d, want 401", r.StatusCode)
	}
}

func TestUpstreamOpenAIPath(t *testing.T) {
	srv := httptest.NewServer(&upstream{APIKey: "k"})
	defer srv.Close()
	body := `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer k")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), `"model":"gpt-4o-mini"`) {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
}

// streamEvents reads the data lines of a stream.
func streamEvents(t *testing.T, r io.Reader) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, d)
		}
	}
	return out
}

func TestUpstreamStream(t *testing.T) {
	for _, tt := range []struct {
		name  string
		usage bool
		body  []byte
	}{
		{"with usage", true, chatBody(false, true, 1024, fillers["plain"])},
		{"without usage", false, []byte(`{"messages":[{"role":"user","content":"hi"}],"stream":true}`)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(&upstream{APIKey: "k"})
			defer srv.Close()
			resp := azurePost(t, srv.URL, "k", tt.body)
			if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/event-stream" {
				t.Fatalf("status %d, content type %q", resp.StatusCode, ct)
			}
			ev := streamEvents(t, resp.Body)
			// role, one chunk a word, finish, [usage], [DONE]
			want := 1 + len(replyWords) + 1 + 1
			if tt.usage {
				want++
			}
			if len(ev) != want || ev[len(ev)-1] != "[DONE]" {
				t.Fatalf("%d events, last %q; want %d ending with [DONE]", len(ev), ev[len(ev)-1], want)
			}
			var text strings.Builder
			var usage *struct {
				TotalTokens int `json:"total_tokens"`
			}
			for _, e := range ev[:len(ev)-1] {
				var c struct {
					Choices []struct {
						Delta struct{ Content string } `json:"delta"`
					} `json:"choices"`
					Usage *struct {
						TotalTokens int `json:"total_tokens"`
					} `json:"usage"`
				}
				if err := json.Unmarshal([]byte(e), &c); err != nil {
					t.Fatalf("event %q: %v", e, err)
				}
				for _, ch := range c.Choices {
					text.WriteString(ch.Delta.Content)
				}
				if c.Usage != nil {
					usage = c.Usage
				}
			}
			if text.String() != upstreamReply {
				t.Errorf("streamed text %q", text.String())
			}
			if (usage != nil) != tt.usage {
				t.Errorf("usage chunk present = %v, want %v", usage != nil, tt.usage)
			}
		})
	}
}

func TestFloorForwardsStreamsAndHold(t *testing.T) {
	up := &upstream{APIKey: benchAPIKey}
	usrv := httptest.NewServer(up)
	defer usrv.Close()
	p, err := child.NewFloor(usrv.URL, 4)
	if err != nil {
		t.Fatal(err)
	}
	fsrv := httptest.NewServer(child.FullDuplex(p))
	defer fsrv.Close()

	up.setHold(true)
	c := newClient(fsrv.URL, false, 4)
	defer c.close()
	firstSeen := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		_, err := c.do(context.Background(), chatBody(false, true, 2048, fillers["plain"]), true, func() { close(firstSeen) })
		errc <- err
	}()
	select {
	case <-firstSeen: // the first content chunk came through the floor while held
	case err := <-errc:
		t.Fatalf("stream ended while held: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no first chunk through the floor")
	}
	up.setHold(false)
	if err := <-errc; err != nil {
		t.Fatalf("released stream: %v", err)
	}
	for range 20 { // streams through the floor complete, one after the other
		if _, err := c.do(context.Background(), chatBody(false, true, 10<<10, fillers["plain"]), true, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// jsonChat is readChat by encoding/json alone, the answer scanChat must
// agree with.
func jsonChat(body []byte) (chatFields, bool) {
	var req chatRequest
	if json.Unmarshal(body, &req) != nil {
		return chatFields{}, false
	}
	f := chatFields{model: req.Model, stream: req.Stream, messages: len(req.Messages)}
	f.includeUsage = req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	return f, true
}

var readChatCases = []struct {
	name, body string
	want       chatFields
	ok         bool // what readChat answers
	scanned    bool // whether scanChat answers it alone
}{
	{"compact", `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`,
		chatFields{"m", true, true, 1}, true, true},
	{"spaced", "{ \"messages\" : [ { \"role\" : \"system\" , \"content\" : [ {\"type\":\"text\",\"text\":\"a\"} ] } , {\"role\":\"user\",\"content\":\"b\"} ] ,\n\"stream\" : false }",
		chatFields{"", false, false, 2}, true, true},
	{"other members skipped", `{"temperature":0.5,"tools":[{"type":"function"}],"messages":[{"role":"user","content":"x","name":"n"}],"n":1}`,
		chatFields{"", false, false, 1}, true, true},
	{"nulls leave values", `{"model":"a","model":null,"stream":true,"stream":null,"messages":[null]}`,
		chatFields{"a", true, false, 1}, true, true},
	{"stream_options null", `{"stream_options":{"include_usage":true},"stream_options":null,"messages":[]}`,
		chatFields{"", false, false, 0}, true, true},
	{"second stream_options updates the first", `{"stream_options":{"include_usage":true},"stream_options":{},"messages":[]}`,
		chatFields{"", false, true, 0}, true, true},
	{"messages counted again", `{"messages":[{},{}],"messages":[{}]}`,
		chatFields{"", false, false, 1}, true, true},
	{"folded name", `{"Model":"m","MESSAGES":[{"Role":"user"}]}`,
		chatFields{"m", false, false, 1}, true, false},
	{"escaped name", `{"mod\u0065l":"m","messages":[]}`,
		chatFields{"m", false, false, 0}, true, false},
	{"not JSON", `{"messages":[}`, chatFields{}, false, false},
	{"trailing bytes", `{"messages":[]} x`, chatFields{}, false, false},
	{"message not an object", `{"messages":["hi"]}`, chatFields{}, false, false},
	{"role not a string", `{"messages":[{"role":5}]}`, chatFields{}, false, false},
	{"stream not a bool", `{"stream":"yes","messages":[{}]}`, chatFields{}, false, false},
	{"control byte in a string", "{\"model\":\"a\x01\",\"messages\":[{}]}", chatFields{}, false, false},
}

func TestReadChat(t *testing.T) {
	for _, c := range readChatCases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := readChat([]byte(c.body))
			if ok != c.ok || (ok && got != c.want) {
				t.Fatalf("readChat = %+v, %v; want %+v, %v", got, ok, c.want, c.ok)
			}
			if want, wantOK := jsonChat([]byte(c.body)); ok != wantOK || got != want {
				t.Fatalf("readChat = %+v, %v; encoding/json gives %+v, %v", got, ok, want, wantOK)
			}
			if _, scanned := scanChat([]byte(c.body)); scanned != c.scanned {
				t.Fatalf("scanChat answered alone: %v, want %v", scanned, c.scanned)
			}
		})
	}
	// The Azure bodies the benchmark sends are read by jsonscan alone.
	for _, stream := range []bool{false, true} {
		for _, name := range []string{"plain", "markdown"} {
			body := chatBody(false, stream, 10000, fillers[name])
			f, ok := scanChat(body)
			if !ok || f.stream != stream || f.includeUsage != stream || f.messages != 2 || f.model != "" {
				t.Fatalf("%s stream=%v: scanChat = %+v, %v", name, stream, f, ok)
			}
		}
	}
}

// FuzzReadChat checks that whatever scanChat reads alone, encoding/json
// reads the same way, and that readChat accepts what encoding/json does.
func FuzzReadChat(f *testing.F) {
	for _, c := range readChatCases {
		f.Add([]byte(c.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		want, wantOK := jsonChat(body)
		if got, ok := scanChat(body); ok && (!wantOK || got != want) {
			t.Fatalf("scanChat = %+v; encoding/json gives %+v, %v", got, want, wantOK)
		}
		if got, ok := readChat(body); ok != wantOK || got != want {
			t.Fatalf("readChat = %+v, %v; encoding/json gives %+v, %v", got, ok, want, wantOK)
		}
	})
}
