//! Fuzzing entry points (feature `fuzzing`): raw bytes into each client's reading of its
//! provider's answers, through the same functions a real answer goes through. The wire types
//! stay private to their folders; only these byte-level doors are public, for the cargo-fuzz
//! targets in `fuzz/` and the reliability suite's smoke run. Every function must return for any
//! input: an error value is the right answer to garbage, a panic is a bug.

// Re-exported for the `fuzz/` targets, which depend on this crate alone.
pub use coffer_core::ProviderKind;

/// The one cargo-fuzz target over the providers' answers (`fuzz/fuzz_targets/provider_answer.rs`):
/// it gives every input to every provider.
pub const TARGET: &str = "provider_answer";

/// `kind`'s seed corpus under `fuzz/corpus`: a folder of its own inside the target's corpus
/// (libFuzzer reads a corpus folder with its subfolders).
pub fn corpus(kind: ProviderKind) -> String {
    format!("{TARGET}/{}", kind.as_str())
}

/// Bytes into `kind`'s reading of its answers (its folder's [`crate::Client::fuzz_answer`]):
/// the reliability suite iterates [`ProviderKind::ALL`] through it, and the `fuzz/` target
/// `provider_answer` feeds every provider each input.
pub fn answer(kind: ProviderKind, data: &[u8]) {
    (crate::client(kind).fuzz_answer)(data)
}

/// The first two bytes choose the HTTP status (100–599), the rest is the body as text; for the
/// providers whose answers carry a status that decides how they are read.
pub(crate) fn split(data: &[u8]) -> (u16, String) {
    let (status, body) = match data {
        [a, b, rest @ ..] => (100 + (u16::from_le_bytes([*a, *b]) % 500), rest),
        _ => (200, data),
    };
    (status, String::from_utf8_lossy(body).into_owned())
}
