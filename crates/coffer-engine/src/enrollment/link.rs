//! An enrollment link for a cardholder elsewhere, sent by the merchant's notices channel (an
//! `.eml` in the outbox, or SMTP).

use coffer_core::EnrollmentId;

use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::Engine;

impl Engine {
    /// Sends the enrollment's page as a link to `to`, and records where it went.
    pub(super) async fn send_enrollment_link(
        &self,
        id: EnrollmentId,
        to: &str,
    ) -> EngineResult<()> {
        let row = self.enrollment_row(id).await?;
        let page = row.page_url.clone().ok_or_else(|| {
            EngineError::new(
                ErrorKind::Conflict,
                format!("enrollment {id} has no provider page to send"),
            )
        })?;
        let merchant = self.merchant(row.merchant_id).await?;
        let name = match (row.customer_id, &row.new_customer) {
            (Some(c), _) => self.customer(c).await?.name,
            (None, Some(n)) => n.name.clone(),
            (None, None) => String::new(),
        };
        let initial = if row.amount.minor == 0 {
            "none: the card is only verified".to_string()
        } else {
            row.amount.to_string()
        };
        let content = crate::notices::enrollment_link(
            &merchant,
            &name,
            &page,
            &initial,
            &row.terms,
            row.expires_at,
        );
        let settings = self
            .read_store({
                let merchant = merchant.id;
                move |store| Ok(store.smtp_settings(merchant)?)
            })
            .await?;
        let stem = format!("enrollment-{id}-link");
        let location = self
            .deliver_mail(&merchant, &stem, to, self.now(), &content, settings, id.0)
            .await?;
        let audit = self.audit_event(
            Some(merchant.id.0),
            "enrollment_link_sent",
            format!("enrollment:{id}"),
            serde_json::json!({"location": location}),
        );
        let to = to.to_string();
        self.with_store(move |store| {
            Ok(store.batch(|store| {
                store.set_enrollment_sent(id, &to)?;
                store.append_audit_here(audit)?;
                Ok(())
            })?)
        })
        .await
    }
}
