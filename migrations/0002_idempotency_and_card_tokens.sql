-- Idempotent POSTs and single-use card tokens.

-- The first response to a POST carrying an Idempotency-Key, written in the same transaction as
-- what the POST did, so a retry can never act twice. The body is AES-256-GCM sealed under data
-- key `key_version` (some responses carry a secret, such as a new API key, exactly once).
CREATE TABLE idempotency_keys (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    key          TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    status       INTEGER NOT NULL,
    sealed_body  BLOB NOT NULL,
    key_version  INTEGER NOT NULL REFERENCES data_keys (version),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key)
) STRICT, WITHOUT ROWID;

CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

-- Single-use card tokens: card number and expiration sealed like a card (never a security code),
-- deleted by the first request that presents them, or when they expire.
CREATE TABLE card_tokens (
    token       TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    ciphertext  BLOB NOT NULL,
    key_version INTEGER NOT NULL REFERENCES data_keys (version),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX card_tokens_by_expiry ON card_tokens (expires_at);
