//! Pause, resume, skip (and un-skip) one charge, cancel a contract or refund one of its charges,
//! each with the notice the cardholder is owed.

use chrono::{Days, NaiveDate};
use coffer_core::clock::local_date;
use coffer_core::contract::{ContractStatus, Occurrence, OccurrenceState};
use coffer_core::schedule::nth_due;
use coffer_core::NoticeKind;
use coffer_core::{AttemptId, ContractId, InvalidInput};
use coffer_store::notices::NewNotice;

use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::notices::{self, NoticeSent};
use crate::refunds::RefundResult;
use crate::Engine;

use super::terms::terms_wait;
use super::{occurrence_amount, refresh_schedule, ContractView};

impl Engine {
    /// Pauses a contract: nothing is charged until it is resumed. A charge already announced to
    /// the cardholder is cancelled and the cardholder is sent a cancellation of it.
    pub async fn pause_contract(&self, id: ContractId) -> EngineResult<ContractView> {
        let (cancelled, lead) = self
            .set_status(id, ContractStatus::Paused, "paused")
            .await?;
        let mut done = vec![format!(
            "Paused: nothing is charged until the contract is resumed. Undo: resume it; charges \
             continue from the next date after that, each announced to the cardholder at least \
             {lead} days before."
        )];
        let mut view = self.contract_view(id, true).await?;
        for o in &cancelled {
            match self
                .send_charge_cancelled(id, o, "the agreement is paused")
                .await
            {
                Ok(notice) => {
                    view.notices_sent.extend(notice);
                    done.push(format!(
                        "Charge {} of {} on {} had been announced: it is cancelled and the \
                         cardholder was sent a cancellation of it.",
                        o.number, o.amount, o.due
                    ));
                }
                Err(e) => {
                    view.notice_error = Some(e.to_string());
                    done.push(format!(
                        "Charge {} of {} on {} had been announced: it is cancelled, but the \
                         cancellation could not be sent ({e}); tell the cardholder yourself.",
                        o.number, o.amount, o.due
                    ));
                }
            }
        }
        view.done = done;
        Ok(view)
    }

    /// Resumes a paused contract; occurrences that fell due while it was paused are not charged.
    /// The next charge is announced at once where its notice is due (at least the merchant's
    /// lead time before it); a later one is announced by the due run.
    pub async fn resume_contract(&self, id: ContractId) -> EngineResult<ContractView> {
        let (_, lead) = self
            .set_status(id, ContractStatus::Active, "resumed")
            .await?;
        let now = self.now();
        let (merchant, next, held) = self
            .read_store(move |store| {
                let contract = store.contract(id)?;
                let merchant = store.merchant(contract.merchant_id)?;
                let today = local_date(now, merchant.time_zone);
                let first = today
                    .checked_add_days(Days::new(u64::from(lead)))
                    .unwrap_or(today);
                let next = store
                    .occurrences_of(id)?
                    .into_iter()
                    .filter(|o| {
                        o.state == OccurrenceState::Scheduled
                            && o.notice_sent_at.is_none()
                            && o.due >= first
                    })
                    .min_by_key(|o| o.due);
                let held = next
                    .as_ref()
                    .and_then(|o| terms_wait(&contract, merchant.provider(), o.amount));
                Ok((merchant, next, held))
            })
            .await?;
        let mut done = vec![
            "Resumed: charges continue; those that fell due while the contract was paused are not made. Undo: pause it again.".to_string(),
        ];
        let mut sent = Vec::new();
        let mut error = None;
        if let Some(o) = &next {
            match self.send_pre_charge(&merchant, o).await {
                Ok(Some(notice)) => {
                    done.push(format!(
                        "The cardholder was sent a notice of the next charge: {} on {}.",
                        o.amount, o.due
                    ));
                    sent.push(notice);
                }
                Ok(None) => {
                    if let Some(why) = &held {
                        done.push(format!(
                            "The next charge, {} on {}, is not announced yet: {why}.",
                            o.amount, o.due
                        ));
                    }
                }
                Err(e) => error = Some(e.to_string()),
            }
        }
        let mut view = self.contract_view(id, true).await?;
        if next.is_none() {
            if let Some(due) = view.next_due {
                done.push(format!(
                    "The next charge is on {due}; the cardholder is sent its notice at least \
                     {lead} days before, by {}.",
                    coffer_core::schedule::notice_deadline(due, lead)
                ));
            }
        }
        view.notices_sent = sent;
        view.notice_error = error;
        view.done = done;
        Ok(view)
    }

    /// Cancels the whole contract: no charge after it. The cardholder is told.
    pub async fn cancel_contract(
        &self,
        id: ContractId,
        reason: Option<String>,
    ) -> EngineResult<ContractView> {
        if let Some(reason) = &reason {
            coffer_core::free_text::refuse_card_number("reason", reason)?;
        }
        let reason = reason.unwrap_or_else(|| "cancelled".into());
        self.set_status(id, ContractStatus::Cancelled, &reason)
            .await?;
        let mut view = self.contract_view(id, false).await?;
        let sent = self.send_cancellation(id).await;
        match sent {
            Ok(sent) => view.notices_sent.extend(sent),
            Err(e) => view.notice_error = Some(e.to_string()),
        }
        Ok(view)
    }

    pub(super) async fn send_cancellation(
        &self,
        id: ContractId,
    ) -> EngineResult<Option<NoticeSent>> {
        let now = self.now();
        let (contract, merchant, customer, card) = self
            .read_store(move |store| {
                let contract = store.contract(id)?;
                let card = store.card(contract.card_id)?;
                let merchant = store.merchant(contract.merchant_id)?;
                let customer = store.customer(card.customer_id)?;
                Ok((contract, merchant, customer, card))
            })
            .await?;
        let Some(recipient) = customer.email.clone() else {
            return Ok(None);
        };
        let today = local_date(now, merchant.time_zone);
        let content = notices::cancellation(&contract, &merchant, &customer, &card, today);
        self.send_notice(
            &merchant,
            NewNotice {
                contract_id: id,
                occurrence: None,
                kind: NoticeKind::Cancellation,
                recipient,
                amount: None,
                due: Some(today),
                channel: String::new(),
                at: now,
            },
            content,
        )
        .await
    }

    /// Sends the cardholder word that an announced charge will not be made, and why.
    pub(super) async fn send_charge_cancelled(
        &self,
        id: ContractId,
        occurrence: &Occurrence,
        why: &str,
    ) -> EngineResult<Option<NoticeSent>> {
        let (contract, merchant, customer, card) = self
            .read_store(move |store| {
                let contract = store.contract(id)?;
                let card = store.card(contract.card_id)?;
                let merchant = store.merchant(contract.merchant_id)?;
                let customer = store.customer(card.customer_id)?;
                Ok((contract, merchant, customer, card))
            })
            .await?;
        let recipient = customer.email.clone().ok_or_else(|| {
            EngineError::new(
                ErrorKind::InvalidInput,
                format!(
                    "{} has no e-mail address, so the cancellation of the charge cannot be sent",
                    customer.name
                ),
            )
        })?;
        let content =
            notices::charge_cancelled(&contract, occurrence, &merchant, &customer, &card, why);
        self.send_notice(
            &merchant,
            NewNotice {
                contract_id: id,
                occurrence: Some(occurrence.number),
                kind: NoticeKind::ChargeCancelled,
                recipient,
                amount: Some(occurrence.amount),
                due: Some(occurrence.due),
                channel: String::new(),
                at: self.now(),
            },
            content,
        )
        .await
    }

    /// Moves a contract to `status`. Returns the announced occurrences a pause cancelled and the
    /// merchant's notice lead.
    pub(crate) async fn set_status(
        &self,
        id: ContractId,
        status: ContractStatus,
        reason: &str,
    ) -> EngineResult<(Vec<Occurrence>, u32)> {
        let now = self.now();
        let reason = reason.to_string();
        let mut event = self.audit_event(
            None,
            &format!("contract_{}", format!("{status:?}").to_lowercase()),
            format!("contract:{id}"),
            serde_json::json!({"reason": reason}),
        );
        self.with_store(move |store| {
            let mut contract = store.contract(id)?;
            let merchant = store.merchant(contract.merchant_id)?;
            let today = local_date(now, merchant.time_zone);
            let allowed = matches!(
                (contract.status, status),
                (ContractStatus::Active, ContractStatus::Paused)
                    | (ContractStatus::Paused, ContractStatus::Active)
                    | (
                        ContractStatus::Active | ContractStatus::Paused,
                        ContractStatus::Cancelled | ContractStatus::Ended
                    )
            );
            if !allowed {
                return Err(EngineError::new(
                    ErrorKind::Conflict,
                    format!(
                        "contract {id} is {:?}; it cannot become {status:?}",
                        contract.status
                    ),
                ));
            }
            let resumed =
                contract.status == ContractStatus::Paused && status == ContractStatus::Active;
            contract.status = status;
            let lead = merchant.notice_lead_days;
            // A pause stops the charges the cardholder was already told of, too.
            let announced: Vec<Occurrence> = if status == ContractStatus::Paused {
                store
                    .occurrences_of(id)?
                    .into_iter()
                    .filter(|o| {
                        o.state == OccurrenceState::Scheduled
                            && o.notice_sent_at.is_some()
                            && o.due >= today
                    })
                    .collect()
            } else {
                Vec::new()
            };
            store.batch(|store| {
                store.update_contract(&contract, &reason, now)?;
                for o in &announced {
                    store.set_occurrence_state(id, o.number, OccurrenceState::Cancelled)?;
                }
                match status {
                    ContractStatus::Cancelled | ContractStatus::Ended => {
                        store.cancel_open_occurrences(id, NaiveDate::MIN)?;
                    }
                    ContractStatus::Active if resumed => {
                        store.cancel_open_occurrences_before(id, today)?;
                        refresh_schedule(store, &contract, today, lead)?;
                    }
                    _ => {}
                }
                event.merchant_id = Some(merchant.id.0);
                if !announced.is_empty() {
                    event.details = serde_json::json!({
                        "reason": reason,
                        "cancelled_announced": announced.iter().map(|o| o.number).collect::<Vec<_>>(),
                    })
                    .to_string();
                }
                store.append_audit_here(event)?;
                Ok(())
            })?;
            Ok((announced, lead))
        })
        .await
    }

    /// Skips one upcoming occurrence (by number): it is never charged. When its pre-charge
    /// notice went out, the cardholder is sent a cancellation of that charge. Undo with
    /// [`Engine::restore_occurrence`] while the cardholder has not been told.
    pub async fn cancel_occurrence(
        &self,
        id: ContractId,
        number: u32,
    ) -> EngineResult<ContractView> {
        let mut event = self.audit_event(
            None,
            "occurrence_cancelled",
            format!("contract:{id}"),
            serde_json::Value::Null,
        );
        let skipped = self.with_store(move |store| {
            let contract = store.contract(id)?;
            let due = nth_due(contract.frequency, contract.start, number)
                .filter(|due| contract.end.is_none_or(|end| *due <= end))
                .ok_or_else(|| {
                    InvalidInput::new("occurrence", format!("contract {id} has no occurrence {number}"))
                })?;
            let stored = store.occurrence(id, number)?;
            let amount = stored
                .as_ref()
                .map(|o| o.amount)
                .unwrap_or_else(|| occurrence_amount(&contract));
            let cancelled = store.batch(|store| {
                let cancelled = store.cancel_occurrence(id, number, due, amount)?;
                if cancelled {
                    event.merchant_id = Some(contract.merchant_id.0);
                    event.details = serde_json::json!({"occurrence": number, "due": due, "announced": stored.as_ref().is_some_and(|o| o.notice_sent_at.is_some())}).to_string();
                    store.append_audit_here(event)?;
                }
                Ok(cancelled)
            })?;
            if !cancelled {
                return Err(EngineError::new(
                    ErrorKind::Conflict,
                    format!("occurrence {number} of contract {id} was already charged or cancelled; refund a made charge instead"),
                ));
            }
            Ok(store.occurrence(id, number)?)
        })
        .await?;
        let mut view = self.contract_view(id, true).await?;
        let Some(o) = skipped else {
            return Ok(view);
        };
        if o.notice_sent_at.is_some() {
            match self.send_charge_cancelled(id, &o, "it was skipped").await {
                Ok(notice) => {
                    view.notices_sent.extend(notice);
                    view.done.push(format!(
                        "Charge {number} of {} on {} is skipped: it will not be made. It had been \
                         announced, so the cardholder was sent a cancellation of it; it stays \
                         skipped.",
                        o.amount, o.due
                    ));
                }
                Err(e) => {
                    view.notice_error = Some(e.to_string());
                    view.done.push(format!(
                        "Charge {number} of {} on {} is skipped: it will not be made. It had been \
                         announced, but the cancellation could not be sent ({e}); tell the \
                         cardholder yourself.",
                        o.amount, o.due
                    ));
                }
            }
        } else {
            view.done.push(format!(
                "Charge {number} of {} on {} is skipped: it will not be made. The cardholder had \
                 not been told of it yet. Undo: un-skip it.",
                o.amount, o.due
            ));
        }
        Ok(view)
    }

    /// Undoes a skip: the occurrence is scheduled again and announced like any other. Refused
    /// when the cardholder was already sent a notice of it (and so its cancellation), or its date
    /// is past.
    pub async fn restore_occurrence(
        &self,
        id: ContractId,
        number: u32,
    ) -> EngineResult<ContractView> {
        let now = self.now();
        let mut event = self.audit_event(
            None,
            "occurrence_restored",
            format!("contract:{id}"),
            serde_json::Value::Null,
        );
        let done = self
            .with_store(move |store| {
                let contract = store.contract(id)?;
                let merchant = store.merchant(contract.merchant_id)?;
                let today = local_date(now, merchant.time_zone);
                if !matches!(
                    contract.status,
                    ContractStatus::Active | ContractStatus::Paused
                ) {
                    return Err(InvalidInput::new(
                        "contract",
                        format!("contract {id} is {:?}: nothing more is charged under it", contract.status),
                    )
                    .into());
                }
                let o = store.occurrence(id, number)?.ok_or_else(|| {
                    InvalidInput::new(
                        "occurrence",
                        format!("occurrence {number} of contract {id} was never skipped"),
                    )
                })?;
                if o.state != OccurrenceState::Cancelled {
                    return Err(EngineError::new(
                        ErrorKind::Conflict,
                        format!("occurrence {number} of contract {id} is not skipped"),
                    ));
                }
                if o.notice_sent_at.is_some() {
                    return Err(EngineError::new(
                        ErrorKind::Conflict,
                        format!(
                            "the cardholder was told of charge {number} on {} and then that it \
                             will not be made; it stays cancelled",
                            o.due
                        ),
                    ));
                }
                if o.due < today {
                    return Err(EngineError::new(
                        ErrorKind::Conflict,
                        format!("charge {number} was due on {}, before today ({today})", o.due),
                    ));
                }
                event.merchant_id = Some(merchant.id.0);
                event.details = serde_json::json!({"occurrence": number, "due": o.due}).to_string();
                let restored = store.batch(|store| {
                    let restored = store.restore_occurrence(id, number)?;
                    if restored {
                        store.append_audit_here(event)?;
                    }
                    Ok(restored)
                })?;
                if !restored {
                    return Err(EngineError::new(
                        ErrorKind::Conflict,
                        format!("occurrence {number} of contract {id} changed meanwhile; look again"),
                    ));
                }
                let lead = merchant.notice_lead_days;
                let deadline = coffer_core::schedule::notice_deadline(o.due, lead);
                let mut done = vec![format!(
                    "Charge {number} of {} on {} is scheduled again (un-skipped).",
                    o.amount, o.due
                )];
                done.push(if deadline >= today {
                    format!("The cardholder is sent its notice at least {lead} days before, by {deadline}.")
                } else {
                    format!(
                        "Its notice had to go out by {deadline}, which is past: the charge will be \
                         refused unless the notice lead allows it."
                    )
                });
                Ok(done)
            })
            .await?;
        let mut view = self.contract_view(id, true).await?;
        view.done = done;
        Ok(view)
    }

    /// Cancels a made charge of the contract by refunding `amount` of it, or all that is left.
    pub async fn cancel_charge(
        &self,
        id: ContractId,
        number: u32,
        amount: Option<String>,
    ) -> EngineResult<RefundResult> {
        let attempt: AttemptId = self
            .read_store(move |store| {
                let last = store.last_try(id, number)?;
                match last {
                    Some(last) if last.state == "succeeded" => Ok(last.attempt_id),
                    _ => Err(EngineError::new(
                        ErrorKind::NotFound,
                        format!("occurrence {number} of contract {id} has no successful charge to refund"),
                    )),
                }
            })
            .await?;
        // A second cancel finds nothing left to refund: the rest is checked under the write lock.
        self.refund_charge(crate::refunds::RefundInput {
            charge: attempt,
            amount,
            idempotency_key: None,
        })
        .await
    }
}
