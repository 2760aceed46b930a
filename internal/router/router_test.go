package router

import (
	"context"
	"testing"

	"github.com/llmgate/llmgate"
)

func deps(names ...string) []*Deployment {
	var out []*Deployment
	for _, n := range names {
		out = append(out, &Deployment{Name: n, Provider: "p"})
	}
	return out
}

func TestRoundRobin(t *testing.T) {
	r := New(deps("a", "b", "c"))
	counts := map[string]int{}
	for i := 0; i < 300; i++ {
		r.Do(context.Background(), "p", func(_ context.Context, d *Deployment, _ int) error {
			counts[d.Name]++
			return nil
		})
	}
	for _, n := range []string{"a", "b", "c"} {
		if counts[n] != 100 {
			t.Errorf("%s got %d of 300", n, counts[n])
		}
	}
}

func TestFailover(t *testing.T) {
	tests := []struct {
		name     string
		fail     map[string]llmgate.ErrorCode
		tried    int
		wantCode llmgate.ErrorCode
	}{
		{"first succeeds", nil, 1, ""},
		{"retryable moves on", map[string]llmgate.ErrorCode{"a": llmgate.ERateLimited}, 2, ""},
		{"all fail", map[string]llmgate.ErrorCode{"a": llmgate.EUpstreamError, "b": llmgate.EUpstreamTimeout}, 2, llmgate.EUpstreamTimeout},
		{"client error stops", map[string]llmgate.ErrorCode{"a": llmgate.EContextLengthExceeded}, 1, llmgate.EContextLengthExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(deps("a", "b"))
			tried := 0
			err := r.Do(context.Background(), "p", func(_ context.Context, d *Deployment, attempt int) error {
				tried++
				if attempt != tried {
					t.Errorf("attempt %d on try %d", attempt, tried)
				}
				if c, ok := tt.fail[d.Name]; ok {
					return &llmgate.Error{Code: c}
				}
				return nil
			})
			if tried != tt.tried || llmgate.ErrorCodeOf(err) != tt.wantCode {
				t.Errorf("tried %d err %v", tried, err)
			}
			if tt.wantCode == llmgate.EUpstreamTimeout {
				for _, h := range r.Health()["p"] {
					if h.State != "failing" || h.ConsecutiveFailures != 1 {
						t.Errorf("health %+v", h)
					}
				}
			}
		})
	}
}

func TestUnknownProvider(t *testing.T) {
	err := New(nil).Do(context.Background(), "nope", func(context.Context, *Deployment, int) error { return nil })
	if llmgate.ErrorCodeOf(err) != llmgate.EProviderNotConfigured {
		t.Errorf("err %v", err)
	}
}
