//! Svea's V4 hash (`shared/providers/svea.md` §4): the listed values each followed by `&`, then
//! the secret key and a final `&`, digested and written as hex. Requests are signed here in hash
//! mode; every answer's hash is checked here in constant time, so a forged or corrupted answer
//! is never taken for a payment.

use md5::Md5;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

/// The request-hash algorithm (`pmt_hashversion`). SHA-1 is documented by Svea but not offered:
/// the workspace carries no SHA-1 implementation, and SHA-512 is the one to use anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SveaHash {
    /// `SHA-512`, the strongest Svea offers.
    Sha512,
    /// `SHA-256`.
    Sha256,
    /// `MD5`, legacy only.
    Md5,
}

impl SveaHash {
    /// The `…_hashversion` value.
    pub fn name(self) -> &'static str {
        match self {
            SveaHash::Sha512 => "SHA-512",
            SveaHash::Sha256 => "SHA-256",
            SveaHash::Md5 => "MD5",
        }
    }

    fn digest(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            SveaHash::Sha512 => Sha512::digest(bytes).to_vec(),
            SveaHash::Sha256 => Sha256::digest(bytes).to_vec(),
            SveaHash::Md5 => Md5::digest(bytes).to_vec(),
        }
    }
}

/// The string that is hashed. It contains the secret, so it only lives inside [`sign`].
fn hash_input(values: &[&str], secret: &SecretString) -> String {
    let mut text = String::new();
    for value in values {
        text.push_str(value);
        text.push('&');
    }
    text.push_str(secret.expose_secret());
    text.push('&');
    text
}

/// Upper-case hex hash of `values` with the secret, over their UTF-8 bytes (Coffer always sends
/// `pmt_charset=UTF-8`).
pub(crate) fn sign(algorithm: SveaHash, values: &[&str], secret: &SecretString) -> String {
    hex::encode_upper(algorithm.digest(hash_input(values, secret).as_bytes()))
}

/// Whether `received` is the hash of `values`, compared in constant time and without regard to
/// hex case (§4.1 step 5).
pub(crate) fn verify(
    algorithm: SveaHash,
    values: &[&str],
    secret: &SecretString,
    received: &str,
) -> bool {
    let expected = sign(algorithm, values, secret);
    let received = received.trim().to_ascii_uppercase();
    expected.as_bytes().ct_eq(received.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s.to_string())
    }

    #[test]
    fn mini_example_of_the_docs() {
        assert_eq!(
            hash_input(&["123", "ABC", "K"], &secret("testkey")),
            "123&ABC&K&testkey&"
        );
        assert_eq!(
            sign(SveaHash::Sha256, &["123", "ABC", "K"], &secret("testkey")),
            "5642A09A88A19EFAAB812E5F21F8F9F4556BB0E1545C0FC61C109C88D9DD2ED5"
        );
    }

    #[test]
    fn status_query_example_of_the_notes() {
        let values = [
            "PAYMENT_STATUS_QUERY",
            "0005",
            "TESTSELLER",
            "MIT202601000001",
        ];
        assert_eq!(
            sign(SveaHash::Sha256, &values, &secret("TESTSECRET123")),
            "AC83054B9A7E75886EA04DA421BECB938F4B2C91038C22A84D0FF117A3E727A6"
        );
    }

    #[test]
    fn verify_accepts_either_case_and_refuses_a_tampered_hash() {
        let values = ["a", "b"];
        let good = sign(SveaHash::Sha512, &values, &secret("k"));
        assert!(verify(SveaHash::Sha512, &values, &secret("k"), &good));
        assert!(verify(
            SveaHash::Sha512,
            &values,
            &secret("k"),
            &good.to_ascii_lowercase()
        ));
        let mut tampered = good.clone().into_bytes();
        tampered[0] = if tampered[0] == b'A' { b'B' } else { b'A' };
        assert!(!verify(
            SveaHash::Sha512,
            &values,
            &secret("k"),
            &String::from_utf8(tampered).unwrap()
        ));
        assert!(
            !verify(SveaHash::Sha512, &values, &secret("other"), &good),
            "another secret"
        );
        assert!(
            !verify(SveaHash::Sha512, &values, &secret("k"), ""),
            "an empty hash"
        );
        assert!(
            !verify(SveaHash::Sha256, &values, &secret("k"), &good),
            "another algorithm"
        );
    }
}
