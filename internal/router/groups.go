package router

import "github.com/llmgate/llmgate"

// ModelGroups returns the implicit group of every catalog model whose
// provider has deployments: "provider/model", served by each deployment of
// the provider, with the given strategy and timeouts. Configured groups of
// the same name replace these (see Merge).
func ModelGroups(cat *llmgate.Catalog, deps []*Deployment, strategy Strategy, t Timeouts) []*Group {
	byProvider := map[string][]*Deployment{}
	for _, d := range deps {
		byProvider[d.Provider] = append(byProvider[d.Provider], d)
	}
	var groups []*Group
	for _, p := range cat.Providers {
		pd := byProvider[p.Name]
		if len(pd) == 0 {
			continue
		}
		for _, m := range p.Models {
			g := &Group{Name: p.Name + "/" + m.Name, Strategy: strategy, Timeouts: t}
			for _, d := range pd {
				g.Members = append(g.Members, &Member{Deployment: d, Provider: p.Name, Model: m.Name, Weight: 1})
			}
			groups = append(groups, g)
		}
	}
	return groups
}

// Merge returns base with every group of override added, replacing a base
// group of the same name.
func Merge(base, override []*Group) []*Group {
	idx := make(map[string]int, len(base))
	out := make([]*Group, 0, len(base)+len(override))
	for _, g := range base {
		idx[g.Name] = len(out)
		out = append(out, g)
	}
	for _, g := range override {
		if i, ok := idx[g.Name]; ok {
			out[i] = g
			continue
		}
		idx[g.Name] = len(out)
		out = append(out, g)
	}
	return out
}
