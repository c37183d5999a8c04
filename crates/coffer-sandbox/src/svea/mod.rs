//! The Svea Payments (Maksuturva) V4 emulator: form-encoded `*.pmt` endpoints answering XML,
//! authenticated by HTTP Basic or by the legacy request hash, with Svea's token rules (one
//! token charge per calendar month in Helsinki, never above the original amount, `pmt_id` never
//! reusable). Behaviour and every choice made where the docs are silent: `docs/svea.md`.
//!
//! Shape: `routes.rs` decodes, authenticates and answers; `rules.rs` holds the pure rules;
//! `state.rs` the serde-able state; `wire.rs` the form and XML forms. The state sits behind one
//! `std::sync::Mutex`, never held across an `.await` (the timeout card sleeps outside it).

mod routes;
mod rules;
mod state;
mod wire;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::routing::{get, post};
use axum::Router;
use coffer_core::{Currency, ProviderAccount, ProviderKind};

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
                post(routes::charge_with_token),
            )
            .route("/NewPaymentExtended.pmt", post(routes::new_payment))
            .route("/TokenizeExtended.pmt", post(routes::tokenize))
            .route("/PaymentStatusQuery.pmt", post(routes::status_query))
            .route("/PaymentCancel.pmt", post(routes::cancel))
            .route(
                "/card-page",
                get(routes::card_page).post(routes::card_page_submit),
            )
            .route("/__sandbox/tokens", get(routes::sandbox_tokens))
            .route("/__sandbox/settle", post(routes::sandbox_settle))
            .route("/__sandbox/auth-modes", post(routes::sandbox_auth_modes))
            .with_state(self)
    }

    fn merchants(&self) -> Vec<SandboxMerchant> {
        self.state()
            .sellers
            .values()
            .map(|seller| SandboxMerchant {
                name: seller.name.clone(),
                account: ProviderAccount::Svea {
                    seller_id: seller.seller_id.clone(),
                    key_generation: seller.key_generation.clone(),
                },
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
    fn seeding_is_deterministic_and_tokens_exist_only_for_cards_with_an_initial_payment() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let seed = Seed::demo(50, today);
        let a = Emulator::new(ctx(), &seed).snapshot();
        let b = Emulator::new(ctx(), &seed).snapshot();
        assert_eq!(a, b);
        let state: State = serde_json::from_value(a).unwrap();
        let seller = &state.sellers["SVEASANDBOX01"];
        let with_initial: usize = crate::seed::customers(&seed, "svea/1")
            .map(|c| c.cards.iter().filter(|card| card.has_initial).count())
            .sum();
        assert_eq!(seller.tokens.len(), with_initial);
        for token in seller.tokens.values() {
            let initial = &seller.payments[&token.initial_pmt_id];
            assert_eq!(
                initial.amount, token.debit_limit,
                "the cap is the initial amount"
            );
            assert!(initial.pmt_id.len() <= 20);
            assert!(rules::reference_is_valid(&initial.reference));
        }
    }
}
