-- The operator role (it alone creates top-level tenants, and reads /metrics with `metrics`) did
-- not exist before; no key of an older vault holds it, and tenant admins no longer imply it. The
-- key `coffer init` printed — the first admin key of the first top-level tenant — becomes the
-- operator, as it is in vaults created now, so an upgraded vault keeps a way to administer the
-- deployment. Nothing changes when some key already holds the role.
UPDATE api_keys SET roles = 'admin,fingerprint,keys,metrics,operator,reveal,staff,sync,tokenize'
WHERE id = (SELECT api_keys.id FROM api_keys JOIN tenants ON tenants.id = api_keys.tenant_id
            WHERE tenants.parent_id IS NULL AND api_keys.label = 'admin' AND api_keys.revoked_at IS NULL
              AND ',' || api_keys.roles || ',' LIKE '%,admin,%'
            ORDER BY tenants.created_at, api_keys.created_at LIMIT 1)
  AND NOT EXISTS (SELECT 1 FROM api_keys WHERE ',' || roles || ',' LIKE '%,operator,%');
