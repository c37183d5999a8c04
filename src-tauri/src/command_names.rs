/// Every command of `src/commands/`, by its IPC name. `build.rs` turns each into an
/// `allow-`/`deny-` permission; `bindings::builder` registers the handlers; a test checks that
/// both and `capabilities/main.json` agree with this list.
pub const COMMANDS: &[&str] = &[
    "list_merchants",
    "add_merchant",
    "edit_merchant",
    "remove_merchant",
    "demo",
    "sync_merchant",
    "sync_all",
    "search_customers",
    "list_cards",
    "list_audit",
    "verify_audit",
];
