-- Schema 1: merchant accounts, the provider cache (customers, cards) and the audit log.
-- Instants are INTEGER Unix milliseconds; calendar dates are TEXT YYYY-MM-DD; money is
-- INTEGER minor units next to a TEXT ISO 4217 code.

CREATE TABLE merchants (
    id               INTEGER PRIMARY KEY,
    name             TEXT    NOT NULL CHECK (length(trim(name)) > 0),
    provider         TEXT    NOT NULL CHECK (provider IN ('clover', 'processout', 'assist', 'svea')),
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
    UNIQUE (provider, account_id, environment, base_url)
);

CREATE TABLE customers (
    id          INTEGER PRIMARY KEY,
    merchant_id INTEGER NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    reference   TEXT    NOT NULL,              -- Clover id, ProcessOut cust_..., Assist CustomerNumber
    name        TEXT    NOT NULL DEFAULT '',
    email       TEXT,
    phone       TEXT,
    origin      TEXT    NOT NULL DEFAULT 'sync' CHECK (origin IN ('sync', 'coffer')),
    synced_at   INTEGER,
    UNIQUE (merchant_id, reference)
);

CREATE TABLE cards (
    id            INTEGER PRIMARY KEY,
    merchant_id   INTEGER NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    customer_id   INTEGER NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    token         TEXT    NOT NULL,            -- the provider's token, never a card number
    brand         TEXT    NOT NULL,
    last4         TEXT    NOT NULL CHECK (length(last4) = 4 AND last4 NOT GLOB '*[^0-9]*'),
    bin           TEXT             CHECK (bin IS NULL OR (length(bin) BETWEEN 6 AND 8 AND bin NOT GLOB '*[^0-9]*')),
    bank          TEXT,
    exp_year      INTEGER NOT NULL,
    exp_month     INTEGER NOT NULL CHECK (exp_month BETWEEN 1 AND 12),
    exp_key       INTEGER GENERATED ALWAYS AS (exp_year * 100 + exp_month) STORED,
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    needs_cvc     INTEGER NOT NULL DEFAULT 0 CHECK (needs_cvc IN (0, 1)),
    -- Coffer's own columns: kept across re-syncs.
    consent_at    INTEGER,
    consent_terms TEXT,
    initial_ref   TEXT,
    initial_amount_minor INTEGER,
    initial_currency     TEXT,
    initial_at    INTEGER,
    flagged_reason TEXT,                       -- e.g. a hard decline: do not retry
    synced_at     INTEGER,
    UNIQUE (merchant_id, token)
);

CREATE INDEX cards_by_customer ON cards (customer_id);
CREATE INDEX cards_by_last4 ON cards (last4, merchant_id);
CREATE INDEX cards_by_bin ON cards (bin, merchant_id);
CREATE INDEX cards_by_brand ON cards (brand, merchant_id);
CREATE INDEX cards_by_expiry ON cards (exp_key, merchant_id);
CREATE INDEX customers_by_merchant ON customers (merchant_id, name);

-- Full-text search over customers (name, e-mail, reference), kept in step by triggers.
CREATE VIRTUAL TABLE customers_fts USING fts5 (
    name, email, reference,
    content = 'customers', content_rowid = 'id',
    tokenize = "unicode61 remove_diacritics 2 tokenchars '@.-_'",
    prefix = '2 3'
);
CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customers_fts (rowid, name, email, reference) VALUES (new.id, new.name, new.email, new.reference);
END;
CREATE TRIGGER customers_fts_delete AFTER DELETE ON customers BEGIN
    INSERT INTO customers_fts (customers_fts, rowid, name, email, reference) VALUES ('delete', old.id, old.name, old.email, old.reference);
END;
CREATE TRIGGER customers_fts_update AFTER UPDATE OF name, email, reference ON customers BEGIN
    INSERT INTO customers_fts (customers_fts, rowid, name, email, reference) VALUES ('delete', old.id, old.name, old.email, old.reference);
    INSERT INTO customers_fts (rowid, name, email, reference) VALUES (new.id, new.name, new.email, new.reference);
END;

-- The audit log: append-only, enforced here rather than trusted to the code, and hash-chained
-- so that an edit made after dropping these triggers is still found by `coffer audit verify`.
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,
    at          INTEGER NOT NULL,
    actor       TEXT    NOT NULL,
    merchant_id INTEGER,                       -- no foreign key: the log outlives merchants
    action      TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    details     TEXT    NOT NULL,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL UNIQUE
);
CREATE INDEX audit_by_merchant ON audit_log (merchant_id, seq);
CREATE INDEX audit_by_action ON audit_log (action, seq);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be updated');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted');
END;
