-- The inTandem (vcita) platform dialect: a tenant's payment-gateway settings, its platform
-- clients, and the cards it syncs from the gateway. The gateway holds the card numbers: these
-- tables keep only what the gateway shows (brand, last 4, expiration), never a PAN.

-- One row per tenant, merged by each settings update. The Stripe access token is a secret:
-- AES-256-GCM under data key key_version; AAD = kind || tenant || tenant || key version.
CREATE TABLE payment_settings (
    tenant_id                  TEXT PRIMARY KEY NOT NULL REFERENCES tenants (id),
    stripe_user_id             TEXT,
    sealed_stripe_access_token BLOB,
    key_version                INTEGER REFERENCES data_keys (version),
    payments_gateway_type      TEXT,
    payments_enabled           INTEGER NOT NULL CHECK (payments_enabled IN (0, 1)),
    allow_credit_card          INTEGER NOT NULL CHECK (allow_credit_card IN (0, 1)),
    updated_at                 INTEGER NOT NULL,
    CHECK ((sealed_stripe_access_token IS NULL) = (key_version IS NULL))
) STRICT, WITHOUT ROWID;

-- A client of the tenant's business. Name and email are personal data: sealed like an account
-- holder (AAD = kind || tenant || client id || key version).
CREATE TABLE platform_clients (
    id             TEXT PRIMARY KEY NOT NULL,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    sealed_profile BLOB NOT NULL,
    key_version    INTEGER NOT NULL REFERENCES data_keys (version),
    created_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- A card held by the external gateway, as synced. Deleting one removes the row (secure_delete
-- overwrites it). A rowid table: "in the order synced" is rowid order.
CREATE TABLE gateway_cards (
    id                     TEXT PRIMARY KEY NOT NULL,
    tenant_id              TEXT NOT NULL REFERENCES tenants (id),
    client_id              TEXT NOT NULL REFERENCES platform_clients (id),
    customer_id            TEXT NOT NULL,
    external_card_id       TEXT NOT NULL,
    payment_provider       TEXT NOT NULL,
    -- cards.token of the same tenant when the caller linked a card held in Coffer. No foreign
    -- key: the vault card may be deleted while the gateway still holds its copy.
    vault_token            TEXT,
    brand                  TEXT NOT NULL,
    -- Sealed like the client's profile (AAD binds it to this row's id).
    sealed_cardholder_name BLOB NOT NULL,
    key_version            INTEGER NOT NULL REFERENCES data_keys (version),
    exp_month              INTEGER NOT NULL CHECK (exp_month BETWEEN 1 AND 12),
    exp_year               INTEGER NOT NULL CHECK (exp_year BETWEEN 1000 AND 9999),
    last4                  TEXT NOT NULL CHECK (length(last4) = 4 AND last4 NOT GLOB '*[^0-9]*'),
    is_default             INTEGER NOT NULL CHECK (is_default IN (0, 1)),
    staff_id               TEXT NOT NULL,
    staff_name             TEXT NOT NULL,
    created_at             INTEGER NOT NULL
) STRICT;

-- Belt and braces for rules the vault checks inside the write transaction: one card per
-- (client, expiration, last 4), and at most one default card per client.
CREATE UNIQUE INDEX gateway_cards_unique ON gateway_cards (tenant_id, client_id, exp_month, exp_year, last4);
CREATE UNIQUE INDEX gateway_cards_default ON gateway_cards (tenant_id, client_id) WHERE is_default = 1;
