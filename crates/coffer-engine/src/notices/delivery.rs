//! How a notice goes out: an `.eml` file in the profile's outbox, or SMTP with the password
//! from the keyring; and the merchant's SMTP settings.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use coffer_core::NoticeKind;
use coffer_core::{Merchant, MerchantId, SecretRef};
use coffer_store::notices::NewNotice;
use coffer_store::smtp::SmtpSettings;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::Engine;

use super::NoticeContent;

/// The From address of notices written to the outbox, when no SMTP settings say otherwise.
pub const OUTBOX_FROM: &str = "notices@coffer.invalid";

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
            .read_store(move |store| {
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
            .read_store(move |store| Ok(store.smtp_settings(merchant)?))
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
            .read_store(move |store| {
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

    pub(super) async fn deliver(
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
        self.deliver_mail(
            merchant,
            &stem,
            &notice.recipient,
            notice.at,
            content,
            settings,
            id,
        )
        .await
    }

    /// Sends one e-mail to a cardholder by the merchant's channel: an `.eml` file named `stem`
    /// in the outbox, or SMTP. Returns the file or the Message-ID.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn deliver_mail(
        &self,
        merchant: &Merchant,
        stem: &str,
        recipient: &str,
        at: DateTime<Utc>,
        content: &NoticeContent,
        settings: Option<SmtpSettings>,
        id: i64,
    ) -> EngineResult<String> {
        let message_id = format!("<{stem}.{id}@coffer.invalid>");
        match settings {
            None => {
                let from = from_mailbox(&merchant.name, OUTBOX_FROM)?;
                let message = message_of(content, from, recipient, &message_id, at)?;
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
                let message = message_of(content, from, recipient, &message_id, at)?;
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
