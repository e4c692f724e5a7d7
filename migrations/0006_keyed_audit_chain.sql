-- The audit chain is keyed: entries appended from now on carry an HMAC-SHA256 under an audit key
-- that exists only wrapped by the master key (metadata 'audit_key', written by the vault on its
-- first open), so whoever can write this file cannot recompute a chain that verifies. Entries
-- written before stay as they are, verified as the unkeyed prefix of the chain (chain_version 1).
-- Every entry now also names where its request came from and which request it was
-- (PCI DSS 10.2.2), and how many occurrences it stands for (failed authentication is aggregated
-- per source and interval).
ALTER TABLE audit_log ADD COLUMN source TEXT;
ALTER TABLE audit_log ADD COLUMN request_id TEXT;
ALTER TABLE audit_log ADD COLUMN count INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1);
ALTER TABLE audit_log ADD COLUMN chain_version INTEGER NOT NULL DEFAULT 1 CHECK (chain_version IN (1, 2));
