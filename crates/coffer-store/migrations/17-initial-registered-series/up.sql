-- The recurring series a card's initial transaction registered with the provider (issue 24):
-- Assist registers RecurringMinAmount, RecurringMaxAmount, RecurringPeriod and
-- RecurringMaxDate with the initial order and declines a later charge outside them. Coffer
-- learns them from a card import's file (Assist's orderresult does not show them to every
-- merchant). JSON of coffer_core::RegisteredSeries ({"min_amount": {"minor", "currency"} | null,
-- "max_amount": …, "period_days": N | null, "end": "YYYY-MM-DD" | null}); NULL when unknown or
-- the provider registers no series.
ALTER TABLE cards ADD COLUMN initial_registered_json TEXT;
