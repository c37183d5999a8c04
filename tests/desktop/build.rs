//! The desktop e2e tests drive a built app in WebKit and run only when asked (`COFFER_E2E=1`,
//! `COFFER_INSTALLED_APP=…`). The request becomes a cfg here, so a run without it lists them as
//! ignored, with the reason, instead of passing tests that never ran.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(coffer_e2e)");
    println!("cargo::rustc-check-cfg=cfg(coffer_installed_app)");
    println!("cargo::rerun-if-env-changed=COFFER_E2E");
    println!("cargo::rerun-if-env-changed=COFFER_INSTALLED_APP");
    let asked = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if asked("COFFER_E2E") {
        println!("cargo::rustc-cfg=coffer_e2e");
    }
    if asked("COFFER_INSTALLED_APP") {
        println!("cargo::rustc-cfg=coffer_installed_app");
    }
}
