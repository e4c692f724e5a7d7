-- Card profile sync (the connectFi dialect): logins that open sessions, customers, the vault cards
-- linked to them, and each card's cardholder profile. Nothing personal is stored in the clear: a
-- customer's reference, names, email, phones and addresses are sealed (AES-256-GCM under data key
-- key_version, AAD = kind || tenant || row id || version); the reference is found again through a
-- keyed MAC, a login name through a keyed MAC, a password through its scrypt hash, a session token
-- through its SHA-256. Cards are named by their vault token: no PAN here.

-- A login of a tenant. login_mac = HMAC-SHA256 under a key derived from the audit key (the login
-- arrives before the tenant is known); unique across tenants.
CREATE TABLE profile_logins (
    id            TEXT PRIMARY KEY NOT NULL,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    login_mac     BLOB NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- A session opened by POST /auth/get-token: only the SHA-256 of its random token. Removing the
-- login removes its sessions.
CREATE TABLE profile_sessions (
    token_hash BLOB PRIMARY KEY NOT NULL,
    login_id   TEXT NOT NULL REFERENCES profile_logins (id) ON DELETE CASCADE,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX profile_sessions_login ON profile_sessions (login_id);

-- A customer: its whole document (reference, type, personal data) sealed; reference_mac =
-- HMAC-SHA256 of the reference under a key derived from the tenant's fingerprint key. revision
-- guards read-modify-write updates.
CREATE TABLE profile_customers (
    id             TEXT PRIMARY KEY NOT NULL,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    reference_mac  BLOB NOT NULL,
    sealed_profile BLOB NOT NULL,
    key_version    INTEGER NOT NULL REFERENCES data_keys (version),
    revision       INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    UNIQUE (tenant_id, reference_mac)
) STRICT, WITHOUT ROWID;

-- A vault card linked to a customer. The card's reference and its synced cardholder profile are
-- sealed, each nullable (no reference given; never synced). No foreign key to cards: the vault
-- card may be deleted while the link is kept.
CREATE TABLE profile_cards (
    id               TEXT PRIMARY KEY NOT NULL,
    tenant_id        TEXT NOT NULL REFERENCES tenants (id),
    customer_id      TEXT NOT NULL REFERENCES profile_customers (id),
    vault_token      TEXT NOT NULL,
    sealed_reference BLOB,
    sealed_profile   BLOB,
    key_version      INTEGER NOT NULL REFERENCES data_keys (version),
    created_at       INTEGER NOT NULL,
    synced_at        INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX profile_cards_customer ON profile_cards (tenant_id, customer_id);
