-- Schema 2: Coffer's own records of money: contracts, their occurrences and notices, and the
-- charge ledger. The UNIQUE keys here are what stop a second click, a second process or a
-- second desk from charging one thing twice; they live in the schema, not in memory.

CREATE TABLE contracts (
    id                   INTEGER PRIMARY KEY,
    merchant_id          INTEGER NOT NULL REFERENCES merchants (id),
    card_id              INTEGER NOT NULL REFERENCES cards (id),
    amount_kind          TEXT    NOT NULL CHECK (amount_kind IN ('fixed', 'variable')),
    amount_minor         INTEGER NOT NULL CHECK (amount_minor > 0),   -- fixed amount, or the maximum
    min_amount_minor     INTEGER,
    original_amount_minor INTEGER,
    currency             TEXT    NOT NULL,
    frequency_json       TEXT    NOT NULL,
    start_date           TEXT    NOT NULL,
    end_date             TEXT,
    status               TEXT    NOT NULL CHECK (status IN ('active', 'paused', 'cancelled', 'ended')),
    terms_accepted_at    INTEGER NOT NULL,
    confirmation_sent_at INTEGER,
    created_at           INTEGER NOT NULL,
    CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE INDEX contracts_by_card ON contracts (card_id);
CREATE INDEX contracts_by_merchant ON contracts (merchant_id, status);

-- Every edit of a contract, so the terms a cardholder was told are never lost.
CREATE TABLE contract_history (
    id          INTEGER PRIMARY KEY,
    contract_id INTEGER NOT NULL REFERENCES contracts (id),
    changed_at  INTEGER NOT NULL,
    before_json TEXT    NOT NULL,
    reason      TEXT    NOT NULL
);

CREATE TABLE occurrences (
    contract_id    INTEGER NOT NULL REFERENCES contracts (id),
    number         INTEGER NOT NULL CHECK (number >= 1),
    due_date       TEXT    NOT NULL,
    amount_minor   INTEGER NOT NULL CHECK (amount_minor > 0),
    currency       TEXT    NOT NULL,
    notice_sent_at INTEGER,
    state          TEXT    NOT NULL CHECK (state IN ('scheduled', 'charged', 'declined', 'cancelled', 'refused')),
    PRIMARY KEY (contract_id, number)
);
CREATE INDEX occurrences_due ON occurrences (state, due_date);

CREATE TABLE notices (
    id            INTEGER PRIMARY KEY,
    contract_id   INTEGER NOT NULL REFERENCES contracts (id),
    occurrence    INTEGER,                     -- NULL for the contract confirmation
    kind          TEXT    NOT NULL CHECK (kind IN ('confirmation', 'pre_charge', 'cancellation')),
    recipient     TEXT    NOT NULL,
    amount_minor  INTEGER,
    currency      TEXT,
    due_date      TEXT,
    sent_at       INTEGER NOT NULL,
    channel       TEXT    NOT NULL CHECK (channel IN ('outbox', 'smtp')),
    location      TEXT    NOT NULL,            -- .eml path or SMTP message id
    UNIQUE (contract_id, occurrence, kind)
);

CREATE TABLE charge_attempts (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('charge', 'refund')),
    merchant_id     INTEGER NOT NULL REFERENCES merchants (id),
    card_id         INTEGER NOT NULL REFERENCES cards (id),
    contract_id     INTEGER REFERENCES contracts (id),
    occurrence      INTEGER,
    try_number      INTEGER NOT NULL DEFAULT 1,
    refund_of       INTEGER REFERENCES charge_attempts (id),
    amount_minor    INTEGER NOT NULL CHECK (amount_minor > 0),
    currency        TEXT    NOT NULL,
    credential_json TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL UNIQUE,
    order_id        TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('planned', 'sending', 'succeeded', 'declined', 'failed')),
    provider_ref    TEXT,
    decline_code    TEXT,
    hard_decline    INTEGER NOT NULL DEFAULT 0 CHECK (hard_decline IN (0, 1)),
    message         TEXT,
    warnings_json   TEXT    NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL,
    settled_at      INTEGER,
    CHECK ((kind = 'refund') = (refund_of IS NOT NULL)),
    UNIQUE (merchant_id, order_id)
);
CREATE UNIQUE INDEX charge_attempts_one_per_occurrence_try
    ON charge_attempts (contract_id, occurrence, try_number) WHERE contract_id IS NOT NULL AND kind = 'charge';
CREATE INDEX charge_attempts_by_card ON charge_attempts (card_id, created_at);
CREATE INDEX charge_attempts_unsettled ON charge_attempts (state) WHERE state IN ('planned', 'sending');
CREATE INDEX charge_attempts_by_merchant ON charge_attempts (merchant_id, created_at);

-- A settled attempt is final: the database refuses to rewrite it (refunds are new rows).
CREATE TRIGGER charge_attempts_settled_are_final BEFORE UPDATE ON charge_attempts
WHEN old.state IN ('succeeded', 'declined', 'failed') BEGIN
    SELECT RAISE(ABORT, 'a settled charge attempt cannot change');
END;
CREATE TRIGGER charge_attempts_no_delete BEFORE DELETE ON charge_attempts BEGIN
    SELECT RAISE(ABORT, 'charge attempts are never deleted');
END;
