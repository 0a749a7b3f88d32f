//! Compile tests of the macros: what they accept (`tests/ui/pass`) and the
//! errors they report (`tests/ui/fail`, with the expected compiler output in
//! the `.stderr` files next to each case).
//!
//! The `.stderr` snapshots are pinned to the toolchain installed for this
//! project, rustc 1.95: rustc's wording and layout of diagnostics change
//! between releases, so a different toolchain may fail these tests with no
//! change to the macros. Regenerate them with
//! `TRYBUILD=overwrite cargo test -p actix-login-macros --test trybuild`, then
//! read every changed `.stderr`: each error must point at the user's code.

#[test]
fn ui() {
    // trybuild builds every dependency again, in its own target directory
    // (target/tests/trybuild) and without the workspace's profiles: build
    // them without debug info there too, as the workspace does (Cargo.toml).
    // Diagnostics do not depend on it.
    std::env::set_var("CARGO_PROFILE_DEV_DEBUG", "false");
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
