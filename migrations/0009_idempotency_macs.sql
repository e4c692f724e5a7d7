-- Idempotency records named and matched by keyed MACs. The old table kept the caller's
-- Idempotency-Key verbatim and an unkeyed SHA-256 of the request, whose body holds card numbers,
-- security codes, bank account numbers and owner data: with the BIN, last 4 and expiry stored in
-- `cards`, a PAN and its security code could be recovered from a copy of this file by brute force.
-- Its rows are 24-hour retry records, so they are dropped (secure_delete overwrites their pages);
-- a retry of a request sent before the upgrade is performed again.
DROP TABLE idempotency_keys;

-- `lookup` is Base64URL of HMAC-SHA256 over (tenant, credential, Idempotency-Key) and
-- `request_mac` HMAC-SHA256 over (lookup, method, route, path, body), both under the tenant's
-- idempotency key, derived from its fingerprint key (wrapped by the master key); each API key and
-- each SSO session has records of its own. The body is AES-256-GCM sealed under data key
-- `key_version`. Status, body and version are all NULL once something the response named was
-- deleted: such a record is neither replayed nor performed again.
CREATE TABLE idempotency_records (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    lookup      TEXT NOT NULL,
    request_mac BLOB NOT NULL,
    status      INTEGER,
    sealed_body BLOB,
    key_version INTEGER REFERENCES data_keys (version),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, lookup),
    CHECK ((status IS NULL) = (sealed_body IS NULL) AND (sealed_body IS NULL) = (key_version IS NULL))
) STRICT, WITHOUT ROWID;

CREATE INDEX idempotency_records_by_age ON idempotency_records (created_at);

-- What each recorded response names (card tokens, account ids, payment-method and gateway-card
-- ids): deleting one neutralises the records that name it, in the same transaction. A subject's
-- tenant may differ from the record's (an ISO's request creates a sub-client's account).
CREATE TABLE idempotency_subjects (
    subject   TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    lookup    TEXT NOT NULL,
    PRIMARY KEY (subject, tenant_id, lookup),
    FOREIGN KEY (tenant_id, lookup) REFERENCES idempotency_records (tenant_id, lookup) ON DELETE CASCADE
) STRICT, WITHOUT ROWID;

CREATE INDEX idempotency_subjects_by_record ON idempotency_subjects (tenant_id, lookup);
