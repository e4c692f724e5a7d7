-- Q2-style client sync: clients known by the caller's identifier, their payment methods (each
-- referring to a card or bank account held in the vault by token), and the per-tenant SSO secret.

-- A client of a tenant, found again by the caller's own identifier. `id` is 24 lowercase hex
-- characters (the shape such APIs hand out), random. `sealed_meta` is the client's personal data,
-- AES-256-GCM under data key key_version, AAD bound to the row.
CREATE TABLE sync_clients (
    id          TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 24 AND id NOT GLOB '*[^0-9a-f]*'),
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    identifier  TEXT NOT NULL,
    sealed_meta BLOB NOT NULL,
    key_version INTEGER NOT NULL REFERENCES data_keys (version),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    UNIQUE (tenant_id, identifier)
) STRICT, WITHOUT ROWID;

-- A client's payment method. `token` is a card token (cards.token) or a bank account's token
-- (accounts.token). `owns_instrument` is 0 when the method refers to a card the tenant stored
-- elsewhere (given as a reusable token): replacing or deleting the method never deletes that card.
CREATE TABLE payment_methods (
    id              TEXT PRIMARY KEY NOT NULL CHECK (length(id) = 24 AND id NOT GLOB '*[^0-9a-f]*'),
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    client_id       TEXT NOT NULL REFERENCES sync_clients (id),
    identifier      TEXT,
    kind            TEXT NOT NULL CHECK (kind IN ('card', 'bank')),
    token           TEXT NOT NULL,
    owns_instrument INTEGER NOT NULL CHECK (owns_instrument IN (0, 1)),
    sealed_details  BLOB NOT NULL,
    key_version     INTEGER NOT NULL REFERENCES data_keys (version),
    is_default      INTEGER NOT NULL CHECK (is_default IN (0, 1)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX payment_methods_by_identifier ON payment_methods (client_id, identifier) WHERE identifier IS NOT NULL;
CREATE INDEX payment_methods_by_client ON payment_methods (client_id, created_at);

-- The HMAC key that signs a tenant's SSO tokens, wrapped under the master key.
CREATE TABLE sso_secrets (
    tenant_id      TEXT PRIMARY KEY NOT NULL REFERENCES tenants (id),
    wrapped_secret BLOB NOT NULL,
    created_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Single-use SSO tokens already presented, kept until they would have expired anyway.
CREATE TABLE sso_nonces (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    nonce      TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, nonce)
) STRICT, WITHOUT ROWID;

CREATE INDEX sso_nonces_by_expiry ON sso_nonces (expires_at);
