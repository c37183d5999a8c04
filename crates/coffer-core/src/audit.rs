//! The audit log's hash chain. Each event's hash covers its own fields and the previous event's
//! hash, so editing, deleting or reordering a row in the database file breaks the chain at that
//! row, which [`verify_chain`] reports.
//!
//! An event's personal details (a customer's name, e-mail, phone, address) are kept apart from
//! the rest ([`PersonalDetails`]) and the hash covers only their digest, salted with a random
//! value kept beside them. Erasing a customer blanks the details and the salt; the digest stays,
//! so the chain verifies exactly as before and the digest alone tells nothing about who it was.
//! An event without personal details hashes exactly as events did before they existed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The hash that stands before the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One recorded action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Position in the log, from 1, without gaps.
    pub seq: i64,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who: the OS user running Coffer.
    pub actor: String,
    /// The merchant account concerned, if any.
    pub merchant_id: Option<i64>,
    /// What was done, a stable snake_case verb (`merchant_added`, `charge_sent`).
    pub action: String,
    /// What it was done to (`card:12`, `attempt:7`).
    pub subject: String,
    /// Details as JSON text; never a secret or a card number, nor a person's name or contact.
    pub details: String,
    /// The digest of the event's personal details ([`PersonalDetails::digest`]), when it has
    /// any; the hash covers this, not the details.
    #[serde(default)]
    pub personal_digest: Option<String>,
    /// The personal details as JSON text, while they are kept (`None` once erased, or when the
    /// event has none).
    #[serde(default)]
    pub personal: Option<String>,
    /// The previous event's hash.
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

/// The fields of an event before it is chained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// Merchant concerned.
    pub merchant_id: Option<i64>,
    /// Verb.
    pub action: String,
    /// Object.
    pub subject: String,
    /// JSON details.
    pub details: String,
}

/// An event's personal details and the random salt of their digest. Both are blanked when the
/// customer is erased; the digest, which the chain covers, stays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalDetails {
    /// Random text (hex) that makes the digest of a short name impossible to guess back.
    pub salt: String,
    /// The details as JSON text.
    pub details: String,
}

impl PersonalDetails {
    /// SHA-256 over the salt and the details, each length-prefixed, as hex.
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        for part in [self.salt.as_str(), self.details.as_str()] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        hex::encode(hasher.finalize())
    }
}

impl NewAuditEvent {
    /// Chains the event after `prev` (or the genesis hash) at position `seq`.
    pub fn chain(self, seq: i64, prev_hash: &str) -> AuditEvent {
        self.chain_with(seq, prev_hash, None)
    }

    /// Chains the event with its personal details: the hash covers their digest.
    pub fn chain_with(
        self,
        seq: i64,
        prev_hash: &str,
        personal: Option<&PersonalDetails>,
    ) -> AuditEvent {
        let mut event = AuditEvent {
            seq,
            at: self.at,
            actor: self.actor,
            merchant_id: self.merchant_id,
            action: self.action,
            subject: self.subject,
            details: self.details,
            personal_digest: personal.map(PersonalDetails::digest),
            personal: personal.map(|p| p.details.clone()),
            prev_hash: prev_hash.to_string(),
            hash: String::new(),
        };
        event.hash = event_hash(&event);
        event
    }
}

/// SHA-256 over the previous hash and every field, each length-prefixed so that moving text
/// from one field to the next changes the hash. The personal details count by their digest,
/// appended last; an event without one hashes as every event did before personal details were
/// kept apart, so chains written then still verify.
pub fn event_hash(event: &AuditEvent) -> String {
    let mut hasher = Sha256::new();
    let merchant = event.merchant_id.map(|m| m.to_string()).unwrap_or_default();
    let millis = event.at.timestamp_millis().to_string();
    let seq = event.seq.to_string();
    for part in [
        event.prev_hash.as_str(),
        seq.as_str(),
        millis.as_str(),
        event.actor.as_str(),
        merchant.as_str(),
        event.action.as_str(),
        event.subject.as_str(),
        event.details.as_str(),
    ] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    if let Some(digest) = &event.personal_digest {
        hasher.update((digest.len() as u64).to_be_bytes());
        hasher.update(digest.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Where and why the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("audit chain broken at event {seq}: {reason}")]
pub struct ChainBreak {
    /// The first event that does not verify (for rows missing from the end, the first missing).
    pub seq: i64,
    /// Events that verified before it.
    pub verified: u64,
    /// What is wrong with it.
    pub reason: String,
}

/// Checks events in order: consecutive numbers from 1, each linked to its predecessor, each
/// hash matching its content. Returns the number of events verified.
pub fn verify_chain<'a>(
    events: impl IntoIterator<Item = &'a AuditEvent>,
) -> Result<u64, ChainBreak> {
    let mut prev = GENESIS_HASH.to_string();
    let mut count = 0;
    for (expected_seq, event) in (1..).zip(events) {
        if event.seq != expected_seq {
            return Err(ChainBreak {
                seq: event.seq,
                verified: count,
                reason: format!(
                    "expected event {expected_seq} here: a row was removed or reordered"
                ),
            });
        }
        if event.prev_hash != prev {
            return Err(ChainBreak {
                seq: event.seq,
                verified: count,
                reason: "it does not link to the previous event's hash".into(),
            });
        }
        if event_hash(event) != event.hash {
            return Err(ChainBreak {
                seq: event.seq,
                verified: count,
                reason: "its content does not match its hash: the row was edited".into(),
            });
        }
        prev = event.hash.clone();
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn log(n: i64) -> Vec<AuditEvent> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let e = NewAuditEvent {
                    at: Utc.timestamp_millis_opt(1_700_000_000_000 + seq).unwrap(),
                    actor: "anna".into(),
                    merchant_id: Some(1),
                    action: "charge_sent".into(),
                    subject: format!("attempt:{seq}"),
                    details: "{}".into(),
                }
                .chain(seq, &prev);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(verify_chain(&log(5)), Ok(5));
        assert_eq!(verify_chain(&[]), Ok(0));
    }

    #[test]
    fn an_edited_event_breaks_the_chain_where_it_was_edited() {
        let mut events = log(5);
        events[2].details = r#"{"amount":1}"#.into();
        let err = verify_chain(&events).unwrap_err();
        assert_eq!(err.seq, 3);
        assert!(err.reason.contains("edited"), "{err}");
    }

    #[test]
    fn a_removed_event_is_found() {
        let mut events = log(5);
        events.remove(1);
        let err = verify_chain(&events).unwrap_err();
        assert_eq!(err.seq, 3);
        assert_eq!(
            err.verified, 1,
            "only event 1 verified before the gap: {err}"
        );
    }

    #[test]
    fn a_rehashed_edit_still_breaks_the_next_link() {
        let mut events = log(5);
        events[1].action = "charge_refunded".into();
        events[1].hash = event_hash(&events[1]);
        let err = verify_chain(&events).unwrap_err();
        assert_eq!(err.seq, 3, "the following event no longer links: {err}");
    }

    fn personal(name: &str) -> PersonalDetails {
        PersonalDetails {
            salt: "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5".into(),
            details: format!(r#"{{"name":"{name}"}}"#),
        }
    }

    fn created(seq: i64, prev: &str, details: Option<&PersonalDetails>) -> AuditEvent {
        NewAuditEvent {
            at: Utc.timestamp_millis_opt(1_700_000_000_000 + seq).unwrap(),
            actor: "anna".into(),
            merchant_id: Some(1),
            action: "customer_created".into(),
            subject: "customer:C1".into(),
            details: "{}".into(),
        }
        .chain_with(seq, prev, details)
    }

    #[test]
    fn an_event_without_personal_details_hashes_as_before_they_existed() {
        // The hash of this event as chains written before personal details were kept apart
        // recorded it (SHA-256 of the eight length-prefixed fields).
        let event = log(1).remove(0);
        let mut hasher = Sha256::new();
        for part in [
            GENESIS_HASH,
            "1",
            "1700000000001",
            "anna",
            "1",
            "charge_sent",
            "attempt:1",
            "{}",
        ] {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part.as_bytes());
        }
        assert_eq!(event.hash, hex::encode(hasher.finalize()));
        assert_eq!(event.personal_digest, None);
    }

    #[test]
    fn the_hash_covers_the_digest_of_the_personal_details_not_the_details() {
        let anna = created(1, GENESIS_HASH, Some(&personal("Anna")));
        let bert = created(1, GENESIS_HASH, Some(&personal("Bert")));
        let none = created(1, GENESIS_HASH, None);
        assert_ne!(
            anna.hash, bert.hash,
            "other details, other digest, other hash"
        );
        assert_ne!(anna.hash, none.hash);
        assert_eq!(anna.personal_digest, Some(personal("Anna").digest()));

        // Erasing blanks the details: the event and the chain after it still verify.
        let next = created(2, &anna.hash, None);
        let mut erased = anna.clone();
        erased.personal = None;
        assert_eq!(verify_chain(&[erased.clone(), next.clone()]), Ok(2));

        // Changing the digest (to match edited details) breaks the chain there.
        let mut forged = erased;
        forged.personal_digest = Some(personal("Bert").digest());
        assert_eq!(verify_chain(&[forged, next]).unwrap_err().seq, 1);
    }

    #[test]
    fn the_salt_changes_the_digest() {
        let mut other = personal("Anna");
        other.salt = "f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0".into();
        assert_ne!(personal("Anna").digest(), other.digest());
    }
}
