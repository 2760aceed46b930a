package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
)

type sink struct{ n int }

func (s *sink) Record(llmgate.Record) { s.n++ }

func scrape(t *testing.T, r *Registry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestLedgerRecordsAreCounted(t *testing.T) {
	health := []llmgate.DeploymentHealth{{Name: "azure_openai/east_us", State: "open"}}
	known := func(provider, model string) bool {
		return provider == "azure_openai" && (model == "gpt-4" || model == "gpt-35-turbo")
	}
	r := New(func() []llmgate.DeploymentHealth { return health }, known)
	next := &sink{}
	l := r.Ledger(next)
	cost := &llmgate.Cost{Currency: "USD", Total: llmgate.MustParseMoney("0.06")}
	base := llmgate.Record{API: "native", Operation: llmgate.OpChat, Provider: "azure_openai", Model: "gpt-4", Deployment: "azure_openai/east_us"}
	failed := base
	failed.Attempt, failed.ErrorCode, failed.Status, failed.UpstreamLatency = 1, llmgate.ERateLimited, 429, 20*time.Millisecond
	ok := base
	ok.Attempt, ok.Final, ok.Status, ok.Latency = 2, true, 200, 300*time.Millisecond
	ok.Deployment = "azure_openai/west_us"
	ok.Usage = llmgate.Usage{PromptTokens: 1000, CompletionTokens: 500, CachedTokens: 200}
	ok.Cost = cost
	unpriced := base
	unpriced.Model, unpriced.Attempt, unpriced.Final, unpriced.Status = "gpt-35-turbo", 1, true, 200
	// A request for a model the catalog does not have must not make its
	// name a label.
	hostile := llmgate.Record{API: "native", Operation: llmgate.OpChat, Provider: "azure_openai", Model: "../../etc/passwd", Final: true, Status: 404, ErrorCode: llmgate.EModelNotFound}
	// Nor when the request was refused for another reason before the
	// catalog was consulted.
	refused := llmgate.Record{API: "openai", Operation: llmgate.OpChat, Provider: "azure_openai", Model: "passwd-2", Final: true, Status: 400, ErrorCode: llmgate.EUnsupported}
	for _, rec := range []llmgate.Record{failed, ok, unpriced, hostile, refused} {
		l.Record(rec)
	}
	if next.n != 5 {
		t.Fatalf("%d records passed on, want 5", next.n)
	}
	out := scrape(t, r)
	for _, want := range []string{
		`llmgate_upstream_attempts_total{code="rate_limited",deployment="azure_openai/east_us",model="gpt-4",provider="azure_openai"} 1`,
		`llmgate_requests_total{api="native",code="",model="gpt-4",operation="chat",provider="azure_openai",status="200"} 1`,
		`llmgate_tokens_total{kind="prompt",model="gpt-4",provider="azure_openai"} 1000`,
		`llmgate_tokens_total{kind="cached",model="gpt-4",provider="azure_openai"} 200`,
		`llmgate_cost_total{currency="USD",model="gpt-4",provider="azure_openai"} 0.06`,
		`llmgate_unpriced_requests_total{model="gpt-35-turbo",provider="azure_openai"} 1`,
		`llmgate_requests_total{api="native",code="model_not_found",model="unknown",operation="chat",provider="unknown",status="404"} 1`,
		`llmgate_deployment_state{deployment="azure_openai/east_us",state="open"} 1`,
		`llmgate_request_duration_seconds_count{api="native",model="gpt-4",operation="chat",provider="azure_openai"} 1`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(out, "passwd") {
		t.Error("a client's model name became a label")
	}
}

func BenchmarkRecord(b *testing.B) {
	r := New(nil, func(string, string) bool { return true })
	l := r.Ledger(&sink{})
	rec := llmgate.Record{API: "native", Operation: llmgate.OpChat, Provider: "azure_openai", Model: "gpt-4o", Deployment: "azure_openai/east_us",
		Attempt: 1, Final: true, Status: 200, Usage: llmgate.Usage{PromptTokens: 10, CompletionTokens: 5}, Cost: &llmgate.Cost{Currency: "USD", Total: 5}}
	b.ReportAllocs()
	for b.Loop() {
		l.Record(rec)
	}
}
