//! Assist's requests and answers as the docs name them (`shared/providers/assist.md` §2):
//! form posts with `Merchant_ID`/`Login`/`Password` in every body, `Format=3` XML answers with a
//! `<result firstcode secondcode>` root, and the JSON One Click token listing. Nothing here
//! leaves the `assist` folder.
//!
//! Request structs hold the password only as a borrowed `&str` for the length of one call and
//! derive no `Debug`, so it cannot end up in a log line.

use serde::{Deserialize, Serialize};

use crate::error::ProviderError;

/// `Format=3`: XML. Every client we read pins it, because the default differs per service.
pub(crate) const FORMAT_XML: &str = "3";

/// A form body of one of the `*.cfm` services.
pub(crate) trait ServiceForm: Serialize + Sync {}

impl ServiceForm for TokenPay<'_> {}
impl ServiceForm for RecurringPayment<'_> {}
impl ServiceForm for OrderResult<'_> {}
impl ServiceForm for Cancel<'_> {}

/// `POST /pay/tokenpay.cfm` (assist.md §2.2).
#[derive(Serialize)]
pub(crate) struct TokenPay<'a> {
    #[serde(rename = "Merchant_ID")]
    pub merchant_id: &'a str,
    #[serde(rename = "Login")]
    pub login: &'a str,
    #[serde(rename = "Password")]
    pub password: &'a str,
    #[serde(rename = "OrderNumber")]
    pub order_number: &'a str,
    #[serde(rename = "OrderAmount")]
    pub order_amount: String,
    #[serde(rename = "OrderCurrency")]
    pub order_currency: &'a str,
    #[serde(rename = "OrderComment", skip_serializing_if = "str::is_empty")]
    pub order_comment: &'a str,
    #[serde(rename = "TokenType")]
    pub token_type: &'a str,
    /// JSON text `{"Token":…,"CustomerNumber":…}`.
    #[serde(rename = "PaymentToken")]
    pub payment_token: String,
    #[serde(rename = "Language")]
    pub language: &'a str,
    #[serde(rename = "Format")]
    pub format: &'a str,
}

/// `POST /recurrent/rp.cfm` (assist.md §2.3), with the agreement's Recurring* terms when known.
#[derive(Serialize)]
pub(crate) struct RecurringPayment<'a> {
    #[serde(rename = "Merchant_ID")]
    pub merchant_id: &'a str,
    #[serde(rename = "Login")]
    pub login: &'a str,
    #[serde(rename = "Password")]
    pub password: &'a str,
    #[serde(rename = "BillNumber")]
    pub bill_number: &'a str,
    #[serde(rename = "OrderNumber")]
    pub order_number: &'a str,
    #[serde(rename = "Amount")]
    pub amount: String,
    #[serde(rename = "Currency")]
    pub currency: &'a str,
    #[serde(rename = "OrderComment", skip_serializing_if = "str::is_empty")]
    pub order_comment: &'a str,
    #[serde(flatten)]
    pub terms: Option<RecurringTerms>,
    #[serde(rename = "Language")]
    pub language: &'a str,
    #[serde(rename = "Format")]
    pub format: &'a str,
}

/// The §3.3 parameters. `RecurringPeriod`, not the seed's `RecurringCount`: every client and
/// the payment-request pages use it.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecurringTerms {
    #[serde(rename = "RecurringIndicator")]
    pub indicator: &'static str,
    #[serde(rename = "RecurringMinAmount", skip_serializing_if = "Option::is_none")]
    pub min_amount: Option<String>,
    #[serde(rename = "RecurringMaxAmount", skip_serializing_if = "Option::is_none")]
    pub max_amount: Option<String>,
    #[serde(rename = "RecurringPeriod", skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    #[serde(rename = "RecurringMaxDate", skip_serializing_if = "Option::is_none")]
    pub max_date: Option<String>,
}

/// `POST /orderresult/orderresult.cfm` (assist.md §2.4). Only the window start is sent: the
/// end defaults to the provider's "now", which avoids clock skew hiding a fresh order.
#[derive(Serialize)]
pub(crate) struct OrderResult<'a> {
    #[serde(rename = "Ordernumber")]
    pub order_number: &'a str,
    #[serde(rename = "Merchant_ID")]
    pub merchant_id: &'a str,
    #[serde(rename = "Login")]
    pub login: &'a str,
    #[serde(rename = "Password")]
    pub password: &'a str,
    #[serde(rename = "StartYear")]
    pub start_year: String,
    #[serde(rename = "StartMonth")]
    pub start_month: String,
    #[serde(rename = "StartDay")]
    pub start_day: String,
    #[serde(rename = "StartHour")]
    pub start_hour: String,
    #[serde(rename = "StartMin")]
    pub start_min: String,
    #[serde(rename = "Format")]
    pub format: &'a str,
}

/// `POST /cancel/wscancel.cfm` (assist.md §2.5). No Amount/Currency = the full amount.
#[derive(Serialize)]
pub(crate) struct Cancel<'a> {
    #[serde(rename = "Billnumber")]
    pub bill_number: &'a str,
    #[serde(rename = "Merchant_ID")]
    pub merchant_id: &'a str,
    #[serde(rename = "Login")]
    pub login: &'a str,
    #[serde(rename = "Password")]
    pub password: &'a str,
    #[serde(rename = "Amount", skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(rename = "Currency", skip_serializing_if = "Option::is_none")]
    pub currency: Option<&'a str>,
    /// 1 = declined by shop: the merchant, not the customer, asks for it.
    #[serde(rename = "CancelReason")]
    pub cancel_reason: &'a str,
    #[serde(rename = "Externalrefundid", skip_serializing_if = "Option::is_none")]
    pub external_refund_id: Option<&'a str>,
    #[serde(rename = "Format")]
    pub format: &'a str,
}

/// The token listing request (assist.md §2.1): credentials nested in `merchant`.
#[derive(Serialize)]
pub(crate) struct TokenListing<'a> {
    pub merchant: TokenMerchant<'a>,
    pub customernumber: &'a str,
    pub language: &'a str,
}

#[derive(Serialize)]
pub(crate) struct TokenMerchant<'a> {
    pub merchant_id: &'a str,
    pub login: &'a str,
    pub password: &'a str,
}

/// One saved card of the listing. Types of `active`/`needCVC` are UNCONFIRMED, hence `Value`.
#[derive(Deserialize, Debug, Clone, PartialEq)]
pub(crate) struct TokenCard {
    pub token: String,
    #[serde(default)]
    pub post: Option<String>,
    #[serde(default)]
    pub bin: Option<String>,
    #[serde(default)]
    pub brand: Option<String>,
    #[serde(default)]
    pub bank: Option<String>,
    #[serde(default)]
    pub expire: Option<String>,
    #[serde(default)]
    pub active: Option<serde_json::Value>,
    #[serde(default, rename = "needCVC")]
    pub need_cvc: Option<serde_json::Value>,
}

/// The `<result>` root of every `Format=3` answer.
#[derive(Deserialize, Debug, Clone, PartialEq, Default)]
pub(crate) struct AssistResult {
    #[serde(rename = "@firstcode")]
    pub firstcode: String,
    #[serde(rename = "@secondcode")]
    pub secondcode: String,
    #[serde(rename = "@count", default)]
    pub count: Option<String>,
    /// orderresult and tokenpay put orders right under the root…
    #[serde(default)]
    pub order: Vec<Order>,
    /// …rp.cfm, charge.cfm and cancel wrap them in `<orders>`.
    #[serde(default)]
    pub orders: Option<Orders>,
}

#[derive(Deserialize, Debug, Clone, PartialEq, Default)]
pub(crate) struct Orders {
    #[serde(default)]
    pub order: Vec<Order>,
}

/// Order fields of assist.md §2.4, plus the per-answer ones rp.cfm and cancel add.
#[derive(Deserialize, Debug, Clone, PartialEq, Default)]
pub(crate) struct Order {
    #[serde(default)]
    pub ordernumber: Option<String>,
    #[serde(default)]
    pub billnumber: Option<String>,
    #[serde(default)]
    pub orderamount: Option<String>,
    #[serde(default)]
    pub ordercurrency: Option<String>,
    #[serde(default)]
    pub orderdate: Option<String>,
    #[serde(default)]
    pub orderstate: Option<String>,
    #[serde(default)]
    pub responsecode: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub amount: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub operation: Vec<Operation>,
}

/// Operation fields of assist.md §2.4 that Coffer reads.
#[derive(Deserialize, Debug, Clone, PartialEq, Default)]
pub(crate) struct Operation {
    #[serde(default)]
    pub billnumber: Option<String>,
    #[serde(default)]
    pub operationtype: Option<String>,
    #[serde(default)]
    pub operationstate: Option<String>,
    #[serde(default)]
    pub amount: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub meantypename: Option<String>,
    #[serde(default)]
    pub meannumber: Option<String>,
    #[serde(default)]
    pub cardexpirationdate: Option<String>,
    #[serde(default)]
    pub issuebank: Option<String>,
    #[serde(default)]
    pub responsecode: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub customermessage: Option<String>,
    #[serde(default)]
    pub operationdate: Option<String>,
}

impl AssistResult {
    /// Reads a `Format=3` answer; anything else is a malformed response.
    pub fn parse(xml: &str) -> Result<AssistResult, ProviderError> {
        quick_xml::de::from_str(xml)
            .map_err(|e| ProviderError::malformed(format!("Assist XML: {e}")))
    }

    /// `firstcode`/`secondcode` as numbers; `(0, 0)` means the request was processed.
    pub fn codes(&self) -> Result<(u16, u16), ProviderError> {
        let number = |text: &str, name: &str| {
            text.trim().parse::<u16>().map_err(|_| {
                ProviderError::malformed(format!("Assist {name} '{text}' is not a number"))
            })
        };
        Ok((
            number(&self.firstcode, "firstcode")?,
            number(&self.secondcode, "secondcode")?,
        ))
    }

    /// Every order, wherever the service put them.
    pub fn all_orders(&self) -> impl Iterator<Item = &Order> {
        self.order
            .iter()
            .chain(self.orders.iter().flat_map(|o| o.order.iter()))
    }
}

/// What the token listing answered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TokenAnswer {
    Cards(Vec<TokenCard>),
    /// The error object; its shape is UNCONFIRMED, so the codes may be absent.
    Error {
        firstcode: Option<String>,
        secondcode: Option<String>,
        message: Option<String>,
    },
}

/// Reads the token listing leniently (assist.md §2.1, envelope UNCONFIRMED): a bare array, one
/// card object, an object wrapping an array under a key naming tokens or cards, or an error object.
pub(crate) fn parse_token_answer(body: &str) -> Result<TokenAnswer, ProviderError> {
    let value: serde_json::Value = serde_json::from_str(body)
        .map_err(|e| ProviderError::malformed(format!("Assist token listing: {e}")))?;
    let cards = |items: &[serde_json::Value]| -> Result<TokenAnswer, ProviderError> {
        items
            .iter()
            .map(|item| {
                serde_json::from_value::<TokenCard>(item.clone())
                    .map_err(|e| ProviderError::malformed(format!("Assist saved card: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(TokenAnswer::Cards)
    };
    match &value {
        serde_json::Value::Array(items) => cards(items),
        serde_json::Value::Null => Ok(TokenAnswer::Cards(Vec::new())),
        serde_json::Value::Object(map) => {
            let text = |name: &str| {
                map.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
            };
            if map.contains_key("token") {
                return cards(std::slice::from_ref(&value));
            }
            // Under a key that names the cards: an array under any other key (`"status": []`)
            // read as "no saved cards" would make a sync deactivate the customer's cards.
            if let Some(items) = map
                .iter()
                .filter(|(k, _)| {
                    let k = k.to_ascii_lowercase();
                    k.contains("token") || k.contains("card")
                })
                .find_map(|(_, v)| v.as_array())
            {
                return cards(items);
            }
            let error_keys = ["firstcode", "secondcode", "error", "errorcode", "message"];
            if map
                .keys()
                .any(|k| error_keys.iter().any(|e| k.eq_ignore_ascii_case(e)))
            {
                return Ok(TokenAnswer::Error {
                    firstcode: text("firstcode").or_else(|| text("errorcode")),
                    secondcode: text("secondcode"),
                    message: text("message").or_else(|| text("error")),
                });
            }
            if map.is_empty() {
                return Ok(TokenAnswer::Cards(Vec::new()));
            }
            Err(ProviderError::malformed(
                "Assist token listing: an object with no cards and no error",
            ))
        }
        _ => Err(ProviderError::malformed(
            "Assist token listing: not an array or object",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKENPAY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<result firstcode="0" secondcode="0"><order><ordernumber>CF-2024-000187</ordernumber>
<billnumber>7123400000098765</billnumber><ordercomment></ordercomment><orderamount>25.90</orderamount>
<ordercurrency>BYN</ordercurrency><orderstate>Approved</orderstate><packetdate>23.11.2026 10:00:00</packetdate>
<operation><billnumber>7123400000098765.1</billnumber><operationtype>100</operationtype><amount>25.90</amount>
<meannumber>424242******4242</meannumber><cardholder></cardholder><responsecode>AS000</responsecode>
<message>Completed successfully</message></operation></order></result>"#;

    #[test]
    fn reads_an_order_with_its_operation_and_empty_fields() {
        let r = AssistResult::parse(TOKENPAY).unwrap();
        assert_eq!((r.firstcode.as_str(), r.secondcode.as_str()), ("0", "0"));
        let order = r.all_orders().next().unwrap();
        assert_eq!(order.billnumber.as_deref(), Some("7123400000098765"));
        assert_eq!(order.operation.len(), 1);
        assert_eq!(order.operation[0].responsecode.as_deref(), Some("AS000"));
    }

    #[test]
    fn reads_wrapped_orders_error_roots_and_counts() {
        let wrapped = r#"<result firstcode="0" secondcode="0"><orders><order><billnumber>7100000000000001</billnumber>
<orderstate>Declined</orderstate><responsecode>AS102</responsecode></order></orders></result>"#;
        let r = AssistResult::parse(wrapped).unwrap();
        assert_eq!(r.all_orders().count(), 1);
        let error =
            AssistResult::parse(r#"<result firstcode="7" secondcode="141"></result>"#).unwrap();
        assert_eq!(error.firstcode, "7");
        assert_eq!(error.all_orders().count(), 0);
        let none =
            AssistResult::parse(r#"<result firstcode="0" secondcode="0" count="0"/>"#).unwrap();
        assert_eq!(none.count.as_deref(), Some("0"));
        assert!(AssistResult::parse("<html>502 Bad Gateway</html>").is_err());
    }

    #[test]
    fn token_listing_envelopes_are_read_leniently() {
        let card = r#"{"token":"9b1f0c7e-2d4a-4c1e-8f3a-5a6b7c8d9e01","post":"4242","bin":"424242","brand":"VISA","expire":"09.2028","active":"1","needCVC":false,"assets":[]}"#;
        let bare = parse_token_answer(&format!("[{card}]")).unwrap();
        let wrapped = parse_token_answer(&format!(r#"{{"tokens":[{card}]}}"#)).unwrap();
        let single = parse_token_answer(card).unwrap();
        assert_eq!(bare, wrapped);
        assert_eq!(bare, single);
        assert_eq!(
            parse_token_answer("[]").unwrap(),
            TokenAnswer::Cards(Vec::new())
        );
        let error = parse_token_answer(
            r#"{"firstcode":7,"secondcode":141,"message":"authentication failed"}"#,
        )
        .unwrap();
        assert_eq!(
            error,
            TokenAnswer::Error {
                firstcode: Some("7".into()),
                secondcode: Some("141".into()),
                message: Some("authentication failed".into())
            }
        );
        assert!(parse_token_answer("not json").is_err());
        assert!(
            parse_token_answer(r#"{"id":5,"status":[]}"#).is_err(),
            "an array under a key that does not name cards is no listing"
        );
        assert_eq!(
            parse_token_answer(r#"{"cards":[]}"#).unwrap(),
            TokenAnswer::Cards(Vec::new())
        );
    }
}
