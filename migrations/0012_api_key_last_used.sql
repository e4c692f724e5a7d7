-- When each API key last authenticated a request, to the minute: each node records a key's use
-- at most once a minute, so the column costs one write per key per minute, not one per request.
-- NULL: not used since this column exists.
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
