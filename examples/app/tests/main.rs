//! The example app driven from outside, as its users and operators drive it:
//! every test starts the `app` binary (`CARGO_BIN_EXE_app`, the program
//! `cargo run --bin app` runs), configured through its environment, and talks
//! to it over HTTP or through a real browser. One test binary; a module per
//! story:
//!
//! - `cookie_sessions`: a visitor over plain HTTP, sessions in the cookie
//!   store. Needs nothing installed: runs in every `cargo test`.
//! - `permissions`: the admin page, for an admin, a user without the
//!   permission and an anonymous visitor. Needs nothing installed.
//! - `account_security`: the app's own defences (login throttling, the
//!   bound on Argon2 computations at once), over plain HTTP. Needs nothing
//!   installed.
//! - `browser`: a person in headless Chromium. Needs `chromium` and
//!   `chromium-driver`.
//! - `redis`: several instances on one Redis, Redis killed. Needs
//!   `redis-server`.
//!
//! The tests that need an outside program are `#[ignore]`d with a reason
//! naming the command that runs them, `bash scripts/test.sh`, which installs
//! the programs and runs the ignored tests too. Run alone without the
//! program (`cargo test -- --include-ignored`), such a test fails and says
//! how to install it; it never skips.

mod account_security;
mod browser;
mod cookie_sessions;
mod permissions;
mod redis;
mod support;
