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
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
