//! Domain ⇄ Clover wire: integer cents and lower-case currencies, epoch milliseconds, string
//! expiries and "MMYY", the stored-credential flags with the `ref_num` link, and the 12-character
//! `external_reference_id`. Each function is exact and tested with the notes' examples.

use chrono::{DateTime, Utc};
use coffer_core::{
    CardBrand, CardExpiry, CardToken, Currency, Initiator, Money, ProviderRef, Reason, Sequence,
    StoredCredential,
};
use sha2::{Digest, Sha256};

use super::errors;
use super::wire;
use crate::{
    ChargeOutcome, ProviderError, ProviderErrorKind, RemoteCard, RemoteStatus, StoredMethod,
};

/// `external_reference_id` is at most 12 characters (notes §2.1).
const EXTERNAL_REFERENCE_MAX: usize = 12;

fn invalid(field: &str, message: impl Into<String>) -> ProviderError {
    ProviderError::new(
        ProviderErrorKind::InvalidRequest {
            field: Some(field.to_string()),
        },
        message,
    )
}

/// Money → `amount` in cents. Clover amounts are minor units of two-decimal currencies.
pub(crate) fn amount_to_wire(money: Money) -> Result<i64, ProviderError> {
    if money.currency.exponent() != 2 {
        return Err(invalid(
            "currency",
            format!("Clover charges in cents; {} has no cents", money.currency),
        ));
    }
    if money.minor < 0 {
        return Err(invalid("amount", format!("{money} is negative")));
    }
    Ok(money.minor)
}

/// Currency → ISO 4217 lower case, as Clover requests want it.
pub(crate) fn currency_to_wire(currency: Currency) -> String {
    currency.code().to_ascii_lowercase()
}

/// `amount` + `currency` from a response (either case) → Money.
pub(crate) fn money_from_wire(amount: i64, currency: &str) -> Result<Money, ProviderError> {
    let currency = Currency::from_code(currency)
        .map_err(|e| ProviderError::malformed(format!("currency: {e}")))?;
    Ok(Money::from_minor(amount, currency))
}

/// Epoch milliseconds → instant.
pub(crate) fn instant_from_wire(millis: i64) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp_millis(millis)
}

/// `ecomind` says who entered the card data, not who started the charge: Clover's "Create a
/// charge" reference (https://docs.clover.com/reference/createcharge) defines it as "who entered
/// the card data used for a charge - customer (ecom) or merchant (moto)", and "Set the
/// transaction type indicator" (https://docs.clover.com/docs/ecommerce-accepting-payments) keeps
/// `moto` for "a payment where the merchant enters the customer's card details received over the
/// phone or by mail". A saved card's data was entered by its cardholder when it was saved, and
/// Clover's own example of paying with a saved customer's card (same page, "Pay for the order",
/// the answer with the subsequent-credential warning) sends `"ecomind":"ecom"`; Clover's
/// WooCommerce plugin (clover-payments-for-woocommerce 2.3.x, `WC_Clover_API::create_charge`)
/// sends no `ecomind` at all, i.e. the default `ecom`. Coffer never keys card data, so every
/// charge is `ecom`, CIT and MIT alike; who started it is `stored_credentials.initiator`. Only
/// the seed's community thread sends `moto` for MITs, which no Clover page supports.
pub(crate) fn ecomind() -> &'static str {
    "ecom"
}

/// The flags of notes §3.2: FIRST/CARDHOLDER for the initial charge, SUBSEQUENT with the
/// initiator afterwards, and for a scheduled subsequent charge `installment_info` whose
/// `invoice_number` is the initial charge's `ref_num`, the link that keeps Clover's warning away.
pub(crate) fn stored_credentials(credential: &StoredCredential) -> wire::StoredCredentials {
    let subsequent = credential.sequence == Sequence::Subsequent;
    let installment_info = (subsequent && credential.scheduled).then(|| wire::InstallmentInfo {
        bill_pay_indicator: match credential.reason {
            Reason::Installment => "Installment",
            Reason::Recurring | Reason::Unscheduled => "Recurring",
        },
        invoice_number: credential
            .initial_ref
            .as_ref()
            .map(|r| r.as_str().to_string()),
    });
    wire::StoredCredentials {
        sequence: if subsequent { "SUBSEQUENT" } else { "FIRST" },
        initiator: match credential.initiator {
            Initiator::Cardholder => "CARDHOLDER",
            Initiator::Merchant => "MERCHANT",
        },
        is_scheduled: credential.scheduled,
        installment_info,
    }
}

/// Our order id as `external_reference_id`: itself when it fits 12 alphanumerics (and `-`),
/// else the first 12 hex digits of its SHA-256, so a long id maps to the same reference on
/// every resend and lookup.
pub(crate) fn external_reference(order_id: &str) -> String {
    let fits = !order_id.is_empty()
        && order_id.len() <= EXTERNAL_REFERENCE_MAX
        && order_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if fits {
        order_id.to_string()
    } else {
        hex::encode(Sha256::digest(order_id.as_bytes()))[..EXTERNAL_REFERENCE_MAX].to_string()
    }
}

/// A Clover object id is upper-case alphanumerics; anything else never reaches a URL path.
pub(crate) fn path_id(field: &str, id: &str) -> Result<String, ProviderError> {
    if !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        Ok(id.to_string())
    } else {
        Err(invalid(field, format!("'{id}' is not a Clover id")))
    }
}

fn digits(value: &wire::Digits) -> Option<i64> {
    match value {
        wire::Digits::Text(t) => t.trim().parse().ok(),
        wire::Digits::Number(n) => Some(*n),
    }
}

/// v3 `expirationDate` "MMYY" → expiry (format inferred, notes §2.6).
pub(crate) fn expiry_from_mmyy(text: &str) -> Result<CardExpiry, ProviderError> {
    let text = text.trim();
    let parsed = (text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| (text[..2].parse::<u32>().ok(), text[2..].parse::<i32>().ok()));
    match parsed {
        Some((Some(month), Some(year))) => CardExpiry::new(2000 + year, month)
            .map_err(|e| ProviderError::malformed(format!("expirationDate '{text}': {e}"))),
        _ => Err(ProviderError::malformed(format!(
            "expirationDate '{text}' is not MMYY"
        ))),
    }
}

fn last4(text: &str) -> Result<String, ProviderError> {
    coffer_core::Last4::new(text)
        .map(|l| l.as_str().to_string())
        .map_err(|e| ProviderError::malformed(format!("last4: {e}")))
}

/// A v3 card element → remote card.
pub(crate) fn card_from_v3(card: &wire::Card) -> Result<RemoteCard, ProviderError> {
    let token = card
        .token
        .clone()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ProviderError::malformed("a saved card without its token"))?;
    Ok(RemoteCard {
        token: CardToken(token),
        brand: CardBrand::from_name(card.card_type.as_deref().unwrap_or("")),
        last4: last4(&card.last4)?,
        bin: card
            .first6
            .clone()
            .filter(|b| coffer_core::Bin::new(b).is_ok()),
        bank: None,
        expiry: expiry_from_mmyy(&card.expiration_date)?,
        active: card
            .token_type
            .as_deref()
            .is_none_or(|t| t.eq_ignore_ascii_case("MULTIPAY")),
        needs_cvc: false,
        initial_ref: None,
        art_url: None,
        method: StoredMethod::Card,
        // A multi-pay token carries MITs with `stored_credentials` (providers/clover.md §3).
        merchant_initiated: true,
    })
}

/// A charge's `source` → remote card (for the card an initial charge was made on).
pub(crate) fn card_from_source(
    source: &wire::Source,
    initial_ref: Option<ProviderRef>,
) -> Result<RemoteCard, ProviderError> {
    let month = source.exp_month.as_ref().and_then(digits);
    let year = source.exp_year.as_ref().and_then(digits);
    let expiry = match (month, year) {
        (Some(m), Some(y)) => CardExpiry::new(y as i32, m as u32)
            .map_err(|e| ProviderError::malformed(format!("source expiry: {e}")))?,
        _ => {
            return Err(ProviderError::malformed(
                "source without exp_month/exp_year",
            ))
        }
    };
    Ok(RemoteCard {
        token: CardToken(source.id.clone()),
        brand: CardBrand::from_name(source.brand.as_deref().unwrap_or("")),
        last4: last4(source.last4.as_deref().unwrap_or(""))?,
        bin: source
            .first6
            .clone()
            .filter(|b| coffer_core::Bin::new(b).is_ok()),
        bank: None,
        expiry,
        active: true,
        needs_cvc: false,
        initial_ref,
        art_url: None,
        method: StoredMethod::Card,
        // A multi-pay token carries MITs with `stored_credentials` (providers/clover.md §3).
        merchant_initiated: true,
    })
}

/// The idempotency key we put in a charge's metadata, when it is there.
pub(crate) fn metadata_key(charge: &wire::Charge) -> Option<&str> {
    charge
        .metadata
        .as_ref()?
        .get("coffer_idempotency_key")?
        .as_str()
}

/// A charge object → outcome. `initial` says whether it was sent as the FIRST charge, whose
/// `ref_num` later MITs link to.
pub(crate) fn outcome(
    charge: &wire::Charge,
    initial: bool,
) -> Result<ChargeOutcome, ProviderError> {
    let status = match (charge.paid, charge.status.as_deref()) {
        (true, Some("succeeded") | None) => RemoteStatus::Succeeded,
        (false, Some("failed")) | (false, None) if charge.failure_code.is_some() => {
            let code = charge
                .decline_code
                .clone()
                .or_else(|| charge.failure_code.clone());
            RemoteStatus::Declined {
                hard: errors::is_hard_decline(
                    charge.failure_code.as_deref(),
                    charge.decline_code.as_deref(),
                ),
                code,
                message: charge.failure_message.clone(),
            }
        }
        _ => RemoteStatus::Pending,
    };
    let succeeded = status == RemoteStatus::Succeeded;
    Ok(ChargeOutcome {
        provider_ref: ProviderRef(charge.id.clone()),
        initial_ref: if initial && succeeded {
            charge.ref_num.clone().map(ProviderRef)
        } else {
            None
        },
        amount: money_from_wire(charge.amount, &charge.currency)?,
        status,
        warnings: charge.warning_message.iter().cloned().collect(),
        at: charge.created.and_then(instant_from_wire),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charge_fixture() -> wire::Charge {
        // The documented sandbox response (notes §2.1).
        serde_json::from_str(include_str!("../../tests/fixtures/clover/charge.json")).unwrap()
    }

    #[test]
    fn amounts_are_integer_cents_and_currencies_lower_case() {
        assert_eq!(
            amount_to_wire(Money::from_minor(2500, Currency::USD)).unwrap(),
            2500
        );
        assert_eq!(
            amount_to_wire(Money::parse("999999.99", Currency::USD).unwrap()).unwrap(),
            99_999_999
        );
        assert!(
            amount_to_wire(Money::from_minor(100, Currency::JPY)).is_err(),
            "no cents in yen"
        );
        assert!(amount_to_wire(Money::from_minor(-1, Currency::USD)).is_err());
        assert_eq!(currency_to_wire(Currency::EUR), "eur");
        assert_eq!(
            money_from_wire(2500, "USD").unwrap(),
            Money::from_minor(2500, Currency::USD)
        );
        assert_eq!(money_from_wire(300, "eur").unwrap().to_decimal('.'), "3.00");
        assert!(money_from_wire(1, "zzz").is_err());
    }

    #[test]
    fn the_documented_charge_reads_back_exactly() {
        let charge = charge_fixture();
        let outcome = outcome(&charge, true).unwrap();
        assert_eq!(outcome.provider_ref.as_str(), "H7QW2KZ1N9VXE");
        assert_eq!(outcome.amount, Money::from_minor(2500, Currency::USD));
        assert_eq!(
            outcome.initial_ref.as_ref().map(|r| r.as_str()),
            Some("216400500123")
        );
        assert_eq!(outcome.status, RemoteStatus::Succeeded);
        assert_eq!(outcome.at.unwrap().timestamp_millis(), 1_718_000_000_000);
        let card = card_from_source(charge.source.as_ref().unwrap(), None).unwrap();
        assert_eq!(
            card.expiry,
            CardExpiry::new(2030, 12).unwrap(),
            "string expiry fields"
        );
        assert_eq!(card.brand, CardBrand::Visa);
        assert_eq!(card.last4, "4242");
        let not_initial = super::outcome(&charge, false).unwrap();
        assert_eq!(
            not_initial.initial_ref, None,
            "only a FIRST charge gives the link"
        );
    }

    #[test]
    fn a_failed_charge_is_a_decline_with_its_code() {
        let mut charge = charge_fixture();
        charge.paid = false;
        charge.status = Some("failed".into());
        charge.failure_code = Some("card_declined".into());
        charge.decline_code = Some("issuer_declined".into());
        let outcome = outcome(&charge, false).unwrap();
        assert!(
            matches!(outcome.status, RemoteStatus::Declined { hard: false, code: Some(ref c), .. } if c == "issuer_declined")
        );
    }

    #[test]
    fn flags_follow_the_mapping_table() {
        let initial = stored_credentials(&StoredCredential::initial(Reason::Recurring));
        assert_eq!(
            (initial.sequence, initial.initiator),
            ("FIRST", "CARDHOLDER")
        );
        assert!(
            initial.installment_info.is_none(),
            "the initial charge links nothing"
        );
        let recurring =
            StoredCredential::merchant_initiated(Reason::Recurring, "216400500123".into());
        let wire = stored_credentials(&recurring);
        assert_eq!(
            (wire.sequence, wire.initiator, wire.is_scheduled),
            ("SUBSEQUENT", "MERCHANT", true)
        );
        let info = wire.installment_info.unwrap();
        assert_eq!(info.bill_pay_indicator, "Recurring");
        assert_eq!(
            info.invoice_number.as_deref(),
            Some("216400500123"),
            "invoice_number = initial ref_num"
        );
        let installment = stored_credentials(&StoredCredential::merchant_initiated(
            Reason::Installment,
            "1".into(),
        ));
        assert_eq!(
            installment.installment_info.unwrap().bill_pay_indicator,
            "Installment"
        );
        let unscheduled = stored_credentials(&StoredCredential::merchant_initiated(
            Reason::Unscheduled,
            "1".into(),
        ));
        assert!(!unscheduled.is_scheduled && unscheduled.installment_info.is_none());
        assert_eq!(
            ecomind(),
            "ecom",
            "a saved card's data was entered by its cardholder: ecom, even when the merchant starts the charge"
        );
        let json = serde_json::to_value(stored_credentials(&recurring)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": true,
                "installment_info": {"bill_pay_indicator": "Recurring", "invoice_number": "216400500123"}}),
            "the seed thread's request body"
        );
    }

    #[test]
    fn external_reference_fits_twelve_characters() {
        assert_eq!(external_reference("INV-0042"), "INV-0042");
        let long = external_reference("contract-17-occurrence-2026-11");
        assert_eq!(long.len(), 12);
        assert_eq!(
            long,
            external_reference("contract-17-occurrence-2026-11"),
            "stable"
        );
        assert_ne!(long, external_reference("contract-17-occurrence-2026-12"));
    }

    #[test]
    fn charge_lists_are_read_bare_or_enveloped() {
        let charge = include_str!("../../tests/fixtures/clover/charge.json");
        let bare: wire::ChargeList = serde_json::from_str(&format!("[{charge}]")).unwrap();
        assert!(matches!(bare, wire::ChargeList::Bare(ref d) if d.len() == 1));
        let envelope: wire::ChargeList = serde_json::from_str(&format!(
            r#"{{"object":"list","data":[{charge}],"has_more":true}}"#
        ))
        .unwrap();
        assert!(
            matches!(envelope, wire::ChargeList::Envelope { has_more: true, ref data } if data.len() == 1)
        );
    }

    #[test]
    fn expiry_mmyy_and_path_ids() {
        assert_eq!(
            expiry_from_mmyy("1230").unwrap(),
            CardExpiry::new(2030, 12).unwrap()
        );
        assert!(expiry_from_mmyy("1330").is_err());
        assert!(expiry_from_mmyy("12/30").is_err());
        assert!(path_id("charge", "H7QW2KZ1N9VXE").is_ok());
        assert!(path_id("charge", "../admin").is_err());
    }
}
