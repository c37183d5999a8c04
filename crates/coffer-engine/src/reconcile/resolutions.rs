//! Settling by hand what no provider record settles (audited), and the alerts raised when a
//! provider's record later contradicts such a resolution.

use chrono::{Duration, NaiveDate};
use coffer_core::{AttemptId, ChargeState, ProviderRef};
use coffer_providers::RemoteStatus;
use coffer_store::alerts::AlertKind;
use coffer_store::charges::Settlement;
use serde::Serialize;

use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::scope::Scope;
use crate::Engine;

use super::{reconciled, ReconciledAttempt};

/// How long after a hand resolution reconcile still asks the provider about it.
pub(super) const RESOLUTIONS_WATCHED_DAYS: i64 = 35;

/// What an alert is about.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKindView {
    /// Resolved as not charged, but the provider shows it charged: the card may have paid twice.
    PossibleDuplicate,
    /// Resolved as charged, but the provider shows it declined or under another reference.
    ResolutionContradicted,
}

impl From<AlertKind> for AlertKindView {
    fn from(kind: AlertKind) -> AlertKindView {
        match kind {
            AlertKind::PossibleDuplicate => AlertKindView::PossibleDuplicate,
            AlertKind::ResolutionContradicted => AlertKindView::ResolutionContradicted,
        }
    }
}

impl std::fmt::Display for AlertKindView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AlertKindView::PossibleDuplicate => "possible_duplicate",
            AlertKindView::ResolutionContradicted => "resolution_contradicted",
        })
    }
}

/// An alert for a person: a provider's record against what Coffer settled.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertView {
    /// Its id.
    pub id: i64,
    /// When it was raised.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The merchant.
    pub merchant_id: i64,
    /// The attempt it is about.
    pub attempt_id: i64,
    /// What the provider's record says against the resolution.
    pub kind: AlertKindView,
    /// What was found.
    pub message: String,
}

/// A person's verdict on an attempt no provider record could settle.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Resolution {
    /// The provider shows it made (charged or refunded), under this reference.
    Made {
        /// The provider's reference of it.
        provider_ref: String,
    },
    /// The provider shows it not made, checked on this day.
    NotMade {
        /// When the person checked at the provider.
        checked_on: NaiveDate,
    },
}

impl Engine {
    /// Open alerts of these merchants (all when empty), newest first.
    pub async fn list_alerts(&self, scope: impl Into<Scope>) -> EngineResult<Vec<AlertView>> {
        let merchants = self.resolve_scope(scope).await?;
        let rows = self
            .read_store(move |store| Ok(store.alerts(&merchants, false)?))
            .await?;
        Ok(rows
            .into_iter()
            .map(|a| AlertView {
                id: a.id,
                at: a.at,
                merchant_id: a.merchant_id.0,
                attempt_id: a.attempt_id.0,
                kind: a.kind.into(),
                message: a.message,
            })
            .collect())
    }

    /// Marks an alert seen (audited); it stays in the database.
    pub async fn acknowledge_alert(&self, id: i64) -> EngineResult<()> {
        let now = self.now();
        let audit = self.audit_event(
            None,
            "alert_acknowledged",
            format!("alert:{id}"),
            serde_json::Value::Null,
        );
        self.with_store(move |store| {
            store.batch(|store| {
                if store.acknowledge_alert(id, now)? {
                    store.append_audit_here(audit)?;
                    Ok(())
                } else {
                    Err(coffer_store::StoreError::NotFound {
                        what: format!("open alert {id}"),
                    })
                }
            })?;
            Ok(())
        })
        .await
    }

    /// Settles an attempt by hand, when no provider record could: "made, reference X" or "not
    /// made, checked at the provider on DATE". Audited with who did it; reconcile keeps asking
    /// the provider for a while and raises an alert if its record says otherwise.
    pub async fn resolve_attempt(
        &self,
        id: AttemptId,
        resolution: Resolution,
    ) -> EngineResult<ReconciledAttempt> {
        let row = self.read_store(move |store| Ok(store.attempt(id)?)).await?;
        if row.state != ChargeState::Sending && row.state != ChargeState::Planned {
            return Err(EngineError::new(
                ErrorKind::Conflict,
                format!(
                    "attempt {id} is already settled ({}); only an attempt whose outcome is \
                     unknown can be resolved by hand",
                    row.state
                ),
            ));
        }
        let now = self.now();
        let settlement = match &resolution {
            Resolution::Made { provider_ref } if provider_ref.trim().is_empty() => {
                return Err(coffer_core::InvalidInput::new(
                    "provider_ref",
                    "name the provider's reference of the charge or refund you found",
                )
                .into())
            }
            // The day is the person's, in their zone: only a day no zone has reached yet
            // (UTC+14 is the earliest) is refused, so 01:00 in Helsinki is not "the future".
            Resolution::NotMade { checked_on }
                if *checked_on > (now + chrono::Duration::hours(14)).date_naive() =>
            {
                return Err(coffer_core::InvalidInput::new(
                    "checked_on",
                    format!("{checked_on} is in the future; say the day you checked"),
                )
                .into())
            }
            Resolution::Made { provider_ref } => Settlement {
                state: ChargeState::Succeeded,
                provider_ref: Some(ProviderRef(provider_ref.trim().to_string())),
                decline_code: None,
                hard_decline: false,
                message: Some(format!(
                    "resolved by hand by {}: made at the provider, reference {}",
                    self.inner.actor,
                    provider_ref.trim()
                )),
                warnings: Vec::new(),
                at: now,
            },
            Resolution::NotMade { checked_on } => Settlement {
                state: ChargeState::Failed,
                provider_ref: None,
                decline_code: None,
                hard_decline: false,
                message: Some(format!(
                    "resolved by hand by {}: not made, checked at the provider on {checked_on}",
                    self.inner.actor
                )),
                warnings: Vec::new(),
                at: now,
            },
        };
        let resolution_json = serde_json::to_string(&resolution).map_err(|e| {
            EngineError::new(
                ErrorKind::Internal,
                format!("cannot keep the resolution: {e}"),
            )
        })?;
        let audit = self.audit_event(
            Some(row.merchant_id.0),
            "attempt_resolved_by_hand",
            format!("attempt:{id}"),
            serde_json::json!({"resolution": resolution, "kind": row.kind}),
        );
        let actor = self.inner.actor.clone();
        let settled = self
            .with_store(move |store| {
                let done = store.batch(|store| {
                    let done = store.settle_by_hand(id, &settlement, &actor, &resolution_json)?;
                    if done {
                        store.append_audit_here(audit)?;
                        if let (Some(contract), Some(number), ChargeState::Succeeded) =
                            (row.contract_id, row.occurrence, settlement.state)
                        {
                            store.set_occurrence_state(
                                contract,
                                number,
                                coffer_core::contract::OccurrenceState::Charged,
                            )?;
                        }
                    }
                    Ok(done)
                })?;
                Ok((done, store.attempt(id)?))
            })
            .await?;
        match settled {
            (true, row) => Ok(reconciled(&row, "resolved by hand")),
            (false, row) => Err(EngineError::new(
                ErrorKind::Conflict,
                format!(
                    "attempt {id} was settled meanwhile ({}), by the provider's record or \
                     another desk; it keeps that outcome",
                    row.state
                ),
            )),
        }
    }

    /// Asks the provider again about recent hand resolutions; raises an alert (once) where its
    /// record now says otherwise. Returns the alerts raised now.
    pub(super) async fn watch_resolutions(&self) -> EngineResult<Vec<String>> {
        let since = self.now() - Duration::days(RESOLUTIONS_WATCHED_DAYS);
        let resolved = self
            .read_store(move |store| Ok(store.resolved_by_hand_since(since)?))
            .await?;
        let mut raised = Vec::new();
        for (attempt, resolution) in resolved {
            let Ok(resolution) = serde_json::from_str::<Resolution>(&resolution) else {
                continue;
            };
            // A provider that cannot answer now is asked again on the next reconcile.
            let Ok(Some(found)) = self.look_up(&attempt).await else {
                continue;
            };
            let contradiction = match (&resolution, &found.status) {
                (Resolution::NotMade { checked_on }, RemoteStatus::Succeeded) => Some((
                    AlertKind::PossibleDuplicate,
                    format!(
                        "attempt {} was resolved by hand as not charged (checked on {checked_on}), \
                         but the provider now shows it charged ({} {}): if the card was charged \
                         again since, the cardholder may have paid twice; check and refund one",
                        attempt.id, found.provider_ref, found.amount
                    ),
                )),
                (Resolution::Made { provider_ref }, RemoteStatus::Declined { .. }) => Some((
                    AlertKind::ResolutionContradicted,
                    format!(
                        "attempt {} was resolved by hand as charged ({provider_ref}), but the \
                         provider shows it declined ({})",
                        attempt.id, found.provider_ref
                    ),
                )),
                (Resolution::Made { provider_ref }, RemoteStatus::Succeeded)
                    if found.provider_ref.0 != *provider_ref =>
                {
                    Some((
                        AlertKind::ResolutionContradicted,
                        format!(
                            "attempt {} was resolved by hand as charged under {provider_ref}, but \
                             the provider shows it under {}",
                            attempt.id, found.provider_ref
                        ),
                    ))
                }
                _ => None,
            };
            let Some((kind, message)) = contradiction else {
                continue;
            };
            let audit = self.audit_event(
                Some(attempt.merchant_id.0),
                "alert_raised",
                format!("attempt:{}", attempt.id),
                serde_json::json!({"kind": kind.as_str(), "message": message}),
            );
            let now = self.now();
            let (merchant, id, text) = (attempt.merchant_id, attempt.id, message.clone());
            let new = self
                .with_store(move |store| {
                    Ok(store.batch(|store| {
                        let new = store.raise_alert(now, merchant, id, kind, &text)?;
                        if new {
                            store.append_audit_here(audit)?;
                        }
                        Ok(new)
                    })?)
                })
                .await?;
            if new {
                raised.push(message);
            }
        }
        Ok(raised)
    }
}
