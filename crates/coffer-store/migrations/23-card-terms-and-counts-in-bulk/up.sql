-- A trigger per inserted row made each INSERT into customers and cards a statement with several
-- writes, so SQLite kept a statement journal for it (a copy of every page it touched), and wrote
-- each card's terms at a random place in card_terms. The store now writes what these triggers
-- did once per page of inserts, in key order (as schema 20 did for the text index and 22 for the
-- search words): the card terms and the per-location count of the rows inserted, and one move of
-- the name-order version. Measured on the first sync of 100,000 customers: see docs/profiles.md.
-- Updates, renames and deletes keep their triggers.
DROP TRIGGER card_terms_insert;
DROP TRIGGER customer_counts_insert;
DROP TRIGGER name_order_insert;
