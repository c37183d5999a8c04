//! Notices to the cardholder, as the card schemes and Svea require (shared/seeds, "Recurring
//! payments and related contract"): a confirmation when a contract starts ("recurring charging of
//! card", the amount, how often, how long, fixed or varying), and a notice before every charge
//! with its amount and date, at least the merchant's lead time before it.
//!
//! Each is a real e-mail (multipart text + HTML) built with lettre. Without SMTP settings it is
//! written as an `.eml` file to `outbox/` in the profile; with them it goes out by SMTP, with
//! the password read from the keyring. Delivery is claimed in the `notices` table first, so two
//! runs never notify the cardholder twice, and recorded on its occurrence or contract after.
//! The words are `wording.rs`; the outbox and SMTP are `delivery.rs`.

use chrono::NaiveDate;
use coffer_core::Merchant;
use coffer_core::NoticeKind;
use coffer_store::notices::{NewNotice, NoticeRow};
use serde::Serialize;

use crate::error::EngineResult;
use crate::scope::Scope;
use crate::Engine;

mod delivery;
mod wording;

pub use delivery::{SmtpInput, SmtpServer, SmtpView, OUTBOX_FROM};
pub use wording::{
    amount_words, cancellation, card_no_longer_used, charge_cancelled, confirmation,
    enrollment_link, frequency_words, pre_charge, terms_change, CardGone, NoticeContent,
};

/// Where a delivered notice went.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoticeSent {
    /// The notice's id.
    pub notice_id: i64,
    /// The contract.
    pub contract_id: i64,
    /// The occurrence, for a pre-charge notice.
    pub occurrence: Option<u32>,
    /// confirmation | pre_charge | cancellation | terms_change | charge_cancelled.
    pub kind: NoticeKind,
    /// The cardholder's address.
    pub recipient: String,
    /// outbox | smtp.
    pub channel: String,
    /// The .eml file or the Message-ID.
    pub location: String,
}

/// A pre-charge notice still owed to a cardholder.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingNotice {
    /// Merchant.
    pub merchant_id: i64,
    /// Contract.
    pub contract_id: i64,
    /// Occurrence.
    pub occurrence: u32,
    /// Its due date.
    pub due: NaiveDate,
    /// Its amount.
    pub amount: coffer_core::Money,
    /// The last date the notice counts (lead days before the due date).
    pub send_by: NaiveDate,
    /// Past `send_by`: the charge will be refused.
    pub late: bool,
    /// Why it is not announced yet: the charge waits for new consent or a new initial
    /// transaction after a change of terms (policy rule `terms_consented`).
    pub held: Option<String>,
}

/// A notice as sent (or being sent) to a cardholder.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    /// Its id.
    pub id: i64,
    /// The contract.
    pub contract_id: i64,
    /// The occurrence, for a pre-charge notice.
    pub occurrence: Option<u32>,
    /// Kind.
    pub kind: NoticeKind,
    /// Recipient.
    pub recipient: String,
    /// Amount announced.
    pub amount: Option<coffer_core::Money>,
    /// Date announced.
    pub due: Option<chrono::NaiveDate>,
    /// When it was sent (or claimed, while `location` is `sending`).
    pub sent_at: chrono::DateTime<chrono::Utc>,
    /// outbox | smtp.
    pub channel: String,
    /// The .eml path or the SMTP message id; `sending` while being delivered.
    pub location: String,
}

impl From<NoticeRow> for Notice {
    fn from(row: NoticeRow) -> Self {
        let NoticeRow {
            id,
            contract_id,
            occurrence,
            kind,
            recipient,
            amount,
            due,
            sent_at,
            channel,
            location,
        } = row;
        Notice {
            id,
            contract_id,
            occurrence,
            kind,
            recipient,
            amount,
            due,
            sent_at,
            channel,
            location,
        }
    }
}

impl Engine {
    /// Notices sent for the given merchants' contracts (all when empty), newest first.
    pub async fn list_notices(&self, scope: impl Into<Scope>) -> EngineResult<Vec<Notice>> {
        let merchants = self.resolve_scope(scope).await?;
        let rows = self
            .read_store(move |store| Ok(store.notices(&merchants, false, 1000)?))
            .await?;
        Ok(rows.into_iter().map(Notice::from).collect())
    }

    /// Pre-charge notices still owed: scheduled occurrences of active contracts, due up to the
    /// notice horizon, without a delivered notice. `late` ones are past their deadline, so their
    /// charges will be refused.
    pub async fn pending_notices(
        &self,
        scope: impl Into<Scope>,
    ) -> EngineResult<Vec<PendingNotice>> {
        let merchants = self.resolve_scope(scope).await?;
        let now = self.now();
        self.read_store(move |store| {
            let mut out = Vec::new();
            for merchant in store.merchants()? {
                if !merchants.is_empty() && !merchants.contains(&merchant.id) {
                    continue;
                }
                let today = coffer_core::clock::local_date(now, merchant.time_zone);
                let until = coffer_core::schedule::horizon(today, merchant.notice_lead_days);
                for o in store.occurrences_needing_notice(merchant.id, today, until)? {
                    let deadline =
                        coffer_core::schedule::notice_deadline(o.due, merchant.notice_lead_days);
                    let contract = store.contract(o.contract_id)?;
                    let held = contract
                        .terms_wait(merchant.provider(), o.amount)
                        .map(|wait| wait.reason(contract.id, o.amount));
                    out.push(PendingNotice {
                        merchant_id: merchant.id.0,
                        contract_id: o.contract_id.0,
                        occurrence: o.number,
                        due: o.due,
                        amount: o.amount,
                        send_by: deadline,
                        late: deadline < today,
                        held,
                    });
                }
            }
            Ok(out)
        })
        .await
    }

    /// Claims, delivers and records one notice. `Ok(None)` when it was already sent or another
    /// process is sending it.
    pub(crate) async fn send_notice(
        &self,
        merchant: &Merchant,
        notice: NewNotice,
        content: NoticeContent,
    ) -> EngineResult<Option<NoticeSent>> {
        let merchant_id = merchant.id;
        let settings = self
            .read_store(move |store| Ok(store.smtp_settings(merchant_id)?))
            .await?;
        let mut notice = notice;
        notice.channel = if settings.is_some() { "smtp" } else { "outbox" }.into();
        notice.at = self.now();
        let claim = notice.clone();
        let Some(id) = self
            .with_store(move |store| Ok(store.batch(|store| store.claim_notice(&claim))?))
            .await?
        else {
            return Ok(None);
        };
        let delivered = if self.rehearsing() {
            Ok("not sent: a preview".to_string())
        } else {
            self.deliver(merchant, &notice, &content, settings, id)
                .await
        };
        let location = match delivered {
            Ok(location) => location,
            Err(e) => {
                self.with_store(move |store| Ok(store.release_notice(id)?))
                    .await?;
                return Err(e);
            }
        };
        let at = self.now();
        let audit = self.audit_event(
            Some(merchant.id.0),
            "notice_sent",
            format!("contract:{}", notice.contract_id),
            serde_json::json!({"kind": notice.kind, "occurrence": notice.occurrence, "channel": notice.channel, "location": location}),
        );
        let recorded = location.clone();
        self.with_store(move |store| {
            store.batch(|store| {
                store.finish_notice(id, &recorded, at)?;
                store.append_audit_here(audit)?;
                Ok(())
            })?;
            Ok(())
        })
        .await?;
        Ok(Some(NoticeSent {
            notice_id: id,
            contract_id: notice.contract_id.0,
            occurrence: notice.occurrence,
            kind: notice.kind,
            recipient: notice.recipient,
            channel: notice.channel,
            location,
        }))
    }
}
