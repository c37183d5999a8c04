//! `coffer copies`: the copies of the database kept before upgrades, listed and deleted.

use coffer_e2e::Profile;

use crate::array;

#[test]
fn the_copies_kept_before_upgrades_are_listed_and_deleted_only_when_the_owner_says_yes() {
    let profile = Profile::new();
    let none = profile.coffer(&["copies", "list"]).ok().stdout();
    assert!(none.contains("no copies kept before upgrades"), "{none}");
    let older = "coffer.db.before-v25-1796000000000";
    let newer = "coffer.db.before-v26-1796600000000";
    std::fs::write(profile.path().join(older), vec![0u8; 2_000_000]).unwrap();
    std::fs::write(profile.path().join(newer), vec![0u8; 3_000_000]).unwrap();

    let listed = profile.coffer(&["copies", "list"]).ok().stdout();
    assert!(
        listed.contains("2 copies kept before upgrades, 5 MB in all")
            && listed.contains(&format!(
                "{older}  before schema 25  made 2026-11-30 00:53  2 MB"
            ))
            && listed.contains(newer),
        "{listed}"
    );

    let refused = profile.coffer(&["copies", "delete", older]);
    assert_eq!(
        refused.output.status.code(),
        Some(2),
        "{}",
        refused.stderr()
    );
    assert!(
        refused.stderr().contains("--yes") && refused.stderr().contains(older),
        "{}",
        refused.stderr()
    );
    assert!(
        profile.path().join(older).exists(),
        "nothing deleted without --yes"
    );
    let unknown = profile.coffer(&["copies", "delete", "coffer.db", "--yes"]);
    assert_eq!(
        unknown.output.status.code(),
        Some(2),
        "{}",
        unknown.stderr()
    );
    assert!(profile.path().join("coffer.db").exists());

    let left = profile
        .coffer(&["--json", "copies", "delete", "--all", "--yes"])
        .ok()
        .json();
    assert!(array(&left).is_empty(), "{left}");
    assert!(!profile.path().join(older).exists() && !profile.path().join(newer).exists());
    let events = profile
        .coffer(&[
            "--json",
            "audit",
            "list",
            "--action",
            "upgrade_copy_deleted",
        ])
        .ok()
        .json();
    let subjects: Vec<&str> = array(&events)
        .iter()
        .map(|e| e["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        vec![format!("file:{older}"), format!("file:{newer}")]
    );
}
