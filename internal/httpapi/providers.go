package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"

	"github.com/llmgate/llmgate"
)

// providersCache holds the /v1/providers answer, encoded once per catalog
// version: the catalog is read on every call but changes only on reload.
type providersCache struct {
	mu      sync.Mutex
	catalog *llmgate.Catalog
	body    []byte
}

func (c *providersCache) get(cat *llmgate.Catalog) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.catalog == cat && c.body != nil {
		return c.body, nil
	}
	body, err := json.Marshal(catalogOf(cat))
	if err != nil {
		return nil, err
	}
	c.catalog, c.body = cat, body
	return body, nil
}

func (s *Server) providersList(w http.ResponseWriter, r *http.Request) {
	body, err := s.providers.get(s.Backend.Catalog())
	if err != nil {
		s.writeError(w, r, &llmgate.Error{Code: llmgate.EInternal, Message: "could not encode the catalog", Err: err})
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// The seed's /providers shape, key for key, in the seed's order.

type catalogBody struct {
	Data []catalogProvider `json:"data"`
}

type catalogProvider struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Label       string         `json:"label"`
	Description string         `json:"description"`
	Model       []catalogModel `json:"model"`
}

type catalogModel struct {
	ID            string         `json:"id"`
	Name          string         `json:"name"`
	Label         string         `json:"label"`
	Description   string         `json:"description"`
	ContextWindow int            `json:"contextWindow,omitempty"`
	TranningData  string         `json:"tranningData,omitempty" doc:"The model's knowledge cut-off. The key's spelling is the seed's and part of the contract."`
	Price         []catalogPrice `json:"price,omitempty"`
	Enabled       bool           `json:"enabled"`
}

type catalogPrice struct {
	ID            string        `json:"id"`
	UnitOfMeasure int64         `json:"unitOfMeasure"`
	Currency      string        `json:"currency"`
	Token         *catalogToken `json:"token,omitempty"`
	Pixel         *catalogPixel `json:"pixel,omitempty"`
}

type catalogToken struct {
	InputValue       *llmgate.Money `json:"inputValue,omitempty"`
	OutputValue      *llmgate.Money `json:"outputValue,omitempty"`
	CachedInputValue *llmgate.Money `json:"cachedInputValue,omitempty"`
	CacheWriteValue  *llmgate.Money `json:"cacheWriteValue,omitempty"`
}

type catalogPixel struct {
	Width   int           `json:"width"`
	Height  int           `json:"height"`
	Quality string        `json:"quality,omitempty"`
	Value   llmgate.Money `json:"value"`
}

func catalogOf(cat *llmgate.Catalog) *catalogBody {
	out := &catalogBody{Data: make([]catalogProvider, 0, len(cat.Providers))}
	for _, p := range cat.Providers {
		cp := catalogProvider{ID: p.ID, Name: p.Name, Label: p.Label, Description: p.Description, Model: make([]catalogModel, 0, len(p.Models))}
		for _, m := range p.Models {
			cm := catalogModel{ID: m.ID, Name: m.Name, Label: m.Label, Description: m.Description, ContextWindow: m.ContextWindow, TranningData: m.TrainingData, Enabled: m.Enabled && p.Enabled}
			for _, pr := range m.Prices {
				cpr := catalogPrice{ID: pr.ID, UnitOfMeasure: pr.UnitOfMeasure, Currency: pr.Currency}
				if t := pr.Token; t != nil {
					cpr.Token = &catalogToken{InputValue: t.Input, OutputValue: t.Output, CachedInputValue: t.CachedInput, CacheWriteValue: t.CacheWrite}
				}
				if px := pr.Pixel; px != nil {
					cpr.Pixel = &catalogPixel{Width: px.Width, Height: px.Height, Quality: px.Quality, Value: px.Value}
				}
				cm.Price = append(cm.Price, cpr)
			}
			cp.Model = append(cp.Model, cm)
		}
		out.Data = append(out.Data, cp)
	}
	return out
}
