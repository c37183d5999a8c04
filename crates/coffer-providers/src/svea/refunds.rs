//! Svea refunds: a Payment Cancel of the `pmt_id`, and the refund after settlement (code 30),
//! whose money the merchant transfers back with the instructions Svea answers.

use super::*;

impl SveaClient {
    /// REFUND_AFTER_SETTLEMENT of a settled payment ("Refund Payment After Settlement", Svea's
    /// DOCS page 1657012824): accepted with `00` and the `pmtc_pay_with_*` instructions.
    pub(super) async fn refund_after_settlement(
        &self,
        request: &RefundRequest,
        pmt_id: &str,
    ) -> Result<RefundOutcome, ProviderError> {
        let (answer, code) = self
            .payment_cancel(
                request,
                pmt_id,
                "REFUND_AFTER_SETTLEMENT",
                "REFUND_AFTER_SETTLEMENT",
            )
            .await?;
        if code != "00" {
            return Err(errors::from_cancel(
                &code,
                answer.pmtc_returntext.as_deref().unwrap_or(""),
                &answer.errors,
            )
            .with_ref(ProviderRef(pmt_id.to_string())));
        }
        // Svea took the refund: an answer without its instructions hides one, so it is unknown.
        let unread = |what: &str| {
            with_pmt_id(
                ProviderError::malformed(format!(
                    "Svea accepted the refund after settlement but its answer {what}; see the \
                     payment in Svea's extranet for where to pay the refund"
                ))
                .after_write(),
                pmt_id,
            )
        };
        let field = |value: &Option<String>, name: &str| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
                .ok_or_else(|| unread(&format!("has no {name}")))
        };
        let recipient = field(
            &answer.pmtc_pay_with_recipientname,
            "pmtc_pay_with_recipientname",
        )?;
        let iban = field(&answer.pmtc_pay_with_iban, "pmtc_pay_with_iban")?;
        let reference = field(&answer.pmtc_pay_with_reference, "pmtc_pay_with_reference")?;
        let amount_text = field(&answer.pmtc_pay_with_amount, "pmtc_pay_with_amount")?;
        // The modules print the amount as Svea sends it (WooCommerce appends " €"); Svea's
        // amounts are n,nn everywhere else, and a dot is read too rather than lose a refund.
        let amount = Money::parse(&amount_text, request.amount.currency)
            .ok()
            .filter(|m| m.is_positive())
            .ok_or_else(|| unread(&format!("has pmtc_pay_with_amount '{amount_text}'")))?;
        Ok(RefundOutcome {
            provider_ref: ProviderRef(pmt_id.to_string()),
            amount: request.amount,
            transfer: Some(coffer_core::RefundTransfer {
                recipient,
                iban,
                reference,
                amount,
                transferred_at: None,
            }),
        })
    }

    /// One PaymentCancel.pmt request (§3.5) and its answer's code. A `00` answer is checked
    /// (its hash in hash mode, its `pmtc_id`); other codes are the caller's to read.
    pub(super) async fn payment_cancel(
        &self,
        request: &RefundRequest,
        pmt_id: &str,
        action: &str,
        cancel_type: &str,
    ) -> Result<(wire::Pmtc, String), ProviderError> {
        let original = convert::amount_to_wire(request.charge_amount, "pmtc_amount")?;
        let mut form = pairs(&[
            ("pmtc_action", action),
            ("pmtc_version", "0005"),
            ("pmtc_sellerid", &self.seller_id),
            ("pmtc_id", pmt_id),
            ("pmtc_amount", &original),
            ("pmtc_currency", "EUR"),
            ("pmtc_canceltype", cancel_type),
        ]);
        // §3.5: omitted for a full refund, compulsory for a refund after settlement.
        if cancel_type != "FULL_REFUND" {
            form.push((
                "pmtc_cancelamount".into(),
                convert::amount_to_wire(request.amount, "pmtc_cancelamount")?,
            ));
        }
        let description: String = format!("Coffer refund {}", request.refund_id)
            .chars()
            .take(500)
            .collect();
        form.extend(pairs(&[
            ("pmtc_canceldescription", &description),
            ("pmtc_resptype", "XML"),
            ("pmtc_keygeneration", &self.key_generation),
        ]));
        let names = [
            "pmtc_action",
            "pmtc_version",
            "pmtc_sellerid",
            "pmtc_id",
            "pmtc_amount",
            "pmtc_currency",
            "pmtc_canceltype",
            "pmtc_cancelamount",
            "pmtc_payeribanrefund",
        ];
        // A partial refund sent twice would refund twice.
        let body = self
            .post(
                "/PaymentCancel.pmt",
                form,
                &names,
                "pmtc",
                Resend::Once,
                false,
            )
            .await
            .map_err(|e| with_pmt_id(e, pmt_id))?;
        // The cancel was received: an answer that cannot be read or trusted may hide a refund.
        let answer: wire::Pmtc =
            read(&body, "pmtc").map_err(|e| with_pmt_id(e.after_write(), pmt_id))?;
        let code = answer.pmtc_returncode.clone().ok_or_else(|| {
            with_pmt_id(
                ProviderError::malformed("the cancel answer has no pmtc_returncode").after_write(),
                pmt_id,
            )
        })?;
        let text = answer.pmtc_returntext.as_deref().unwrap_or("");
        // The plugins verify the cancel hash on success only; so do we.
        if code != "00" {
            return Ok((answer, code));
        }
        // Hash mode only: the hashed fields must be there and the hash right. Under Basic the
        // answer needs only its code (all Svea's Magento 2 module reads, RefundCommand.php).
        if let SveaAuth::Hash(_) = self.auth {
            let mut values = Vec::new();
            for value in [
                &answer.pmtc_action,
                &answer.pmtc_version,
                &answer.pmtc_sellerid,
                &answer.pmtc_id,
            ] {
                values.push(value.as_deref().ok_or_else(|| {
                    with_pmt_id(
                        ProviderError::malformed("the cancel answer lacks a hashed field")
                            .after_write(),
                        pmt_id,
                    )
                })?);
            }
            values.push(text);
            values.push(&code);
            if !self.answer_hash_ok(&values, answer.pmtc_hash.as_deref()) {
                return Err(ProviderError::malformed(
                    "the cancel answer's pmtc_hash does not match; check the payment's status before refunding again",
                )
                .after_write()
                .with_ref(ProviderRef(pmt_id.to_string())));
            }
        }
        if answer.pmtc_id.as_deref().is_some_and(|id| id != pmt_id) {
            return Err(ProviderError::malformed(
                "the cancel answer is about another pmt_id; check the payment's status before refunding again",
            )
            .after_write()
            .with_ref(ProviderRef(pmt_id.to_string())));
        }
        Ok((answer, code))
    }
}
