-- Coffer schema, version 1.
-- Conventions: STRICT tables; timestamps are INTEGER milliseconds since 1970 (UTC); identifiers
-- are 22-character Base64URL TEXT; secrets appear only wrapped under the master key or as card
-- ciphertext. Applied by the migrator inside one transaction; do not add BEGIN/COMMIT here.
-- Never edit this file once released: add 0002_….sql instead.

-- Small named values, e.g. the master-key check value.
CREATE TABLE metadata (
    key   TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE tenants (
    id                      TEXT PRIMARY KEY NOT NULL,
    name                    TEXT NOT NULL,
    parent_id               TEXT REFERENCES tenants (id),
    wrapped_fingerprint_key BLOB NOT NULL,
    created_at              INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX tenants_by_parent ON tenants (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    secret_hash BLOB NOT NULL UNIQUE,
    -- Role raw values, sorted, comma-separated (e.g. "admin,reveal").
    roles       TEXT NOT NULL,
    label       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
) STRICT, WITHOUT ROWID;

CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, created_at);

-- Versions of the data key that encrypts card numbers; the highest is active.
CREATE TABLE data_keys (
    version     INTEGER PRIMARY KEY CHECK (version >= 1),
    wrapped_key BLOB NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

-- RSA key pairs a tenant's clients encrypt card data to. On delete the wrapped private key is
-- overwritten with an empty blob (secure_delete clears the old bytes) and deleted_at is set.
CREATE TABLE card_data_keys (
    id                  TEXT PRIMARY KEY NOT NULL,
    tenant_id           TEXT NOT NULL REFERENCES tenants (id),
    wrapped_private_key BLOB NOT NULL,
    public_key_der      BLOB NOT NULL,
    created_at          INTEGER NOT NULL,
    expires_at          INTEGER NOT NULL,
    deleted_at          INTEGER
) STRICT, WITHOUT ROWID;

CREATE INDEX card_data_keys_by_tenant ON card_data_keys (tenant_id, created_at);

-- A rowid table on purpose: rowid order is insertion order, which "oldest first" for
-- duplicates needs (timestamps tie within a millisecond).
CREATE TABLE cards (
    token       TEXT PRIMARY KEY NOT NULL,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    -- AES-256-GCM nonce || ciphertext || tag; AAD = tenant || token || key version.
    ciphertext  BLOB NOT NULL,
    key_version INTEGER NOT NULL REFERENCES data_keys (version),
    -- HMAC-SHA256 of the PAN digits under the tenant's fingerprint key.
    fingerprint BLOB NOT NULL,
    bin         TEXT NOT NULL,
    last4       TEXT NOT NULL,
    brand       TEXT NOT NULL,
    -- YYYYMM, or NULL when unknown.
    expiration  TEXT CHECK (expiration IS NULL OR (length(expiration) = 6 AND expiration NOT GLOB '*[^0-9]*')),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX cards_by_fingerprint ON cards (tenant_id, fingerprint);
CREATE INDEX cards_by_key_version ON cards (key_version);

-- Append-only, hash-chained audit log (see AuditChain). tenant_id has no foreign key so that
-- the log outlives anything it mentions.
CREATE TABLE audit_log (
    sequence      INTEGER PRIMARY KEY,
    timestamp_ms  INTEGER NOT NULL,
    tenant_id     TEXT,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    subject       TEXT,
    outcome       TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
    previous_hash BLOB NOT NULL,
    hash          BLOB NOT NULL
) STRICT;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
