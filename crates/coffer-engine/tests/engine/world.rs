//! A test world: the four sandboxes in-process on an ephemeral port, an engine on a temp profile
//! with in-memory secrets (one process), and the demo merchants registered through the
//! sandbox's admin API.

use std::sync::Arc;

use coffer_core::MerchantId;
use coffer_engine::progress::NoProgress;
use coffer_engine::search::{CardSearch, CardView};
use coffer_engine::secrets::MemoryStore;
use coffer_engine::Engine;
use coffer_sandbox::{AcceptedCharge, Sandbox, SandboxConfig};

pub struct World {
    pub sandbox: Sandbox,
    pub engine: Engine,
    pub dir: tempfile::TempDir,
    pub secrets: Arc<MemoryStore>,
}

impl World {
    pub async fn new() -> World {
        let sandbox = Sandbox::start(SandboxConfig::demo(20)).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let secrets = Arc::new(MemoryStore::default());
        let engine = coffer_demo::with_embedded_sandboxes(Engine::builder())
            .data_dir(Some(dir.path().to_path_buf()))
            .secrets(secrets.clone())
            .open()
            .unwrap();
        coffer_demo::demo(
            &engine,
            Some(sandbox.urls.admin.clone()),
            Arc::new(NoProgress),
        )
        .await
        .unwrap();
        World {
            sandbox,
            engine,
            dir,
            secrets,
        }
    }

    /// Another engine on the same profile: what a second process or a second desk sees.
    pub fn second_engine(&self) -> Engine {
        coffer_demo::with_embedded_sandboxes(Engine::builder())
            .data_dir(Some(self.dir.path().to_path_buf()))
            .secrets(self.secrets.clone())
            .open()
            .unwrap()
    }

    /// Another engine on the same profile whose clock reads `later` from now: the same desk
    /// some time on.
    pub fn engine_later(&self, later: chrono::Duration) -> Engine {
        coffer_demo::with_embedded_sandboxes(Engine::builder())
            .data_dir(Some(self.dir.path().to_path_buf()))
            .secrets(self.secrets.clone())
            .clock(Arc::new(coffer_core::clock::FixedClock(
                chrono::Utc::now() + later,
            )))
            .open()
            .unwrap()
    }

    /// What the sandboxes processed.
    pub fn sandbox_charges(&self) -> Vec<AcceptedCharge> {
        self.sandbox.ledger.all()
    }

    pub async fn merchant(&self, provider: &str, nth: usize) -> MerchantId {
        let all = self.engine.list_merchants().await.unwrap();
        let m = all
            .iter()
            .filter(|m| m.provider == provider)
            .nth(nth)
            .unwrap();
        MerchantId(m.id)
    }

    pub async fn cards(&self, merchant: MerchantId) -> Vec<CardView> {
        self.engine
            .list_cards(CardSearch {
                merchant: Some(merchant),
                limit: Some(10_000),
                ..CardSearch::default()
            })
            .await
            .unwrap()
    }

    /// A usable card of `merchant` matching `pick`.
    pub async fn card(&self, merchant: MerchantId, pick: impl Fn(&CardView) -> bool) -> CardView {
        self.cards(merchant)
            .await
            .into_iter()
            .find(|c| pick(c))
            .expect("the demo seed has such a card")
    }
}

/// An active, unexpired card with consent and an initial transaction and an approving last4.
pub fn ready(c: &CardView) -> bool {
    c.mit_ready
        && c.active
        && !c.expired
        && !["0341", "0002", "0069", "0077", "0019"].contains(&c.last4.as_str())
}
