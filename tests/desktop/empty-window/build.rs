//! Tauri's build step for the empty window (its config and blank page sit beside this file).

fn main() {
    tauri_build::build();
}
