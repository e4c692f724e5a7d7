-- Per-key rate limits: a token bucket (refill per second, burst) for each metered operation of an
-- API key, set when the key is made. NULL in both columns of an operation = unlimited; the pair is
-- set or unset together. The buckets themselves live in each server's memory.
ALTER TABLE api_keys ADD COLUMN tokenize_per_second REAL CHECK (tokenize_per_second > 0);
ALTER TABLE api_keys ADD COLUMN tokenize_burst REAL
    CHECK ((tokenize_burst IS NULL) = (tokenize_per_second IS NULL) AND (tokenize_burst IS NULL OR tokenize_burst >= 1));
ALTER TABLE api_keys ADD COLUMN reveal_per_second REAL CHECK (reveal_per_second > 0);
ALTER TABLE api_keys ADD COLUMN reveal_burst REAL
    CHECK ((reveal_burst IS NULL) = (reveal_per_second IS NULL) AND (reveal_burst IS NULL OR reveal_burst >= 1));
ALTER TABLE api_keys ADD COLUMN duplicates_per_second REAL CHECK (duplicates_per_second > 0);
ALTER TABLE api_keys ADD COLUMN duplicates_burst REAL
    CHECK ((duplicates_burst IS NULL) = (duplicates_per_second IS NULL) AND (duplicates_burst IS NULL OR duplicates_burst >= 1));

-- Keys made before limits existed get the defaults of this release: admin keys stay unlimited;
-- every other key may receive 5 duplicate answers a second after a burst of 100
-- (RateLimits.defaultDuplicateRate).
UPDATE api_keys SET duplicates_per_second = 5, duplicates_burst = 100
WHERE ',' || roles || ',' NOT LIKE '%,admin,%';
