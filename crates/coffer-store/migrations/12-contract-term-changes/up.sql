-- Contract term changes: what the cardholder consented to, what the card's initial transaction
-- registered, and the notices a change of terms, a skipped charge or a pause sends.

-- The most one charge may take that the cardholder consented to. A contract kept before this
-- schema was charged on the terms it was created with, so those are its consented terms.
ALTER TABLE contracts ADD COLUMN consented_max_minor INTEGER CHECK (consented_max_minor > 0);
UPDATE contracts SET consented_max_minor = amount_minor;

-- Assist's RecurringMaxAmount registered on the initial order; Coffer registered the contract's
-- maximum, so that is what an Assist contract kept before this schema has.
ALTER TABLE contracts ADD COLUMN registered_max_minor INTEGER CHECK (registered_max_minor > 0);
UPDATE contracts SET registered_max_minor = amount_minor
 WHERE merchant_id IN (SELECT id FROM merchants WHERE provider = 'assist');

-- Two more kinds of notice. SQLite cannot change a CHECK in place, so the table is rebuilt with
-- the same columns in the same order; nothing refers to its rows.
CREATE TABLE notices_rebuilt (
    id            INTEGER PRIMARY KEY,
    contract_id   INTEGER NOT NULL REFERENCES contracts (id),
    occurrence    INTEGER,                     -- NULL for the contract confirmation and term changes
    kind          TEXT    NOT NULL CHECK (kind IN ('confirmation', 'pre_charge', 'cancellation',
                                                   'terms_change', 'charge_cancelled')),
    recipient     TEXT    NOT NULL,
    amount_minor  INTEGER,
    currency      TEXT,
    due_date      TEXT,
    sent_at       INTEGER NOT NULL,
    channel       TEXT    NOT NULL CHECK (channel IN ('outbox', 'smtp')),
    location      TEXT    NOT NULL,            -- .eml path or SMTP message id
    UNIQUE (contract_id, occurrence, kind)
);
INSERT INTO notices_rebuilt (id, contract_id, occurrence, kind, recipient, amount_minor, currency,
                             due_date, sent_at, channel, location)
SELECT id, contract_id, occurrence, kind, recipient, amount_minor, currency, due_date, sent_at,
       channel, location
  FROM notices;
DROP TABLE notices;
ALTER TABLE notices_rebuilt RENAME TO notices;
