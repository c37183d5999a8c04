-- Schema 11: the amount above which a manual charge of a merchant asks to be confirmed again
-- (issue 21), in the merchant's currency's minor units. NULL: no second confirmation.
-- Existing merchants get none: the owner never chose one, and Settings offers it; new merchants
-- get the engine's default (coffer_core::policy::charge_limit::default_confirm_above).
ALTER TABLE merchants ADD COLUMN confirm_charges_above_minor INTEGER
    CHECK (confirm_charges_above_minor IS NULL OR confirm_charges_above_minor > 0);
