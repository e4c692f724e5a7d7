-- Accounts (TabaPay-style stored payment instruments with their holder) and ISO sub-clients.

-- An ISO's sub-client: a tenant of its own, addressed as `{ClientID}_{SubClientID}` under its
-- parent. The number is 4, 6 or 8 digits and unique under one parent.
ALTER TABLE tenants ADD COLUMN sub_client_id TEXT
    CHECK (sub_client_id IS NULL OR (length(sub_client_id) IN (4, 6, 8) AND sub_client_id NOT GLOB '*[^0-9]*'));

CREATE UNIQUE INDEX tenants_by_sub_client ON tenants (parent_id, sub_client_id) WHERE sub_client_id IS NOT NULL;

-- One row per account. A card account's token is also the token of its row in `cards` (so the
-- native API reveals it); a bank account keeps its number here, sealed like a card. The holder's
-- details are sealed too: they are personal data. Deleting an account keeps a tombstone (so a
-- second delete can say "gone") and overwrites every sealed column with an empty blob.
-- A rowid table: "most recent first" for duplicates and referenceID lookups is rowid order.
CREATE TABLE accounts (
    token            TEXT PRIMARY KEY NOT NULL,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id),
    reference_id     TEXT,
    -- 1 when the account was created with a duplicate-card check, and so takes part in later ones.
    duplicate_check  INTEGER NOT NULL CHECK (duplicate_check IN (0, 1)),
    -- AES-256-GCM under data key key_version; AAD = kind || tenant || token || key version.
    sealed_holder    BLOB NOT NULL,
    key_version      INTEGER NOT NULL REFERENCES data_keys (version),
    -- Bank accounts only (all NULL for a card account).
    sealed_bank_number  BLOB,
    bank_fingerprint    BLOB,
    bank_routing_number TEXT,
    bank_account_type   TEXT,
    bank_last4          TEXT,
    created_at       INTEGER NOT NULL,
    deleted_at       INTEGER,
    CHECK ((sealed_bank_number IS NULL) = (bank_routing_number IS NULL))
) STRICT;

CREATE INDEX accounts_by_reference ON accounts (tenant_id, reference_id) WHERE reference_id IS NOT NULL;
CREATE INDEX accounts_by_bank_fingerprint ON accounts (tenant_id, bank_fingerprint) WHERE bank_fingerprint IS NOT NULL;
