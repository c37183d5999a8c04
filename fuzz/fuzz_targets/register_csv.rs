//! Any bytes as a customer-register CSV file: rows or an `InvalidInput`, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = coffer_engine::customers::parse_register_csv(&String::from_utf8_lossy(data));
});
