-- Coffer schema for PostgreSQL, version 1: the SQLite schema of migrations 0001–0013 in one file
-- (no PostgreSQL deployment predates it). It stores exactly what SQLite stores — secrets only
-- wrapped under the master key or sealed under a data key — with the same rules and indexes.
-- Conventions, kept from SQLite so both engines share their statements and row mapping:
-- timestamps are int8 milliseconds since 1970 (UTC); flags are int8 0/1; identifiers are text;
-- secrets and MACs are bytea. Where SQLite orders by its implicit `rowid` ("in the order stored"),
-- the table has an identity column of that name, assigned at insert.
-- Applied by the migrator inside one transaction under an advisory lock; no BEGIN/COMMIT here.
-- Never edit this file once released: add 0002_….sql instead.

-- Small named values, e.g. the master-key check value and the wrapped audit key.
CREATE TABLE metadata (
    key   text PRIMARY KEY,
    value bytea NOT NULL
);

-- A tenant, or an ISO's sub-client (4, 6 or 8 digits, unique under its parent).
CREATE TABLE tenants (
    id                      text PRIMARY KEY,
    name                    text NOT NULL,
    parent_id               text REFERENCES tenants (id),
    wrapped_fingerprint_key bytea NOT NULL,
    created_at              int8 NOT NULL,
    sub_client_id           text CHECK (sub_client_id IS NULL OR sub_client_id ~ '^([0-9]{4}|[0-9]{6}|[0-9]{8})$'),
    -- NULL while enabled; milliseconds of the first disable otherwise.
    disabled_at             int8
);

CREATE INDEX tenants_by_parent ON tenants (parent_id) WHERE parent_id IS NOT NULL;
CREATE UNIQUE INDEX tenants_by_sub_client ON tenants (parent_id, sub_client_id) WHERE sub_client_id IS NOT NULL;

-- API keys: only a hash of the secret. Roles are raw values, sorted, comma-separated. Rate limits:
-- refill per second and burst per metered operation, both NULL when unlimited.
CREATE TABLE api_keys (
    id                    text PRIMARY KEY,
    tenant_id             text NOT NULL REFERENCES tenants (id),
    secret_hash           bytea NOT NULL UNIQUE,
    roles                 text NOT NULL,
    label                 text NOT NULL,
    created_at            int8 NOT NULL,
    revoked_at            int8,
    tokenize_per_second   float8 CHECK (tokenize_per_second > 0),
    tokenize_burst        float8
        CHECK ((tokenize_burst IS NULL) = (tokenize_per_second IS NULL) AND (tokenize_burst IS NULL OR tokenize_burst >= 1)),
    reveal_per_second     float8 CHECK (reveal_per_second > 0),
    reveal_burst          float8
        CHECK ((reveal_burst IS NULL) = (reveal_per_second IS NULL) AND (reveal_burst IS NULL OR reveal_burst >= 1)),
    duplicates_per_second float8 CHECK (duplicates_per_second > 0),
    duplicates_burst      float8
        CHECK ((duplicates_burst IS NULL) = (duplicates_per_second IS NULL) AND (duplicates_burst IS NULL OR duplicates_burst >= 1)),
    -- To the minute: each node records a key's use at most once a minute.
    last_used_at          int8
);

CREATE INDEX api_keys_by_tenant ON api_keys (tenant_id, created_at);

-- Versions of the data key (wrapped under the master key); the highest is active.
CREATE TABLE data_keys (
    version     int8 PRIMARY KEY CHECK (version >= 1),
    wrapped_key bytea NOT NULL,
    created_at  int8 NOT NULL
);

-- RSA key pairs a tenant's clients encrypt card data to. On delete the wrapped private key is
-- replaced by an empty value and deleted_at is set.
CREATE TABLE card_data_keys (
    id                  text PRIMARY KEY,
    tenant_id           text NOT NULL REFERENCES tenants (id),
    wrapped_private_key bytea NOT NULL,
    public_key_der      bytea NOT NULL,
    created_at          int8 NOT NULL,
    expires_at          int8 NOT NULL,
    deleted_at          int8
);

CREATE INDEX card_data_keys_by_tenant ON card_data_keys (tenant_id, created_at);

-- Cards: AES-256-GCM nonce || ciphertext || tag (AAD = tenant || token || key version), and an
-- HMAC-SHA256 fingerprint of the PAN under the tenant's fingerprint key. `rowid` is insertion
-- order, which "oldest first" for duplicates needs (timestamps tie within a millisecond).
CREATE TABLE cards (
    rowid       int8 GENERATED ALWAYS AS IDENTITY UNIQUE,
    token       text PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenants (id),
    ciphertext  bytea NOT NULL,
    key_version int8 NOT NULL REFERENCES data_keys (version),
    fingerprint bytea NOT NULL,
    bin         text NOT NULL,
    last4       text NOT NULL,
    brand       text NOT NULL,
    -- YYYYMM, or NULL when unknown.
    expiration  text CHECK (expiration IS NULL OR expiration ~ '^[0-9]{6}$'),
    created_at  int8 NOT NULL,
    updated_at  int8 NOT NULL
);

CREATE INDEX cards_by_fingerprint ON cards (tenant_id, fingerprint);
CREATE INDEX cards_by_key_version ON cards (key_version);

-- Append-only, MAC-chained audit log (see AuditChain). The primary key on `sequence` is what
-- keeps the chain one chain across nodes: two appends after the same head cannot both commit.
-- tenant_id has no foreign key so that the log outlives anything it mentions.
CREATE TABLE audit_log (
    sequence      int8 PRIMARY KEY,
    timestamp_ms  int8 NOT NULL,
    tenant_id     text,
    actor         text NOT NULL,
    action        text NOT NULL,
    subject       text,
    outcome       text NOT NULL CHECK (outcome IN ('success', 'failure')),
    previous_hash bytea NOT NULL,
    hash          bytea NOT NULL,
    source        text,
    request_id    text,
    count         int8 NOT NULL DEFAULT 1 CHECK (count >= 1),
    chain_version int8 NOT NULL DEFAULT 1 CHECK (chain_version IN (1, 2))
);

-- Refused as an integrity rule (SQLSTATE 23001), as SQLite's RAISE(ABORT) is a constraint failure.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only'
        USING ERRCODE = 'restrict_violation', CONSTRAINT = 'audit_log_append_only', TABLE = 'audit_log';
END
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Single-use card tokens: card number and expiration sealed like a card (never a security code),
-- deleted by the first request that presents them, or when they expire.
CREATE TABLE card_tokens (
    token       text PRIMARY KEY,
    tenant_id   text NOT NULL REFERENCES tenants (id),
    ciphertext  bytea NOT NULL,
    key_version int8 NOT NULL REFERENCES data_keys (version),
    created_at  int8 NOT NULL,
    expires_at  int8 NOT NULL
);

CREATE INDEX card_tokens_by_expiry ON card_tokens (expires_at);

-- Accounts (stored payment instruments with their holder, sealed). Deleting one keeps a
-- tombstone whose sealed columns are emptied. `rowid`: "most recent first" is insertion order.
CREATE TABLE accounts (
    rowid               int8 GENERATED ALWAYS AS IDENTITY UNIQUE,
    token               text PRIMARY KEY,
    tenant_id           text NOT NULL REFERENCES tenants (id),
    reference_id        text,
    duplicate_check     int8 NOT NULL CHECK (duplicate_check IN (0, 1)),
    sealed_holder       bytea NOT NULL,
    key_version         int8 NOT NULL REFERENCES data_keys (version),
    sealed_bank_number  bytea,
    bank_fingerprint    bytea,
    bank_routing_number text,
    bank_account_type   text,
    bank_last4          text,
    created_at          int8 NOT NULL,
    deleted_at          int8,
    CHECK ((sealed_bank_number IS NULL) = (bank_routing_number IS NULL))
);

CREATE INDEX accounts_by_reference ON accounts (tenant_id, reference_id) WHERE reference_id IS NOT NULL;
CREATE INDEX accounts_by_bank_fingerprint ON accounts (tenant_id, bank_fingerprint) WHERE bank_fingerprint IS NOT NULL;

-- The platform dialect: gateway settings (the Stripe access token sealed), clients (profile
-- sealed) and the cards the gateway holds (never a PAN; `rowid` is the order synced).
CREATE TABLE payment_settings (
    tenant_id                  text PRIMARY KEY REFERENCES tenants (id),
    stripe_user_id             text,
    sealed_stripe_access_token bytea,
    key_version                int8 REFERENCES data_keys (version),
    payments_gateway_type      text,
    payments_enabled           int8 NOT NULL CHECK (payments_enabled IN (0, 1)),
    allow_credit_card          int8 NOT NULL CHECK (allow_credit_card IN (0, 1)),
    updated_at                 int8 NOT NULL,
    CHECK ((sealed_stripe_access_token IS NULL) = (key_version IS NULL))
);

CREATE TABLE platform_clients (
    id             text PRIMARY KEY,
    tenant_id      text NOT NULL REFERENCES tenants (id),
    sealed_profile bytea NOT NULL,
    key_version    int8 NOT NULL REFERENCES data_keys (version),
    created_at     int8 NOT NULL
);

CREATE TABLE gateway_cards (
    rowid                  int8 GENERATED ALWAYS AS IDENTITY UNIQUE,
    id                     text PRIMARY KEY,
    tenant_id              text NOT NULL REFERENCES tenants (id),
    client_id              text NOT NULL REFERENCES platform_clients (id),
    customer_id            text NOT NULL,
    external_card_id       text NOT NULL,
    payment_provider       text NOT NULL,
    -- cards.token of the same tenant; no foreign key: the vault card may be deleted first.
    vault_token            text,
    brand                  text NOT NULL,
    sealed_cardholder_name bytea NOT NULL,
    key_version            int8 NOT NULL REFERENCES data_keys (version),
    exp_month              int8 NOT NULL CHECK (exp_month BETWEEN 1 AND 12),
    exp_year               int8 NOT NULL CHECK (exp_year BETWEEN 1000 AND 9999),
    last4                  text NOT NULL CHECK (last4 ~ '^[0-9]{4}$'),
    is_default             int8 NOT NULL CHECK (is_default IN (0, 1)),
    staff_id               text NOT NULL,
    staff_name             text NOT NULL,
    created_at             int8 NOT NULL
);

CREATE UNIQUE INDEX gateway_cards_unique ON gateway_cards (tenant_id, client_id, exp_month, exp_year, last4);
CREATE UNIQUE INDEX gateway_cards_default ON gateway_cards (tenant_id, client_id) WHERE is_default = 1;

-- Client sync: clients found by the caller's identifier (personal data sealed), their payment
-- methods (each naming a card or bank account token), the per-tenant SSO secret (wrapped) and
-- the single-use SSO nonces already presented.
CREATE TABLE sync_clients (
    id          text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{24}$'),
    tenant_id   text NOT NULL REFERENCES tenants (id),
    identifier  text NOT NULL,
    sealed_meta bytea NOT NULL,
    key_version int8 NOT NULL REFERENCES data_keys (version),
    created_at  int8 NOT NULL,
    updated_at  int8 NOT NULL,
    UNIQUE (tenant_id, identifier)
);

CREATE TABLE payment_methods (
    rowid           int8 GENERATED ALWAYS AS IDENTITY UNIQUE,
    id              text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{24}$'),
    tenant_id       text NOT NULL REFERENCES tenants (id),
    client_id       text NOT NULL REFERENCES sync_clients (id),
    identifier      text,
    kind            text NOT NULL CHECK (kind IN ('card', 'bank')),
    token           text NOT NULL,
    owns_instrument int8 NOT NULL CHECK (owns_instrument IN (0, 1)),
    sealed_details  bytea NOT NULL,
    key_version     int8 NOT NULL REFERENCES data_keys (version),
    is_default      int8 NOT NULL CHECK (is_default IN (0, 1)),
    created_at      int8 NOT NULL,
    updated_at      int8 NOT NULL
);

CREATE UNIQUE INDEX payment_methods_by_identifier ON payment_methods (client_id, identifier) WHERE identifier IS NOT NULL;
CREATE INDEX payment_methods_by_client ON payment_methods (client_id, created_at);

CREATE TABLE sso_secrets (
    tenant_id      text PRIMARY KEY REFERENCES tenants (id),
    wrapped_secret bytea NOT NULL,
    created_at     int8 NOT NULL
);

CREATE TABLE sso_nonces (
    tenant_id  text NOT NULL REFERENCES tenants (id),
    nonce      text NOT NULL,
    expires_at int8 NOT NULL,
    PRIMARY KEY (tenant_id, nonce)
);

CREATE INDEX sso_nonces_by_expiry ON sso_nonces (expires_at);

-- Idempotency records named and matched by keyed MACs (never the caller's key or an unkeyed hash
-- of a request); the response sealed. Status, body and version are all NULL once something the
-- response named was deleted.
CREATE TABLE idempotency_records (
    tenant_id   text NOT NULL REFERENCES tenants (id),
    lookup      text NOT NULL,
    request_mac bytea NOT NULL,
    status      int8,
    sealed_body bytea,
    key_version int8 REFERENCES data_keys (version),
    created_at  int8 NOT NULL,
    PRIMARY KEY (tenant_id, lookup),
    CHECK ((status IS NULL) = (sealed_body IS NULL) AND (sealed_body IS NULL) = (key_version IS NULL))
);

CREATE INDEX idempotency_records_by_age ON idempotency_records (created_at);

-- What each recorded response names; a subject's tenant may differ from the record's.
CREATE TABLE idempotency_subjects (
    subject   text NOT NULL,
    tenant_id text NOT NULL,
    lookup    text NOT NULL,
    PRIMARY KEY (subject, tenant_id, lookup),
    FOREIGN KEY (tenant_id, lookup) REFERENCES idempotency_records (tenant_id, lookup) ON DELETE CASCADE
);

CREATE INDEX idempotency_subjects_by_record ON idempotency_subjects (tenant_id, lookup);

-- Outbound delivery: written in the producer's transaction; the payload sealed, wiped once delivered.
CREATE TABLE outbox (
    id              text PRIMARY KEY,
    tenant_id       text NOT NULL REFERENCES tenants (id),
    topic           text NOT NULL,
    sealed_payload  bytea,
    key_version     int8,
    state           text NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts        int8 NOT NULL DEFAULT 0,
    next_attempt_at int8 NOT NULL,
    last_error      text,
    created_at      int8 NOT NULL,
    delivered_at    int8,
    CHECK ((sealed_payload IS NULL) = (key_version IS NULL)),
    CHECK (state = 'delivered' OR sealed_payload IS NOT NULL)
);

CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
