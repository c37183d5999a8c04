-- A card's life (issue 24): whether Coffer still charges a card, and what kind of stored
-- credential it is.
--
-- use_state: Coffer's own decision, never written by a sync.
--   'in_use'  = Coffer charges it;
--   'stopped' = the owner stopped using it in Coffer; it stays at the provider, where the
--               merchant's web shop may still use it;
--   'removed' = the owner deleted it at the provider too (Clover source delete, ProcessOut token
--               delete). Final: a trigger refuses any way back.
-- use_changed_at: when it stopped or was removed (ms since the epoch); NULL while in use.
ALTER TABLE cards ADD COLUMN use_state TEXT NOT NULL DEFAULT 'in_use'
    CHECK (use_state IN ('in_use', 'stopped', 'removed'));
ALTER TABLE cards ADD COLUMN use_changed_at INTEGER
    CHECK ((use_state = 'in_use') = (use_changed_at IS NULL));

CREATE TRIGGER cards_removed_is_final
BEFORE UPDATE OF use_state ON cards
WHEN OLD.use_state = 'removed' AND NEW.use_state <> 'removed'
BEGIN
    SELECT RAISE(ABORT, 'a card deleted at the provider cannot be used again');
END;

-- apm_name: NULL for a payment card; for an alternative payment method saved as a token
--   (a ProcessOut APM token such as PayPal) the method's name as the provider shows it. Such a
--   row has no last4 and no expiry of its own: the NOT NULL columns hold '0000' and 12/2199 (the
--   end of the range an expiry may take), which nothing shows or judges for an APM.
-- apm_merchant_initiated: the provider lets the merchant charge the APM token without the
--   holder present (ProcessOut `is_chargeable`); 0 for cards, whose rules are the card's own.
ALTER TABLE cards ADD COLUMN apm_name TEXT;
ALTER TABLE cards ADD COLUMN apm_merchant_initiated INTEGER NOT NULL DEFAULT 0
    CHECK (apm_merchant_initiated IN (0, 1));
