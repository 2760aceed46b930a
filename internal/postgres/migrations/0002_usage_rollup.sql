-- Rollups of the ledger, so that Usage over a long range reads one row per
-- hour or day and key instead of one per record. A row sums the records of
-- one bucket (bucket = floor(ts / 1h) in the hourly tables, floor(ts / 1d)
-- in the daily ones, both UTC) and one key; the *_all_users tables sum every
-- user into user_id '', for the queries that neither group nor filter by
-- user. Usage reads whole days and hours from them and the partial hours at
-- the ends of its range from the ledger.
--
-- currency is the record's currency, '' when unpriced; priced counts the
-- final priced records, so that a priced currency of '' stays apart from
-- unpriced. cost is NUMERIC, so that sums are exact and never overflow.

CREATE TABLE IF NOT EXISTS usage_hourly (
	bucket            BIGINT  NOT NULL,
	client_id         TEXT    NOT NULL,
	user_id           TEXT    NOT NULL,
	provider          TEXT    NOT NULL,
	model             TEXT    NOT NULL,
	currency          TEXT    NOT NULL,
	requests          BIGINT  NOT NULL,
	attempts          BIGINT  NOT NULL,
	errors            BIGINT  NOT NULL,
	prompt_tokens     BIGINT  NOT NULL,
	completion_tokens BIGINT  NOT NULL,
	total_tokens      BIGINT  NOT NULL,
	cached_tokens     BIGINT  NOT NULL,
	cost              NUMERIC NOT NULL,
	priced            BIGINT  NOT NULL,
	unpriced          BIGINT  NOT NULL,
	PRIMARY KEY (bucket, client_id, user_id, provider, model, currency)
);

CREATE TABLE IF NOT EXISTS usage_daily (
	bucket            BIGINT  NOT NULL,
	client_id         TEXT    NOT NULL,
	user_id           TEXT    NOT NULL,
	provider          TEXT    NOT NULL,
	model             TEXT    NOT NULL,
	currency          TEXT    NOT NULL,
	requests          BIGINT  NOT NULL,
	attempts          BIGINT  NOT NULL,
	errors            BIGINT  NOT NULL,
	prompt_tokens     BIGINT  NOT NULL,
	completion_tokens BIGINT  NOT NULL,
	total_tokens      BIGINT  NOT NULL,
	cached_tokens     BIGINT  NOT NULL,
	cost              NUMERIC NOT NULL,
	priced            BIGINT  NOT NULL,
	unpriced          BIGINT  NOT NULL,
	PRIMARY KEY (bucket, client_id, user_id, provider, model, currency)
);

CREATE TABLE IF NOT EXISTS usage_hourly_all_users (
	bucket            BIGINT  NOT NULL,
	client_id         TEXT    NOT NULL,
	user_id           TEXT    NOT NULL,
	provider          TEXT    NOT NULL,
	model             TEXT    NOT NULL,
	currency          TEXT    NOT NULL,
	requests          BIGINT  NOT NULL,
	attempts          BIGINT  NOT NULL,
	errors            BIGINT  NOT NULL,
	prompt_tokens     BIGINT  NOT NULL,
	completion_tokens BIGINT  NOT NULL,
	total_tokens      BIGINT  NOT NULL,
	cached_tokens     BIGINT  NOT NULL,
	cost              NUMERIC NOT NULL,
	priced            BIGINT  NOT NULL,
	unpriced          BIGINT  NOT NULL,
	PRIMARY KEY (bucket, client_id, user_id, provider, model, currency)
);

CREATE TABLE IF NOT EXISTS usage_daily_all_users (
	bucket            BIGINT  NOT NULL,
	client_id         TEXT    NOT NULL,
	user_id           TEXT    NOT NULL,
	provider          TEXT    NOT NULL,
	model             TEXT    NOT NULL,
	currency          TEXT    NOT NULL,
	requests          BIGINT  NOT NULL,
	attempts          BIGINT  NOT NULL,
	errors            BIGINT  NOT NULL,
	prompt_tokens     BIGINT  NOT NULL,
	completion_tokens BIGINT  NOT NULL,
	total_tokens      BIGINT  NOT NULL,
	cached_tokens     BIGINT  NOT NULL,
	cost              NUMERIC NOT NULL,
	priced            BIGINT  NOT NULL,
	unpriced          BIGINT  NOT NULL,
	PRIMARY KEY (bucket, client_id, user_id, provider, model, currency)
);

-- A trigger keeps the rollups, so that they stay right whoever writes the
-- ledger, an older gateway instance during a rolling upgrade included. It
-- runs once per statement (one COPY per batch), sums the batch's rows per
-- bucket and key, and upserts each key once, in key order so that two
-- batches touching the same keys lock them in the same order.
CREATE OR REPLACE FUNCTION ledger_roll_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO usage_hourly AS r (bucket, client_id, user_id, provider, model, currency, requests, attempts, errors, prompt_tokens, completion_tokens, total_tokens, cached_tokens, cost, priced, unpriced)
	SELECT ts / 3600000000000 - (ts % 3600000000000 < 0)::int, client_id, user_id, provider, model, COALESCE(currency, ''),
		COUNT(*) FILTER (WHERE final),
		COUNT(*),
		COUNT(*) FILTER (WHERE final AND error_code <> ''),
		COALESCE(SUM(prompt_tokens) FILTER (WHERE final), 0),
		COALESCE(SUM(completion_tokens) FILTER (WHERE final), 0),
		COALESCE(SUM(total_tokens) FILTER (WHERE final), 0),
		COALESCE(SUM(cached_tokens) FILTER (WHERE final), 0),
		COALESCE(SUM(cost_total) FILTER (WHERE final), 0),
		COUNT(*) FILTER (WHERE final AND cost_total IS NOT NULL),
		COUNT(*) FILTER (WHERE final AND cost_total IS NULL)
	FROM new_rows
	GROUP BY 1, 2, 3, 4, 5, 6
	ORDER BY 1, 2, 3, 4, 5, 6
	ON CONFLICT (bucket, client_id, user_id, provider, model, currency) DO UPDATE SET
		requests = r.requests + excluded.requests,
		attempts = r.attempts + excluded.attempts,
		errors = r.errors + excluded.errors,
		prompt_tokens = r.prompt_tokens + excluded.prompt_tokens,
		completion_tokens = r.completion_tokens + excluded.completion_tokens,
		total_tokens = r.total_tokens + excluded.total_tokens,
		cached_tokens = r.cached_tokens + excluded.cached_tokens,
		cost = r.cost + excluded.cost,
		priced = r.priced + excluded.priced,
		unpriced = r.unpriced + excluded.unpriced;
	INSERT INTO usage_daily AS r (bucket, client_id, user_id, provider, model, currency, requests, attempts, errors, prompt_tokens, completion_tokens, total_tokens, cached_tokens, cost, priced, unpriced)
	SELECT ts / 86400000000000 - (ts % 86400000000000 < 0)::int, client_id, user_id, provider, model, COALESCE(currency, ''),
		COUNT(*) FILTER (WHERE final),
		COUNT(*),
		COUNT(*) FILTER (WHERE final AND error_code <> ''),
		COALESCE(SUM(prompt_tokens) FILTER (WHERE final), 0),
		COALESCE(SUM(completion_tokens) FILTER (WHERE final), 0),
		COALESCE(SUM(total_tokens) FILTER (WHERE final), 0),
		COALESCE(SUM(cached_tokens) FILTER (WHERE final), 0),
		COALESCE(SUM(cost_total) FILTER (WHERE final), 0),
		COUNT(*) FILTER (WHERE final AND cost_total IS NOT NULL),
		COUNT(*) FILTER (WHERE final AND cost_total IS NULL)
	FROM new_rows
	GROUP BY 1, 2, 3, 4, 5, 6
	ORDER BY 1, 2, 3, 4, 5, 6
	ON CONFLICT (bucket, client_id, user_id, provider, model, currency) DO UPDATE SET
		requests = r.requests + excluded.requests,
		attempts = r.attempts + excluded.attempts,
		errors = r.errors + excluded.errors,
		prompt_tokens = r.prompt_tokens + excluded.prompt_tokens,
		completion_tokens = r.completion_tokens + excluded.completion_tokens,
		total_tokens = r.total_tokens + excluded.total_tokens,
		cached_tokens = r.cached_tokens + excluded.cached_tokens,
		cost = r.cost + excluded.cost,
		priced = r.priced + excluded.priced,
		unpriced = r.unpriced + excluded.unpriced;
	INSERT INTO usage_hourly_all_users AS r (bucket, client_id, user_id, provider, model, currency, requests, attempts, errors, prompt_tokens, completion_tokens, total_tokens, cached_tokens, cost, priced, unpriced)
	SELECT ts / 3600000000000 - (ts % 3600000000000 < 0)::int, client_id, '', provider, model, COALESCE(currency, ''),
		COUNT(*) FILTER (WHERE final),
		COUNT(*),
		COUNT(*) FILTER (WHERE final AND error_code <> ''),
		COALESCE(SUM(prompt_tokens) FILTER (WHERE final), 0),
		COALESCE(SUM(completion_tokens) FILTER (WHERE final), 0),
		COALESCE(SUM(total_tokens) FILTER (WHERE final), 0),
		COALESCE(SUM(cached_tokens) FILTER (WHERE final), 0),
		COALESCE(SUM(cost_total) FILTER (WHERE final), 0),
		COUNT(*) FILTER (WHERE final AND cost_total IS NOT NULL),
		COUNT(*) FILTER (WHERE final AND cost_total IS NULL)
	FROM new_rows
	GROUP BY 1, 2, 3, 4, 5, 6
	ORDER BY 1, 2, 3, 4, 5, 6
	ON CONFLICT (bucket, client_id, user_id, provider, model, currency) DO UPDATE SET
		requests = r.requests + excluded.requests,
		attempts = r.attempts + excluded.attempts,
		errors = r.errors + excluded.errors,
		prompt_tokens = r.prompt_tokens + excluded.prompt_tokens,
		completion_tokens = r.completion_tokens + excluded.completion_tokens,
		total_tokens = r.total_tokens + excluded.total_tokens,
		cached_tokens = r.cached_tokens + excluded.cached_tokens,
		cost = r.cost + excluded.cost,
		priced = r.priced + excluded.priced,
		unpriced = r.unpriced + excluded.unpriced;
	INSERT INTO usage_daily_all_users AS r (bucket, client_id, user_id, provider, model, currency, requests, attempts, errors, prompt_tokens, completion_tokens, total_tokens, cached_tokens, cost, priced, unpriced)
	SELECT ts / 86400000000000 - (ts % 86400000000000 < 0)::int, client_id, '', provider, model, COALESCE(currency, ''),
		COUNT(*) FILTER (WHERE final),
		COUNT(*),
		COUNT(*) FILTER (WHERE final AND error_code <> ''),
		COALESCE(SUM(prompt_tokens) FILTER (WHERE final), 0),
		COALESCE(SUM(completion_tokens) FILTER (WHERE final), 0),
		COALESCE(SUM(total_tokens) FILTER (WHERE final), 0),
		COALESCE(SUM(cached_tokens) FILTER (WHERE final), 0),
		COALESCE(SUM(cost_total) FILTER (WHERE final), 0),
		COUNT(*) FILTER (WHERE final AND cost_total IS NOT NULL),
		COUNT(*) FILTER (WHERE final AND cost_total IS NULL)
	FROM new_rows
	GROUP BY 1, 2, 3, 4, 5, 6
	ORDER BY 1, 2, 3, 4, 5, 6
	ON CONFLICT (bucket, client_id, user_id, provider, model, currency) DO UPDATE SET
		requests = r.requests + excluded.requests,
		attempts = r.attempts + excluded.attempts,
		errors = r.errors + excluded.errors,
		prompt_tokens = r.prompt_tokens + excluded.prompt_tokens,
		completion_tokens = r.completion_tokens + excluded.completion_tokens,
		total_tokens = r.total_tokens + excluded.total_tokens,
		cached_tokens = r.cached_tokens + excluded.cached_tokens,
		cost = r.cost + excluded.cost,
		priced = r.priced + excluded.priced,
		unpriced = r.unpriced + excluded.unpriced;
	RETURN NULL;
END
$$;

-- No batch may commit between the backfill's snapshot and the trigger's
-- creation, or it would be missed: this lock waits for the writers in
-- flight and holds new ones until the migration commits.
LOCK TABLE ledger IN SHARE ROW EXCLUSIVE MODE;

DROP TRIGGER IF EXISTS ledger_roll_up ON ledger;
CREATE TRIGGER ledger_roll_up AFTER INSERT ON ledger
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION ledger_roll_up();

-- The backfill recomputes the rollups from the ledger, so running it again
-- gives the same tables.
DELETE FROM usage_hourly;
DELETE FROM usage_daily;
DELETE FROM usage_hourly_all_users;
DELETE FROM usage_daily_all_users;

INSERT INTO usage_hourly AS r (bucket, client_id, user_id, provider, model, currency, requests, attempts, errors, prompt_tokens, completion_tokens, total_tokens, cached_tokens, cost, priced, unpriced)
SELECT ts / 3600000000000 - (ts % 3600000000000 < 0)::int, client_id, user_id, provider, model, COALESCE(currency, ''),
	COUNT(*) FILTER (WHERE final),
	COUNT(*),
	COUNT(*) FILTER (WHERE final AND error_code <> ''),
	COALESCE(SUM(prompt_tokens) FILTER (WHERE final), 0),
	COALESCE(SUM(completion_tokens) FILTER (WHERE final), 0),
	COALESCE(SUM(total_tokens) FILTER (WHERE final), 0),
	COALESCE(SUM(cached_tokens) FILTER (WHERE final), 0),
	COALESCE(SUM(cost_total) FILTER (WHERE final), 0),
	COUNT(*) FILTER (WHERE final AND cost_total IS NOT NULL),
	COUNT(*) FILTER (WHERE final AND cost_total IS NULL)
FROM ledger
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6;

INSERT INTO usage_daily AS r (bucket, client_id, user_id, provider, model, currency, requests, attempts, errors, prompt_tokens, completion_tokens, total_tokens, cached_tokens, cost, priced, unpriced)
SELECT ts / 86400000000000 - (ts % 86400000000000 < 0)::int, client_id, user_id, provider, model, COALESCE(currency, ''),
	COUNT(*) FILTER (WHERE final),
	COUNT(*),
	COUNT(*) FILTER (WHERE final AND error_code <> ''),
	COALESCE(SUM(prompt_tokens) FILTER (WHERE final), 0),
	COALESCE(SUM(completion_tokens) FILTER (WHERE final), 0),
	COALESCE(SUM(total_tokens) FILTER (WHERE final), 0),
	COALESCE(SUM(cached_tokens) FILTER (WHERE final), 0),
	COALESCE(SUM(cost_total) FILTER (WHERE final), 0),
	COUNT(*) FILTER (WHERE final AND cost_total IS NOT NULL),
	COUNT(*) FILTER (WHERE final AND cost_total IS NULL)
FROM ledger
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6;

INSERT INTO usage_hourly_all_users AS r (bucket, client_id, user_id, provider, model, currency, requests, attempts, errors, prompt_tokens, completion_tokens, total_tokens, cached_tokens, cost, priced, unpriced)
SELECT ts / 3600000000000 - (ts % 3600000000000 < 0)::int, client_id, '', provider, model, COALESCE(currency, ''),
	COUNT(*) FILTER (WHERE final),
	COUNT(*),
	COUNT(*) FILTER (WHERE final AND error_code <> ''),
	COALESCE(SUM(prompt_tokens) FILTER (WHERE final), 0),
	COALESCE(SUM(completion_tokens) FILTER (WHERE final), 0),
	COALESCE(SUM(total_tokens) FILTER (WHERE final), 0),
	COALESCE(SUM(cached_tokens) FILTER (WHERE final), 0),
	COALESCE(SUM(cost_total) FILTER (WHERE final), 0),
	COUNT(*) FILTER (WHERE final AND cost_total IS NOT NULL),
	COUNT(*) FILTER (WHERE final AND cost_total IS NULL)
FROM ledger
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6;

INSERT INTO usage_daily_all_users AS r (bucket, client_id, user_id, provider, model, currency, requests, attempts, errors, prompt_tokens, completion_tokens, total_tokens, cached_tokens, cost, priced, unpriced)
SELECT ts / 86400000000000 - (ts % 86400000000000 < 0)::int, client_id, '', provider, model, COALESCE(currency, ''),
	COUNT(*) FILTER (WHERE final),
	COUNT(*),
	COUNT(*) FILTER (WHERE final AND error_code <> ''),
	COALESCE(SUM(prompt_tokens) FILTER (WHERE final), 0),
	COALESCE(SUM(completion_tokens) FILTER (WHERE final), 0),
	COALESCE(SUM(total_tokens) FILTER (WHERE final), 0),
	COALESCE(SUM(cached_tokens) FILTER (WHERE final), 0),
	COALESCE(SUM(cost_total) FILTER (WHERE final), 0),
	COUNT(*) FILTER (WHERE final AND cost_total IS NOT NULL),
	COUNT(*) FILTER (WHERE final AND cost_total IS NULL)
FROM ledger
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6;

