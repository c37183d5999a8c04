-- Schema 26: an erased customer leaves no trace in the full-text index.
--
-- An erasure blanks the customer's name and e-mail, and the index's trigger deletes the old
-- tokens. FTS5 deletes by appending a tombstone: the tokens themselves stayed in the index's
-- segments (customers_fts_data) until a merge happened to rewrite them, readable in the file
-- after the erasure said they were gone. With `secure-delete` FTS5 removes a deleted row's
-- entries from the segments at once (SQLite 3.42; the bundled SQLite is newer, and a file with
-- this option cannot be written by an older FTS5, which Coffer never uses). The cost falls on
-- deletes only (an erasure, a renamed customer), not on a sync's inserts.
--
-- 'optimize' then merges the segments into one, dropping the entries earlier deletes left
-- behind (names and e-mails changed or erased before this schema): about 2 s for the index of
-- 1,000,000 customers, once. The freed pages are zeroed by the writer's `secure_delete` pragma.
--
-- The first statement only takes the write lock: a plain table's write waits for another
-- connection's lock (the busy timeout), as every migration's first statement does, while FTS5
-- reads its configuration before it writes, and a transaction that has read is refused at once
-- ("database is locked") when another connection holds the lock.
DELETE FROM customers_fts_config WHERE 0;
INSERT INTO customers_fts (customers_fts, rank) VALUES ('secure-delete', 1);
INSERT INTO customers_fts (customers_fts) VALUES ('optimize');
