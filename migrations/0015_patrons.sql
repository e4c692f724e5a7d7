-- Ticket Evolution's clients ("patrons" in the core), their addresses, phone numbers and verified
-- credit cards, and the signed credentials (X-Token + X-Signature) that reach them. Personal data
-- is sealed under a data key (AES-256-GCM, AAD = kind || tenant || row id || key version); a card
-- is a vault card (cards.token) and only its token is kept here.
--
-- Ids are the integers TEvo's API shows, drawn at random below 2^53 and stored as their decimal
-- text: rotation batches every sealed table in primary-key order starting after '', which an
-- INTEGER key would never follow.

-- The token is looked up by its SHA-256 (256 random bits: no dictionary to try); the secret must
-- be recoverable to check each request's HMAC, so it is sealed, and wiped when revoked.
CREATE TABLE signing_credentials (
    id            TEXT PRIMARY KEY NOT NULL,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    token_hash    BLOB NOT NULL UNIQUE,
    label         TEXT NOT NULL,
    sealed_secret BLOB,
    key_version   INTEGER REFERENCES data_keys (version),
    created_at    INTEGER NOT NULL,
    revoked_at    INTEGER,
    CHECK ((sealed_secret IS NULL) = (key_version IS NULL)),
    CHECK ((revoked_at IS NULL) = (sealed_secret IS NOT NULL))
) STRICT;

-- A rowid table: lists come in the order created.
CREATE TABLE patrons (
    id             TEXT PRIMARY KEY NOT NULL,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    sealed_profile BLOB NOT NULL,
    key_version    INTEGER NOT NULL REFERENCES data_keys (version),
    created_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX patrons_tenant ON patrons (tenant_id);

-- Addresses and phone numbers: the same shape, told apart by kind.
CREATE TABLE patron_contacts (
    id             TEXT PRIMARY KEY NOT NULL,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    patron_id      TEXT NOT NULL REFERENCES patrons (id),
    kind           TEXT NOT NULL CHECK (kind IN ('address', 'phone_number')),
    sealed_details BLOB NOT NULL,
    key_version    INTEGER NOT NULL REFERENCES data_keys (version),
    created_at     INTEGER NOT NULL
) STRICT;
CREATE INDEX patron_contacts_patron ON patron_contacts (tenant_id, patron_id, kind);

-- The card number lives in cards (sealed there); label and cardholder name are sealed here. No
-- foreign key to cards: the native API may delete the vault card, and the list then skips it.
CREATE TABLE patron_cards (
    id              TEXT PRIMARY KEY NOT NULL,
    tenant_id       TEXT NOT NULL REFERENCES tenants (id),
    patron_id       TEXT NOT NULL REFERENCES patrons (id),
    token           TEXT NOT NULL,
    address_id      TEXT NOT NULL REFERENCES patron_contacts (id),
    phone_number_id TEXT NOT NULL REFERENCES patron_contacts (id),
    sealed_details  BLOB NOT NULL,
    key_version     INTEGER NOT NULL REFERENCES data_keys (version),
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX patron_cards_patron ON patron_cards (tenant_id, patron_id);
