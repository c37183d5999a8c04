//! PLACEHOLDER: replaced by the processout emulator (issue #3).

use std::sync::Arc;

use axum::Router;
use coffer_core::ProviderKind;

use crate::{Ctx, SandboxMerchant, Seed};

pub(crate) struct Emulator {
    _ctx: Ctx,
}

impl Emulator {
    pub(crate) fn new(ctx: Ctx, _seed: &Seed) -> Self {
        Emulator { _ctx: ctx }
    }
}

impl crate::Emulator for Emulator {
    fn kind(&self) -> ProviderKind {
        ProviderKind::ProcessOut
    }
    fn router(self: Arc<Self>) -> Router {
        Router::new()
    }
    fn merchants(&self) -> Vec<SandboxMerchant> {
        Vec::new()
    }
    fn snapshot(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
    fn restore(&self, _snapshot: serde_json::Value) -> Result<(), String> {
        Ok(())
    }
    fn reset(&self, _seed: &Seed) {}
}
