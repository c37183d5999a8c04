-- The customers' text index (customers_fts) is filled by the store in bulk (issue 26). The
-- trigger below indexed each new customer in a statement of its own; a first sync inserts
-- thousands per transaction, and one INSERT … SELECT of all of them costs a third less than
-- the trigger did, row by row (measured on the sync's own rows). Every insert into customers
-- lives in crates/coffer-store/src/customers.rs, which indexes what it inserted in the same
-- transaction; a new insert elsewhere must do the same. Edits and deletes keep their triggers:
-- they come one row at a time.
DROP TRIGGER customers_fts_insert;
