-- Schema 5: the audit log's head. A hash chain cannot tell a log whose last rows were deleted
-- (behind the triggers' back) from a shorter one, so every append also records the last event's
-- number and hash here, in the same transaction; `coffer audit verify` compares the two.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
    SELECT 1, seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1;
CREATE TRIGGER audit_log_moves_head AFTER INSERT ON audit_log BEGIN
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
    INSERT INTO audit_head (id, seq, hash)
        SELECT 1, NEW.seq, NEW.hash WHERE NOT EXISTS (SELECT 1 FROM audit_head);
END;
CREATE TRIGGER audit_head_only_forward BEFORE UPDATE ON audit_head
    WHEN NEW.seq <= OLD.seq BEGIN
    SELECT RAISE(ABORT, 'audit_head only moves forward with the audit log');
END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head BEGIN
    SELECT RAISE(ABORT, 'audit_head is kept by the audit log: it cannot be deleted');
END;
