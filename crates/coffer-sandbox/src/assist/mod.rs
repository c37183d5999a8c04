//! The IPS Assist emulator: the back-office web services a card-on-file client needs (One Click
//! token listing, Token Pay, recurring `rp.cfm`, orderresult, cancel/refund, two-stage confirm),
//! at Assist's own paths, answering `Format=3` XML or JSON as documented in
//! `shared/providers/assist.md`. What it chooses where the notes are silent is listed in
//! `crates/coffer-sandbox/docs/assist.md`.

mod order;
mod routes;
mod rules;
mod state;
mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::routing::{get, post};
use axum::Router;
use coffer_core::{AssistAccount, ProviderAccount, ProviderKind};

use crate::{Ctx, SandboxMerchant, Seed};
use state::AssistState;

/// The emulator: its context and its state behind one lock that no handler holds across an
/// `.await`.
pub(crate) struct Emulator {
    ctx: Ctx,
    state: Mutex<AssistState>,
    /// Per merchant slot, the seed's initials counts for `GET /__sandbox/initials`; derived from
    /// the seed alone, built on first use, not state.
    seeded_initials: Mutex<HashMap<u8, Arc<state::SeededInitials>>>,
}

impl Emulator {
    pub(crate) fn new(ctx: Ctx, seed: &Seed) -> Self {
        Emulator {
            ctx,
            state: Mutex::new(AssistState::new(seed)),
            seeded_initials: Mutex::new(HashMap::new()),
        }
    }
}

impl crate::Emulator for Emulator {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Assist
    }

    fn router(self: Arc<Self>) -> Router {
        // The in-body faults speak XML, so the JSON token listing stays outside them.
        let services = Router::new()
            .route("/pay/tokenpay.cfm", post(routes::charges::tokenpay))
            .route("/recurrent/rp.cfm", post(routes::recurring::recurring))
            .route(
                "/orderresult/orderresult.cfm",
                post(routes::orders::orderresult),
            )
            .route("/cancel/wscancel.cfm", post(routes::refunds::wscancel))
            .route("/cancel/cancel.cfm", post(routes::refunds::cancel))
            .route("/charge/charge.cfm", post(routes::charges::confirm))
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                routes::service_faults,
            ));
        Router::new()
            .merge(services)
            .route("/pay/oneclick/v1/token.cfm", post(routes::tokens::tokens))
            // The payment page is a page, not a web service: no in-body faults.
            .route(
                "/pay/order.cfm",
                get(routes::page::order).post(routes::page::order),
            )
            .route("/__sandbox/customers", get(routes::admin::register))
            .route("/__sandbox/initials", get(routes::admin::sandbox_initials))
            .route(
                "/__sandbox/rules",
                get(routes::admin::get_rules).put(routes::admin::put_rules),
            )
            .route("/__sandbox/cof", axum::routing::put(routes::admin::put_cof))
            .with_state(self)
    }

    fn lookup_posts(&self) -> &'static [&'static str] {
        // Assist's web services are all POSTs: orderresult and the One Click token listing only read.
        &["/orderresult/orderresult.cfm", "/pay/oneclick/v1/token.cfm"]
    }

    fn merchants(&self) -> Vec<SandboxMerchant> {
        let state = self.lock();
        state
            .merchants
            .iter()
            .map(|m| SandboxMerchant {
                name: m.name.clone(),
                account: ProviderAccount::Assist(AssistAccount {
                    merchant_id: m.merchant_id.clone(),
                    login: m.login.clone(),
                }),
                secret: m.password.clone(),
                currency: m.currency,
                time_zone: m.time_zone.clone(),
                base_url: self.ctx.base_url.clone(),
            })
            .collect()
    }

    fn snapshot(&self) -> serde_json::Value {
        serde_json::to_value(&*self.lock()).unwrap_or(serde_json::Value::Null)
    }

    fn restore(&self, snapshot: serde_json::Value) -> Result<(), String> {
        let mut restored: AssistState =
            serde_json::from_value(snapshot).map_err(|e| format!("assist state: {e}"))?;
        restored.reindex();
        *self.lock() = restored;
        Ok(())
    }

    fn reset(&self, seed: &Seed) {
        *self.lock() = AssistState::new(seed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Emulator as _;

    fn ctx() -> Ctx {
        Ctx {
            ledger: Default::default(),
            faults: Arc::new(crate::Faults::new(Default::default())),
            base_url: "http://127.0.0.1:1/assist".into(),
        }
    }

    #[test]
    fn snapshot_then_restore_gives_the_same_state() {
        let seed = Seed::demo(10, chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
        let emulator = Emulator::new(ctx(), &seed);
        {
            let mut state = emulator.lock();
            let merchant = state.merchants[0].clone();
            let bill = AssistState::seeded_billnumber(&merchant, 6, 0);
            let has_initial = state.customer(&merchant, 6).cards[0].has_initial;
            assert_eq!(state.resolve_order(&merchant, &bill).is_some(), has_initial);
            state.rules.refuse_duplicate_order = false;
        }
        let snapshot = emulator.snapshot();
        let other = Emulator::new(ctx(), &Seed::empty(seed.today));
        other.restore(snapshot.clone()).unwrap();
        assert_eq!(
            other.snapshot(),
            snapshot,
            "restore brings back every field"
        );
        assert_eq!(*other.lock(), *emulator.lock(), "indexes are rebuilt too");
        assert!(other.restore(serde_json::json!({"nope": 1})).is_err());
    }
}
