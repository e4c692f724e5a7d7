-- A tenant can be disabled: while `disabled_at` is set, the API keys and SSO tokens of the tenant
-- and of its sub-tenants are refused (audited as `tenant_disabled`); its data stays as it is.
-- NULL while enabled; milliseconds since 1970 of the first disable otherwise.
ALTER TABLE tenants ADD COLUMN disabled_at INTEGER;
