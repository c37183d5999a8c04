//! Nothing to link: the end-to-end test lives in `main.rs`.
