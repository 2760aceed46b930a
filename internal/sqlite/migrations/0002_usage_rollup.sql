-- Rollups of the ledger, so that Usage over a long range reads one row per
-- hour or day and key instead of one per record. A row sums the records of
-- one bucket (bucket = floor(ts / 1h) in usage_hourly, floor(ts / 1d) in
-- usage_daily, both UTC) and one key. InsertRecords updates both in the
-- transaction that writes the records; Usage reads whole days and hours from
-- them and the partial hours at the ends of its range from the ledger.
--
-- currency is the record's currency, '' when unpriced; priced counts the
-- final priced records, so that a priced currency of '' stays apart from
-- unpriced. SQLite sums integers in int64 and turns an overflowing + into a
-- float, so the cost is kept as two sums that cannot overflow: cost_hi sums
-- cost_total >> 32 and cost_lo sums cost_total & 0xFFFFFFFF, and the exact
-- total is cost_hi * 2^32 + cost_lo, computed in Go.
CREATE TABLE IF NOT EXISTS usage_hourly (
	bucket            INTEGER NOT NULL,
	client_id         TEXT    NOT NULL,
	user_id           TEXT    NOT NULL,
	provider          TEXT    NOT NULL,
	model             TEXT    NOT NULL,
	currency          TEXT    NOT NULL,
	requests          INTEGER NOT NULL,
	attempts          INTEGER NOT NULL,
	errors            INTEGER NOT NULL,
	prompt_tokens     INTEGER NOT NULL,
	completion_tokens INTEGER NOT NULL,
	total_tokens      INTEGER NOT NULL,
	cached_tokens     INTEGER NOT NULL,
	cost_hi           INTEGER NOT NULL,
	cost_lo           INTEGER NOT NULL,
	priced            INTEGER NOT NULL,
	unpriced          INTEGER NOT NULL,
	PRIMARY KEY (bucket, client_id, user_id, provider, model, currency)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS usage_daily (
	bucket            INTEGER NOT NULL,
	client_id         TEXT    NOT NULL,
	user_id           TEXT    NOT NULL,
	provider          TEXT    NOT NULL,
	model             TEXT    NOT NULL,
	currency          TEXT    NOT NULL,
	requests          INTEGER NOT NULL,
	attempts          INTEGER NOT NULL,
	errors            INTEGER NOT NULL,
	prompt_tokens     INTEGER NOT NULL,
	completion_tokens INTEGER NOT NULL,
	total_tokens      INTEGER NOT NULL,
	cached_tokens     INTEGER NOT NULL,
	cost_hi           INTEGER NOT NULL,
	cost_lo           INTEGER NOT NULL,
	priced            INTEGER NOT NULL,
	unpriced          INTEGER NOT NULL,
	PRIMARY KEY (bucket, client_id, user_id, provider, model, currency)
) WITHOUT ROWID;

-- The same rollups with every user summed into user_id '', for the queries
-- that neither group nor filter by user: they read far fewer rows.
CREATE TABLE IF NOT EXISTS usage_hourly_all_users (
	bucket            INTEGER NOT NULL,
	client_id         TEXT    NOT NULL,
	user_id           TEXT    NOT NULL,
	provider          TEXT    NOT NULL,
	model             TEXT    NOT NULL,
	currency          TEXT    NOT NULL,
	requests          INTEGER NOT NULL,
	attempts          INTEGER NOT NULL,
	errors            INTEGER NOT NULL,
	prompt_tokens     INTEGER NOT NULL,
	completion_tokens INTEGER NOT NULL,
	total_tokens      INTEGER NOT NULL,
	cached_tokens     INTEGER NOT NULL,
	cost_hi           INTEGER NOT NULL,
	cost_lo           INTEGER NOT NULL,
	priced            INTEGER NOT NULL,
	unpriced          INTEGER NOT NULL,
	PRIMARY KEY (bucket, client_id, user_id, provider, model, currency)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS usage_daily_all_users (
	bucket            INTEGER NOT NULL,
	client_id         TEXT    NOT NULL,
	user_id           TEXT    NOT NULL,
	provider          TEXT    NOT NULL,
	model             TEXT    NOT NULL,
	currency          TEXT    NOT NULL,
	requests          INTEGER NOT NULL,
	attempts          INTEGER NOT NULL,
	errors            INTEGER NOT NULL,
	prompt_tokens     INTEGER NOT NULL,
	completion_tokens INTEGER NOT NULL,
	total_tokens      INTEGER NOT NULL,
	cached_tokens     INTEGER NOT NULL,
	cost_hi           INTEGER NOT NULL,
	cost_lo           INTEGER NOT NULL,
	priced            INTEGER NOT NULL,
	unpriced          INTEGER NOT NULL,
	PRIMARY KEY (bucket, client_id, user_id, provider, model, currency)
) WITHOUT ROWID;

-- The backfill recomputes both rollups from the ledger, so running it again
-- gives the same tables. The migration runs in the transaction that holds
-- the database's write lock, so no record is written meanwhile.
DELETE FROM usage_hourly;
DELETE FROM usage_daily;
DELETE FROM usage_hourly_all_users;
DELETE FROM usage_daily_all_users;

-- The bucket is a floor division written without overflow (ts - ts % h
-- would leave int64 near its minimum): SQLite's / truncates toward zero.
INSERT INTO usage_hourly
SELECT ts / 3600000000000 - (ts % 3600000000000 < 0),
	client_id, user_id, provider, model, COALESCE(currency, ''),
	SUM(final),
	COUNT(*),
	SUM(final = 1 AND error_code <> ''),
	SUM(CASE WHEN final = 1 THEN prompt_tokens ELSE 0 END),
	SUM(CASE WHEN final = 1 THEN completion_tokens ELSE 0 END),
	SUM(CASE WHEN final = 1 THEN total_tokens ELSE 0 END),
	SUM(CASE WHEN final = 1 THEN cached_tokens ELSE 0 END),
	SUM(CASE WHEN final = 1 AND cost_total IS NOT NULL THEN cost_total >> 32 ELSE 0 END),
	SUM(CASE WHEN final = 1 AND cost_total IS NOT NULL THEN cost_total & 4294967295 ELSE 0 END),
	SUM(final = 1 AND cost_total IS NOT NULL),
	SUM(final = 1 AND cost_total IS NULL)
FROM ledger
GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO usage_daily
SELECT bucket / 24 - (bucket % 24 < 0),
	client_id, user_id, provider, model, currency,
	SUM(requests), SUM(attempts), SUM(errors),
	SUM(prompt_tokens), SUM(completion_tokens), SUM(total_tokens), SUM(cached_tokens),
	SUM(cost_hi), SUM(cost_lo), SUM(priced), SUM(unpriced)
FROM usage_hourly
GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO usage_hourly_all_users
SELECT bucket, client_id, '', provider, model, currency,
	SUM(requests), SUM(attempts), SUM(errors),
	SUM(prompt_tokens), SUM(completion_tokens), SUM(total_tokens), SUM(cached_tokens),
	SUM(cost_hi), SUM(cost_lo), SUM(priced), SUM(unpriced)
FROM usage_hourly
GROUP BY 1, 2, 3, 4, 5, 6;

INSERT INTO usage_daily_all_users
SELECT bucket, client_id, '', provider, model, currency,
	SUM(requests), SUM(attempts), SUM(errors),
	SUM(prompt_tokens), SUM(completion_tokens), SUM(total_tokens), SUM(cached_tokens),
	SUM(cost_hi), SUM(cost_lo), SUM(priced), SUM(unpriced)
FROM usage_daily
GROUP BY 1, 2, 3, 4, 5, 6;
