-- The ledger: one row per upstream attempt, or per request that failed
-- before reaching an upstream. ts is Unix nanoseconds UTC, as in the SQLite
-- store, so that [From, To) means the same instants to the nanosecond in
-- both (timestamptz keeps microseconds). Money columns are exact
-- picodollars, NULL when the model is unpriced.
CREATE TABLE ledger (
	id                  BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	ts                  BIGINT   NOT NULL,
	correlation_id      TEXT     NOT NULL,
	user_id             TEXT     NOT NULL,
	client_id           TEXT     NOT NULL,
	operation           TEXT     NOT NULL,
	api                 TEXT     NOT NULL,
	provider            TEXT     NOT NULL,
	model               TEXT     NOT NULL,
	deployment          TEXT     NOT NULL,
	attempt             INTEGER  NOT NULL,
	final               BOOLEAN  NOT NULL,
	stream              BOOLEAN  NOT NULL,
	prompt_tokens       BIGINT   NOT NULL,
	completion_tokens   BIGINT   NOT NULL,
	total_tokens        BIGINT   NOT NULL,
	cached_tokens       BIGINT   NOT NULL,
	cache_write_tokens  BIGINT   NOT NULL,
	reasoning_tokens    BIGINT   NOT NULL,
	estimated           BOOLEAN  NOT NULL,
	cost_input          BIGINT,
	cost_output         BIGINT,
	cost_total          BIGINT,
	currency            TEXT,
	latency_us          BIGINT   NOT NULL,
	upstream_latency_us BIGINT   NOT NULL,
	status              INTEGER  NOT NULL,
	error_code          TEXT     NOT NULL
);

-- Usage always filters on a time range; the client and user filters come
-- first in their indexes so that a per-client or per-user report reads only
-- that client's or user's rows.
CREATE INDEX ledger_ts ON ledger (ts);
CREATE INDEX ledger_client_ts ON ledger (client_id, ts);
CREATE INDEX ledger_user_ts ON ledger (user_id, ts);
