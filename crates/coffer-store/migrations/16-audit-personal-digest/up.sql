-- Erasing a customer (a data-protection request) without breaking the ledger or the audit chain.
--
-- audit_log.personal_digest / audit_personal: an event's personal details (a customer's name,
--   e-mail, phone, address) leave its hashed details for audit_personal, with a random salt; the
--   event's hash covers their salted digest instead (coffer_core::audit). Erasure blanks the
--   details and the salt; the digest stays, so the chain verifies as before. This file only
--   makes room: the Rust step that runs after it (migrations.rs, `audit_personal_digest`)
--   verifies today's chain, moves the details of customer events here, rehashes the chain,
--   verifies it again and recreates the append-only triggers dropped below.
-- customers.erased_at: when the customer was erased; a sync leaves such a row as it is, so a
--   provider that still lists the customer does not bring its name back.
-- charge_attempts_settled_are_final: a settled attempt still never changes, except for its
--   pseudonymisation: the buyer's name and address in its kept request set to null, nothing else.

ALTER TABLE audit_log ADD COLUMN personal_digest TEXT;

CREATE TABLE audit_personal (
    seq       INTEGER PRIMARY KEY REFERENCES audit_log (seq),
    salt      TEXT,
    details   TEXT,
    erased_at INTEGER,
    CHECK ((salt IS NULL) = (details IS NULL)),
    CHECK ((details IS NULL) = (erased_at IS NOT NULL))
);
CREATE TRIGGER audit_personal_only_erased BEFORE UPDATE ON audit_personal
WHEN NOT (new.seq = old.seq AND old.details IS NOT NULL AND new.details IS NULL) BEGIN
    SELECT RAISE(ABORT, 'audit_personal rows change only by erasure (details and salt blanked)');
END;
CREATE TRIGGER audit_personal_no_delete BEFORE DELETE ON audit_personal BEGIN
    SELECT RAISE(ABORT, 'audit_personal rows are never deleted: erasure blanks them');
END;

ALTER TABLE customers ADD COLUMN erased_at INTEGER;

DROP TRIGGER charge_attempts_settled_are_final;
CREATE TRIGGER charge_attempts_settled_are_final BEFORE UPDATE ON charge_attempts
WHEN old.state IN ('succeeded', 'declined', 'failed') AND NOT (
        new.id IS old.id AND new.kind IS old.kind AND new.merchant_id IS old.merchant_id
    AND new.card_id IS old.card_id AND new.contract_id IS old.contract_id
    AND new.occurrence IS old.occurrence AND new.try_number IS old.try_number
    AND new.refund_of IS old.refund_of AND new.amount_minor IS old.amount_minor
    AND new.currency IS old.currency AND new.credential_json IS old.credential_json
    AND new.idempotency_key IS old.idempotency_key AND new.order_id IS old.order_id
    AND new.state IS old.state AND new.provider_ref IS old.provider_ref
    AND new.decline_code IS old.decline_code AND new.hard_decline IS old.hard_decline
    AND new.message IS old.message AND new.warnings_json IS old.warnings_json
    AND new.created_at IS old.created_at AND new.settled_at IS old.settled_at
    AND new.sent_at IS old.sent_at AND new.resolved_by IS old.resolved_by
    AND new.resolution_json IS old.resolution_json
    AND old.request_json IS NOT NULL AND json_valid(old.request_json)
    AND new.request_json IS json_set(old.request_json, '$.buyer', json('null'))
) BEGIN
    SELECT RAISE(ABORT, 'a settled charge attempt cannot change (only its buyer''s personal details can be erased)');
END;

-- Rewritten by the Rust step (the chain is rehashed), then recreated by it as they were.
DROP TRIGGER audit_log_no_update;
DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_head_only_forward;
