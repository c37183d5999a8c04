//! The audit log's hash chain. Each event's hash covers its own fields and the previous event's
//! hash, so editing, deleting or reordering a row in the database file breaks the chain at that
//! row, which [`verify_chain`] reports.

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
    /// Details as JSON text; never a secret or a card number.
    pub details: String,
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

impl NewAuditEvent {
    /// Chains the event after `prev` (or the genesis hash) at position `seq`.
    pub fn chain(self, seq: i64, prev_hash: &str) -> AuditEvent {
        let mut event = AuditEvent {
            seq,
            at: self.at,
            actor: self.actor,
            merchant_id: self.merchant_id,
            action: self.action,
            subject: self.subject,
            details: self.details,
            prev_hash: prev_hash.to_string(),
            hash: String::new(),
        };
        event.hash = event_hash(&event);
        event
    }
}

/// SHA-256 over the previous hash and every field, each length-prefixed so that moving text
/// from one field to the next changes the hash.
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
}
