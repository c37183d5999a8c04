//! Any bytes as an answer of the assist API, read as the client reads it: no panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    coffer_providers::fuzzing::answer(coffer_providers::fuzzing::ProviderKind::Assist, data);
});
