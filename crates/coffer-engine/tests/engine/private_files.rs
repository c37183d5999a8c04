//! A profile on a shared PC: the database, its exports and the outbox are the owner's alone,
//! whatever the umask.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use coffer_engine::export::ExportKind;

use crate::{due_soon, monthly, World};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn the_profiles_database_exports_and_outbox_are_private() {
    let world = World::new().await;
    let db = coffer_engine::config::database_path(world.dir.path());
    assert_eq!(mode(&db), 0o600, "the database");
    for sidecar in ["-wal", "-shm"] {
        let file = std::path::PathBuf::from(format!("{}{sidecar}", db.display()));
        if file.exists() {
            assert_eq!(mode(&file), 0o600, "{}", file.display());
        }
    }
    assert_eq!(mode(db.parent().unwrap()), 0o700, "the profile folder");

    let export = world
        .engine
        .export_csv(ExportKind::Cards, Vec::new(), None)
        .await
        .unwrap();
    let file = Path::new(&export.path);
    assert_eq!(mode(file), 0o600, "the export");
    assert_eq!(mode(file.parent().unwrap()), 0o700, "the exports folder");

    let card = &world.cards("Svea Demo Helsinki", None, 1).await[0];
    monthly(&world.engine, card.id, "3.00", due_soon()).await;
    let outbox = world.engine.outbox_dir();
    assert_eq!(mode(&outbox), 0o700, "the outbox");
    let eml: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!eml.is_empty(), "the contract's notice went to the outbox");
    for file in eml {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}
