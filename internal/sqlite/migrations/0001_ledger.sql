-- The ledger: one row per upstream attempt, or per request that failed
-- before reaching an upstream. ts is Unix nanoseconds UTC so that range
-- queries compare integers through an index; money columns are exact
-- picodollars, NULL when the model is unpriced.
CREATE TABLE ledger (
	id                  INTEGER PRIMARY KEY,
	ts                  INTEGER NOT NULL,
	correlation_id      TEXT    NOT NULL,
	user_id             TEXT    NOT NULL,
	client_id           TEXT    NOT NULL,
	operation           TEXT    NOT NULL,
	api                 TEXT    NOT NULL,
	provider            TEXT    NOT NULL,
	model               TEXT    NOT NULL,
	deployment          TEXT    NOT NULL,
	attempt             INTEGER NOT NULL,
	final               INTEGER NOT NULL CHECK (final IN (0, 1)),
	stream              INTEGER NOT NULL CHECK (stream IN (0, 1)),
	prompt_tokens       INTEGER NOT NULL,
	completion_tokens   INTEGER NOT NULL,
	total_tokens        INTEGER NOT NULL,
	cached_tokens       INTEGER NOT NULL,
	cache_write_tokens  INTEGER NOT NULL,
	reasoning_tokens    INTEGER NOT NULL,
	estimated           INTEGER NOT NULL CHECK (estimated IN (0, 1)),
	cost_input          INTEGER,
	cost_output         INTEGER,
	cost_total          INTEGER,
	currency            TEXT,
	latency_us          INTEGER NOT NULL,
	upstream_latency_us INTEGER NOT NULL,
	status              INTEGER NOT NULL,
	error_code          TEXT    NOT NULL
);

-- Usage always filters on a time range; the client and user filters come
-- first in their indexes so that a per-client or per-user report reads only
-- that client's or user's rows.
CREATE INDEX ledger_ts ON ledger (ts);
CREATE INDEX ledger_client_ts ON ledger (client_id, ts);
CREATE INDEX ledger_user_ts ON ledger (user_id, ts);
