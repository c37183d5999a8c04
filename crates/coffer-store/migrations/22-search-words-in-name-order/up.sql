-- Schema 22 (issue 26): a search by one word pages its customers in name order from an index.
--
-- A search for a common surname at 1,000,000 cards asked the text index for its 20,000 matches
-- to pick the first 50 by name (2.5 ms, p99 4 ms). search_words holds every word the text index
-- has for a customer's name, e-mail and reference, keyed by location, then the customer's name
-- (NOCASE, as the list sorts) and id: one word's customers at one location are one index range
-- already in name order, so a page is the first rows of a few ranges merged, and a count in
-- some locations is the length of their ranges.
--
-- The words are the text index's own tokens (unicode61, diacritics removed, '@.-_' kept):
-- customers.words holds them as a JSON array, written by the store with the name, e-mail and
-- reference (crates/coffer-store/src/search/words.rs asks SQLite's tokenizer for any text that
-- is not plain ASCII), and the triggers below keep search_words in step with it, deletes by a
-- merchant's removal included.
ALTER TABLE customers ADD COLUMN words TEXT NOT NULL DEFAULT '[]';

CREATE TABLE search_words (
    word        TEXT    NOT NULL,
    name        TEXT    NOT NULL COLLATE NOCASE,
    customer_id INTEGER NOT NULL,
    merchant_id INTEGER NOT NULL,
    PRIMARY KEY (word, merchant_id, name, customer_id)
) WITHOUT ROWID;

-- Today's customers get the words the text index already holds for them, read from the index.
CREATE VIRTUAL TABLE temp.customer_tokens USING fts5vocab('main', 'customers_fts', 'instance');
CREATE TEMP TABLE customer_words (customer_id INTEGER PRIMARY KEY, words TEXT NOT NULL);
INSERT INTO customer_words (customer_id, words)
SELECT doc, json_group_array(term)
  FROM (SELECT DISTINCT doc, term FROM temp.customer_tokens
         WHERE col IN ('name', 'email', 'reference') ORDER BY doc, term)
 GROUP BY doc;
UPDATE customers SET words = (SELECT words FROM customer_words WHERE customer_id = customers.id)
 WHERE id IN (SELECT customer_id FROM customer_words);
INSERT INTO search_words (word, name, customer_id, merchant_id)
SELECT j.value, c.name, c.id, c.merchant_id
  FROM customers c, json_each(c.words) j
 ORDER BY 1, 4, 2, 3;
DROP TABLE temp.customer_words;
DROP TABLE temp.customer_tokens;

-- Inserts are added by the store in bulk with the text index (migration 20); edits and deletes
-- come one at a time.
CREATE TRIGGER search_words_delete AFTER DELETE ON customers BEGIN
    DELETE FROM search_words
     WHERE word IN (SELECT value FROM json_each(old.words))
       AND merchant_id = old.merchant_id AND name = old.name AND customer_id = old.id;
END;

-- A re-sync writes only what changed; a customer's rows move only when its words, its name (the
-- order) or its merchant (the scope) did.
CREATE TRIGGER search_words_update AFTER UPDATE OF words, name, merchant_id ON customers
WHEN old.words IS NOT new.words OR old.name IS NOT new.name OR old.merchant_id IS NOT new.merchant_id
BEGIN
    DELETE FROM search_words
     WHERE word IN (SELECT value FROM json_each(old.words))
       AND merchant_id = old.merchant_id AND name = old.name AND customer_id = old.id;
    INSERT OR IGNORE INTO search_words (word, name, customer_id, merchant_id)
    SELECT value, new.name, new.id, new.merchant_id FROM json_each(new.words);
END;
