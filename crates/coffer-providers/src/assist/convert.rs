//! Domain ⇄ Assist wire: amounts ("4.99", "29"), expiries (`MM.YYYY`),
//! timestamps (GMT, pattern UNCONFIRMED so read leniently), the `PaymentToken` JSON, the
//! stored-credential flags (cardholder-initiated → Token Pay, merchant-initiated → rp.cfm with
//! the initial billnumber) and the order answers into [`ChargeOutcome`]s.

use chrono::{DateTime, NaiveDateTime, Utc};
use coffer_core::{
    CardBrand, CardExpiry, CardToken, Currency, Initiator, Money, ProviderRef, Sequence,
    StoredCredential,
};

use super::errors::{self, CodeClass};
use super::wire;
use crate::error::{ProviderError, ProviderErrorKind};
use crate::{ChargeOutcome, RemoteCard, RemoteStatus, StoredMethod};

fn invalid(field: &str, message: impl Into<String>) -> ProviderError {
    ProviderError::new(
        ProviderErrorKind::InvalidRequest {
            field: Some(field.into()),
        },
        message,
    )
}

/// An amount for Assist: at most two decimals with `.`, an all-zero fraction dropped
/// ("29", "4.99"); the documented pattern `\d{1,13}(\.\d{1,2})?` accepts both.
pub(crate) fn amount_to_wire(amount: Money, field: &str) -> Result<String, ProviderError> {
    if amount.currency.exponent() > 2 {
        return Err(invalid(
            field,
            format!(
                "Assist takes at most two decimals; {} has {}",
                amount.currency,
                amount.currency.exponent()
            ),
        ));
    }
    if !amount.is_positive() {
        return Err(invalid(
            field,
            format!("{amount} is not an amount Assist can charge"),
        ));
    }
    let text = amount.to_decimal_trimmed('.');
    let whole = text.split('.').next().unwrap_or_default();
    if whole.len() > 13 {
        return Err(invalid(
            field,
            format!("{amount} has more than 13 integer digits"),
        ));
    }
    Ok(text)
}

/// An amount from Assist, exactly. Some older pages wrote `,`; `Money::parse` reads both.
pub(crate) fn amount_from_wire(text: &str, currency: Currency) -> Result<Money, ProviderError> {
    Money::parse(text, currency)
        .map_err(|e| ProviderError::malformed(format!("Assist amount '{text}': {e}")))
}

pub(crate) fn currency_from_wire(text: &str) -> Result<Currency, ProviderError> {
    Currency::from_code(text).map_err(|e| ProviderError::malformed(format!("Assist currency: {e}")))
}

/// `MM.YYYY` from the token listing; `MM/YY` and `MM/YYYY` are read too, as the operation's
/// `cardexpirationdate` pattern is UNCONFIRMED.
pub(crate) fn expiry_from_wire(text: &str) -> Result<CardExpiry, ProviderError> {
    let bad = || ProviderError::malformed(format!("Assist card expiry '{text}' is not MM.YYYY"));
    let (month, year) = text.trim().split_once(['.', '/']).ok_or_else(bad)?;
    if !(1..=2).contains(&month.len()) || !matches!(year.len(), 2 | 4) {
        return Err(bad());
    }
    let month: u32 = month.parse().map_err(|_| bad())?;
    let year: i32 = year.parse().map_err(|_| bad())?;
    CardExpiry::new(year, month).map_err(|_| bad())
}

/// A GMT timestamp (`orderdate`, `operationdate`). The pattern is UNCONFIRMED (assist.md §1), so
/// the forms seen in Assist's pages and clients are tried in turn; `None` if none fits.
pub(crate) fn timestamp_from_wire(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    [
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y.%m.%d %H:%M:%S",
    ]
    .iter()
    .find_map(|pattern| NaiveDateTime::parse_from_str(text, pattern).ok())
    .map(|naive| naive.and_utc())
}

/// `PaymentToken` for TokenType 5: JSON text naming the card and its customer.
pub(crate) fn payment_token(token: &CardToken, customer_number: &str) -> String {
    serde_json::json!({ "Token": token.as_str(), "CustomerNumber": customer_number }).to_string()
}

/// Which Assist service a stored-credential charge goes to (assist.md §3.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// Cardholder-initiated: Token Pay with the One Click token. `initial` marks the first
    /// charge, whose billnumber later MITs link to.
    TokenPay { initial: bool },
    /// Merchant-initiated: rp.cfm against the initial order's billnumber.
    Recurring { initial_bill: String },
}

/// Maps the network flags to the service. A merchant-initiated charge without the initial
/// billnumber cannot be linked and is refused here rather than sent unlinked.
pub(crate) fn route(credential: &StoredCredential) -> Result<Route, ProviderError> {
    match credential.initiator {
        Initiator::Cardholder => Ok(Route::TokenPay {
            initial: credential.sequence == Sequence::Initial,
        }),
        Initiator::Merchant => {
            let reference = credential.initial_ref.as_ref().ok_or_else(|| {
                invalid(
                    "BillNumber",
                    "a merchant-initiated Assist charge needs the billnumber of the initial order",
                )
            })?;
            Ok(Route::Recurring {
                initial_bill: billnumber_to_wire(reference)?,
            })
        }
    }
}

/// A billnumber as Assist takes it: 15–16 digits, or the extended `<billnumber>.<n>` form.
pub(crate) fn billnumber_to_wire(reference: &ProviderRef) -> Result<String, ProviderError> {
    let text = reference.as_str().trim();
    let base = text.split_once('.').map_or(text, |(b, n)| {
        if n.bytes().all(|c| c.is_ascii_digit()) && !n.is_empty() {
            b
        } else {
            ""
        }
    });
    if (15..=16).contains(&base.len()) && base.bytes().all(|b| b.is_ascii_digit()) {
        Ok(text.to_string())
    } else {
        Err(invalid(
            "BillNumber",
            format!("'{text}' is not an Assist billnumber (15–16 digits)"),
        ))
    }
}

/// Lenient boolean for `active`/`needCVC` (type UNCONFIRMED): true/false, 1/0, "1"/"0",
/// "true"/"false", "Y"/"N".
pub(crate) fn flag(value: Option<&serde_json::Value>) -> Option<bool> {
    match value? {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::Number(n) => n.as_i64().map(|n| n != 0),
        serde_json::Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "y" | "yes" => Some(true),
            "0" | "false" | "n" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn last4_checked(text: &str) -> Result<String, ProviderError> {
    coffer_core::card::Last4::new(text)
        .map(|l| l.as_str().to_string())
        .map_err(|e| ProviderError::malformed(format!("Assist card: {e}")))
}

/// A listed One Click card. `active` defaults to true and `needCVC` to false when absent.
pub(crate) fn card_from_wire(card: &wire::TokenCard) -> Result<RemoteCard, ProviderError> {
    let post = card
        .post
        .as_deref()
        .ok_or_else(|| ProviderError::malformed("Assist card without 'post' (last 4 digits)"))?;
    let expire = card
        .expire
        .as_deref()
        .ok_or_else(|| ProviderError::malformed("Assist card without 'expire'"))?;
    if card.token.trim().is_empty() {
        return Err(ProviderError::malformed("Assist card without a token"));
    }
    Ok(RemoteCard {
        token: CardToken::from(card.token.trim()),
        brand: CardBrand::from_name(card.brand.as_deref().unwrap_or_default()),
        last4: last4_checked(post.trim())?,
        bin: card
            .bin_text()
            .filter(|b| coffer_core::card::Bin::new(b).is_ok()),
        bank: card.bank.clone().filter(|b| !b.trim().is_empty()),
        expiry: expiry_from_wire(expire)?,
        active: flag(card.active.as_ref()).unwrap_or(true),
        needs_cvc: flag(card.need_cvc.as_ref()).unwrap_or(false),
        initial_ref: None,
        art_url: card_art(card),
        method: StoredMethod::Card,
        // One Click cards are charged by Token Pay with the cardholder present, never by rp.cfm
        // (providers/assist.md §3.2).
        merchant_initiated: false,
    })
}

/// Asset types that show the card itself, best first (token listing `assetType`,
/// docs.belassist.by pageId=78512321): the combined card image, the background, then the
/// scheme's and issuer's marks. `TERMS_AND_CONDITIONS` is a document, not art.
const ART_TYPES: [&str; 6] = [
    "CARD_BACKGROUND_COMBINED",
    "CARD_BACKGROUND",
    "ICON",
    "CO_BRAND_LOGO",
    "ISSUER_LOGO",
    "BRAND_LOGO",
];

/// The card art of a listed card: the `url` of its best image asset (`ART_TYPES` order), an
/// `http(s)` address whose `mediaType`, when given, is an image other than `image/pdf`. `assetData` is an array of
/// `{url, mediaType, width, height}` in the published example; a bare URL string or a single
/// object is read too (assist.md §2.1). Anything else is no art, never an error.
pub(crate) fn card_art(card: &wire::TokenCard) -> Option<String> {
    let assets = card.assets.as_ref()?.as_array()?;
    let image = |data: &serde_json::Value, asset_media: Option<&str>| -> Option<String> {
        let (url, media) = match data {
            serde_json::Value::String(url) => (url.as_str(), asset_media),
            serde_json::Value::Object(o) => (
                o.get("url")?.as_str()?,
                o.get("mediaType").and_then(|m| m.as_str()).or(asset_media),
            ),
            _ => return None,
        };
        let url = url.trim();
        let web = url.starts_with("https://") || url.starts_with("http://");
        // Visa sends PDFs as `image/pdf` (assist.md §2.1 mediaType list): not a picture.
        let is_image = media.is_none_or(|m| {
            let m = m.trim().to_ascii_lowercase();
            m.starts_with("image/") && m != "image/pdf"
        });
        (web && is_image && !url.contains(char::is_whitespace)).then(|| url.to_string())
    };
    ART_TYPES.iter().find_map(|wanted| {
        assets
            .iter()
            .filter(|a| a.get("assetType").and_then(|t| t.as_str()) == Some(*wanted))
            .find_map(|asset| {
                let media = asset.get("mediaType").and_then(|m| m.as_str());
                match asset.get("assetData")? {
                    serde_json::Value::Array(items) => {
                        items.iter().find_map(|item| image(item, media))
                    }
                    other => image(other, media),
                }
            })
    })
}

/// The card an operation was paid with, from its masked `meannumber` (`424242******4242`).
pub(crate) fn card_from_operation(token: &CardToken, op: &wire::Operation) -> Option<RemoteCard> {
    let masked = op.meannumber.as_deref()?.trim();
    let last4 = masked.get(masked.len().checked_sub(4)?..)?;
    let bin = masked
        .get(..6)
        .filter(|b| b.bytes().all(|c| c.is_ascii_digit()));
    Some(RemoteCard {
        token: token.clone(),
        brand: CardBrand::from_name(op.meantypename.as_deref().unwrap_or_default()),
        last4: last4_checked(last4).ok()?,
        bin: bin.map(str::to_string),
        bank: op.issuebank.clone().filter(|b| !b.trim().is_empty()),
        expiry: expiry_from_wire(op.cardexpirationdate.as_deref()?).ok()?,
        active: true,
        needs_cvc: false,
        initial_ref: None,
        art_url: None,
        method: StoredMethod::Card,
        // A recurring initial's card is charged by rp.cfm, merchant-initiated (providers/assist.md §2.3).
        merchant_initiated: true,
    })
}

/// The responsecode that decides an order: the order's own (rp.cfm/tokenpay answers), else
/// its latest payment-side operation's.
pub(crate) fn decisive_code(order: &wire::Order) -> Option<&str> {
    order
        .responsecode
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .or_else(|| {
            order
                .operation
                .iter()
                .rev()
                .find(|op| op.operationtype.as_deref() != Some("300"))
                .or(order.operation.last())
                .and_then(|op| op.responsecode.as_deref())
        })
        .map(str::trim)
}

fn decisive_message(order: &wire::Order) -> Option<String> {
    order
        .message
        .clone()
        .or_else(|| {
            order
                .operation
                .last()
                .and_then(|op| op.customermessage.clone().or(op.message.clone()))
        })
        .filter(|m| !m.trim().is_empty())
}

/// How an order stands, from `orderstate` (assist.md §4.2) with the responsecode for detail.
pub(crate) fn order_status(order: &wire::Order) -> Result<RemoteStatus, ProviderError> {
    let state = order
        .orderstate
        .as_deref()
        .map(str::trim)
        .ok_or_else(|| ProviderError::malformed("Assist order without orderstate"))?;
    let code = decisive_code(order).map(str::to_string);
    let declined = |code: Option<String>| {
        // The AS code's class, made hard by a Mastercard advice code 03/21 in the order's
        // `merchantadvicecode` (errors::from_order_code), as a charge's own answer is.
        let hard = code.as_deref().is_some_and(|c| {
            errors::classify(c) == CodeClass::DeclinedHard
                || errors::from_order_code(
                    c,
                    None,
                    order.merchantadvicecode.as_deref(),
                    order.errorcategory.as_deref(),
                )
                .kind
                    == ProviderErrorKind::DeclinedHard
        });
        RemoteStatus::Declined {
            hard,
            message: decisive_message(order)
                .or_else(|| code.as_deref().map(|c| errors::code_text(c).to_string())),
            code,
        }
    };
    Ok(match state {
        // Canceled/PartialCanceled orders were paid and later returned: the charge happened.
        "Approved" | "PartialApproved" | "Canceled" | "PartialCanceled" => RemoteStatus::Succeeded,
        "In Process" | "Delayed" | "PartialDelayed" => RemoteStatus::Pending,
        // AS300 is "in progress, wait" (assist.md §4.1): whatever the state says, not final.
        "Declined" | "Timeout"
            if code
                .as_deref()
                .is_some_and(|c| errors::classify(c) == CodeClass::Pending) =>
        {
            RemoteStatus::Pending
        }
        "Declined" | "Timeout" => declined(code),
        other => {
            return Err(ProviderError::malformed(format!(
                "Assist orderstate '{other}'"
            )))
        }
    })
}

/// An order as a [`ChargeOutcome`]: amount from `orderamount`/`ordercurrency` (falling back
/// to `amount`/`currency`), reference = billnumber.
pub(crate) fn charge_outcome(
    order: &wire::Order,
    initial: bool,
) -> Result<ChargeOutcome, ProviderError> {
    let billnumber = order
        .billnumber
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty())
        .ok_or_else(|| ProviderError::malformed("Assist order without billnumber"))?;
    let currency = order
        .ordercurrency
        .as_deref()
        .or(order.currency.as_deref())
        .ok_or_else(|| ProviderError::malformed("Assist order without currency"))?;
    let currency = currency_from_wire(currency)?;
    let amount = order
        .orderamount
        .as_deref()
        .or(order.amount.as_deref())
        .ok_or_else(|| ProviderError::malformed("Assist order without amount"))?;
    let status = order_status(order)?;
    let reference = ProviderRef::from(billnumber);
    Ok(ChargeOutcome {
        initial_ref: (initial && status == RemoteStatus::Succeeded).then(|| reference.clone()),
        provider_ref: reference,
        amount: amount_from_wire(amount, currency)?,
        status,
        warnings: Vec::new(),
        at: order.orderdate.as_deref().and_then(timestamp_from_wire),
    })
}

/// The attempt a lookup settles on (assist.md §2.4): the billnumber we hold; else the newest
/// attempt that may have taken money, because that is the one a retry must not repeat; else
/// the newest.
pub(crate) fn pick_attempt<'a>(
    orders: &[&'a wire::Order],
    billnumber: Option<&str>,
) -> Option<&'a wire::Order> {
    if let Some(wanted) = billnumber {
        let base = wanted.split('.').next().unwrap_or(wanted);
        if let Some(order) = orders
            .iter()
            .find(|o| o.billnumber.as_deref().map(str::trim) == Some(base))
        {
            return Some(order);
        }
    }
    let took_money = |o: &&&wire::Order| {
        matches!(
            o.orderstate.as_deref().map(str::trim),
            Some(
                "Approved"
                    | "PartialApproved"
                    | "Canceled"
                    | "PartialCanceled"
                    | "In Process"
                    | "Delayed"
                    | "PartialDelayed"
            )
        )
    };
    orders
        .iter()
        .rev()
        .find(took_money)
        .or(orders.last())
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_core::Reason;

    fn byn(minor: i64) -> Money {
        Money::from_minor(minor, Currency::BYN)
    }

    #[test]
    fn amounts_use_a_point_and_drop_a_zero_fraction() {
        assert_eq!(amount_to_wire(byn(499), "Amount").unwrap(), "4.99");
        assert_eq!(amount_to_wire(byn(2900), "Amount").unwrap(), "29");
        assert_eq!(amount_to_wire(byn(2590), "Amount").unwrap(), "25.90");
        assert_eq!(amount_to_wire(byn(1034), "Amount").unwrap(), "10.34");
        assert_eq!(
            amount_to_wire(Money::from_minor(100, Currency::JPY), "Amount").unwrap(),
            "100"
        );
        let kwd = amount_to_wire(Money::from_minor(1000, Currency::KWD), "Amount").unwrap_err();
        assert_eq!(
            kwd.kind,
            ProviderErrorKind::InvalidRequest {
                field: Some("Amount".into())
            }
        );
        assert!(
            amount_to_wire(byn(0), "Amount").is_err(),
            "zero is not a charge"
        );
        assert_eq!(amount_from_wire("25.90", Currency::BYN).unwrap(), byn(2590));
        assert_eq!(
            amount_from_wire("10,34", Currency::BYN).unwrap(),
            byn(1034),
            "older pages' comma"
        );
        assert_eq!(
            amount_from_wire("29", Currency::RUB).unwrap(),
            Money::from_minor(2900, Currency::RUB)
        );
        assert_eq!(
            amount_from_wire("1.234", Currency::BYN).unwrap_err().kind,
            ProviderErrorKind::MalformedResponse
        );
    }

    #[test]
    fn dates_expiries_and_timestamps_follow_the_docs() {
        assert_eq!(
            expiry_from_wire("09.2028").unwrap(),
            CardExpiry::new(2028, 9).unwrap()
        );
        assert_eq!(
            expiry_from_wire("9/28").unwrap(),
            CardExpiry::new(2028, 9).unwrap()
        );
        assert!(expiry_from_wire("13.2028").is_err());
        assert!(expiry_from_wire("2028-09").is_err());
        let at = timestamp_from_wire("23.11.2026 10:41:42").unwrap();
        assert_eq!(at.to_rfc3339(), "2026-11-23T10:41:42+00:00");
        assert_eq!(timestamp_from_wire("2026-11-23 10:41:42"), Some(at));
        assert_eq!(timestamp_from_wire("someday"), None);
    }

    #[test]
    fn flags_route_cit_to_tokenpay_and_mit_to_rp_with_the_initial_billnumber() {
        let first = StoredCredential::initial(Reason::Recurring);
        assert_eq!(route(&first).unwrap(), Route::TokenPay { initial: true });
        let mut cit =
            StoredCredential::merchant_initiated(Reason::Unscheduled, "7123400000098765".into());
        cit.initiator = Initiator::Cardholder;
        assert_eq!(route(&cit).unwrap(), Route::TokenPay { initial: false });
        let mit =
            StoredCredential::merchant_initiated(Reason::Recurring, "7123400000098765".into());
        assert_eq!(
            route(&mit).unwrap(),
            Route::Recurring {
                initial_bill: "7123400000098765".into()
            }
        );
        let extended =
            StoredCredential::merchant_initiated(Reason::Recurring, "7123400000098765.1".into());
        assert_eq!(
            route(&extended).unwrap(),
            Route::Recurring {
                initial_bill: "7123400000098765.1".into()
            }
        );
        let mut unlinked = mit.clone();
        unlinked.initial_ref = None;
        assert_eq!(
            route(&unlinked).unwrap_err().kind,
            ProviderErrorKind::InvalidRequest {
                field: Some("BillNumber".into())
            }
        );
        let bad = StoredCredential::merchant_initiated(Reason::Recurring, "ch_123".into());
        assert!(route(&bad).is_err());
    }

    #[test]
    fn payment_token_is_json_text() {
        let text = payment_token(
            &CardToken::from("9b1f0c7e-2d4a-4c1e-8f3a-5a6b7c8d9e01"),
            "CUST-000042",
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["Token"], "9b1f0c7e-2d4a-4c1e-8f3a-5a6b7c8d9e01");
        assert_eq!(back["CustomerNumber"], "CUST-000042");
    }

    #[test]
    fn cards_are_read_with_lenient_flags() {
        let card = wire::TokenCard {
            token: "9b1f0c7e-2d4a-4c1e-8f3a-5a6b7c8d9e01".into(),
            post: Some("4242".into()),
            bin: Some(serde_json::json!(424242)),
            brand: Some("VISA".into()),
            bank: Some("".into()),
            expire: Some("09.2028".into()),
            active: Some(serde_json::json!("0")),
            need_cvc: Some(serde_json::json!(1)),
            assets: None,
        };
        let remote = card_from_wire(&card).unwrap();
        assert_eq!(remote.brand, CardBrand::Visa);
        assert_eq!(remote.last4, "4242");
        assert_eq!(remote.bin.as_deref(), Some("424242"));
        assert_eq!(remote.bank, None, "empty bank is no bank");
        assert!(!remote.active);
        assert!(remote.needs_cvc);
        let broken = wire::TokenCard {
            post: Some("42".into()),
            ..card
        };
        assert_eq!(
            card_from_wire(&broken).unwrap_err().kind,
            ProviderErrorKind::MalformedResponse
        );
        assert_eq!(flag(Some(&serde_json::json!(true))), Some(true));
        assert_eq!(flag(Some(&serde_json::json!("maybe"))), None);
    }

    fn order(bill: &str, state: &str, code: &str) -> wire::Order {
        wire::Order {
            billnumber: Some(bill.into()),
            orderstate: Some(state.into()),
            orderamount: Some("25.90".into()),
            ordercurrency: Some("BYN".into()),
            orderdate: Some("23.11.2026 10:41:42".into()),
            operation: vec![wire::Operation {
                operationtype: Some("100".into()),
                responsecode: Some(code.into()),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn orders_become_outcomes() {
        let ok = charge_outcome(&order("7100000000000001", "Approved", "AS000"), true).unwrap();
        assert_eq!(ok.status, RemoteStatus::Succeeded);
        assert_eq!(ok.amount, byn(2590));
        assert_eq!(
            ok.initial_ref,
            Some(ProviderRef::from("7100000000000001")),
            "a first CIT is the initial"
        );
        let hard = charge_outcome(&order("7100000000000002", "Declined", "AS104"), false).unwrap();
        assert!(
            matches!(hard.status, RemoteStatus::Declined { hard: true, ref code, .. } if code.as_deref() == Some("AS104"))
        );
        let soft = order_status(&order("7100000000000003", "Declined", "AS102")).unwrap();
        assert!(matches!(soft, RemoteStatus::Declined { hard: false, .. }));
        let cancelled = wire::Order {
            merchantadvicecode: Some("21".into()),
            ..order("7100000000000005", "Declined", "AS100")
        };
        assert!(
            matches!(
                order_status(&cancelled).unwrap(),
                RemoteStatus::Declined { hard: true, .. }
            ),
            "a lookup must not offer a retry that Mastercard's advice 21 forbids"
        );
        assert_eq!(
            order_status(&order("1", "In Process", "AS300")).unwrap(),
            RemoteStatus::Pending
        );
        assert_eq!(
            order_status(&order("1", "PartialCanceled", "AS000")).unwrap(),
            RemoteStatus::Succeeded
        );
        assert!(order_status(&order("1", "Weird", "AS000")).is_err());
        let no_bill = wire::Order {
            billnumber: None,
            ..order("1", "Approved", "AS000")
        };
        assert!(charge_outcome(&no_bill, false).is_err());
    }

    #[test]
    fn lookups_settle_on_the_held_billnumber_else_the_attempt_that_took_money() {
        let declined = order("7100000000000001", "Declined", "AS102");
        let approved = order("7100000000000002", "Approved", "AS000");
        let later_declined = order("7100000000000003", "Declined", "AS100");
        let all = [&declined, &approved, &later_declined];
        assert_eq!(
            pick_attempt(&all, Some("7100000000000001.1")),
            Some(&declined)
        );
        assert_eq!(pick_attempt(&all, None), Some(&approved));
        assert_eq!(
            pick_attempt(&[&declined, &later_declined], None),
            Some(&later_declined)
        );
        assert_eq!(pick_attempt(&[], None), None);
    }

    const TOKENPAY: &str = include_str!("../../tests/fixtures/assist/tokenpay_approved.xml");
    const TWO_ATTEMPTS: &str =
        include_str!("../../tests/fixtures/assist/orderresult_two_attempts.xml");
    const LISTING: &str = include_str!("../../tests/fixtures/assist/token_listing.json");

    #[test]
    fn documented_token_pay_answer_becomes_an_initial_outcome_and_a_card() {
        let result = wire::AssistResult::parse(TOKENPAY).unwrap();
        assert_eq!(result.codes().unwrap(), (0, 0));
        let order = result.all_orders().next().unwrap();
        let outcome = charge_outcome(order, true).unwrap();
        assert_eq!(outcome.provider_ref.as_str(), "7123400000098765");
        assert_eq!(
            outcome.initial_ref,
            Some(ProviderRef::from("7123400000098765"))
        );
        assert_eq!(outcome.amount, byn(2590));
        assert_eq!(
            outcome.at.unwrap().to_rfc3339(),
            "2026-11-23T10:41:42+00:00"
        );
        let token = CardToken::from("9b1f0c7e-2d4a-4c1e-8f3a-5a6b7c8d9e01");
        let card = card_from_operation(&token, &order.operation[0]).unwrap();
        assert_eq!(
            (card.last4.as_str(), card.bin.as_deref()),
            ("4242", Some("424242"))
        );
        assert_eq!(card.expiry, CardExpiry::new(2028, 9).unwrap());
        assert_eq!(card.brand, CardBrand::Visa);
    }

    #[test]
    fn documented_orderresult_settles_on_the_attempt_that_took_money() {
        let result = wire::AssistResult::parse(TWO_ATTEMPTS).unwrap();
        assert_eq!(result.count.as_deref(), Some("2"));
        let orders: Vec<&wire::Order> = result.all_orders().collect();
        let picked = pick_attempt(&orders, None).unwrap();
        let outcome = charge_outcome(picked, false).unwrap();
        assert_eq!(outcome.provider_ref.as_str(), "7123400000098772");
        assert_eq!(
            outcome.status,
            RemoteStatus::Succeeded,
            "partly refunded, but charged"
        );
        assert_eq!(
            decisive_code(picked),
            Some("AS000"),
            "the payment, not the cancel, decides"
        );
        let first = charge_outcome(
            pick_attempt(&orders, Some("7123400000098770")).unwrap(),
            false,
        )
        .unwrap();
        assert!(matches!(
            first.status,
            RemoteStatus::Declined { hard: false, .. }
        ));
    }

    #[test]
    fn documented_token_listing_becomes_cards() {
        let wire::TokenAnswer::Cards(cards) = wire::parse_token_answer(LISTING).unwrap() else {
            panic!("a listing");
        };
        let cards: Vec<RemoteCard> = cards
            .iter()
            .map(card_from_wire)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(cards.len(), 2);
        assert_eq!(
            cards[0].token.as_str(),
            "9b1f0c7e-2d4a-4c1e-8f3a-5a6b7c8d9e01"
        );
        assert!(cards[0].active && !cards[0].needs_cvc);
        assert_eq!(cards[1].brand, CardBrand::Mastercard);
        assert!(
            !cards[1].active && cards[1].needs_cvc,
            "string flags read too"
        );
        assert_eq!(cards[1].expiry, CardExpiry::new(2025, 1).unwrap());
    }

    #[test]
    fn card_art_is_the_best_image_asset_and_never_fails_a_card() {
        let card = |assets: &str| -> wire::TokenCard {
            serde_json::from_str(&format!(
                r#"{{"token":"t-1","post":"0028","bin":412362,"brand":"VISA","expire":"12.2025","assets":{assets}}}"#
            ))
            .unwrap()
        };
        // The published example's shape (docs.belassist.by pageId=78512321): an ICON, then a
        // CARD_BACKGROUND, each with an array of assetData.
        let published = card(
            r#"[{"assetType":"ICON","altText":"cardSymbol","paymentType":"VISA","assetData":[{"url":"https://assets.example/icon.png","mediaType":"image/png","width":100,"height":100}]},
                {"assetType":"CARD_BACKGROUND","altText":"digitalCardArt","paymentType":"VISA","assetData":[{"url":"https://assets.example/art.png","mediaType":"image/png","width":1536,"height":969}]}]"#,
        );
        assert_eq!(
            card_from_wire(&published).unwrap().art_url.as_deref(),
            Some("https://assets.example/art.png"),
            "the card background wins over the icon"
        );
        let pdf_only = card(
            r#"[{"assetType":"TERMS_AND_CONDITIONS","assetData":[{"url":"https://assets.example/t.pdf","mediaType":"application/pdf"}]},
                {"assetType":"CARD_BACKGROUND","assetData":[{"url":"https://assets.example/b.pdf","mediaType":"image/pdf"}]}]"#,
        );
        assert_eq!(
            card_from_wire(&pdf_only).unwrap().art_url,
            None,
            "not an image"
        );
        let bare = card(r#"[{"assetType":"ICON","assetData":"https://assets.example/i.png"}]"#);
        assert_eq!(
            card_art(&bare).as_deref(),
            Some("https://assets.example/i.png"),
            "assetData as a bare URL (assist.md §2.1)"
        );
        for odd in [
            r#""""#,
            "[]",
            "{}",
            "7",
            r#"[{"assetType":"ICON","assetData":[{"url":"javascript:alert(1)"}]}]"#,
        ] {
            let card = card(odd);
            assert_eq!(card_art(&card), None, "{odd}");
            assert!(
                card_from_wire(&card).is_ok(),
                "odd art never fails the card: {odd}"
            );
        }
    }
}
