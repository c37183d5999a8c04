//! The copies kept before upgrades: listed by their names, deleted only by a listed name.

use coffer_store::copies;
use coffer_store::StoreError;

#[test]
fn the_copies_beside_the_database_are_listed_oldest_first_with_their_schema_and_size() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("coffer.db");
    std::fs::write(&database, b"db").unwrap();
    std::fs::write(
        dir.path().join("coffer.db.before-v26-1796000000000"),
        [0u8; 26],
    )
    .unwrap();
    std::fs::write(
        dir.path().join("coffer.db.before-v9-1700000000000"),
        [0u8; 9],
    )
    .unwrap();
    // Not copies: another file's, a name that does not parse, a folder, SQLite's own files.
    std::fs::write(dir.path().join("other.db.before-v26-1796000000000"), b"x").unwrap();
    std::fs::write(dir.path().join("coffer.db.before-vX-1"), b"x").unwrap();
    std::fs::create_dir(dir.path().join("coffer.db.before-v3-1600000000000")).unwrap();
    std::fs::write(dir.path().join("coffer.db-wal"), b"x").unwrap();

    let listed = copies::of(&database).unwrap();
    let seen: Vec<(String, usize, i64, u64)> = listed
        .iter()
        .map(|c| (c.file_name(), c.upgraded_to, c.made_at_millis, c.bytes))
        .collect();
    assert_eq!(
        seen,
        vec![
            (
                "coffer.db.before-v9-1700000000000".into(),
                9,
                1_700_000_000_000,
                9
            ),
            (
                "coffer.db.before-v26-1796000000000".into(),
                26,
                1_796_000_000_000,
                26
            ),
        ]
    );
}

#[test]
fn a_copy_is_deleted_with_what_sqlite_left_beside_it_and_only_by_a_listed_name() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("coffer.db");
    std::fs::write(&database, b"db").unwrap();
    let copy = dir.path().join("coffer.db.before-v26-1796000000000");
    std::fs::write(&copy, b"copy").unwrap();
    std::fs::write(
        dir.path().join("coffer.db.before-v26-1796000000000-wal"),
        b"w",
    )
    .unwrap();

    for name in [
        "coffer.db",
        "../coffer.db",
        "coffer.db.before-v26-1796000000000-wal",
        "coffer.db.before-v25-1796000000000",
    ] {
        let refused = copies::delete(&database, name).unwrap_err();
        assert!(
            matches!(refused, StoreError::NotFound { .. }),
            "{name}: {refused}"
        );
    }
    assert!(
        database.exists(),
        "the database itself is never taken for a copy"
    );

    let deleted = copies::delete(&database, "coffer.db.before-v26-1796000000000").unwrap();
    assert_eq!(deleted.path, copy);
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, vec!["coffer.db"], "the copy and its -wal are gone");
    assert!(copies::of(&database).unwrap().is_empty());
}
