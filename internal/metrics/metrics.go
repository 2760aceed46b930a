// Package metrics exposes the gateway's Prometheus metrics. It observes the
// ledger records the gateway writes, so every request and every upstream
// attempt is counted once, with the same labels as its ledger row, and it
// reports the state of each deployment.
package metrics

import (
	"net/http"
	"strconv"

	"github.com/llmgate/llmgate"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds the gateway's metrics.
type Registry struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	attempts  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	upstream  *prometheus.HistogramVec
	tokens    *prometheus.CounterVec
	cost      *prometheus.CounterVec
	unpriced  *prometheus.CounterVec
	health    func() []llmgate.DeploymentHealth
	known     func(provider, model string) bool
	stateDesc *prometheus.Desc
}

// New returns a Registry. health, when not nil, is read at each scrape to
// report every deployment's breaker state and in-flight requests. known,
// when not nil, says whether provider/model is a catalog model or an alias;
// any other name is counted as "unknown", so that the names clients send
// cannot multiply the series.
func New(health func() []llmgate.DeploymentHealth, known func(provider, model string) bool) *Registry {
	r := &Registry{
		known: known,
		reg:   prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "llmgate_requests_total",
			Help: "Client requests, by API surface, operation, provider, model, status and error code.",
		}, []string{"api", "operation", "provider", "model", "status", "code"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "llmgate_upstream_attempts_total",
			Help: "Upstream attempts, retries and failovers included, by deployment and error code.",
		}, []string{"provider", "model", "deployment", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "llmgate_request_duration_seconds",
			Help:    "Time to answer a client request (a stream: to its end).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}, []string{"api", "operation", "provider", "model"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "llmgate_upstream_duration_seconds",
			Help:    "Time of an upstream attempt (a stream: to its first chunk).",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}, []string{"provider", "deployment"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "llmgate_tokens_total",
			Help: "Tokens of answered requests, by kind: prompt, completion, cached, reasoning.",
		}, []string{"provider", "model", "kind"}),
		cost: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "llmgate_cost_total",
			Help: "Cost of answered requests, in units of the currency.",
		}, []string{"provider", "model", "currency"}),
		unpriced: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "llmgate_unpriced_requests_total",
			Help: "Answered requests whose model has no price.",
		}, []string{"provider", "model"}),
		health: health,
		stateDesc: prometheus.NewDesc("llmgate_deployment_state",
			"1 for the state each deployment is in: healthy, open (out of rotation) or half_open.",
			[]string{"deployment", "state"}, nil),
	}
	r.reg.MustRegister(r.requests, r.attempts, r.latency, r.upstream, r.tokens, r.cost, r.unpriced,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if health != nil {
		r.reg.MustRegister(deploymentCollector{r})
	}
	return r
}

// Handler serves the metrics in Prometheus's text format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{})
}

// Ledger returns a ledger that counts each record, then passes it to next.
func (r *Registry) Ledger(next llmgate.Ledger) llmgate.Ledger { return ledger{r, next} }

type ledger struct {
	r    *Registry
	next llmgate.Ledger
}

// Record implements llmgate.Ledger.
func (l ledger) Record(rec llmgate.Record) {
	l.r.observe(&rec)
	l.next.Record(rec)
}

// labels keeps label values bounded: a request that named no catalog
// model carries the client's text, which must not become a label.
func (r *Registry) labels(rec *llmgate.Record) (provider, model string) {
	switch rec.ErrorCode {
	case llmgate.EProviderNotFound, llmgate.EModelNotFound, llmgate.EInvalidRequest,
		llmgate.EInvalidJSON, llmgate.EInvalidHeader, llmgate.EBodyTooLarge:
		return "unknown", "unknown"
	}
	if rec.Model == "" || (r.known != nil && !r.known(rec.Provider, rec.Model)) {
		return "unknown", "unknown"
	}
	return rec.Provider, rec.Model
}

func (r *Registry) observe(rec *llmgate.Record) {
	provider, model := r.labels(rec)
	if rec.Attempt > 0 {
		r.attempts.WithLabelValues(provider, model, rec.Deployment, string(rec.ErrorCode)).Inc()
		r.upstream.WithLabelValues(provider, rec.Deployment).Observe(rec.UpstreamLatency.Seconds())
	}
	if !rec.Final {
		return
	}
	r.requests.WithLabelValues(rec.API, string(rec.Operation), provider, model, statusText(rec.Status), string(rec.ErrorCode)).Inc()
	r.latency.WithLabelValues(rec.API, string(rec.Operation), provider, model).Observe(rec.Latency.Seconds())
	if rec.ErrorCode != "" {
		return
	}
	u := rec.Usage
	for _, t := range []struct {
		kind string
		n    int
	}{{"prompt", u.PromptTokens}, {"completion", u.CompletionTokens}, {"cached", u.CachedTokens}, {"reasoning", u.ReasoningTokens}} {
		if t.n > 0 {
			r.tokens.WithLabelValues(provider, model, t.kind).Add(float64(t.n))
		}
	}
	if rec.Cost == nil {
		r.unpriced.WithLabelValues(provider, model).Inc()
		return
	}
	// A float is fine here: metrics are for dashboards; the ledger keeps the
	// exact amounts.
	r.cost.WithLabelValues(provider, model, rec.Cost.Currency).Add(float64(rec.Cost.Total) / 1e12)
}

// statusTexts are the status labels, made once so that counting a request
// does not format a number.
var statusTexts = func() (t [600]string) {
	for s := 100; s < len(t); s++ {
		t[s] = strconv.Itoa(s)
	}
	return t
}()

func statusText(s int) string {
	if s >= 100 && s < len(statusTexts) {
		return statusTexts[s]
	}
	return "other"
}

// deploymentCollector reports each deployment's state at scrape time.
type deploymentCollector struct{ r *Registry }

func (c deploymentCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.r.stateDesc }

func (c deploymentCollector) Collect(ch chan<- prometheus.Metric) {
	for _, d := range c.r.health() {
		for _, s := range []string{"healthy", "open", "half_open"} {
			v := 0.0
			if d.State == s {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(c.r.stateDesc, prometheus.GaugeValue, v, d.Name, s)
		}
	}
}
