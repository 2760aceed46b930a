// Package ledgertest is the contract every llmgate.LedgerStore keeps: a
// test suite that each store's tests run against a real database.
package ledgertest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/llmgate/llmgate"
)

// CostRecords is the number of records the exact cost sum subtest inserts,
// in batches of 10,000: a million, or 10,000 under -short or the race
// detector, where a million rows would take minutes.
func CostRecords() int {
	if testing.Short() || raceEnabled {
		return 10_000
	}
	return 1_000_000
}

// Run runs the contract suite. open must return an empty store, opened for
// the calling test, and arrange for it to be closed (a second Close must be
// harmless) when that test ends.
func Run(t *testing.T, open func(t *testing.T) llmgate.LedgerStore) {
	t.Run("InsertAndReadBack", func(t *testing.T) { testInsertAndReadBack(t, open(t)) })
	t.Run("EmptyBatch", func(t *testing.T) { testEmptyBatch(t, open(t)) })
	t.Run("Groupings", func(t *testing.T) { testGroupings(t, open(t)) })
	t.Run("RangeBounds", func(t *testing.T) { testRangeBounds(t, open(t)) })
	t.Run("OpenRange", func(t *testing.T) { testOpenRange(t, open(t)) })
	t.Run("EmptyRange", func(t *testing.T) { testEmptyRange(t, open(t)) })
	t.Run("Filters", func(t *testing.T) { testFilters(t, open(t)) })
	t.Run("ExactCostSum", func(t *testing.T) { testExactCostSum(t, open(t)) })
	t.Run("LargeCosts", func(t *testing.T) { testLargeCosts(t, open(t)) })
	t.Run("CostOverflow", func(t *testing.T) { testCostOverflow(t, open(t)) })
	t.Run("MixedCurrencies", func(t *testing.T) { testMixedCurrencies(t, open(t)) })
	t.Run("BigBatch", func(t *testing.T) { testBigBatch(t, open(t)) })
	t.Run("HostileStrings", func(t *testing.T) { testHostileStrings(t, open(t)) })
	t.Run("UnknownGrouping", func(t *testing.T) { testUnknownGrouping(t, open(t)) })
	t.Run("RollupEdges", func(t *testing.T) { testRollupEdges(t, open(t)) })
	t.Run("SameBucketManyBatches", func(t *testing.T) { testSameBucketManyBatches(t, open(t)) })
	t.Run("MixedCurrenciesAcrossBuckets", func(t *testing.T) { testMixedCurrenciesAcrossBuckets(t, open(t)) })
	t.Run("Random", func(t *testing.T) { testRandom(t, open(t)) })
	t.Run("UseAfterClose", func(t *testing.T) { testUseAfterClose(t, open(t)) })
}

// t0 is noon UTC on a fixed day; the fixtures are placed around it.
var t0 = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

func usd(m llmgate.Money) *llmgate.Cost {
	return &llmgate.Cost{Currency: "USD", Input: m / 4, Output: m - m/4, Total: m}
}

func usage(p, c, cached int) llmgate.Usage {
	return llmgate.Usage{PromptTokens: p, CompletionTokens: c, TotalTokens: p + c, CachedTokens: cached}
}

// fixture is a small ledger that exercises every rule of Usage: retries
// (non-final attempts whose tokens and cost do not count), errors, priced,
// free and unpriced requests, several days in and out of UTC, and keys whose
// byte order differs from a locale's order.
func fixture() []llmgate.Record {
	est := time.FixedZone("EST", -5*3600)
	return []llmgate.Record{
		{Time: t0, CorrelationID: "c1", ClientID: "alpha", UserID: "u1", Operation: llmgate.OpChat, API: "native",
			Provider: "openai", Model: "gpt-4o", Deployment: "us", Attempt: 1, Final: true,
			Usage: usage(10, 20, 5), Cost: usd(100), Latency: 1500 * time.Millisecond, Status: 200},
		// A failed first attempt, then a final one on another provider.
		{Time: t0.Add(time.Minute), CorrelationID: "c2", ClientID: "alpha", UserID: "u1", Operation: llmgate.OpChat,
			Provider: "openai", Model: "gpt-4o", Deployment: "eu", Attempt: 1, Final: false,
			Usage: usage(1000, 1000, 1000), Cost: usd(999), Status: 503, ErrorCode: llmgate.EUpstreamUnavailable},
		{Time: t0.Add(2 * time.Minute), CorrelationID: "c2", ClientID: "alpha", UserID: "u1", Operation: llmgate.OpChat,
			Provider: "anthropic", Model: "claude", Attempt: 2, Final: true, Stream: true,
			Usage: usage(1, 2, 0), Cost: usd(50), Status: 200},
		// A final error, unpriced.
		{Time: t0.Add(3 * time.Minute), CorrelationID: "c3", ClientID: "Zeta", UserID: "u2", Operation: llmgate.OpChat,
			Provider: "openai", Model: "gpt-4o", Attempt: 1, Final: true,
			Status: 429, ErrorCode: llmgate.ERateLimited},
		// A priced free call, on 2025-03-12 in UTC though 2025-03-11 in EST.
		{Time: time.Date(2025, 3, 11, 20, 0, 0, 0, est), CorrelationID: "c4", ClientID: "Zeta", UserID: "u1",
			Operation: llmgate.OpEmbedding, Provider: "mock", Model: "m", Attempt: 1, Final: true,
			Usage: usage(4, 4, 0), Cost: usd(0), Status: 200},
		// An unpriced success.
		{Time: t0.Add(24 * time.Hour), CorrelationID: "c5", ClientID: "beta", UserID: "u3", Operation: llmgate.OpImage,
			Provider: "mock", Model: "m", Attempt: 1, Final: true,
			Usage: usage(7, 0, 0), Status: 200},
	}
}

// Expected computes the Usage rows of rs for q the slow, obvious way. It is
// the suite's reference for what a store must return.
func Expected(rs []llmgate.Record, q llmgate.UsageQuery) []llmgate.UsageRow {
	groups := map[string]*llmgate.UsageRow{}
	for _, r := range rs {
		if !q.From.IsZero() && r.Time.Before(q.From) || !q.To.IsZero() && !r.Time.Before(q.To) {
			continue
		}
		if q.ClientID != "" && r.ClientID != q.ClientID || q.UserID != "" && r.UserID != q.UserID {
			continue
		}
		var k string
		switch q.GroupBy {
		case llmgate.GroupClient:
			k = r.ClientID
		case llmgate.GroupUser:
			k = r.UserID
		case llmgate.GroupModel:
			k = r.Provider + "/" + r.Model
		case llmgate.GroupProvider:
			k = r.Provider
		case llmgate.GroupDay:
			k = r.Time.UTC().Format(time.DateOnly)
		}
		g := groups[k]
		if g == nil {
			g = &llmgate.UsageRow{Key: k}
			groups[k] = g
		}
		g.Attempts++
		if !r.Final {
			continue
		}
		g.Requests++
		if r.ErrorCode != "" {
			g.Errors++
		}
		g.PromptTokens += int64(r.Usage.PromptTokens)
		g.CompletionTokens += int64(r.Usage.CompletionTokens)
		g.TotalTokens += int64(r.Usage.TotalTokens)
		g.CachedTokens += int64(r.Usage.CachedTokens)
		if r.Cost == nil {
			g.Unpriced++
			continue
		}
		g.Cost += r.Cost.Total
		g.Currency = r.Cost.Currency
	}
	out := []llmgate.UsageRow{}
	for _, g := range groups {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func insert(t *testing.T, s llmgate.LedgerStore, rs []llmgate.Record) {
	t.Helper()
	if err := s.InsertRecords(context.Background(), rs); err != nil {
		t.Fatalf("InsertRecords(%d records): %v", len(rs), err)
	}
}

func query(t *testing.T, s llmgate.LedgerStore, q llmgate.UsageQuery) []llmgate.UsageRow {
	t.Helper()
	rows, err := s.Usage(context.Background(), q)
	if err != nil {
		t.Fatalf("Usage(%+v): %v", q, err)
	}
	return rows
}

// check compares the Usage of q with want.
func check(t *testing.T, s llmgate.LedgerStore, q llmgate.UsageQuery, want []llmgate.UsageRow) {
	t.Helper()
	got := query(t, s, q)
	if got == nil {
		t.Errorf("Usage(%+v) returned a nil slice, want an empty one", q)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Usage(group %s, client %q, user %q) mismatch (-want +got):\n%s", q.GroupBy, q.ClientID, q.UserID, diff)
	}
}

var allGroups = []llmgate.UsageGroup{
	llmgate.GroupClient, llmgate.GroupUser, llmgate.GroupModel, llmgate.GroupProvider, llmgate.GroupDay,
}

// wide is a range that holds every fixture.
func wide(g llmgate.UsageGroup) llmgate.UsageQuery {
	return llmgate.UsageQuery{From: t0.Add(-30 * 24 * time.Hour), To: t0.Add(30 * 24 * time.Hour), GroupBy: g}
}

func testInsertAndReadBack(t *testing.T, s llmgate.LedgerStore) {
	insert(t, s, fixture()[:1])
	check(t, s, wide(llmgate.GroupClient), []llmgate.UsageRow{{
		Key: "alpha", Requests: 1, Attempts: 1, PromptTokens: 10, CompletionTokens: 20,
		TotalTokens: 30, CachedTokens: 5, Cost: 100, Currency: "USD",
	}})
}

func testEmptyBatch(t *testing.T, s llmgate.LedgerStore) {
	insert(t, s, nil)
	insert(t, s, []llmgate.Record{})
	check(t, s, wide(llmgate.GroupClient), []llmgate.UsageRow{})
}

func testGroupings(t *testing.T, s llmgate.LedgerStore) {
	rs := fixture()
	insert(t, s, rs)
	// The reference is checked by hand for one grouping, then trusted for
	// the others.
	want := []llmgate.UsageRow{
		{Key: "Zeta", Requests: 2, Attempts: 2, Errors: 1, PromptTokens: 4, CompletionTokens: 4,
			TotalTokens: 8, Cost: 0, Currency: "USD", Unpriced: 1},
		{Key: "alpha", Requests: 2, Attempts: 3, PromptTokens: 11, CompletionTokens: 22,
			TotalTokens: 33, CachedTokens: 5, Cost: 150, Currency: "USD"},
		{Key: "beta", Requests: 1, Attempts: 1, PromptTokens: 7, TotalTokens: 7, Unpriced: 1},
	}
	if diff := cmp.Diff(want, Expected(rs, wide(llmgate.GroupClient))); diff != "" {
		t.Fatalf("the suite's reference is wrong (-want +got):\n%s", diff)
	}
	keys := map[llmgate.UsageGroup][]string{
		llmgate.GroupClient:   {"Zeta", "alpha", "beta"},
		llmgate.GroupUser:     {"u1", "u2", "u3"},
		llmgate.GroupModel:    {"anthropic/claude", "mock/m", "openai/gpt-4o"},
		llmgate.GroupProvider: {"anthropic", "mock", "openai"},
		llmgate.GroupDay:      {"2025-03-10", "2025-03-11", "2025-03-12"},
	}
	for _, g := range allGroups {
		t.Run(string(g), func(t *testing.T) {
			want := Expected(rs, wide(g))
			var got []string
			for _, r := range want {
				got = append(got, r.Key)
			}
			if diff := cmp.Diff(keys[g], got); diff != "" {
				t.Fatalf("the suite's reference keys are wrong (-want +got):\n%s", diff)
			}
			check(t, s, wide(g), want)
		})
	}
}

func testRangeBounds(t *testing.T, s llmgate.LedgerStore) {
	from, to := t0, t0.Add(time.Hour)
	at := func(client string, ts time.Time) llmgate.Record {
		return llmgate.Record{Time: ts, ClientID: client, UserID: "u", Provider: "p", Model: "m", Attempt: 1, Final: true}
	}
	rs := []llmgate.Record{
		at("0-before", from.Add(-time.Nanosecond)),
		at("1-from", from),
		at("2-last", to.Add(-time.Nanosecond)),
		at("3-to", to),
	}
	insert(t, s, rs)
	rows := query(t, s, llmgate.UsageQuery{From: from, To: to, GroupBy: llmgate.GroupClient})
	var keys []string
	for _, r := range rows {
		keys = append(keys, r.Key)
	}
	if diff := cmp.Diff([]string{"1-from", "2-last"}, keys); diff != "" {
		t.Errorf("[From, To) selected the wrong records (-want +got):\n%s", diff)
	}
	// The bounds mean instants, whatever their location.
	est := time.FixedZone("EST", -5*3600)
	rows = query(t, s, llmgate.UsageQuery{From: from.In(est), To: to.In(est), GroupBy: llmgate.GroupClient})
	if len(rows) != 2 {
		t.Errorf("the same range in another location selected %d groups, want 2", len(rows))
	}
	// Days are cut at midnight UTC, to the nanosecond.
	midnight := time.Date(2025, 3, 11, 0, 0, 0, 0, time.UTC)
	insert(t, s, []llmgate.Record{at("d", midnight.Add(-time.Nanosecond)), at("d", midnight)})
	check(t, s, llmgate.UsageQuery{From: midnight.Add(-time.Hour), To: midnight.Add(time.Hour), GroupBy: llmgate.GroupDay},
		[]llmgate.UsageRow{
			{Key: "2025-03-10", Requests: 1, Attempts: 1, Unpriced: 1},
			{Key: "2025-03-11", Requests: 1, Attempts: 1, Unpriced: 1},
		})
}

func testOpenRange(t *testing.T, s llmgate.LedgerStore) {
	rs := fixture()
	insert(t, s, rs)
	for _, q := range []llmgate.UsageQuery{
		{GroupBy: llmgate.GroupDay},
		{From: t0.Add(time.Minute), GroupBy: llmgate.GroupDay},
		{To: t0.Add(time.Minute), GroupBy: llmgate.GroupDay},
	} {
		check(t, s, q, Expected(rs, q))
	}
}

func testEmptyRange(t *testing.T, s llmgate.LedgerStore) {
	insert(t, s, fixture())
	for _, g := range allGroups {
		check(t, s, llmgate.UsageQuery{From: t0, To: t0, GroupBy: g}, []llmgate.UsageRow{})
		check(t, s, llmgate.UsageQuery{From: t0.Add(-2 * time.Hour), To: t0.Add(-time.Hour), GroupBy: g}, []llmgate.UsageRow{})
	}
}

func testFilters(t *testing.T, s llmgate.LedgerStore) {
	rs := fixture()
	insert(t, s, rs)
	for _, f := range []struct{ client, user string }{
		{"alpha", ""},
		{"", "u1"},
		{"Zeta", "u1"},
		{"Zeta", "u3"},
		{"nobody", ""},
		{"ALPHA", ""}, // filters are exact, not case-folded
	} {
		for _, g := range allGroups {
			q := wide(g)
			q.ClientID, q.UserID = f.client, f.user
			check(t, s, q, Expected(rs, q))
		}
	}
	q := wide(llmgate.GroupClient)
	q.UserID = "u1"
	if rows := query(t, s, q); len(rows) != 2 {
		t.Errorf("user u1 has %d clients, want 2 (alpha, Zeta)", len(rows))
	}
}

func testExactCostSum(t *testing.T, s llmgate.LedgerStore) {
	const batch = 10_000
	n := CostRecords()
	cost := &llmgate.Cost{Currency: "USD", Total: 1}
	rs := make([]llmgate.Record, batch)
	for i := range rs {
		rs[i] = llmgate.Record{Time: t0.Add(time.Duration(i) * time.Millisecond), ClientID: "c", UserID: "u",
			Provider: "p", Model: "m", Attempt: 1, Final: true, Usage: usage(1, 1, 0), Cost: cost}
	}
	for range n / batch {
		insert(t, s, rs)
	}
	m := int64(n)
	check(t, s, wide(llmgate.GroupClient), []llmgate.UsageRow{{
		Key: "c", Requests: m, Attempts: m, PromptTokens: m,
		CompletionTokens: m, TotalTokens: 2 * m, Cost: llmgate.Money(m), Currency: "USD",
	}})
}

func testLargeCosts(t *testing.T, s llmgate.LedgerStore) {
	// 2⁵³+1 is the first integer float64 cannot hold: a store that sums
	// through floating point gets this wrong.
	const big = llmgate.Money(1<<53 + 1)
	var rs []llmgate.Record
	for i := range 3 {
		rs = append(rs, llmgate.Record{Time: t0.Add(time.Duration(i)), ClientID: "c", Provider: "p", Model: "m",
			Attempt: 1, Final: true, Cost: &llmgate.Cost{Currency: "USD", Input: big, Total: big}})
	}
	insert(t, s, rs)
	rows := query(t, s, wide(llmgate.GroupClient))
	if len(rows) != 1 || rows[0].Cost != 3*big {
		t.Errorf("Usage = %+v, want one row with Cost %d", rows, 3*big)
	}
}

func testCostOverflow(t *testing.T, s llmgate.LedgerStore) {
	half := llmgate.Money(math.MaxInt64/2 + 1)
	rs := []llmgate.Record{
		{Time: t0, ClientID: "c", Provider: "p", Model: "m", Attempt: 1, Final: true, Cost: usd(half)},
		{Time: t0.Add(1), ClientID: "c", Provider: "p", Model: "m", Attempt: 1, Final: true, Cost: usd(half)},
	}
	insert(t, s, rs)
	rows, err := s.Usage(context.Background(), wide(llmgate.GroupClient))
	if err == nil {
		t.Fatalf("Usage over a cost total beyond Money's range = %+v, want an error", rows)
	}
	var e *llmgate.Error
	if !errors.As(err, &e) || e.Code != llmgate.EInternal {
		t.Errorf("Usage error = %v, want an EInternal *llmgate.Error", err)
	}
	// One record alone is fine.
	q := wide(llmgate.GroupClient)
	q.To = t0.Add(1)
	check(t, s, q, []llmgate.UsageRow{{Key: "c", Requests: 1, Attempts: 1, Cost: half, Currency: "USD"}})
}

func testMixedCurrencies(t *testing.T, s llmgate.LedgerStore) {
	rs := []llmgate.Record{
		{Time: t0, ClientID: "c", Provider: "p", Model: "m", Attempt: 1, Final: true, Cost: usd(5)},
		{Time: t0.Add(1), ClientID: "c", Provider: "p", Model: "m", Attempt: 1, Final: true,
			Cost: &llmgate.Cost{Currency: "EUR", Total: 7}},
	}
	insert(t, s, rs)
	if rows, err := s.Usage(context.Background(), wide(llmgate.GroupClient)); err == nil {
		t.Errorf("Usage summing USD and EUR = %+v, want an error", rows)
	}
}

func testMixedCurrenciesAcrossBuckets(t *testing.T, s llmgate.LedgerStore) {
	// One currency in a whole hour, the other in a partial one, so that a
	// store reading them from different tables must still see both.
	rs := []llmgate.Record{
		{Time: t0, ClientID: "c", Provider: "p", Model: "m", Attempt: 1, Final: true, Cost: usd(5)},
		{Time: t0.Add(90 * time.Minute), ClientID: "c", Provider: "p", Model: "m", Attempt: 1, Final: true,
			Cost: &llmgate.Cost{Currency: "EUR", Total: 7}},
	}
	insert(t, s, rs)
	q := llmgate.UsageQuery{From: t0, To: t0.Add(100 * time.Minute), GroupBy: llmgate.GroupClient}
	if rows, err := s.Usage(context.Background(), q); err == nil {
		t.Errorf("Usage summing USD and EUR = %+v, want an error", rows)
	}
	q.To = t0.Add(time.Hour)
	check(t, s, q, Expected(rs, q))
}

func testBigBatch(t *testing.T, s llmgate.LedgerStore) {
	const n = 10_000
	rs := make([]llmgate.Record, n)
	for i := range rs {
		rs[i] = llmgate.Record{
			Time: t0.Add(time.Duration(i) * time.Second), CorrelationID: strconv.Itoa(i),
			ClientID: fmt.Sprintf("client-%d", i%7), UserID: fmt.Sprintf("user-%d", i%13),
			Provider: fmt.Sprintf("p%d", i%3), Model: fmt.Sprintf("m%d", i%5),
			Attempt: 1 + i%2, Final: i%2 == 1, Usage: usage(i%100, i%10, i%3),
			Status: 200, Latency: time.Duration(i) * time.Microsecond,
		}
		if i%11 != 0 {
			rs[i].Cost = usd(llmgate.Money(i) * 1_000_000)
		}
		if i%17 == 0 {
			rs[i].ErrorCode = llmgate.EUpstreamError
		}
	}
	insert(t, s, rs)
	for _, g := range allGroups {
		check(t, s, wide(g), Expected(rs, wide(g)))
	}
}

func testHostileStrings(t *testing.T, s llmgate.LedgerStore) {
	users := []string{
		`O'Brien`,
		`"quoted"`,
		`Robert'); DROP TABLE ledger;--`,
		`名前🙂`,
		`back\slash`,
		`100%_like`,
		"tab\tnew\nline",
		`$1`,
	}
	var rs []llmgate.Record
	for i, u := range users {
		rs = append(rs, llmgate.Record{Time: t0.Add(time.Duration(i)), UserID: u, ClientID: u + "-client",
			Provider: `p'`, Model: `m"`, Attempt: 1, Final: true, Cost: usd(llmgate.Money(i + 1))})
	}
	insert(t, s, rs)
	for _, g := range allGroups {
		check(t, s, wide(g), Expected(rs, wide(g)))
	}
	for _, u := range users {
		q := wide(llmgate.GroupUser)
		q.UserID = u
		q.ClientID = u + "-client"
		check(t, s, q, Expected(rs, q))
	}
	// The table survived.
	insert(t, s, fixture())
	if rows := query(t, s, wide(llmgate.GroupUser)); len(rows) != len(users)+3 {
		t.Errorf("Usage after hostile inserts has %d users, want %d", len(rows), len(users)+3)
	}
}

func testUnknownGrouping(t *testing.T, s llmgate.LedgerStore) {
	insert(t, s, fixture())
	if rows, err := s.Usage(context.Background(), llmgate.UsageQuery{GroupBy: "region; DROP TABLE ledger"}); err == nil {
		t.Errorf("Usage with an unknown grouping = %+v, want an error", rows)
	}
	if rows, err := s.Usage(context.Background(), llmgate.UsageQuery{}); err == nil {
		t.Errorf("Usage without a grouping = %+v, want an error", rows)
	}
	check(t, s, wide(llmgate.GroupClient), Expected(fixture(), wide(llmgate.GroupClient)))
}

func testUseAfterClose(t *testing.T, s llmgate.LedgerStore) {
	insert(t, s, fixture())
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.InsertRecords(context.Background(), fixture()); err == nil {
		t.Error("InsertRecords after Close returned nil")
	}
	if rows, err := s.Usage(context.Background(), wide(llmgate.GroupClient)); err == nil {
		t.Errorf("Usage after Close = %+v, want an error", rows)
	}
}
