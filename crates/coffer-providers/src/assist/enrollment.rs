//! Enrolling a new card through Assist's own payment page with the recurring registration
//! (issue 25).
//!
//! The initial of a recurring series is made on Assist's payment page: "the normal payment
//! request (`/pay/order.cfm`, `/pay/silentpay.cfm`, `/pay/payrequest.cfm`)" carrying
//! `RecurringIndicator=1` and the four limits `RecurringMinAmount`, `RecurringMaxAmount`,
//! `RecurringPeriod` (days), `RecurringMaxDate` (`DD.MM.YYYY`) (providers/assist.md §3.1, §3.3;
//! the same names in Assist's own PHP SDK, assist-group/assist-ru-php-core
//! `lib/Helpers/RequestHelper.php`, with `URL_RETURN_OK` / `URL_RETURN_NO`). `CustomerNumber`
//! is One Click's and "must not be transmitted simultaneously with" the Recurring* parameters
//! (§3.2), so it is not sent. The initial's `billnumber` is what later `rp.cfm` charges name
//! (§2.3).
//!
//! 1. `start_enrollment` builds the page's address: `/pay/order.cfm` with the fields in the
//!    query. Assist documents the payment request as a form the shop's page posts; the same
//!    fields sent with a plain GET is **Inferred** (Assist's pages read their parameters from
//!    either; `/pay/payrequest.cfm` is the alternative entry of the SDK above). A GET address
//!    is what an app window opens and what a link carries. Nothing is registered before the
//!    cardholder opens it, so there is no pending reference: `OrderNumber` (our order id) finds
//!    the order.
//! 2. A zero amount is Assist's "ASI" registration: the payment request with `OrderAmount=0`
//!    and `BlockOrderType=2` (§3.1, Seed).
//! 3. `confirm_enrollment` never believes the return (`assist_return=ok|no`, our marker on
//!    `URL_RETURN_OK` / `URL_RETURN_NO`): a GET link can be edited by whoever holds it. The
//!    `orderresult` for our `OrderNumber` decides (§2.4): approved for exactly the amount and
//!    currency we asked → confirmed, its `billnumber` the initial; declined → failed; nothing
//!    or `In Process` → waiting. `orderresult` does not list the Recurring* limits (§2.4), so
//!    the registered series is taken as we sent it; where an answer carries
//!    `recurringindicator` (UNCONFIRMED, §2.4 "read when present") anything but 1 fails.
//!
//! **Choices** (crates/coffer-sandbox/docs/assist.md "Enrollment"): the return markers; the
//! card's token (the One Click `token` when the answer shows one, else `assist-initial-<bill>`,
//! since a recurring card is charged by its initial alone); a "no" return with no order at all
//! fails the enrollment (the cardholder left the page).

use async_trait::async_trait;
use coffer_core::{CardToken, Environment, InitialKind, Money};

use super::{convert, wire, AssistClient};
use crate::enrollment::{
    EnrollmentPage, EnrollmentRequest, EnrollmentSeen, EnrollmentStarted, HostedEnrollment,
    SandboxCardholder,
};
use crate::{InitialOutcome, ProviderError, ProviderErrorKind, RemoteCard, RemoteStatus};

/// The marker Coffer adds to both return addresses (our choice).
pub(crate) const RETURN_MARKER: &str = "assist_return";

/// The id of the sandbox page's form, read by [`HostedEnrollment::fill_sandbox_page`].
const SANDBOX_FORM: &str = "assist-payment-page";

/// `OrderNumber` is at most 128 characters (§2.4).
const ORDERNUMBER_MAX: usize = 128;

/// Assist's three-digit `RecurringPeriod` (§3.3).
const PERIOD_MAX: u32 = 999;

fn invalid(field: &str, message: impl Into<String>) -> ProviderError {
    ProviderError::new(
        ProviderErrorKind::InvalidRequest {
            field: Some(field.to_string()),
        },
        message,
    )
}

/// `return_url` with `name=value` appended (`&` when it has a query already).
pub(crate) fn with_marker(return_url: &str, value: &str) -> String {
    let joint = if return_url.contains('?') { '&' } else { '?' };
    format!("{return_url}{joint}{RETURN_MARKER}={value}")
}

/// A recurring limit: like `OrderAmount`, but zero is a limit Assist's pattern allows.
fn limit_to_wire(amount: Money, field: &str) -> Result<String, ProviderError> {
    if amount.minor == 0 {
        return Ok("0".into());
    }
    convert::amount_to_wire(amount, field)
}

impl AssistClient {
    /// The payment page's fields for `request`, in the order they are sent.
    fn page_fields(
        &self,
        request: &EnrollmentRequest,
    ) -> Result<Vec<(&'static str, String)>, ProviderError> {
        if request.amount.currency != self.currency {
            return Err(invalid(
                "currency",
                format!(
                    "this Assist merchant is paid in {}, not {}",
                    self.currency, request.amount.currency
                ),
            ));
        }
        if request.order_id.trim().is_empty() || request.order_id.len() > ORDERNUMBER_MAX {
            return Err(invalid(
                "order_id",
                "Assist's OrderNumber is 1 to 128 characters",
            ));
        }
        if request.amount.minor < 0 {
            return Err(invalid("amount", "a negative amount is no payment"));
        }
        let series = request.registered.as_ref().ok_or_else(|| {
            invalid(
                "registered",
                "Assist registers a recurring series only with its limits (RecurringMinAmount, RecurringMaxAmount, RecurringPeriod, RecurringMaxDate): give the contract's",
            )
        })?;
        let missing = |what: &str| {
            invalid(
                "registered",
                format!("all four Recurring* limits are mandatory with RecurringIndicator=1 (assist.md §3.3): {what} is missing"),
            )
        };
        let min = series.min_amount.ok_or_else(|| missing("the minimum"))?;
        let max = series.max_amount.ok_or_else(|| missing("the maximum"))?;
        let period = series.period_days.ok_or_else(|| missing("the period"))?;
        let end = series.end.ok_or_else(|| missing("the last day"))?;
        if min.currency != self.currency || max.currency != self.currency {
            return Err(invalid(
                "registered",
                format!("the recurring limits must be in {}", self.currency),
            ));
        }
        if min.minor > max.minor {
            return Err(invalid(
                "registered",
                "RecurringMinAmount is above RecurringMaxAmount",
            ));
        }
        if !(1..=PERIOD_MAX).contains(&period) {
            return Err(invalid(
                "registered",
                format!("RecurringPeriod is 1 to {PERIOD_MAX} days"),
            ));
        }
        let mut fields = vec![
            ("Merchant_ID", self.merchant_id.clone()),
            ("OrderNumber", request.order_id.clone()),
        ];
        if request.amount.minor == 0 {
            // The "ASI" registration (§3.1): nothing paid, the card verified and registered.
            fields.push(("OrderAmount", "0".into()));
            fields.push(("BlockOrderType", "2".into()));
        } else {
            fields.push((
                "OrderAmount",
                convert::amount_to_wire(request.amount, "OrderAmount")?,
            ));
        }
        fields.extend([
            ("OrderCurrency", request.amount.currency.code().to_string()),
            ("OrderComment", "Card on file: initial payment".to_string()),
            ("RecurringIndicator", "1".to_string()),
            (
                "RecurringMinAmount",
                limit_to_wire(min, "RecurringMinAmount")?,
            ),
            (
                "RecurringMaxAmount",
                limit_to_wire(max, "RecurringMaxAmount")?,
            ),
            ("RecurringPeriod", period.to_string()),
            ("RecurringMaxDate", end.format("%d.%m.%Y").to_string()),
            ("URL_RETURN_OK", with_marker(&request.return_url, "ok")),
            ("URL_RETURN_NO", with_marker(&request.return_url, "no")),
        ]);
        let mut names = request.name.split_whitespace();
        if let Some(first) = names.next() {
            fields.push(("Firstname", first.to_string()));
            let rest = names.collect::<Vec<_>>().join(" ");
            if !rest.is_empty() {
                fields.push(("Lastname", rest));
            }
        }
        if let Some(email) = request.email.as_deref().filter(|e| !e.is_empty()) {
            fields.push(("Email", email.to_string()));
        }
        fields.push(("Language", super::LANGUAGE.to_string()));
        Ok(fields)
    }

    /// What Assist's own record of the order says: the confirmation, or why not.
    fn seen_of_order(
        order: &wire::Order,
        request: &EnrollmentRequest,
    ) -> Result<EnrollmentSeen, ProviderError> {
        let outcome = convert::charge_outcome(order, true)?;
        match outcome.status {
            RemoteStatus::Pending => return Ok(EnrollmentSeen::Waiting),
            RemoteStatus::Declined { code, message, .. } => {
                let said = [code, message]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": ");
                return Ok(EnrollmentSeen::Failed {
                    reason: format!("Assist declined the initial payment ({said})"),
                });
            }
            RemoteStatus::Succeeded => {}
        }
        let state = order.orderstate.as_deref().unwrap_or_default().trim();
        if state != "Approved" {
            // Canceled / PartialCanceled: paid and returned since; Delayed: not paid yet.
            return Ok(EnrollmentSeen::Failed {
                reason: format!(
                    "Assist shows the initial order {} as '{state}', not paid and kept",
                    outcome.provider_ref
                ),
            });
        }
        if outcome.amount != request.amount {
            // The link's OrderAmount was edited: not the consent the owner asked for.
            return Ok(EnrollmentSeen::Failed {
                reason: format!(
                    "Assist shows order {} paid {}, not the {} asked",
                    request.order_id, outcome.amount, request.amount
                ),
            });
        }
        if let Some(flag) = order
            .recurringindicator
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
        {
            if flag != "1" {
                return Ok(EnrollmentSeen::Failed {
                    reason: format!(
                        "Assist shows order {} paid without the recurring registration",
                        request.order_id
                    ),
                });
            }
        }
        let bill = outcome.provider_ref.clone();
        let token = match order.token.as_deref().map(str::trim) {
            Some(t) if !t.is_empty() => CardToken(t.to_string()),
            _ => CardToken(format!("assist-initial-{bill}")),
        };
        let card = order
            .operation
            .iter()
            .find_map(|op| convert::card_from_operation(&token, op))
            .ok_or_else(|| {
                ProviderError::malformed(format!(
                    "Assist shows order {} paid without its card (meannumber, cardexpirationdate)",
                    request.order_id
                ))
            })?;
        Ok(EnrollmentSeen::Confirmed {
            outcome: InitialOutcome {
                initial_ref: bill.clone(),
                provider_ref: bill.clone(),
                amount: outcome.amount,
                card: RemoteCard {
                    initial_ref: Some(bill),
                    ..card
                },
                kind: InitialKind::Recurring,
            },
            // orderresult does not list the Recurring* limits (§2.4): as we sent them.
            registered: request.registered.clone(),
            customer: None,
        })
    }
}

fn returned_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[async_trait]
impl HostedEnrollment for AssistClient {
    async fn start_enrollment(
        &self,
        request: &EnrollmentRequest,
    ) -> Result<EnrollmentStarted, ProviderError> {
        let fields = self.page_fields(request)?;
        let url = url::Url::parse_with_params(&self.http.url("/pay/order.cfm"), &fields)
            .map_err(|e| invalid("base_url", format!("the payment page's address: {e}")))?;
        Ok(EnrollmentStarted {
            page: EnrollmentPage::Provider {
                url: url.to_string(),
            },
            pending_ref: None,
        })
    }

    async fn confirm_enrollment(
        &self,
        request: &EnrollmentRequest,
        _pending_ref: Option<&str>,
        returned: Option<&[(String, String)]>,
    ) -> Result<EnrollmentSeen, ProviderError> {
        let since = request.expires_at - request.mode.lifetime() - crate::LOOKUP_MARGIN;
        let result = self.order_result(&request.order_id, since).await?;
        let orders: Vec<&wire::Order> = result.all_orders().collect();
        let counted = result.count.as_deref().map(|c| c.trim().parse::<usize>());
        if orders.is_empty() && !matches!(counted, None | Some(Ok(0))) {
            return Err(ProviderError::malformed(format!(
                "Assist's orderresult counts {} orders but carries none",
                result.count.as_deref().unwrap_or_default()
            )));
        }
        // Several attempts may sit under one OrderNumber (a decline, then a payment): the one
        // that took money decides (§2.4).
        let Some(order) = convert::pick_attempt(&orders, None) else {
            let left = returned.and_then(|r| returned_value(r, RETURN_MARKER)) == Some("no");
            return Ok(if left {
                EnrollmentSeen::Failed {
                    reason: "the cardholder left Assist's page without paying".into(),
                }
            } else {
                EnrollmentSeen::Waiting
            });
        };
        Self::seen_of_order(order, request)
    }

    async fn fill_sandbox_page(
        &self,
        page: &EnrollmentPage,
        card: &SandboxCardholder,
    ) -> Result<Vec<(String, String)>, ProviderError> {
        if self.environment != Environment::Sandbox {
            return Err(ProviderError::new(
                ProviderErrorKind::Unsupported,
                "a live Assist payment page is for the cardholder alone",
            ));
        }
        let EnrollmentPage::Provider { url } = page else {
            return Err(invalid("page", "Assist's enrollment page is its own page"));
        };
        let form = crate::sandbox_page::open(url, SANDBOX_FORM).await?;
        if card.cancel {
            return crate::sandbox_page::submit(&form, &[("sandbox_action", "cancel")]).await;
        }
        if !form.test_cards.contains(&card.test_card) {
            return Err(invalid(
                "test_card",
                format!(
                    "the sandbox's payment page offers no test card '{}'",
                    card.test_card
                ),
            ));
        }
        crate::sandbox_page::submit(
            &form,
            &[
                ("test_card", card.test_card.as_str()),
                ("sandbox_action", "pay"),
            ],
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, NaiveDate, Utc};
    use coffer_core::card::RegisteredSeries;
    use coffer_core::{
        AssistAccount, Currency, CustomerRef, EnrollmentMode, IdempotencyKey, Merchant, MerchantId,
        ProviderAccount, ProviderRef, Reason,
    };
    use secrecy::SecretString;

    fn client() -> AssistClient {
        let merchant = Merchant {
            id: MerchantId(1),
            name: "Assist test".into(),
            account: ProviderAccount::Assist(AssistAccount {
                merchant_id: "600101".into(),
                login: "coffer_bo_01".into(),
            }),
            environment: Environment::Sandbox,
            base_url: "https://test.paysec.by".into(),
            time_zone: coffer_core::merchant::parse_time_zone("Europe/Minsk").unwrap(),
            currency: Currency::BYN,
            notice_lead_days: 3,
            group: None,
            endpoint: Default::default(),
        };
        AssistClient::new(&merchant, SecretString::from("Secr3tPassw0rd9".to_string())).unwrap()
    }

    fn request(minor: i64, return_url: &str) -> EnrollmentRequest {
        EnrollmentRequest {
            order_id: "ENR-1".into(),
            customer: Some(CustomerRef("BY-000042".into())),
            name: "Ana Maria Lopes".into(),
            email: Some("ana@example.org".into()),
            buyer: None,
            amount: Money::from_minor(minor, Currency::BYN),
            reason: Reason::Recurring,
            registered: Some(RegisteredSeries {
                min_amount: Some(Money::from_minor(100, Currency::BYN)),
                max_amount: Some(Money::from_minor(50_000, Currency::BYN)),
                period_days: Some(30),
                end: NaiveDate::from_ymd_opt(2027, 12, 31),
            }),
            mode: EnrollmentMode::Counter,
            return_url: return_url.into(),
            expires_at: Utc::now() + Duration::minutes(30),
            idempotency_key: IdempotencyKey("k".into()),
        }
    }

    fn query(url: &str) -> Vec<(String, String)> {
        url::Url::parse(url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect()
    }

    #[tokio::test]
    async fn the_page_address_carries_the_recurring_registration_and_no_customer_number() {
        let started = client()
            .start_enrollment(&request(2590, "https://shop.example/back?e=7"))
            .await
            .unwrap();
        let EnrollmentPage::Provider { url } = started.page else {
            panic!("Assist's page is its own");
        };
        assert!(
            url.starts_with("https://test.paysec.by/pay/order.cfm?"),
            "{url}"
        );
        let pairs = query(&url);
        let get = |n: &str| pairs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("Merchant_ID"), Some("600101"));
        assert_eq!(get("OrderNumber"), Some("ENR-1"));
        assert_eq!(get("OrderAmount"), Some("25.90"));
        assert_eq!(get("OrderCurrency"), Some("BYN"));
        assert_eq!(get("RecurringIndicator"), Some("1"));
        assert_eq!(get("RecurringMinAmount"), Some("1"));
        assert_eq!(get("RecurringMaxAmount"), Some("500"));
        assert_eq!(get("RecurringPeriod"), Some("30"));
        assert_eq!(get("RecurringMaxDate"), Some("31.12.2027"));
        assert_eq!(
            get("URL_RETURN_OK"),
            Some("https://shop.example/back?e=7&assist_return=ok")
        );
        assert_eq!(
            get("URL_RETURN_NO"),
            Some("https://shop.example/back?e=7&assist_return=no")
        );
        assert_eq!(get("Firstname"), Some("Ana"));
        assert_eq!(get("Lastname"), Some("Maria Lopes"));
        assert_eq!(get("Email"), Some("ana@example.org"));
        assert_eq!(
            get("CustomerNumber"),
            None,
            "One Click's, never with Recurring*"
        );
        assert_eq!(get("BlockOrderType"), None);
        assert_eq!(get("Password"), None, "the page carries no secret");
        assert_eq!(get("Login"), None);
        assert_eq!(started.pending_ref, None);
    }

    #[tokio::test]
    async fn zero_is_the_asi_registration_and_incomplete_limits_are_refused() {
        let started = client()
            .start_enrollment(&request(0, "https://coffer.invalid/enroll/3/return"))
            .await
            .unwrap();
        let EnrollmentPage::Provider { url } = started.page else {
            panic!("Assist's page is its own");
        };
        let pairs = query(&url);
        assert!(pairs.contains(&("OrderAmount".into(), "0".into())));
        assert!(pairs.contains(&("BlockOrderType".into(), "2".into())));
        assert!(pairs.contains(&(
            "URL_RETURN_OK".into(),
            "https://coffer.invalid/enroll/3/return?assist_return=ok".into()
        )));

        let mut no_limits = request(100, "https://coffer.invalid/r");
        no_limits.registered = None;
        let mut no_end = request(100, "https://coffer.invalid/r");
        if let Some(s) = no_end.registered.as_mut() {
            s.end = None;
        }
        let mut other_currency = request(100, "https://coffer.invalid/r");
        other_currency.amount = Money::from_minor(100, Currency::EUR);
        for bad in [no_limits, no_end, other_currency] {
            let error = client().start_enrollment(&bad).await.unwrap_err();
            assert!(
                matches!(error.kind, ProviderErrorKind::InvalidRequest { .. }),
                "{error:?}"
            );
        }
    }

    fn order(state: &str, amount: &str) -> wire::Order {
        wire::Order {
            billnumber: Some("7100000000000001".into()),
            ordernumber: Some("ENR-1".into()),
            orderstate: Some(state.into()),
            orderamount: Some(amount.into()),
            ordercurrency: Some("BYN".into()),
            responsecode: None,
            operation: vec![wire::Operation {
                billnumber: Some("7100000000000001.1".into()),
                operationtype: Some("100".into()),
                meannumber: Some("424242******4242".into()),
                meantypename: Some("VISA".into()),
                cardexpirationdate: Some("12.2029".into()),
                responsecode: Some(
                    if state == "Approved" {
                        "AS000"
                    } else {
                        "AS100"
                    }
                    .into(),
                ),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn only_an_approved_order_for_the_asked_amount_confirms() {
        let asked = request(2590, "https://coffer.invalid/r");
        let seen = AssistClient::seen_of_order(&order("Approved", "25.90"), &asked).unwrap();
        let EnrollmentSeen::Confirmed {
            outcome,
            registered,
            customer,
        } = seen
        else {
            panic!("{seen:?}");
        };
        assert_eq!(outcome.initial_ref, ProviderRef::from("7100000000000001"));
        assert_eq!(outcome.kind, InitialKind::Recurring);
        assert_eq!(outcome.card.last4, "4242");
        assert_eq!(
            outcome.card.token.as_str(),
            "assist-initial-7100000000000001"
        );
        assert_eq!(registered, asked.registered);
        assert_eq!(customer, None);

        for (state, amount) in [
            ("Approved", "2.59"),
            ("Declined", "25.90"),
            ("Canceled", "25.90"),
        ] {
            let seen = AssistClient::seen_of_order(&order(state, amount), &asked).unwrap();
            assert!(
                matches!(seen, EnrollmentSeen::Failed { .. }),
                "{state} {amount}: {seen:?}"
            );
        }
        assert_eq!(
            AssistClient::seen_of_order(&order("In Process", "25.90"), &asked).unwrap(),
            EnrollmentSeen::Waiting
        );
        let not_recurring = wire::Order {
            recurringindicator: Some("0".into()),
            ..order("Approved", "25.90")
        };
        assert!(matches!(
            AssistClient::seen_of_order(&not_recurring, &asked).unwrap(),
            EnrollmentSeen::Failed { .. }
        ));
    }
}
