-- Schema 13: the providers Coffer knows are rows of a table, and a merchant's provider is a
-- foreign key to it (issue 23), so the schema still refuses an unknown provider while a new
-- provider is one INSERT instead of a rebuilt CHECK. The names are coffer_core's
-- ProviderKind::as_str; a test checks that both lists agree.
CREATE TABLE providers (
    name TEXT PRIMARY KEY
) WITHOUT ROWID;
INSERT INTO providers (name) VALUES ('clover'), ('processout'), ('assist'), ('svea');

-- SQLite cannot change a CHECK in place, so merchants is rebuilt with the same columns in the
-- same order and every other constraint as it had. Other tables refer to merchants: the store
-- runs its upgrades with foreign keys off (a DROP TABLE would otherwise delete, and cascade to,
-- every row that refers to a merchant) and checks every key before the upgrade commits.
CREATE TABLE merchants_rebuilt (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL CHECK (length(trim(name)) > 0),
    provider         TEXT    NOT NULL REFERENCES providers (name),
    account_json     TEXT    NOT NULL,          -- the provider's ids; never a secret
    account_id       TEXT    NOT NULL,          -- the main id from account_json, for uniqueness
    environment      TEXT    NOT NULL CHECK (environment IN ('sandbox', 'live')),
    base_url         TEXT    NOT NULL,
    time_zone        TEXT    NOT NULL,
    currency         TEXT    NOT NULL,
    notice_lead_days INTEGER NOT NULL DEFAULT 3 CHECK (notice_lead_days >= 0),
    merchant_group   TEXT,
    archived_at      INTEGER,                   -- removed by the owner; kept for the ledger
    secret_service   TEXT    NOT NULL,          -- keyring address, not the secret
    secret_account   TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    region           TEXT    CHECK (region IN ('north_america', 'europe', 'latin_america')),
    host_override_host   TEXT,
    host_override_reason TEXT,
    confirm_charges_above_minor INTEGER
        CHECK (confirm_charges_above_minor IS NULL OR confirm_charges_above_minor > 0),
    UNIQUE (provider, account_id, environment, base_url)
);
INSERT INTO merchants_rebuilt (id, name, provider, account_json, account_id, environment, base_url,
                               time_zone, currency, notice_lead_days, merchant_group, archived_at,
                               secret_service, secret_account, created_at, region,
                               host_override_host, host_override_reason,
                               confirm_charges_above_minor)
SELECT id, name, provider, account_json, account_id, environment, base_url, time_zone, currency,
       notice_lead_days, merchant_group, archived_at, secret_service, secret_account, created_at,
       region, host_override_host, host_override_reason, confirm_charges_above_minor
  FROM merchants;
DROP TABLE merchants;
ALTER TABLE merchants_rebuilt RENAME TO merchants;
