//! Notices to the cardholder, as the card schemes and Svea require (shared/seeds, "Recurring
//! payments and related contract"): a confirmation when a contract starts ("recurring charging of
//! card", the amount, how often, how long, fixed or varying), and a notice before every charge
//! with its amount and date, at least the merchant's lead time before it.
//!
//! Each is a real e-mail (multipart text + HTML) built with lettre. Without SMTP settings it is
//! written as an `.eml` file to `outbox/` in the profile; with them it goes out by SMTP, with
//! the password read from the keyring. Delivery is claimed in the `notices` table first, so two
//! runs never notify the cardholder twice, and recorded on its occurrence or contract after.

use std::path::PathBuf;

use chrono::{DateTime, NaiveDate, Utc};
use coffer_core::contract::{AmountRule, Contract, Frequency, Occurrence};
use coffer_core::NoticeKind;
use coffer_core::{Card, Customer, Merchant, MerchantId, SecretRef};
use coffer_store::notices::{NewNotice, NoticeRow};
use coffer_store::smtp::SmtpSettings;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::scope::Scope;
use crate::Engine;

/// The From address of notices written to the outbox, when no SMTP settings say otherwise.
pub const OUTBOX_FROM: &str = "notices@coffer.invalid";

/// A rendered notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeContent {
    /// Subject line.
    pub subject: String,
    /// Plain text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

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

/// SMTP settings as the owner enters them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpInput {
    /// Server host.
    pub host: String,
    /// Port (587 for STARTTLS, 465 for TLS, 25 plain).
    pub port: u16,
    /// none | starttls | tls.
    pub security: String,
    /// Login.
    pub username: Option<String>,
    /// The From address.
    pub from_address: String,
}

/// What a merchant's notices use, without the password.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmtpView {
    /// The merchant.
    pub merchant_id: i64,
    /// outbox | smtp.
    pub channel: String,
    /// The settings, when SMTP.
    pub smtp: Option<SmtpServer>,
    /// The outbox folder, when not.
    pub outbox: Option<String>,
}

/// How a merchant's notices go out by SMTP, as shown (the password stays in the keyring).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SmtpServer {
    /// The merchant.
    pub merchant_id: MerchantId,
    /// Server.
    pub host: String,
    /// Port.
    pub port: u16,
    /// none | starttls | tls.
    pub security: String,
    /// Login, if the server wants one.
    pub username: Option<String>,
    /// The From address.
    pub from_address: String,
    /// Where the password is in the keyring (service, account), if there is one.
    pub secret: Option<coffer_core::SecretRef>,
}

impl From<SmtpSettings> for SmtpServer {
    fn from(saved: SmtpSettings) -> Self {
        // Destructured without `..`: a new stored field fails to compile here until it is shown
        // or left out on purpose.
        let SmtpSettings {
            merchant_id,
            host,
            port,
            security,
            username,
            from_address,
            secret,
        } = saved;
        SmtpServer {
            merchant_id,
            host,
            port,
            security,
            username,
            from_address,
            secret,
        }
    }
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

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn long_date(date: NaiveDate) -> String {
    format!("{} ({date})", date.format("%-d %B %Y"))
}

/// How often, in words.
pub fn frequency_words(frequency: Frequency) -> String {
    match frequency {
        Frequency::Monthly { day } => {
            format!("every month on day {day} (on the last day of shorter months)")
        }
        Frequency::Yearly { month, day } => {
            let name = NaiveDate::from_ymd_opt(2000, month, 1)
                .map(|d| d.format("%B").to_string())
                .unwrap_or_else(|| format!("month {month}"));
            format!("every year on {day} {name}")
        }
        Frequency::EveryDays { days: 1 } => "every day".into(),
        Frequency::EveryDays { days } => format!("every {days} days"),
    }
}

/// The amount clause: how much, and whether it is fixed or may vary.
pub fn amount_words(amount: &AmountRule) -> String {
    match amount {
        AmountRule::Fixed { amount } => {
            format!("{amount}; the amount is fixed: the same amount every time")
        }
        AmountRule::Variable {
            min: Some(min),
            max,
        } => format!(
            "between {min} and {max}; the amount may vary from charge to charge, never above {max}"
        ),
        AmountRule::Variable { min: None, max } => {
            format!("up to {max}; the amount may vary from charge to charge, never above {max}")
        }
    }
}

fn validity_words(contract: &Contract) -> String {
    match contract.end {
        Some(end) => format!(
            "from {} until {}",
            long_date(contract.start),
            long_date(end)
        ),
        None => format!(
            "from {} until you or the merchant cancel it",
            long_date(contract.start)
        ),
    }
}

fn card_words(card: &Card) -> String {
    format!("{} ending {}", card.brand, card.last4.as_str())
}

fn render(subject: String, greeting: &str, paragraphs: &[String]) -> NoticeContent {
    let mut text = format!("{greeting}\n\n");
    let mut html = format!("<!DOCTYPE html><html><body><p>{}</p>", escape(greeting));
    for p in paragraphs {
        text.push_str(p);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>", escape(p).replace('\n', "<br>")));
    }
    html.push_str("</body></html>");
    NoticeContent {
        subject,
        text,
        html,
    }
}

/// The contract confirmation: what the cardholder agreed to.
pub fn confirmation(
    contract: &Contract,
    merchant: &Merchant,
    customer: &Customer,
    card: &Card,
) -> NoticeContent {
    let card = card_words(card);
    render(
        format!("Confirmation: recurring charging of card {card} by {}", merchant.name),
        &format!("Dear {},", customer.name),
        &[
            format!(
                "This confirms your agreement with {} to the recurring charging of card {card} (contract {}).",
                merchant.name, contract.id
            ),
            format!(
                "Amount to be charged: {}\nHow often: {}\nContract valid: {}",
                amount_words(&contract.amount),
                frequency_words(contract.frequency),
                validity_words(contract)
            ),
            format!(
                "Before every charge you will receive a notice with its amount and date, at least {} days in advance. You may cancel an upcoming charge, the whole agreement, or a charge already made by contacting {}.",
                merchant.notice_lead_days, merchant.name
            ),
        ],
    )
}

/// The notice before one charge: its amount and date.
pub fn pre_charge(
    contract: &Contract,
    occurrence: &Occurrence,
    merchant: &Merchant,
    customer: &Customer,
    card: &Card,
) -> NoticeContent {
    let card = card_words(card);
    render(
        format!(
            "Upcoming charge of {} on {} (recurring charging of card {card})",
            occurrence.amount, occurrence.due
        ),
        &format!("Dear {},", customer.name),
        &[
            format!(
                "On {} {} will charge {} to your card {card}, under your agreement for the recurring charging of card {card} (contract {}, charge {}).",
                long_date(occurrence.due),
                merchant.name,
                occurrence.amount,
                contract.id,
                occurrence.number
            ),
            format!(
                "Amount: {}\nDate: {}\nHow often: {}\nContract valid: {}",
                occurrence.amount,
                occurrence.due,
                frequency_words(contract.frequency),
                validity_words(contract)
            ),
            format!(
                "If you do not want this charge, or want to end the agreement, contact {} before {}.",
                merchant.name,
                long_date(occurrence.due)
            ),
        ],
    )
}

/// Confirmation that the contract was cancelled: no charge after it.
pub fn cancellation(
    contract: &Contract,
    merchant: &Merchant,
    customer: &Customer,
    card: &Card,
    on: NaiveDate,
) -> NoticeContent {
    let card = card_words(card);
    render(
        format!("Cancelled: recurring charging of card {card} by {}", merchant.name),
        &format!("Dear {},", customer.name),
        &[format!(
            "Your agreement with {} for the recurring charging of card {card} (contract {}) was cancelled on {}. No further charges will be made under it.",
            merchant.name,
            contract.id,
            long_date(on)
        )],
    )
}

/// The notice of a change of terms: what changed (before and after), from which charge it
/// applies, what still has to happen before a higher amount is charged, and how to cancel.
#[allow(clippy::too_many_arguments)]
pub fn terms_change(
    contract: &Contract,
    merchant: &Merchant,
    customer: &Customer,
    card: &Card,
    changes: &[(String, String, String)],
    from: Option<(u32, NaiveDate)>,
    waits_for: Option<&str>,
    on: NaiveDate,
) -> NoticeContent {
    let card = card_words(card);
    let list = changes
        .iter()
        .map(|(term, before, after)| format!("{term}: {before} -> {after}"))
        .collect::<Vec<_>>()
        .join("\n");
    let when = match from {
        Some((number, due)) => format!(
            "The new terms apply from charge {number} on {}, which you will be told of again at \
             least {} days before it is made. Charges announced to you before this change are \
             made as announced or not at all.",
            long_date(due),
            merchant.notice_lead_days
        ),
        None => "No further charge is scheduled under the agreement.".to_string(),
    };
    let mut paragraphs = vec![
        format!(
            "On {} {} changed the terms of your agreement for the recurring charging of card {card} (contract {}):",
            long_date(on),
            merchant.name,
            contract.id
        ),
        list,
        when,
    ];
    if let Some(waits_for) = waits_for {
        paragraphs.push(waits_for.to_string());
    }
    paragraphs.push(format!(
        "Amount to be charged from then on: {}\nHow often: {}\nContract valid: {}",
        amount_words(&contract.amount),
        frequency_words(contract.frequency),
        validity_words(contract)
    ));
    paragraphs.push(format!(
        "If you do not agree, you may cancel the agreement or any upcoming charge by contacting {} before the charge date. Nothing is charged under the new terms before that date.",
        merchant.name
    ));
    render(
        format!(
            "Change of terms: recurring charging of card {card} by {}",
            merchant.name
        ),
        &format!("Dear {},", customer.name),
        &paragraphs,
    )
}

/// The notice that an announced charge will not be made (skipped, the contract paused, or its
/// terms changed).
pub fn charge_cancelled(
    contract: &Contract,
    occurrence: &Occurrence,
    merchant: &Merchant,
    customer: &Customer,
    card: &Card,
    why: &str,
) -> NoticeContent {
    let card = card_words(card);
    render(
        format!(
            "Cancelled: the charge of {} on {} (recurring charging of card {card})",
            occurrence.amount, occurrence.due
        ),
        &format!("Dear {},", customer.name),
        &[
            format!(
                "The charge of {} to your card {card} announced for {} (contract {}, charge {}) will not be made: {why}.",
                occurrence.amount,
                long_date(occurrence.due),
                contract.id,
                occurrence.number
            ),
            format!(
                "Before any later charge you will receive a notice with its amount and date, at least {} days in advance. Questions: contact {}.",
                merchant.notice_lead_days, merchant.name
            ),
        ],
    )
}

fn message_of(
    content: &NoticeContent,
    from: Mailbox,
    to: &str,
    message_id: &str,
    at: DateTime<Utc>,
) -> EngineResult<Message> {
    let to: Mailbox = to.parse().map_err(|e| {
        EngineError::new(
            ErrorKind::InvalidInput,
            format!("the cardholder's address '{to}' is not an e-mail address: {e}"),
        )
    })?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(content.subject.clone())
        .message_id(Some(message_id.to_string()))
        .date(at.into())
        .multipart(MultiPart::alternative_plain_html(
            content.text.clone(),
            content.html.clone(),
        ))
        .map_err(|e| EngineError::new(ErrorKind::Internal, format!("cannot build the e-mail: {e}")))
}

fn from_mailbox(name: &str, address: &str) -> EngineResult<Mailbox> {
    let address = address.parse().map_err(|e| {
        EngineError::new(
            ErrorKind::InvalidInput,
            format!("'{address}' is not an e-mail address: {e}"),
        )
    })?;
    Ok(Mailbox::new(Some(name.to_string()), address))
}

/// Why security `none` takes no password: SMTP AUTH without TLS sends it readable by anyone on
/// the network between the shop and the mail server.
fn clear_text_login() -> coffer_core::InvalidInput {
    coffer_core::InvalidInput::new(
        "security",
        "'none' would send the SMTP password unencrypted to the mail server; use starttls \
         (port 587) or tls (port 465), or a server that needs no login (go back to the outbox \
         first to forget the saved password)",
    )
}

impl Engine {
    /// The outbox folder of `.eml` notices.
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir().join("outbox")
    }

    /// Sends notices of `merchant` by SMTP from now on. A new password goes to the keyring;
    /// without one, the password already stored for the merchant stays in use.
    pub async fn set_smtp(
        &self,
        merchant: MerchantId,
        input: SmtpInput,
        password: Option<SecretString>,
    ) -> EngineResult<SmtpView> {
        if !matches!(input.security.as_str(), "none" | "starttls" | "tls") {
            return Err(coffer_core::InvalidInput::new(
                "security",
                format!("'{}' must be none, starttls or tls", input.security),
            )
            .into());
        }
        from_mailbox("check", &input.from_address)
            .map_err(|e| EngineError::new(ErrorKind::InvalidInput, format!("from_address: {e}")))?;
        if input.security == "none" && password.is_some() {
            return Err(clear_text_login().into());
        }
        let (account, kept) = self
            .with_store(move |store| {
                let account =
                    crate::secrets::merchant_secret_address(&store.merchant(merchant)?).account;
                Ok((
                    account,
                    store.smtp_settings(merchant)?.and_then(|s| s.secret),
                ))
            })
            .await?;
        let secret = match password {
            None if input.security == "none" && kept.is_some() => {
                return Err(clear_text_login().into());
            }
            // No new password: the one in the keyring stays in use.
            None => kept,
            Some(password) => {
                // Keyed like the merchant's own secret (its provider account and environment), so
                // another profile's merchant number 1 never overwrites this password.
                let at = SecretRef {
                    service: crate::secrets::keyring_service(),
                    account: format!("smtp:{account}"),
                };
                let target = at.clone();
                self.secrets_blocking(move |s| s.set(&target, &password))
                    .await?;
                if let Some(old) = kept.filter(|old| *old != at) {
                    self.secrets_blocking(move |s| s.delete(&old)).await?;
                }
                Some(at)
            }
        };
        let settings = SmtpSettings {
            merchant_id: merchant,
            host: input.host,
            port: input.port,
            security: input.security,
            username: input.username,
            from_address: input.from_address,
            secret,
        };
        let now = self.now();
        let audit = self.audit_event(
            Some(merchant.0),
            "smtp_set",
            format!("merchant:{merchant}"),
            serde_json::json!({"host": settings.host, "port": settings.port, "security": settings.security}),
        );
        self.with_store(move |store| {
            store.merchant(merchant)?;
            store.batch(|store| {
                store.set_smtp_settings(&settings, now)?;
                store.append_audit_here(audit)?;
                Ok(())
            })?;
            Ok(())
        })
        .await?;
        self.smtp(merchant).await
    }

    /// Back to the `.eml` outbox for `merchant`.
    pub async fn clear_smtp(&self, merchant: MerchantId) -> EngineResult<SmtpView> {
        let settings = self
            .with_store(move |store| Ok(store.smtp_settings(merchant)?))
            .await?;
        if let Some(at) = settings.and_then(|s| s.secret) {
            self.secrets_blocking(move |s| s.delete(&at)).await?;
        }
        self.with_store(move |store| Ok(store.remove_smtp_settings(merchant)?))
            .await?;
        self.smtp(merchant).await
    }

    /// How `merchant`'s notices go out.
    pub async fn smtp(&self, merchant: MerchantId) -> EngineResult<SmtpView> {
        let settings = self
            .with_store(move |store| {
                store.merchant(merchant)?;
                Ok(store.smtp_settings(merchant)?)
            })
            .await?;
        Ok(SmtpView {
            merchant_id: merchant.0,
            channel: if settings.is_some() { "smtp" } else { "outbox" }.into(),
            outbox: settings
                .is_none()
                .then(|| self.outbox_dir().display().to_string()),
            smtp: settings.map(SmtpServer::from),
        })
    }

    /// Notices sent for the given merchants' contracts (all when empty), newest first.
    pub async fn list_notices(&self, scope: impl Into<Scope>) -> EngineResult<Vec<Notice>> {
        let merchants = self.resolve_scope(scope).await?;
        let rows = self
            .with_store(move |store| Ok(store.notices(&merchants, false, 1000)?))
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
        self.with_store(move |store| {
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
            .with_store(move |store| Ok(store.smtp_settings(merchant_id)?))
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

    async fn deliver(
        &self,
        merchant: &Merchant,
        notice: &NewNotice,
        content: &NoticeContent,
        settings: Option<SmtpSettings>,
        id: i64,
    ) -> EngineResult<String> {
        let stem = match notice.occurrence {
            Some(n) => format!(
                "contract-{}-{}-{n}",
                notice.contract_id,
                notice.kind.as_str()
            ),
            // A contract may change its terms many times: each notice keeps its own file.
            None if notice.kind == NoticeKind::TermsChange => format!(
                "contract-{}-{}-{id}",
                notice.contract_id,
                notice.kind.as_str()
            ),
            None => format!("contract-{}-{}", notice.contract_id, notice.kind.as_str()),
        };
        let message_id = format!("<{stem}.{id}@coffer.invalid>");
        match settings {
            None => {
                let from = from_mailbox(&merchant.name, OUTBOX_FROM)?;
                let message = message_of(content, from, &notice.recipient, &message_id, notice.at)?;
                let dir = self.outbox_dir();
                let path = dir.join(format!("{stem}.eml"));
                let bytes = message.formatted();
                let target = path.clone();
                tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                    coffer_store::private::create_dir(&dir)?;
                    coffer_store::private::restrict(&dir)?;
                    let tmp = target.with_extension("eml.tmp");
                    std::io::Write::write_all(
                        &mut coffer_store::private::create_file(&tmp)?,
                        &bytes,
                    )?;
                    std::fs::rename(&tmp, &target)
                })
                .await
                .map_err(|e| EngineError::new(ErrorKind::Internal, format!("outbox task: {e}")))?
                .map_err(|e| {
                    EngineError::new(
                        ErrorKind::Internal,
                        format!("cannot write {}: {e}", path.display()),
                    )
                })?;
                Ok(path.display().to_string())
            }
            Some(smtp) => {
                let from = from_mailbox(&merchant.name, &smtp.from_address)?;
                let message = message_of(content, from, &notice.recipient, &message_id, notice.at)?;
                let password = match smtp.secret.clone() {
                    Some(at) => Some(self.secrets_blocking(move |s| s.get(&at)).await?),
                    None => None,
                };
                let unavailable = |e: lettre::transport::smtp::Error| {
                    EngineError::new(
                        ErrorKind::ProviderUnavailable,
                        format!("SMTP {}:{}: {e}", smtp.host, smtp.port),
                    )
                };
                if smtp.security == "none" && password.is_some() {
                    // Settings written before this rule, or by hand: never send it anyway.
                    return Err(clear_text_login().into());
                }
                let builder = match smtp.security.as_str() {
                    "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)
                        .map_err(unavailable)?,
                    "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
                        .map_err(unavailable)?,
                    _ => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
                };
                let mut builder = builder
                    .port(smtp.port)
                    .timeout(Some(std::time::Duration::from_secs(30)));
                if let (Some(user), Some(password)) = (smtp.username.clone(), password) {
                    builder = builder.credentials(
                        lettre::transport::smtp::authentication::Credentials::new(
                            user,
                            password.expose_secret().to_string(),
                        ),
                    );
                }
                builder.build().send(message).await.map_err(unavailable)?;
                Ok(message_id)
            }
        }
    }
}
