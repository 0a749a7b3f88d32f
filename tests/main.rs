//! The integration tests of actix-login: one test binary (`integration`),
//! a module per file of this directory.
//!
//! Every test drives the library through HTTP requests: in-process through
//! `actix_web::test` (the fixture app of `common`), or against a real
//! `HttpServer` on a loopback port (`support_faults`). Run one file's tests
//! with `cargo test -p actix-login-tests -- limits::`.
//!
//! A new test file `tests/NAME.rs` joins the suite with a line `mod NAME;`
//! below, and reaches the helpers with `use crate::common::*;` (or
//! `crate::support_faults`). A file left out is reported by the last test
//! here, `every_file_is_in_the_suite`, never silently skipped.
//!
//! Tests that need a program besides Rust (`redis-server`) are
//! `#[ignore = "needs redis-server: run by `bash scripts/test.sh`"]`:
//! `cargo test` passes on a machine with only Rust, and `scripts/test.sh`
//! installs the program and runs them with `-- --ignored`.

// Helpers.
mod common;
mod support_faults;

// Tests.
mod beyond;
mod concurrency;
mod cookie_vectors;
mod flash;
mod flask_import;
mod freshness;
mod lazy_state;
mod limits;
mod loaders;
mod login;
mod newcomer;
mod next;
mod permissions;
mod profiles;
mod properties;
mod protection;
mod remember;
mod request_state;
mod robustness;
mod security;
mod signals;
mod store_faults;
mod tracing_events;

/// Every `.rs` file and module directory here is a module of this binary:
/// cargo compiles only what `main.rs` declares, so a file added without its
/// `mod` line would never run.
#[test]
fn every_file_is_in_the_suite() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let main = include_str!("main.rs");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(dir).expect("the tests directory") {
        let path = entry.expect("a directory entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let module = if path.is_dir() && path.join("mod.rs").is_file() {
            name
        } else if let Some(stem) = name.strip_suffix(".rs") {
            stem
        } else {
            continue;
        };
        if module != "main" && !main.contains(&format!("\nmod {module};\n")) {
            missing.push(module.to_owned());
        }
    }
    missing.sort();
    assert!(
        missing.is_empty(),
        "not part of the test suite: {missing:?}. Add `mod NAME;` to tests/main.rs, and in the \
         file replace `mod common;` with `use crate::common::*;` (likewise support_faults)"
    );
}
