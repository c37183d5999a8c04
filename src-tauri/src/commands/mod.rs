//! The commands, one per engine use case and of the same name, grouped like the UI's screens.
//! Each is one call into [`coffer_engine::Engine`]; request structs only adapt IPC arguments.
//! `bindings::builder` names them by full path: the command macros attach hidden items that a
//! `pub use` does not carry.

pub mod audit;
pub mod cards;
pub mod customers;
pub mod merchants;
pub mod sync;
