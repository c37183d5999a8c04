-- Schema 8: what Svea requires that Coffer did not keep.
-- customers.address_*: the register customer's street, postal code, city and ISO country code.
--   Svea requires the buyer and delivery address in every payment (its Magento 2 module,
--   PaymentDataSpecification.php); NULL until the owner gives them (synced customers of other
--   providers never need them).
ALTER TABLE customers ADD COLUMN address_street TEXT;
ALTER TABLE customers ADD COLUMN address_postal_code TEXT;
ALTER TABLE customers ADD COLUMN address_city TEXT;
ALTER TABLE customers ADD COLUMN address_country TEXT;

-- A refund Svea took after the payment was settled to the merchant (REFUND_AFTER_SETTLEMENT):
-- Svea refunds the cardholder only once the merchant has paid it this amount, to this account,
-- with this reference. The refund's ledger row is final ('succeeded'); the transfer is open until
-- the owner records it made (transferred_at), which is written once and never changed.
CREATE TABLE refund_transfers (
    attempt_id     INTEGER PRIMARY KEY REFERENCES charge_attempts (id),
    recipient      TEXT    NOT NULL,
    iban           TEXT    NOT NULL,
    reference      TEXT    NOT NULL,
    amount_minor   INTEGER NOT NULL CHECK (amount_minor > 0),
    currency       TEXT    NOT NULL,
    asked_at       INTEGER NOT NULL,
    transferred_at INTEGER,
    transferred_by TEXT
);
CREATE TRIGGER refund_transfers_done_is_final BEFORE UPDATE ON refund_transfers
WHEN old.transferred_at IS NOT NULL BEGIN
    SELECT RAISE(ABORT, 'a refund transfer recorded as made cannot change');
END;
CREATE TRIGGER refund_transfers_no_delete BEFORE DELETE ON refund_transfers BEGIN
    SELECT RAISE(ABORT, 'refund transfers are never deleted');
END;
