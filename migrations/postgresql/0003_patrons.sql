-- Ticket Evolution's clients ("patrons" in the core), their addresses, phone numbers and verified
-- credit cards, and the signed credentials (X-Token + X-Signature) that reach them, as SQLite's
-- 0015_patrons.sql. Personal data sealed under a data key; a card is a vault card (cards.token)
-- and only its token is kept here. Ids are TEvo's integers as decimal text (rotation pages every
-- sealed table by text primary key). `rowid`: lists come in the order created.

-- The token is found by its SHA-256; the secret is sealed (each request's HMAC needs it), and
-- wiped when revoked.
CREATE TABLE signing_credentials (
    rowid         int8 GENERATED ALWAYS AS IDENTITY UNIQUE,
    id            text PRIMARY KEY,
    tenant_id     text NOT NULL REFERENCES tenants (id),
    token_hash    bytea NOT NULL UNIQUE,
    label         text NOT NULL,
    sealed_secret bytea,
    key_version   int8 REFERENCES data_keys (version),
    created_at    int8 NOT NULL,
    revoked_at    int8,
    CHECK ((sealed_secret IS NULL) = (key_version IS NULL)),
    CHECK ((revoked_at IS NULL) = (sealed_secret IS NOT NULL))
);

CREATE TABLE patrons (
    rowid          int8 GENERATED ALWAYS AS IDENTITY UNIQUE,
    id             text PRIMARY KEY,
    tenant_id      text NOT NULL REFERENCES tenants (id),
    sealed_profile bytea NOT NULL,
    key_version    int8 NOT NULL REFERENCES data_keys (version),
    created_at     int8 NOT NULL
);
CREATE INDEX patrons_tenant ON patrons (tenant_id);

-- Addresses and phone numbers: the same shape, told apart by kind.
CREATE TABLE patron_contacts (
    rowid          int8 GENERATED ALWAYS AS IDENTITY UNIQUE,
    id             text PRIMARY KEY,
    tenant_id      text NOT NULL REFERENCES tenants (id),
    patron_id      text NOT NULL REFERENCES patrons (id),
    kind           text NOT NULL CHECK (kind IN ('address', 'phone_number')),
    sealed_details bytea NOT NULL,
    key_version    int8 NOT NULL REFERENCES data_keys (version),
    created_at     int8 NOT NULL
);
CREATE INDEX patron_contacts_patron ON patron_contacts (tenant_id, patron_id, kind);

-- No foreign key to cards: the native API may delete the vault card, and the list then skips it.
CREATE TABLE patron_cards (
    rowid           int8 GENERATED ALWAYS AS IDENTITY UNIQUE,
    id              text PRIMARY KEY,
    tenant_id       text NOT NULL REFERENCES tenants (id),
    patron_id       text NOT NULL REFERENCES patrons (id),
    token           text NOT NULL,
    address_id      text NOT NULL REFERENCES patron_contacts (id),
    phone_number_id text NOT NULL REFERENCES patron_contacts (id),
    sealed_details  bytea NOT NULL,
    key_version     int8 NOT NULL REFERENCES data_keys (version),
    created_at      int8 NOT NULL
);
CREATE INDEX patron_cards_patron ON patron_cards (tenant_id, patron_id);
