-- Schema 3: how a merchant's notices reach cardholders. Without a row here notices are written as
-- .eml files to the profile's outbox/ folder; with one they go out by SMTP. The SMTP password is
-- never stored here: it lives in the OS keyring at (secret_service, secret_account).

CREATE TABLE merchant_smtp (
    merchant_id    INTEGER PRIMARY KEY REFERENCES merchants (id),
    host           TEXT    NOT NULL,
    port           INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    security       TEXT    NOT NULL CHECK (security IN ('none', 'starttls', 'tls')),
    username       TEXT,
    from_address   TEXT    NOT NULL,
    secret_service TEXT,
    secret_account TEXT,
    updated_at     INTEGER NOT NULL
);

-- Pre-charge notices still to be delivered are found by due date.
CREATE INDEX occurrences_notice_pending ON occurrences (due_date) WHERE notice_sent_at IS NULL AND state = 'scheduled';
