-- Schema 24 (issue 26): a search of a name's first letters pages its customers from an index.
--
-- "Ann" starts the name word "anna" and one word per Anna's e-mail ("anna.berg.100013@..."):
-- thousands of words, too many to merge from search_words (schema 22), so the text index
-- collected every match to pick the first 50 by name (2.3 ms p50, 3.6 ms p99 at 1,000,000
-- cards). search_prefixes holds each customer's words by their first three letters (once per
-- customer and prefix), keyed like search_words: by location, then name (NOCASE) and id. A search
-- of one word of three letters or more reads the first rows of its prefix's range at each
-- location, in name order, keeping the customers one of whose words starts with the whole text.
-- Words shorter than three letters are in search_words only (a search that long cannot be a
-- prefix of them).
CREATE TABLE search_prefixes (
    prefix      TEXT    NOT NULL,
    merchant_id INTEGER NOT NULL,
    name        TEXT    NOT NULL COLLATE NOCASE,
    customer_id INTEGER NOT NULL,
    PRIMARY KEY (prefix, merchant_id, name, customer_id)
) WITHOUT ROWID;

INSERT OR IGNORE INTO search_prefixes (prefix, merchant_id, name, customer_id)
SELECT substr(j.value, 1, 3), c.merchant_id, c.name, c.id
  FROM customers c, json_each(c.words) j
 WHERE length(j.value) >= 3
 ORDER BY 1, 2, 3 COLLATE NOCASE, 4;

-- Inserts are added by the store in bulk with the search words; edits and deletes come one at a
-- time, as for search_words.
CREATE TRIGGER search_prefixes_delete AFTER DELETE ON customers BEGIN
    DELETE FROM search_prefixes
     WHERE prefix IN (SELECT substr(value, 1, 3) FROM json_each(old.words) WHERE length(value) >= 3)
       AND merchant_id = old.merchant_id AND name = old.name AND customer_id = old.id;
END;

CREATE TRIGGER search_prefixes_update AFTER UPDATE OF words, name, merchant_id ON customers
WHEN old.words IS NOT new.words OR old.name IS NOT new.name OR old.merchant_id IS NOT new.merchant_id
BEGIN
    DELETE FROM search_prefixes
     WHERE prefix IN (SELECT substr(value, 1, 3) FROM json_each(old.words) WHERE length(value) >= 3)
       AND merchant_id = old.merchant_id AND name = old.name AND customer_id = old.id;
    INSERT OR IGNORE INTO search_prefixes (prefix, merchant_id, name, customer_id)
    SELECT substr(value, 1, 3), new.merchant_id, new.name, new.id
      FROM json_each(new.words) WHERE length(value) >= 3;
END;
