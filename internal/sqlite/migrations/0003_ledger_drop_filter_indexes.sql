-- Usage reads the ledger itself only for the partial hours at the edges of a
-- range; whole hours and days come from the rollups (0002). Those edge rows
-- are found through ledger_ts, and a client or user filter over at most two
-- hours of rows needs no index of its own. The two indexes cost every
-- insert two more B-tree writes: dropping them cuts the ledger writer's
-- time per row by about 14% (BenchmarkSQLiteInsertBatch) and leaves
-- BenchmarkUsage1M unchanged.
DROP INDEX IF EXISTS ledger_client_ts;
DROP INDEX IF EXISTS ledger_user_ts;
