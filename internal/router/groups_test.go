package router

import (
	"testing"

	"github.com/llmgate/llmgate"
)

func TestModelGroupsAndMerge(t *testing.T) {
	cat := &llmgate.Catalog{Providers: []llmgate.ProviderInfo{
		{Name: "azure_openai", Models: []llmgate.ModelInfo{{Name: "gpt-4o"}, {Name: "gpt-4"}}},
		{Name: "openai", Models: []llmgate.ModelInfo{{Name: "gpt-4o"}}},
	}}
	east := &Deployment{Name: "azure_openai/east_us", Provider: "azure_openai"}
	west := &Deployment{Name: "azure_openai/west_us", Provider: "azure_openai"}
	groups := ModelGroups(cat, []*Deployment{east, west}, LeastInFlight, Timeouts{Attempt: 5})
	if len(groups) != 2 || groups[0].Name != "azure_openai/gpt-4o" || groups[1].Name != "azure_openai/gpt-4" {
		t.Fatalf("groups %+v (openai has no deployment and must have no group)", groups)
	}
	g := groups[0]
	if len(g.Members) != 2 || g.Members[1].Deployment != west || g.Members[0].Model != "gpt-4o" || g.Strategy != LeastInFlight || g.Timeouts.Attempt != 5 {
		t.Errorf("group %+v", g)
	}
	custom := &Group{Name: "azure_openai/gpt-4", Strategy: Priority}
	alias := &Group{Name: "gpt-4o"}
	merged := Merge(groups, []*Group{custom, alias})
	if len(merged) != 3 || merged[1] != custom || merged[2] != alias || merged[0] != g {
		t.Errorf("merged %+v", merged)
	}
}
