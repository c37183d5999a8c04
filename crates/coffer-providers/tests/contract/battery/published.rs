//! The battery's behaviours against the published-example stand-ins: small local servers that
//! answer with a provider's own published example answers (`tests/published/<provider>/`).
