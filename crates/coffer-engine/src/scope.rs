//! Which merchants a use case works on, as the owner chose them: every location, one, a group,
//! or a list. The engine resolves it, so a host passes the owner's choice as it came.

use coffer_core::{InvalidInput, MerchantId};

use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::Engine;

/// The merchants in view.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Scope {
    /// Every merchant.
    #[default]
    All,
    /// One merchant (location); refused when there is no such merchant.
    Merchant(MerchantId),
    /// The merchants of a group of locations; refused when none is in it.
    Group(String),
    /// These merchants (empty: every merchant), as already resolved.
    Merchants(Vec<MerchantId>),
}

impl Scope {
    /// One merchant if given, else a group if given, else all: the shape of a view's filter.
    pub fn of(merchant: Option<MerchantId>, group: Option<String>) -> Scope {
        match (merchant, group) {
            (Some(id), _) => Scope::Merchant(id),
            (None, Some(group)) => Scope::Group(group),
            (None, None) => Scope::All,
        }
    }
}

impl From<Vec<MerchantId>> for Scope {
    fn from(merchants: Vec<MerchantId>) -> Self {
        Scope::Merchants(merchants)
    }
}

impl FromIterator<MerchantId> for Scope {
    fn from_iter<I: IntoIterator<Item = MerchantId>>(ids: I) -> Self {
        Scope::Merchants(ids.into_iter().collect())
    }
}

impl Engine {
    /// The merchants of `scope`; empty means every merchant.
    pub async fn resolve_scope(&self, scope: impl Into<Scope>) -> EngineResult<Vec<MerchantId>> {
        let scope = scope.into();
        if let Scope::Merchants(ids) = scope {
            return Ok(ids);
        }
        let all = self.read_store(|store| Ok(store.merchants()?)).await?;
        match scope {
            Scope::All | Scope::Merchants(_) => Ok(Vec::new()),
            Scope::Merchant(id) => all
                .iter()
                .find(|m| m.id == id)
                .map(|m| vec![m.id])
                .ok_or_else(|| {
                    EngineError::new(ErrorKind::NotFound, format!("merchant {id} not found"))
                }),
            Scope::Group(group) => {
                let ids: Vec<_> = all
                    .iter()
                    .filter(|m| m.group.as_deref() == Some(group.as_str()))
                    .map(|m| m.id)
                    .collect();
                if ids.is_empty() {
                    Err(
                        InvalidInput::new("group", format!("no merchant is in group '{group}'"))
                            .into(),
                    )
                } else {
                    Ok(ids)
                }
            }
        }
    }

    /// The merchants of one merchant, a group or all (empty: all).
    pub async fn merchant_scope(
        &self,
        merchant: Option<MerchantId>,
        group: Option<String>,
    ) -> EngineResult<Vec<MerchantId>> {
        self.resolve_scope(Scope::of(merchant, group)).await
    }
}
