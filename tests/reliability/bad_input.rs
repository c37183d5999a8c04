//! Bad input, the short run that CI affords: the cargo-fuzz targets' own entry points (every
//! provider client's answer parsing, the register CSV importer) fed the seed corpus in `fuzz/`
//! as it is, then mangled (bytes flipped, cut, spliced, repeated) and fully random, for
//! `COFFER_RELIABILITY_CASES` cases per target (256 by default). The long run is cargo fuzz
//! itself (`scripts/reliability.sh --long`). A panic fails the test and prints the input.

use std::path::{Path, PathBuf};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::env_number;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the seed corpus {} is readable: {e}", dir.display()))
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "{target} has seeds in {}", dir.display());
    seeds
}

/// One way of mangling a seed.
#[derive(Debug, Clone)]
enum Mangle {
    Flip { at: usize, bits: u8 },
    Cut { at: usize },
    Drop { at: usize, len: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Repeat { at: usize, len: usize, times: usize },
}

fn mangle() -> impl Strategy<Value = Mangle> {
    let interesting = prop_oneof![
        proptest::collection::vec(any::<u8>(), 1..16),
        Just(b"\"".to_vec()),
        Just(b"<".to_vec()),
        Just(b"-1".to_vec()),
        Just(b"99999999999999999999".to_vec()),
        Just(b"null".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        Just(b"{\"success\":true}".to_vec()),
        Just(b"]]>".to_vec()),
    ];
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(at, bits)| Mangle::Flip { at, bits }),
        any::<usize>().prop_map(|at| Mangle::Cut { at }),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Mangle::Drop { at, len }),
        (any::<usize>(), interesting).prop_map(|(at, bytes)| Mangle::Insert { at, bytes }),
        (any::<usize>(), 1usize..32, 2usize..50).prop_map(|(at, len, times)| Mangle::Repeat {
            at,
            len,
            times
        }),
    ]
}

fn apply(seed: &[u8], mangles: &[Mangle]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for m in mangles {
        let n = data.len().max(1);
        match m {
            Mangle::Flip { at, bits } => {
                if !data.is_empty() {
                    data[at % n] ^= bits;
                }
            }
            Mangle::Cut { at } => data.truncate(at % n),
            Mangle::Drop { at, len } => {
                let start = at % n;
                let end = (start + len).min(data.len());
                if start < end {
                    data.drain(start..end);
                }
            }
            Mangle::Insert { at, bytes } => {
                let at = at % (data.len() + 1);
                data.splice(at..at, bytes.iter().copied());
            }
            Mangle::Repeat { at, len, times } => {
                let start = at % n;
                let end = (start + len).min(data.len());
                if start < end {
                    let piece = data[start..end].to_vec();
                    for _ in 0..*times {
                        data.splice(end..end, piece.iter().copied());
                    }
                }
            }
        }
    }
    data
}

/// Runs `target` on each seed, then on mangled seeds and random bytes.
fn fuzz(name: &str, target: impl Fn(&[u8])) {
    let seeds = corpus(name);
    for seed in &seeds {
        target(seed);
    }
    let cases = env_number("COFFER_RELIABILITY_CASES", 256) as u32;
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let input = prop_oneof![
        3 => (0..seeds.len(), proptest::collection::vec(mangle(), 1..6))
            .prop_map(move |(i, m)| apply(&seeds[i], &m)),
        1 => proptest::collection::vec(any::<u8>(), 0..1024),
    ];
    runner
        .run(&input, |data| {
            target(&data);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{name}: an input made the parser fail: {e}"));
}

/// Every provider's answers, each from its own seed corpus (`fuzz/corpus/provider_answer/<name>`):
/// a provider without a corpus fails.
#[test]
fn every_provider_s_answers_of_any_shape_are_read_without_a_panic() {
    for kind in coffer_core::ProviderKind::ALL {
        fuzz(&coffer_providers::fuzzing::corpus(kind), |data| {
            coffer_providers::fuzzing::answer(kind, data)
        });
    }
}

/// The one cargo-fuzz target over the providers' answers is declared and gives each input to
/// every provider of `ProviderKind::ALL`, so a new provider is fuzzed without a target of its own.
#[test]
fn every_provider_is_reached_by_the_fuzz_target() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let manifest = std::fs::read_to_string(fuzz.join("Cargo.toml")).unwrap();
    let name = coffer_providers::fuzzing::TARGET;
    assert!(
        manifest.contains(&format!("name = \"{name}\"")),
        "fuzz/Cargo.toml declares {name}"
    );
    let target = std::fs::read_to_string(fuzz.join(format!("fuzz_targets/{name}.rs")))
        .unwrap_or_else(|e| panic!("fuzz_targets/{name}.rs: {e}"));
    assert!(
        target.contains("ProviderKind::ALL") && target.contains("answer(kind, data)"),
        "{name} gives each input to every provider's client"
    );
}

#[test]
fn register_csv_files_of_any_shape_are_read_or_refused_without_a_panic() {
    fuzz("register_csv", |data| {
        let _ = coffer_engine::customers::parse_register_csv(&String::from_utf8_lossy(data));
    });
}
