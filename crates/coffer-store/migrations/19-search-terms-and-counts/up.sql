-- Schema 19 (issue 26): search under 2 ms at a million cards, and exact counts kept cheap.
-- Customers found by a card's last four, BIN or brand, in the customer list's order (issue 26).
-- One row per card and term ('l' || last4 for a card that is not an APM, 'b' || bin, 'r' ||
-- brand), keyed by the customer's name (NOCASE, as the list sorts) and id: a search walks one
-- term's rows already in name order and stops at its page, and counts a term's customers from
-- this index alone, without reading a card or a customer. Kept in step by the triggers below,
-- so the code that writes cards and customers does not know this table exists.
CREATE TABLE card_terms (
    term        TEXT    NOT NULL,
    name        TEXT    NOT NULL COLLATE NOCASE,
    customer_id INTEGER NOT NULL,
    card_id     INTEGER NOT NULL,
    merchant_id INTEGER NOT NULL,
    PRIMARY KEY (term, name, customer_id, card_id)
) WITHOUT ROWID;

INSERT INTO card_terms (term, name, customer_id, card_id, merchant_id)
SELECT t.term, c.name, k.customer_id, k.id, k.merchant_id
  FROM cards k
  JOIN customers c ON c.id = k.customer_id
  JOIN (SELECT id, 'l' || last4 AS term FROM cards WHERE apm_name IS NULL
        UNION ALL SELECT id, 'b' || bin FROM cards WHERE bin IS NOT NULL
        UNION ALL SELECT id, 'r' || brand FROM cards) t ON t.id = k.id
 ORDER BY 1, 2, 3, 4;

CREATE TRIGGER card_terms_insert AFTER INSERT ON cards BEGIN
    INSERT INTO card_terms (term, name, customer_id, card_id, merchant_id)
    SELECT t.term, c.name, new.customer_id, new.id, new.merchant_id
      FROM customers c,
           (SELECT 'l' || new.last4 AS term WHERE new.apm_name IS NULL
            UNION ALL SELECT 'b' || new.bin WHERE new.bin IS NOT NULL
            UNION ALL SELECT 'r' || new.brand) t
     WHERE c.id = new.customer_id;
END;

-- A card's rows are found by their whole key: the terms come from the old card, the name from
-- its customer (when a customer is deleted, its BEFORE DELETE trigger has already removed them).
CREATE TRIGGER card_terms_delete AFTER DELETE ON cards BEGIN
    DELETE FROM card_terms
     WHERE term IN ('l' || old.last4, 'b' || old.bin, 'r' || old.brand)
       AND name = (SELECT name FROM customers WHERE id = old.customer_id)
       AND customer_id = old.customer_id AND card_id = old.id;
END;

-- A re-sync writes every column whether or not it changed: only a real change moves rows.
CREATE TRIGGER card_terms_update AFTER UPDATE OF customer_id, last4, bin, brand, apm_name ON cards
WHEN old.customer_id IS NOT new.customer_id OR old.last4 IS NOT new.last4
  OR old.bin IS NOT new.bin OR old.brand IS NOT new.brand
  OR (old.apm_name IS NULL) <> (new.apm_name IS NULL)
BEGIN
    DELETE FROM card_terms
     WHERE term IN ('l' || old.last4, 'b' || old.bin, 'r' || old.brand)
       AND name = (SELECT name FROM customers WHERE id = old.customer_id)
       AND customer_id = old.customer_id AND card_id = old.id;
    INSERT INTO card_terms (term, name, customer_id, card_id, merchant_id)
    SELECT t.term, c.name, new.customer_id, new.id, new.merchant_id
      FROM customers c,
           (SELECT 'l' || new.last4 AS term WHERE new.apm_name IS NULL
            UNION ALL SELECT 'b' || new.bin WHERE new.bin IS NOT NULL
            UNION ALL SELECT 'r' || new.brand) t
     WHERE c.id = new.customer_id;
END;

-- A renamed (or erased) customer's rows move to the new name; only when the name changed.
CREATE TRIGGER card_terms_rename AFTER UPDATE OF name ON customers
WHEN old.name IS NOT new.name
BEGIN
    UPDATE card_terms SET name = new.name
     WHERE customer_id = old.id AND name = old.name
       AND term IN (SELECT 'l' || last4 FROM cards WHERE customer_id = old.id AND apm_name IS NULL
                    UNION ALL SELECT 'b' || bin FROM cards WHERE customer_id = old.id AND bin IS NOT NULL
                    UNION ALL SELECT 'r' || brand FROM cards WHERE customer_id = old.id);
END;

CREATE TRIGGER card_terms_customer_delete BEFORE DELETE ON customers BEGIN
    DELETE FROM card_terms
     WHERE customer_id = old.id AND name = old.name
       AND term IN (SELECT 'l' || last4 FROM cards WHERE customer_id = old.id AND apm_name IS NULL
                    UNION ALL SELECT 'b' || bin FROM cards WHERE customer_id = old.id AND bin IS NOT NULL
                    UNION ALL SELECT 'r' || brand FROM cards WHERE customer_id = old.id);
END;

-- The customers view's count of a location without a text search: a counter per merchant kept
-- by triggers, so the count is one row per location instead of an index scan of every customer.
CREATE TABLE customer_counts (
    merchant_id INTEGER PRIMARY KEY,
    customers   INTEGER NOT NULL
);

INSERT INTO customer_counts (merchant_id, customers)
SELECT merchant_id, count(*) FROM customers GROUP BY merchant_id;

CREATE TRIGGER customer_counts_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_counts (merchant_id, customers) VALUES (new.merchant_id, 1)
        ON CONFLICT (merchant_id) DO UPDATE SET customers = customers + 1;
END;

CREATE TRIGGER customer_counts_delete AFTER DELETE ON customers BEGIN
    UPDATE customer_counts SET customers = customers - 1 WHERE merchant_id = old.merchant_id;
END;

CREATE TRIGGER customer_counts_move AFTER UPDATE OF merchant_id ON customers
WHEN old.merchant_id IS NOT new.merchant_id
BEGIN
    UPDATE customer_counts SET customers = customers - 1 WHERE merchant_id = old.merchant_id;
    INSERT INTO customer_counts (merchant_id, customers) VALUES (new.merchant_id, 1)
        ON CONFLICT (merchant_id) DO UPDATE SET customers = customers + 1;
END;
