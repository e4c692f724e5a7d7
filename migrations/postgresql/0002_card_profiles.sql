-- Card profile sync (the connectFi dialect), as SQLite's 0014_card_profiles.sql: logins that open
-- sessions, customers, the vault cards linked to them, and each card's cardholder profile. Nothing
-- personal in the clear: references, names, email, phones and addresses are sealed (AES-256-GCM
-- under data key key_version); a reference and a login name are found through keyed MACs, a
-- password through its scrypt hash, a session token through its SHA-256. No PAN here.

-- login_mac is unique across tenants (the login arrives before the tenant is known).
CREATE TABLE profile_logins (
    id            text PRIMARY KEY,
    tenant_id     text NOT NULL REFERENCES tenants (id),
    login_mac     bytea NOT NULL UNIQUE,
    password_hash text NOT NULL,
    created_at    int8 NOT NULL
);

-- Removing the login removes its sessions.
CREATE TABLE profile_sessions (
    token_hash bytea PRIMARY KEY,
    login_id   text NOT NULL REFERENCES profile_logins (id) ON DELETE CASCADE,
    tenant_id  text NOT NULL REFERENCES tenants (id),
    expires_at int8 NOT NULL
);
CREATE INDEX profile_sessions_login ON profile_sessions (login_id);

-- revision guards read-modify-write updates.
CREATE TABLE profile_customers (
    id             text PRIMARY KEY,
    tenant_id      text NOT NULL REFERENCES tenants (id),
    reference_mac  bytea NOT NULL,
    sealed_profile bytea NOT NULL,
    key_version    int8 NOT NULL REFERENCES data_keys (version),
    revision       int8 NOT NULL,
    created_at     int8 NOT NULL,
    updated_at     int8 NOT NULL,
    UNIQUE (tenant_id, reference_mac)
);

-- No foreign key to cards: the vault card may be deleted while the link is kept.
CREATE TABLE profile_cards (
    id               text PRIMARY KEY,
    tenant_id        text NOT NULL REFERENCES tenants (id),
    customer_id      text NOT NULL REFERENCES profile_customers (id),
    vault_token      text NOT NULL,
    sealed_reference bytea,
    sealed_profile   bytea,
    key_version      int8 NOT NULL REFERENCES data_keys (version),
    created_at       int8 NOT NULL,
    synced_at        int8
);
CREATE INDEX profile_cards_customer ON profile_cards (tenant_id, customer_id);
