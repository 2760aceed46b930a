package gateway

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/llmgate/llmgate"
	"github.com/llmgate/llmgate/internal/router"
)

var errFirstChunkTimeout = errors.New("no first chunk in time")

// ChatStream opens a streamed chat on a deployment of the request's group.
// A deployment that fails before its first chunk is left for the next one;
// after the first chunk the stream belongs to that deployment, and a later
// failure ends the stream with an error rather than a retry. The returned
// stream sets Served on its first chunk and Cost on the chunk with usage, and
// writes the ledger rows when it ends, fails or is closed early.
func (s *Service) ChatStream(ctx context.Context, req *llmgate.ChatRequest) (llmgate.ChatStream, error) {
	snap := s.snap.Load()
	ms := &meteredStream{s: s, snap: snap, req: req}
	setBase(&ms.rec, ctx, llmgate.OpChat, req.Provider, req.Model, time.Now())
	ms.rec.Stream = true
	err := s.run(ctx, snap, &ms.rec, llmgate.KindChat, req.Fallbacks, req.Timeouts, true, &ms.as, func(ctx context.Context, m *router.Member, a router.AttemptInfo) error {
		cs, ok := m.Deployment.Target.(llmgate.ChatStreamer)
		if !ok {
			return unsupported(m, "streaming")
		}
		// The stream outlives this attempt: its context is cancelled by
		// Close, or by the timer if the first chunk is late.
		sctx, cancel := context.WithCancelCause(ctx)
		if a.Timeout > 0 {
			t := time.AfterFunc(a.Timeout, func() { cancel(errFirstChunkTimeout) })
			defer t.Stop()
		}
		st, err := cs.ChatStream(sctx, memberChat(req, m))
		if err == nil {
			ms.first, err = st.Recv()
			if err != nil {
				st.Close()
			}
		}
		if err != nil {
			if context.Cause(sctx) == errFirstChunkTimeout {
				err = &llmgate.Error{Code: llmgate.EUpstreamTimeout, Message: "the provider sent no chunk within " + a.Timeout.String(), Err: err}
			} else if errors.Is(err, io.EOF) {
				err = &llmgate.Error{Code: llmgate.EUpstreamBadResponse, Message: "the stream ended before its first chunk"}
			}
			cancel(nil)
			return err
		}
		ms.upstream, ms.cancel, ms.release = st, cancel, m.Deployment.Hold()
		return nil
	})
	if err != nil {
		return nil, err
	}
	sv := served(&ms.as)
	if ms.first.Served != nil && ms.first.Served.Upstream > 0 {
		sv.Upstream = ms.first.Served.Upstream
	}
	ms.first.Served = &sv
	return ms, nil
}

// meteredStream forwards an upstream stream, prices its usage and records
// it in the ledger exactly once.
type meteredStream struct {
	s        *Service
	rec      llmgate.Record
	snap     *snapshot
	as       attempts
	upstream llmgate.ChatStream
	cancel   context.CancelCauseFunc
	release  func()
	first    *llmgate.ChatChunk
	usage    llmgate.Usage
	cost     *llmgate.Cost
	done     bool
	// err is the stream's failure, returned again by every later Recv.
	err error
	// req and text serve to estimate usage when the provider reports none.
	req  *llmgate.ChatRequest
	text []byte
}

func (m *meteredStream) Recv() (*llmgate.ChatChunk, error) {
	if m.err != nil {
		return nil, m.err
	}
	if m.done {
		return nil, io.EOF
	}
	ch := m.first
	if ch != nil {
		m.first = nil
	} else {
		var err error
		ch, err = m.upstream.Recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if m.usage == (llmgate.Usage{}) && m.s.tokens != nil {
					// The provider sent no usage: count it, and say so.
					last := m.as.last()
					estimateChat(m.s.tokens, last.model, m.req.Messages, string(m.text), &m.usage)
					m.cost = m.snap.prices.ChatCost(last.provider, last.model, m.usage)
					ch = &llmgate.ChatChunk{Usage: &m.usage, Cost: m.cost}
					m.finish(nil)
					return ch, nil
				}
				m.finish(nil)
				return nil, io.EOF
			}
			m.finish(err)
			m.err = err
			return nil, err
		}
	}
	if m.s.tokens != nil && m.usage == (llmgate.Usage{}) {
		for i := range ch.Deltas {
			d := &ch.Deltas[i]
			m.text = append(m.text, d.Content...)
			for _, tc := range d.ToolCalls {
				m.text = append(m.text, tc.Name...)
				m.text = append(m.text, tc.Arguments...)
			}
		}
	}
	if ch.Usage != nil {
		u := *ch.Usage
		if u.TotalTokens == 0 {
			u.TotalTokens = u.PromptTokens + u.CompletionTokens
		}
		m.usage = u
		last := m.as.last()
		m.cost = m.snap.prices.ChatCost(last.provider, last.model, u)
		ch.Usage, ch.Cost = &m.usage, m.cost
	}
	return ch, nil
}

// finish records the stream's outcome once.
func (m *meteredStream) finish(err error) {
	if m.done {
		return
	}
	m.done = true
	m.release()
	m.s.record(m.rec, &m.as, err, m.usage, m.cost)
}

// Close releases the upstream stream. A stream closed before its end is
// recorded as closed by the client.
func (m *meteredStream) Close() error {
	m.finish(&llmgate.Error{Code: llmgate.EClientClosed, Message: "the client closed the stream before its end"})
	err := m.upstream.Close()
	m.cancel(nil)
	return err
}
