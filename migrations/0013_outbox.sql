-- Outbound delivery: a message is written in the same transaction as the change it announces, so
-- a change is never committed without its message nor a message sent for a change rolled back. A
-- worker delivers pending messages, at least once, with retries and backoff; after its last
-- attempt a message is dead until an operator retries it. The payload is sealed under a data key
-- (it may hold personal data) and wiped once delivered: a delivered row keeps only its bookkeeping.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    topic TEXT NOT NULL,
    sealed_payload BLOB,
    key_version INTEGER,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER,
    CHECK ((sealed_payload IS NULL) = (key_version IS NULL)),
    CHECK (state = 'delivered' OR sealed_payload IS NOT NULL)
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
