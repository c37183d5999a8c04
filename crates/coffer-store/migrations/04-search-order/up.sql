-- Schema 4: the customer table's default order (by name, case-insensitively, as the owner reads
-- it) walks an index instead of sorting the whole register for every page.
CREATE INDEX customers_by_name_nocase ON customers (name COLLATE NOCASE, id);
CREATE INDEX customers_by_reference ON customers (reference, id);
