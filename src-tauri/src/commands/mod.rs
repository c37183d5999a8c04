//! The commands, one per engine use case and of the same name, grouped like the UI's screens.
//! Each is one call into [`coffer_engine::Engine`]; request structs only adapt IPC arguments.
//! `bindings::builder` names them by full path: the command macros attach hidden items that a
//! `pub use` does not carry.

pub mod audit;
pub mod card_import;
pub mod card_life;
pub mod cards;
pub mod charges;
pub mod contract_import;
pub mod contracts;
pub mod customers;
pub mod dashboard;
pub mod due;
pub mod enrollment;
pub mod erase;
pub mod export;
pub mod merchants;
pub mod settings;
pub mod sync;

use coffer_core::MerchantId;
use coffer_engine::scope::Scope;
use serde::Deserialize;

/// What a view shows: one merchant (location), a group of locations, or, with neither, all.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct ScopeRequest {
    /// One merchant.
    pub merchant_id: Option<i64>,
    /// A group of locations.
    pub group: Option<String>,
}

/// The engine resolves it (an unknown merchant or an empty group is refused there).
impl From<ScopeRequest> for Scope {
    fn from(r: ScopeRequest) -> Self {
        Scope::of(r.merchant_id.map(MerchantId), r.group)
    }
}

/// A text field of a form: an empty or blank one is absent.
pub(crate) fn text(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}
