//! The copies of the database kept before upgrades: the owner sees them and deletes them, on
//! the record.

use std::sync::Arc;

use coffer_engine::audit::AuditQuery;
use coffer_engine::secrets::MemoryStore;
use coffer_engine::{Engine, ErrorKind};

#[tokio::test]
async fn the_owner_sees_the_copies_kept_before_upgrades_and_deletes_one_on_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::builder()
        .data_dir(Some(dir.path().to_path_buf()))
        .secrets(Arc::new(MemoryStore::default()))
        .open()
        .unwrap();
    assert!(engine.upgrade_copies().await.unwrap().is_empty());
    let older = "coffer.db.before-v25-1796000000000";
    let newer = "coffer.db.before-v26-1796600000000";
    std::fs::write(dir.path().join(newer), vec![1u8; 2_600]).unwrap();
    std::fs::write(dir.path().join(older), vec![1u8; 2_500]).unwrap();

    let listed = engine.upgrade_copies().await.unwrap();
    let seen: Vec<(&str, u32, String, u64)> = listed
        .iter()
        .map(|c| {
            (
                c.file.as_str(),
                c.upgraded_to,
                c.made_at.to_rfc3339(),
                c.bytes,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (older, 25, "2026-11-30T00:53:20+00:00".to_string(), 2_500),
            (newer, 26, "2026-12-06T23:33:20+00:00".to_string(), 2_600),
        ]
    );
    assert_eq!(listed[0].path, dir.path().join(older).display().to_string());

    let refused = engine.delete_upgrade_copy("coffer.db").await.unwrap_err();
    let envelope = refused.envelope();
    assert_eq!(envelope.kind, ErrorKind::InvalidInput);
    assert_eq!(envelope.field.as_deref(), Some("file"));
    assert!(
        envelope.message.contains(older) && envelope.message.contains(newer),
        "the refusal names the copies there are: {}",
        envelope.message
    );
    assert!(dir.path().join("coffer.db").exists());

    let left = engine.delete_upgrade_copy(older).await.unwrap();
    assert_eq!(
        left.iter().map(|c| c.file.as_str()).collect::<Vec<_>>(),
        vec![newer]
    );
    assert!(!dir.path().join(older).exists());
    let events = engine
        .list_audit(AuditQuery {
            merchant_id: None,
            action: Some("upgrade_copy_deleted".into()),
            after_seq: None,
            limit: None,
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].subject, format!("file:{older}"));
    assert_eq!(events[0].details["bytes"], 2_500);
    assert_eq!(events[0].details["upgraded_to"], 25);
    assert!(engine.verify_audit().await.unwrap().intact);
}
