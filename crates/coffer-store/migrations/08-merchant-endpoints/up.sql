-- Schema 8: a merchant's endpoint is chosen, not typed (issue 20).
-- region: Clover's market (north_america | europe | latin_america), which picks its Platform API
--   host; NULL for the other providers.
-- host_override_host / host_override_reason: the owner's audited permission to send a live
--   merchant's secret to a host that is not the provider's own (or over http); both NULL when
--   there is none. The host is the one it was granted for: another base URL voids it.
-- secret_service / secret_account are no longer read or written with meaning: the keyring address
--   is derived from provider, account id and environment at use time, so an edited row cannot
--   redirect a secret lookup. SQLite cannot drop the NOT NULL columns cheaply; new rows store ''.
ALTER TABLE merchants ADD COLUMN region TEXT CHECK (region IN ('north_america', 'europe', 'latin_america'));
ALTER TABLE merchants ADD COLUMN host_override_host TEXT;
ALTER TABLE merchants ADD COLUMN host_override_reason TEXT;
