-- New cards enrolled through the provider's own hosted page (issue 25). One row per page opened
-- for a cardholder, at the counter or as a link. It stays 'pending' until the provider's own
-- answer to a server-side check settles it: 'confirmed' (the card row and its initial are
-- written in the same transaction), 'failed', 'expired' or 'cancelled'. The browser's return is
-- kept (returned_json) only as the hint a later check repeats; it never settles anything alone.
CREATE TABLE enrollments (
    id INTEGER PRIMARY KEY,
    merchant_id INTEGER NOT NULL REFERENCES merchants(id),
    -- NULL until a new customer of a provider that keeps the customers is confirmed.
    customer_id INTEGER REFERENCES customers(id),
    -- JSON of coffer_core::NewCustomer for that customer; NULL otherwise or once erased.
    new_customer_json TEXT,
    mode TEXT NOT NULL CHECK (mode IN ('counter', 'link')),
    state TEXT NOT NULL CHECK (state IN ('pending', 'confirmed', 'failed', 'expired', 'cancelled')),
    -- Our order id at the provider: a lookup by it finds this enrollment and nothing else.
    order_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    pending_ref TEXT,
    page_url TEXT,
    page_html TEXT,
    return_url TEXT NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency TEXT NOT NULL,
    reason TEXT NOT NULL,
    -- The consent text shown to the cardholder; stored on the card when confirmed.
    terms TEXT NOT NULL,
    -- JSON of coffer_core::RegisteredSeries sent with the initial (Assist's limits).
    registered_json TEXT,
    -- The contract to create on the confirmed card (the engine's contract input as JSON).
    contract_json TEXT,
    -- The contract whose card this enrollment replaces (an Assist re-enroll).
    replaces_for INTEGER REFERENCES contracts(id),
    sent_to TEXT,
    returned_json TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    settled_at INTEGER,
    card_id INTEGER REFERENCES cards(id),
    contract_id INTEGER REFERENCES contracts(id),
    failure TEXT,
    -- While pending: what the provider showed that the owner must act on (paid at Svea, but the
    -- card's token only comes with the browser's return).
    waiting_on TEXT,
    UNIQUE (merchant_id, order_id),
    CHECK ((state = 'pending') = (settled_at IS NULL)),
    CHECK ((state = 'confirmed') = (card_id IS NOT NULL)),
    CHECK (customer_id IS NOT NULL OR new_customer_json IS NOT NULL OR state <> 'pending')
);

CREATE INDEX enrollments_by_state ON enrollments (state, expires_at);
CREATE INDEX enrollments_by_customer ON enrollments (customer_id);

-- Where an enrollment link's page sends the cardholder back: the merchant's own web page. A
-- desktop app has no public address, and the return is only a courtesy to the cardholder:
-- Coffer settles the enrollment by the provider's lookups.
CREATE TABLE link_return_pages (
    merchant_id INTEGER PRIMARY KEY REFERENCES merchants(id),
    url TEXT NOT NULL
);
