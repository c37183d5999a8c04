//! Any bytes as an answer of every provider's API, read as each client reads it: no panic. One
//! target for all providers (each input goes to every one), so a new provider needs no target
//! of its own; its seeds lie in `corpus/provider_answer/<provider>/`.
#![no_main]

use coffer_providers::fuzzing::{answer, ProviderKind};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for kind in ProviderKind::ALL {
        answer(kind, data);
    }
});
