//! Fuzzing entry points (feature `fuzzing`): raw bytes into each client's reading of its
//! provider's answers, through the same functions a real answer goes through. The wire types
//! stay private to their folders; only these byte-level doors are public, for the cargo-fuzz
//! targets in `fuzz/` and the reliability suite's smoke run. Every function must return for any
//! input: an error value is the right answer to garbage, a panic is a bug.

// Re-exported for the `fuzz/` targets, which depend on this crate alone.
pub use coffer_core::ProviderKind;

/// The name of `kind`'s fuzz target, which is also its seed corpus folder in `fuzz/corpus`.
pub fn target_name(kind: ProviderKind) -> String {
    format!("{}_answer", kind.as_str())
}

/// Bytes into `kind`'s reading of its answers. The one match on the provider here: the
/// reliability suite iterates [`ProviderKind::ALL`] through it, and each `fuzz/` target (one
/// binary per provider, as cargo-fuzz wants) calls it with its own provider.
pub fn answer(kind: ProviderKind, data: &[u8]) {
    match kind {
        ProviderKind::Clover => clover_answer(data),
        ProviderKind::ProcessOut => processout_answer(data),
        ProviderKind::Assist => assist_answer(data),
        ProviderKind::Svea => svea_answer(data),
    }
}

/// The first two bytes choose the HTTP status (100–599), the rest is the body as text.
fn split(data: &[u8]) -> (u16, String) {
    let (status, body) = match data {
        [a, b, rest @ ..] => (100 + (u16::from_le_bytes([*a, *b]) % 500), rest),
        _ => (200, data),
    };
    (status, String::from_utf8_lossy(body).into_owned())
}

/// Clover: the bytes as a 200 body, then the first two bytes as the status of the rest.
/// Customers and cards listings, charges, charge searches, refunds, errors.
pub fn clover_answer(data: &[u8]) {
    crate::clover::fuzz_answer(200, &String::from_utf8_lossy(data));
    let (status, body) = split(data);
    crate::clover::fuzz_answer(status, &body);
}

/// ProcessOut, as Clover: the `success` envelope, transactions, invoices, customers, tokens, refunds.
pub fn processout_answer(data: &[u8]) {
    crate::processout::fuzz_answer(200, &String::from_utf8_lossy(data));
    let (status, body) = split(data);
    crate::processout::fuzz_answer(status, &body);
}

/// IPS Assist: the XML web-service result (orders, operations, codes), the token listing.
pub fn assist_answer(data: &[u8]) {
    crate::assist::fuzz_answer(&String::from_utf8_lossy(data));
}

/// Svea Payments: payment, status query, cancel and token-charge XML answers, field errors.
pub fn svea_answer(data: &[u8]) {
    crate::svea::fuzz_answer(&String::from_utf8_lossy(data));
}
