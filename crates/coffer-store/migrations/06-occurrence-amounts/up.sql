-- Schema 6: the amount of one occurrence of a varying contract, set by the owner before its
-- notice goes out. NULL: the contract's own amount (its maximum), which regenerating the schedule
-- keeps in line with the terms; set: the owner's amount, which regenerating keeps.
ALTER TABLE occurrences ADD COLUMN amount_set_at INTEGER;
