-- Schema 8 (Assist card model): what a card's initial registered, and the provider's card art.
-- initial_kind: 'recurring' = the initial registered merchant-initiated charges, which point to
--   it (for Assist: an order with RecurringIndicator=1, whose BillNumber rp.cfm charges
--   against); 'one_click' = an Assist One Click (Token Pay) order, which carried CustomerNumber
--   and so no recurring terms: the card must be re-enrolled before any merchant-initiated
--   charge. NULL while the card has no initial.
-- art_url: the card art address the provider lists (Assist One Click `assets`); display only,
--   owned by sync like brand and expiry.
ALTER TABLE cards ADD COLUMN initial_kind TEXT
    CHECK (initial_kind IS NULL OR initial_kind IN ('recurring', 'one_click'));
ALTER TABLE cards ADD COLUMN art_url TEXT;

-- Existing initials, decided conservatively (crates/coffer-sandbox/docs/assist.md, "Card kinds"):
-- every provider but Assist keeps the meaning it had: 'recurring'.
UPDATE cards SET initial_kind = 'recurring'
 WHERE initial_ref IS NOT NULL
   AND merchant_id IN (SELECT id FROM merchants WHERE provider <> 'assist');
-- Assist: 'one_click' (re-enroll) unless the initial is known to be recurring-registered. The
-- only Assist initial this Coffer could make itself was a Token Pay (its charge attempt carries
-- the billnumber), and a live merchant's initials came from nowhere else. On a sandbox merchant,
-- an initial no attempt of the card carries came from the demo seed, whose initials the sandbox
-- registered with RecurringIndicator=1: 'recurring', so demo contracts stay chargeable.
UPDATE cards SET initial_kind = CASE
        WHEN EXISTS (SELECT 1 FROM merchants m
                      WHERE m.id = cards.merchant_id AND m.environment = 'sandbox')
         AND NOT EXISTS (SELECT 1 FROM charge_attempts a
                          WHERE a.card_id = cards.id AND a.provider_ref = cards.initial_ref)
        THEN 'recurring'
        ELSE 'one_click'
    END
 WHERE initial_ref IS NOT NULL
   AND merchant_id IN (SELECT id FROM merchants WHERE provider = 'assist');
