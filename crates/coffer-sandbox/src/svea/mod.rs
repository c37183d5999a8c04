//! The Svea Payments (Maksuturva) V4 emulator: form-encoded `*.pmt` endpoints answering XML,
//! authenticated by HTTP Basic or by the legacy request hash, with Svea's token rules (one
//! token charge per calendar month in Helsinki, never above the original amount, `pmt_id` never
//! reusable). Behaviour and every choice made where the docs are silent: `docs/svea.md`.
//!
//! Shape: `routes/` decodes, authenticates and answers, one file per service; `rules.rs` holds
//! the pure rules; `state.rs` the serde-able state; `wire.rs` the form and XML forms; below them
//! `payment.rs` (flows, return URLs) and `charset.rs`, which more than one of them reads. The state sits behind one
//! `std::sync::Mutex`, never held across an `.await` (the timeout card sleeps outside it).

mod charset;
mod payment;
mod routes;
mod rules;
mod state;
mod wire;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::routing::{get, post};
use axum::Router;
use coffer_core::{Currency, ProviderAccount, ProviderKind, SveaAccount};

use crate::{Ctx, SandboxMerchant, Seed};
use state::State;

pub(crate) struct Emulator {
    ctx: Ctx,
    state: Mutex<State>,
}

impl Emulator {
    pub(crate) fn new(ctx: Ctx, seed: &Seed) -> Self {
        Emulator {
            ctx,
            state: Mutex::new(State::seeded(seed)),
        }
    }

    /// The state; a panic in another request must not take the emulator down with it.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl crate::Emulator for Emulator {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Svea
    }

    fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route(
                "/NewChargeWithTokenActionExtended.pmt",
                post(routes::charges::charge_with_token),
            )
            .route(
                "/NewPaymentExtended.pmt",
                post(routes::card_page::new_payment),
            )
            .route("/TokenizeExtended.pmt", post(routes::card_page::tokenize))
            .route(
                "/PaymentStatusQuery.pmt",
                post(routes::status::status_query),
            )
            .route("/PaymentCancel.pmt", post(routes::refunds::cancel))
            .route(
                "/card-page",
                get(routes::card_page::card_page).post(routes::card_page::card_page_submit),
            )
            .route("/__sandbox/tokens", get(routes::admin::sandbox_tokens))
            .route("/__sandbox/settle", post(routes::admin::sandbox_settle))
            .route(
                "/__sandbox/auth-modes",
                post(routes::admin::sandbox_auth_modes),
            )
            .with_state(self)
    }

    fn lookup_posts(&self) -> &'static [&'static str] {
        // Svea's `*.pmt` services are all POSTs: the status query only reads.
        &["/PaymentStatusQuery.pmt"]
    }

    fn merchants(&self) -> Vec<SandboxMerchant> {
        self.state()
            .sellers
            .values()
            .map(|seller| SandboxMerchant {
                name: seller.name.clone(),
                account: ProviderAccount::Svea(SveaAccount {
                    seller_id: seller.seller_id.clone(),
                    key_generation: seller.key_generation.clone(),
                }),
                secret: seller.secret.clone(),
                currency: Currency::EUR,
                time_zone: "Europe/Helsinki".into(),
                base_url: self.ctx.base_url.clone(),
            })
            .collect()
    }

    fn snapshot(&self) -> serde_json::Value {
        serde_json::to_value(&*self.state()).unwrap_or(serde_json::Value::Null)
    }

    fn restore(&self, snapshot: serde_json::Value) -> Result<(), String> {
        let restored: State =
            serde_json::from_value(snapshot).map_err(|e| format!("svea state: {e}"))?;
        *self.state() = restored;
        Ok(())
    }

    fn reset(&self, seed: &Seed) {
        *self.state() = State::seeded(seed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Emulator as _;
    use chrono::NaiveDate;

    fn ctx() -> Ctx {
        Ctx {
            ledger: Arc::default(),
            faults: Arc::new(crate::Faults::new(crate::FaultConfig::default())),
            base_url: "http://127.0.0.1:1/svea".into(),
        }
    }

    #[test]
    fn snapshot_then_restore_gives_the_same_state() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let seeded = Emulator::new(ctx(), &Seed::demo(40, today));
        let snapshot = seeded.snapshot();
        let other = Emulator::new(ctx(), &Seed::empty(today));
        assert_ne!(other.snapshot(), snapshot, "an empty seed differs");
        other.restore(snapshot.clone()).unwrap();
        assert_eq!(other.snapshot(), snapshot);
        assert!(
            other.restore(serde_json::json!({"sellers": 1})).is_err(),
            "garbage is refused"
        );
        assert_eq!(
            other.snapshot(),
            snapshot,
            "a refused restore changes nothing"
        );
    }

    #[test]
    fn seeded_tokens_and_initial_payments_are_derived_when_first_touched() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let seed = Seed::demo(50, today);
        let mut state = State::seeded(&seed);
        assert_eq!(State::seeded(&seed), state, "seeding is deterministic");
        let seller = state.sellers.get_mut("SVEASANDBOX01").unwrap();
        assert!(seller.tokens.is_empty(), "nothing is stored up front");
        let mut with_initial = 0;
        for customer in crate::seed::customers(&seed, "svea/1") {
            for (n, card) in customer.cards.iter().enumerate() {
                let token = state::seeded_token(1, customer.index, n);
                seller.touch_token(&seed, &token);
                assert_eq!(
                    seller.tokens.contains_key(&token),
                    card.has_initial,
                    "a token only after an initial"
                );
                if card.has_initial {
                    with_initial += 1;
                    let stored = &seller.tokens[&token];
                    let initial = &seller.payments[&stored.initial_pmt_id];
                    assert_eq!(
                        initial.amount, stored.debit_limit,
                        "the cap is the initial amount"
                    );
                    assert_eq!(initial.token.as_deref(), Some(token.as_str()));
                    assert!(initial.pmt_id.len() <= 20);
                    assert!(rules::reference_is_valid(&initial.reference));
                    assert_eq!(stored.last4, card.last4);
                }
            }
        }
        assert_eq!(seller.tokens.len(), with_initial);
        let other = state.sellers.get_mut("SVEASANDBOX02").unwrap();
        let foreign = state::seeded_token(1, 0, 0);
        other.touch_token(&seed, &foreign);
        assert!(
            other.tokens.is_empty(),
            "a token of another seller is unknown here"
        );
        other.touch_payment(&seed, "INIT20000000");
        other.touch_payment(&seed, "INIT2999999990");
        other.touch_payment(&seed, "INIT1000000000");
        assert!(
            other.payments.keys().all(|id| id == "INIT20000000"),
            "only this seller's seeded ids within the seed exist: {:?}",
            other.payments.keys()
        );
        let mut forged = state::seeded_token(2, 0, 0);
        forged.replace_range(31.., "0");
        if forged != state::seeded_token(2, 0, 0) {
            other.touch_token(&seed, &forged);
            assert!(
                !other.tokens.contains_key(&forged),
                "a forged token is not derived"
            );
        }
    }

    #[test]
    fn seeding_100000_customers_stores_nothing_up_front() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let seed = Seed::demo(100_000, today);
        let mut state = State::seeded(&seed);
        let seller = state.sellers.get_mut("SVEASANDBOX02").unwrap();
        assert!(seller.payments.is_empty() && seller.tokens.is_empty());
        let last = crate::seed::customer(&seed, "svea/2", 99_999);
        let card = last.cards.iter().position(|c| c.has_initial);
        if let Some(n) = card {
            seller.touch_payment(&seed, &state::seeded_initial_id(2, 99_999, n));
            assert_eq!(
                seller.payments.len(),
                1,
                "the deepest seeded payment is there"
            );
            assert_eq!(seller.tokens.len(), 1);
        }
    }
}
