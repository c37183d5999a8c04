//! The Clover Ecommerce emulator, from `shared/providers/clover.md` alone.
//!
//! One router serves what Clover splits over four hosts (Ecommerce `scl`, the tokenizer, the
//! Platform REST API and the iframe's `checkout` host), because their paths do not collide: `/v1/charges`, `/v1/refunds`,
//! `/v1/customers`, `/v1/tokens`, `/v3/merchants/{mId}/…` and `/pakms/apikey`. Three merchant
//! accounts (three store locations of one owner) each have their own OAuth token and PAKMS key;
//! a token only ever sees its own merchant's objects. The rule Coffer cares about most lives in
//! [`rules::warning`]: a subsequent card-on-file charge with no recorded initial one is approved
//! with Clover's `warning_message`.

mod routes;
mod rules;
mod state;
mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::middleware;
use axum::routing::{delete, get, post};
use axum::Router;
use coffer_core::{CloverAccount, ProviderAccount, ProviderKind};

use crate::{Ctx, SandboxMerchant, Seed};

pub(crate) struct Emulator {
    ctx: Ctx,
    state: Mutex<state::State>,
    /// Requests in flight per credential, for Clover's concurrency limit; not state: it is
    /// empty whenever no request is running.
    in_flight: Mutex<HashMap<String, usize>>,
    /// Recent requests per credential, for Clover's request rate limit (when on); not state.
    request_windows: Mutex<routes::limits::Windows>,
    /// Per merchant number, the seed's initials counts for `GET /__sandbox/initials`; derived
    /// from the seed alone, built on first use, not state.
    seeded_initials: Mutex<HashMap<usize, Arc<state::SeededInitials>>>,
}

impl Emulator {
    pub(crate) fn new(ctx: Ctx, seed: &Seed) -> Self {
        Emulator {
            ctx,
            state: Mutex::new(state::State::seeded(seed)),
            in_flight: Mutex::new(HashMap::new()),
            request_windows: Mutex::new(HashMap::new()),
            seeded_initials: Mutex::new(HashMap::new()),
        }
    }
}

impl crate::Emulator for Emulator {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Clover
    }

    fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/pakms/apikey", get(routes::merchant::pakms_apikey))
            // Clover's checkout host (iframe SDK and its card fields), served under the same
            // base URL: its paths collide with none of the others.
            .route("/sdk.js", get(routes::checkout::sdk))
            .route("/widget.html", get(routes::checkout::widget))
            .route("/v3/merchants/{mid}", get(routes::merchant::merchant))
            .route(
                "/v3/merchants/{mid}/gateway",
                get(routes::merchant::gateway),
            )
            .route(
                "/v3/merchants/{mid}/customers",
                get(routes::customers::v3_customers),
            )
            .route(
                "/v3/merchants/{mid}/customers/{id}",
                get(routes::customers::v3_customer),
            )
            .route(
                "/v3/merchants/{mid}/customers/{id}/cards",
                get(routes::customers::v3_customer_cards),
            )
            .route("/v1/tokens", post(routes::cards::create_token))
            .route("/v1/customers", post(routes::customers::create_customer))
            .route(
                "/v1/customers/{id}",
                get(routes::customers::get_customer).put(routes::customers::update_customer),
            )
            .route(
                "/v1/customers/{id}/sources/{card}",
                delete(routes::cards::revoke_card),
            )
            .route(
                "/v1/charges",
                post(routes::charges::create_charge).get(routes::charges::list_charges),
            )
            .route("/v1/charges/{id}", get(routes::charges::get_charge))
            .route(
                "/v1/charges/{id}/capture",
                post(routes::charges::capture_charge),
            )
            .route(
                "/v1/refunds",
                post(routes::refunds::create_refund).get(routes::refunds::list_refunds),
            )
            .route("/v1/refunds/{id}", get(routes::refunds::get_refund))
            .route("/__sandbox/initials", get(routes::admin::sandbox_initials))
            .layer(middleware::from_fn_with_state(
                self.clone(),
                routes::limit_concurrency,
            ))
            .layer(middleware::from_fn_with_state(
                self.clone(),
                routes::limits::limit_rate,
            ))
            .with_state(self)
    }

    fn lookup_posts(&self) -> &'static [&'static str] {
        // Every Clover lookup is a GET.
        &[]
    }

    fn merchants(&self) -> Vec<SandboxMerchant> {
        let Ok(state) = self.state.lock() else {
            return Vec::new();
        };
        state
            .merchants
            .iter()
            .map(|m| SandboxMerchant {
                name: m.name.clone(),
                account: ProviderAccount::Clover(CloverAccount {
                    merchant_uuid: m.mid.clone(),
                    pakms_key: Some(m.apikey.clone()),
                }),
                secret: m.access_token.clone(),
                currency: m.currency,
                time_zone: m.time_zone.clone(),
                base_url: self.ctx.base_url.clone(),
            })
            .collect()
    }

    fn snapshot(&self) -> serde_json::Value {
        self.state
            .lock()
            .ok()
            .and_then(|s| serde_json::to_value(&*s).ok())
            .unwrap_or(serde_json::Value::Null)
    }

    fn restore(&self, snapshot: serde_json::Value) -> Result<(), String> {
        let restored: state::State = serde_json::from_value(snapshot)
            .map_err(|e| format!("not a clover sandbox state: {e}"))?;
        let mut state = self
            .state
            .lock()
            .map_err(|_| "clover state lock poisoned".to_string())?;
        *state = restored;
        Ok(())
    }

    fn reset(&self, seed: &Seed) {
        if let Ok(mut state) = self.state.lock() {
            *state = state::State::seeded(seed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Emulator as _;
    use crate::{Faults, Ledger};

    fn emulator(customers: usize) -> Emulator {
        let ctx = Ctx {
            ledger: Arc::new(Ledger::default()),
            faults: Arc::new(Faults::new(Default::default())),
            base_url: "http://127.0.0.1:1/clover".into(),
        };
        Emulator::new(
            ctx,
            &Seed::demo(
                customers,
                chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            ),
        )
    }

    #[test]
    fn snapshot_then_restore_gives_the_same_state() {
        let a = emulator(12);
        {
            let mut s = a.state.lock().unwrap();
            let state::State { seed, merchants } = &mut *s;
            merchants[0].customer_mut(seed, 2).unwrap().cards[0].initial_ref =
                Some("300000000001".into());
            merchants[0].counter = 7;
        }
        let snapshot = a.snapshot();
        let b = emulator(0);
        b.restore(snapshot.clone()).unwrap();
        assert_eq!(b.snapshot(), snapshot, "restore is the inverse of snapshot");
        assert_eq!(*b.state.lock().unwrap(), *a.state.lock().unwrap());
        assert!(
            b.restore(serde_json::json!({"merchants": 3})).is_err(),
            "garbage is refused"
        );
    }

    #[test]
    fn merchants_are_three_locations_with_their_own_credentials() {
        let merchants = emulator(0).merchants();
        assert_eq!(merchants.len(), 3);
        assert!(merchants.iter().all(|m| m.account.account_id().len() == 13));
        assert_ne!(merchants[0].secret, merchants[1].secret);
    }
}
