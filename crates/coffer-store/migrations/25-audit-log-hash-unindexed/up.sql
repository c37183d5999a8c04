-- Schema 25 (issue 26): the audit log no longer indexes its hashes.
--
-- `hash TEXT NOT NULL UNIQUE` kept an index nothing reads (the chain is walked by seq, the head
-- is audit_head), and a SHA-256 lands at a random leaf of it: each due charge's two events
-- dirtied two random pages of that index, 10.7 of the 34 pages the due run's commits wrote per
-- window of four charges (page numbers of the WAL frames, mapped through dbstat). The chain is
-- what makes the log tamper-evident (each event hashes its predecessor's hash), and stays.
--
-- A UNIQUE constraint cannot be dropped in SQLite, so the table is rebuilt as SQLite's own
-- procedure for other schema changes has it: new table, copy, drop, rename; then its indexes and
-- triggers as they were. Foreign keys are off while migrations run (audit_personal refers to
-- audit_log), and the migration checks them all before it commits. DROP TABLE does not fire the
-- table's delete trigger, and no row is changed: the copy keeps every seq, hash and digest.
CREATE TABLE audit_log_next (
    seq             INTEGER PRIMARY KEY,
    at              INTEGER NOT NULL,
    actor           TEXT    NOT NULL,
    merchant_id     INTEGER,                   -- no foreign key: the log outlives merchants
    action          TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    details         TEXT    NOT NULL,
    prev_hash       TEXT    NOT NULL,
    hash            TEXT    NOT NULL,
    personal_digest TEXT
);

INSERT INTO audit_log_next (seq, at, actor, merchant_id, action, subject, details, prev_hash, hash, personal_digest)
SELECT seq, at, actor, merchant_id, action, subject, details, prev_hash, hash, personal_digest
  FROM audit_log
 ORDER BY seq;

DROP TABLE audit_log;
ALTER TABLE audit_log_next RENAME TO audit_log;

CREATE INDEX audit_by_merchant ON audit_log (merchant_id, seq);
CREATE INDEX audit_by_action ON audit_log (action, seq);

CREATE TRIGGER audit_log_moves_head AFTER INSERT ON audit_log BEGIN
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
    INSERT INTO audit_head (id, seq, hash)
        SELECT 1, NEW.seq, NEW.hash WHERE NOT EXISTS (SELECT 1 FROM audit_head);
END;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be updated');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted');
END;
