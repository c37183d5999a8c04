fn main() {
    // The migrations are embedded with include_dir; rebuild when one is added or changed.
    println!("cargo:rerun-if-changed=migrations/");
}
