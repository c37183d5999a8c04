-- Schema 7: what settling an unknown outcome needs (DESIGN §4).
-- sent_at: when the request first left (NULL: never sent). Lookups search from it and the
--   idempotency window of a resend is counted from it, not from planning.
-- request_json: the exact request as sent, so a resend where the provider makes one safe sends
--   the same bytes again (NULL for rows written before this version: they are never resent).
-- resolved_by / resolution_json: a person's hand resolution of an attempt no lookup could settle
--   ("charged, provider reference X" or "not charged, checked at the provider on DATE").
ALTER TABLE charge_attempts ADD COLUMN sent_at INTEGER;
ALTER TABLE charge_attempts ADD COLUMN request_json TEXT;
ALTER TABLE charge_attempts ADD COLUMN resolved_by TEXT;
ALTER TABLE charge_attempts ADD COLUMN resolution_json TEXT;
UPDATE charge_attempts SET sent_at = created_at WHERE state = 'sending';

-- Raised when a provider's record contradicts what Coffer settled (a charge resolved by hand as
-- "not charged" that the provider later shows made): a possible duplicate for a person to check.
CREATE TABLE alerts (
    id              INTEGER PRIMARY KEY,
    at              INTEGER NOT NULL,
    merchant_id     INTEGER NOT NULL REFERENCES merchants (id),
    attempt_id      INTEGER NOT NULL REFERENCES charge_attempts (id),
    kind            TEXT    NOT NULL CHECK (kind IN ('possible_duplicate', 'resolution_contradicted')),
    message         TEXT    NOT NULL,
    acknowledged_at INTEGER,
    UNIQUE (attempt_id, kind)
);
CREATE INDEX charge_attempts_resolved ON charge_attempts (settled_at) WHERE resolved_by IS NOT NULL;
