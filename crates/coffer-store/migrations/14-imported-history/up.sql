-- Schema 14: contracts imported from a merchant's old billing system (issue 24) bring what that
-- system charged. Those attempts are not Coffer's ledger (Coffer sent no request, holds no
-- provider reference and never settles them), so they live apart from charge_attempts, but the
-- policy reads them beside the ledger: Svea's one charge a month counts the old system's last
-- charge, and the networks' retry limits count its declines. Rows are never changed.
CREATE TABLE imported_attempts (
    id           INTEGER PRIMARY KEY,
    merchant_id  INTEGER NOT NULL REFERENCES merchants (id),
    card_id      INTEGER NOT NULL REFERENCES cards (id),
    contract_id  INTEGER NOT NULL REFERENCES contracts (id),
    at           INTEGER NOT NULL,          -- when the old system made it (unix millis)
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    currency     TEXT    NOT NULL,
    outcome      TEXT    NOT NULL CHECK (outcome IN ('approved', 'soft_decline')),
    source       TEXT    NOT NULL,          -- the file and line it came from
    imported_at  INTEGER NOT NULL
);
CREATE INDEX imported_attempts_by_card ON imported_attempts (card_id, at);
CREATE TRIGGER imported_attempts_never_change BEFORE UPDATE ON imported_attempts
BEGIN
    SELECT RAISE(ABORT, 'an imported attempt is a record of the old system and never changes');
END;
