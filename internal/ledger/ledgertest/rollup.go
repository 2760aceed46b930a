package ledgertest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/llmgate/llmgate"
)

// The cases below catch the bugs of a store that answers from rollups
// (sums per hour or day) and reads only the partial hours at the ends of a
// range from its records: a bucket counted twice or not at all, a range end
// rounded to a bucket, a day cut outside UTC, a floor division wrong before
// 1970, sums lost across batches.

// epoch is the Unix epoch, where a truncating division differs from a floor.
var epoch = time.Unix(0, 0).UTC()

// edgeTimes are instants at and around hour and day boundaries, after t0
// and around the Unix epoch.
func edgeTimes() []time.Time {
	var ts []time.Time
	for _, base := range []time.Time{t0, epoch} {
		midnight := base.Truncate(24 * time.Hour)
		for _, b := range []time.Time{
			base, base.Add(time.Hour), base.Add(-time.Hour), midnight, midnight.Add(24 * time.Hour),
			midnight.Add(-24 * time.Hour), midnight.Add(48 * time.Hour),
		} {
			for _, d := range []time.Duration{-time.Hour - 1, -time.Nanosecond, 0, 1, 30 * time.Minute, time.Hour - 1} {
				ts = append(ts, b.Add(d))
			}
		}
	}
	return ts
}

func testRollupEdges(t *testing.T, s llmgate.LedgerStore) {
	var rs []llmgate.Record
	for i, ts := range edgeTimes() {
		rs = append(rs, llmgate.Record{
			Time: ts, ClientID: fmt.Sprintf("c%d", i%3), UserID: fmt.Sprintf("u%d", i%4),
			Provider: "p", Model: fmt.Sprintf("m%d", i%2), Attempt: 1, Final: i%5 != 0,
			Usage: usage(i, 2*i, i%3), Cost: usd(llmgate.Money(i) << 30),
		})
	}
	// One batch per record, so that every bucket is written by several
	// batches.
	for i := range rs {
		insert(t, s, rs[i:i+1])
	}
	hour := time.Hour
	var ranges [][2]time.Time
	for _, base := range []time.Time{t0, epoch} {
		midnight := base.Truncate(24 * time.Hour)
		ranges = append(ranges,
			[2]time.Time{base, base.Add(hour)},                                           // one whole hour
			[2]time.Time{base.Add(1), base.Add(hour - 1)},                                // inside one hour
			[2]time.Time{base.Add(-30 * time.Minute), base.Add(90 * time.Minute)},        // mid-hour to mid-hour
			[2]time.Time{base.Add(-time.Nanosecond), base.Add(hour + 1)},                 // an hour and two nanoseconds
			[2]time.Time{midnight, midnight.Add(24 * hour)},                              // one whole day
			[2]time.Time{midnight.Add(-24 * hour), midnight.Add(48 * hour)},              // three whole days
			[2]time.Time{midnight.Add(-hour - 1), midnight.Add(24*hour + 1)},             // a day and a bit
			[2]time.Time{midnight.Add(-23*hour + 1), midnight.Add(47*hour - 1)},          // days and hours, mid-hour
			[2]time.Time{midnight.Add(-47 * hour), midnight.Add(71 * hour)},              // days and whole hours
			[2]time.Time{midnight.Add(time.Nanosecond), midnight.Add(24*hour - 1)},       // a day less its ends
			[2]time.Time{midnight.Add(-72 * hour), midnight.Add(96*hour + 7)},            // everything around base
			[2]time.Time{midnight.Add(30 * time.Minute), midnight.Add(30 * time.Minute)}, // empty
		)
	}
	for _, r := range ranges {
		for _, g := range allGroups {
			q := llmgate.UsageQuery{From: r[0], To: r[1], GroupBy: g}
			checkRange(t, s, q, Expected(rs, q))
		}
	}
	for _, g := range allGroups {
		for _, q := range []llmgate.UsageQuery{{GroupBy: g}, {From: t0, GroupBy: g}, {To: t0, GroupBy: g}} {
			checkRange(t, s, q, Expected(rs, q))
		}
	}
}

// checkRange is check, naming the range when it fails.
func checkRange(t *testing.T, s llmgate.LedgerStore, q llmgate.UsageQuery, want []llmgate.UsageRow) {
	t.Helper()
	t.Run(fmt.Sprintf("%s/%s..%s/%s/%s", q.GroupBy, q.From.Format(time.RFC3339Nano), q.To.Format(time.RFC3339Nano), q.ClientID, q.UserID),
		func(t *testing.T) { check(t, s, q, want) })
}

func testSameBucketManyBatches(t *testing.T, s llmgate.LedgerStore) {
	// Costs just below 2³² and above it, so that a store summing the cost
	// in parts must carry between them.
	costs := []llmgate.Money{1<<32 - 1, 1 << 32, 1<<33 + 12345, 7}
	var rs []llmgate.Record
	for b := range 60 {
		var batch []llmgate.Record
		for i := range 4 {
			batch = append(batch, llmgate.Record{
				// Every batch hits the same hour and key, and one more hour
				// of the next day.
				Time:     t0.Add(time.Duration(b*4+i) * time.Second).Add(time.Duration(i%2) * 24 * time.Hour),
				ClientID: "c", UserID: "u", Provider: "p", Model: "m", Attempt: 1 + i%2, Final: i != 1,
				Usage: usage(1, 2, 1), Cost: usd(costs[i]),
			})
		}
		insert(t, s, batch)
		rs = append(rs, batch...)
	}
	for _, g := range allGroups {
		for _, q := range []llmgate.UsageQuery{
			wide(g),
			{From: t0, To: t0.Add(time.Hour), GroupBy: g},
			{From: t0.Add(30 * time.Second), To: t0.Add(48 * time.Hour), GroupBy: g},
			{From: t0.Add(-24 * time.Hour), To: t0.Add(24*time.Hour + 90*time.Second), GroupBy: g},
		} {
			checkRange(t, s, q, Expected(rs, q))
		}
	}
}

// RandomRecords returns n records drawn from seed: times to the nanosecond
// over a week around a fixed day, some exactly on hour and day boundaries
// and some around the Unix epoch; a few clients, users, providers and
// models; retries, errors, unpriced and free requests, and costs on both
// sides of 2³². Priced records are all in USD, so that every group can be
// summed.
func RandomRecords(seed uint64, n int) []llmgate.Record {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	week := int64(7 * 24 * time.Hour)
	rs := make([]llmgate.Record, n)
	for i := range rs {
		ts := t0.Add(time.Duration(rng.Int64N(week) - week/2))
		switch rng.IntN(20) {
		case 0, 1:
			ts = ts.Truncate(time.Hour)
		case 2:
			ts = ts.Truncate(24 * time.Hour)
		case 3:
			ts = epoch.Add(time.Duration(rng.Int64N(int64(6*time.Hour)) - int64(3*time.Hour)))
		}
		r := llmgate.Record{
			Time: ts, CorrelationID: fmt.Sprint(i),
			ClientID: fmt.Sprintf("client-%d", rng.IntN(5)), UserID: fmt.Sprintf("user-%d", rng.IntN(12)),
			Provider: fmt.Sprintf("p%d", rng.IntN(3)), Model: fmt.Sprintf("m%d", rng.IntN(4)),
			Attempt: 1 + rng.IntN(3), Final: rng.IntN(10) < 7,
			Usage:  usage(rng.IntN(5000), rng.IntN(2000), rng.IntN(100)),
			Status: 200,
		}
		if rng.IntN(8) == 0 {
			r.ErrorCode, r.Status = llmgate.EUpstreamError, 502
		}
		switch rng.IntN(10) {
		case 0:
			// unpriced
		case 1:
			r.Cost = usd(0)
		default:
			r.Cost = usd(llmgate.Money(rng.Int64N(1 << 40)))
		}
		rs[i] = r
	}
	return rs
}

// CheckRandomQueries compares every grouping of s over rs, the records s
// holds, with Expected, for ranges drawn from seed (ends to the
// nanosecond, on record times, on hour and day boundaries, open) and fixed
// ones, without and with client and user filters.
func CheckRandomQueries(t *testing.T, s llmgate.LedgerStore, rs []llmgate.Record, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	point := func() time.Time {
		switch rng.IntN(6) {
		case 0:
			return rs[rng.IntN(len(rs))].Time
		case 1:
			return rs[rng.IntN(len(rs))].Time.Add(1)
		case 2:
			return rs[rng.IntN(len(rs))].Time.Truncate(time.Hour)
		case 3:
			return rs[rng.IntN(len(rs))].Time.Truncate(24 * time.Hour)
		case 4:
			return time.Time{}
		}
		week := int64(8 * 24 * time.Hour)
		return t0.Add(time.Duration(rng.Int64N(week) - week/2))
	}
	ranges := [][2]time.Time{
		{},
		{t0.Add(-4 * 24 * time.Hour), t0.Add(4 * 24 * time.Hour)},
		{epoch.Add(-3 * time.Hour), epoch.Add(3 * time.Hour)},
		{epoch.Add(-90 * time.Minute), epoch.Add(150*time.Minute + 1)},
		{epoch.Add(-time.Hour), t0},
	}
	for range 12 {
		from, to := point(), point()
		if !from.IsZero() && !to.IsZero() && to.Before(from) && rng.IntN(4) != 0 {
			from, to = to, from
		}
		ranges = append(ranges, [2]time.Time{from, to})
	}
	filters := []struct{ client, user string }{{"", ""}, {"client-3", ""}, {"", "user-7"}, {"client-1", "user-2"}}
	for _, r := range ranges {
		for _, f := range filters {
			for _, g := range allGroups {
				q := llmgate.UsageQuery{From: r[0], To: r[1], GroupBy: g, ClientID: f.client, UserID: f.user}
				checkRange(t, s, q, Expected(rs, q))
			}
		}
	}
}

func testRandom(t *testing.T, s llmgate.LedgerStore) {
	const seed = 20250310
	rs := RandomRecords(seed, 3000)
	// Batches of varied sizes, as a writer flushes them.
	rng := rand.New(rand.NewPCG(seed, 2))
	for rest := rs; len(rest) > 0; {
		n := min(len(rest), 1+rng.IntN(400))
		insert(t, s, rest[:n])
		rest = rest[n:]
	}
	CheckRandomQueries(t, s, rs, seed)
}
