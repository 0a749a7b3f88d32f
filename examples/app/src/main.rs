//! The example app: a small site on actix-login that a person can use, copy
//! and test.
//!
//! - users in SQLite (`db.rs`), passwords hashed with Argon2id;
//! - HTML pages from MiniJinja templates (`pages.rs`): a login form with
//!   "remember me", a home page showing `current_user`, a members page behind
//!   `#[login_required]`, a settings page behind `#[fresh_login_required]`
//!   with a re-authenticate page, logout, flashed messages, and a `next`
//!   redirect after login that goes through [`actix_login::safe_next`];
//! - an admin page behind `#[permission_required("admin")]`, its link shown
//!   only to users with the permission (`has_perm`), the permissions in a
//!   SQLite table;
//! - CSRF protection on every POST (`csrf.rs`);
//! - failed password checks throttled per account and per client address,
//!   before Argon2 runs (`throttle.rs`), and at most a few Argon2
//!   computations at once, whoever asks (`hash_limit.rs`);
//! - sessions in actix-session's cookie store (the default) or in Redis
//!   (`SESSION_STORE=redis`), so that many instances can serve the same
//!   users; every Redis call is bounded in time (`timeout_store.rs`).
//!
//! `server.rs` builds and starts the server; this file is its command line.
//!
//! ```sh
//! cargo run --bin app            # then open http://127.0.0.1:8080
//! ```
//!
//! Environment (every variable optional):
//!
//! | variable        | default                                   |
//! |-----------------|-------------------------------------------|
//! | `PORT`          | `8080` (`0`: any free port; the address is printed) |
//! | `HOST`          | `127.0.0.1`                               |
//! | `DATABASE`      | `actix-login-demo.sqlite3` in the temp dir; `:memory:` for a private in-memory one |
//! | `SESSION_STORE` | `cookie`; or `redis`                      |
//! | `REDIS_URL`     | `redis://127.0.0.1:6379` (with `SESSION_STORE=redis`) |
//! | `SECRET_KEY`    | a development key, with a warning (≥ 32 bytes) |
//! | `WORKERS`       | one per physical core                     |
//! | `SECURE_COOKIES`| `false`; set `true` when served over HTTPS (e.g. behind a TLS-terminating load balancer) |
//! | `TRUSTED_PROXIES` | none; comma-separated IPs of the load balancers whose `X-Forwarded-For` to believe |
//! | `FRESH_MAX_AGE` | `600`: seconds a password login stays fresh (the settings page asks again after) |
//! | `INSECURE_FAST_HASHING` | `false`; `true` hashes new passwords at Argon2's minimum cost: **tests only** |
//! | `HASHING_CONCURRENCY` | one per CPU: Argon2 computations at once (46 MiB each), at least 1 |
//! | `HASHING_MAX_WAIT` | `5`: seconds a login waits for one before it gets `503` with `Retry-After`; `0`: no wait |
//! | `TEST_HASHING_HOLD` | none; a file path: Argon2 waits while it exists, and notes itself on stderr: **tests only** |
//!
//! The first line printed on standard output is
//! `actix-login demo listening on http://ADDR`; the end-to-end tests read the
//! address from it.

mod csrf;
mod db;
mod hash_limit;
mod pages;
mod server;
mod throttle;
mod timeout_store;

use std::{env, net::IpAddr, path::PathBuf, process::ExitCode};

use db::{Database, Hashing, DEMO_USERS};
use hash_limit::{default_concurrency, HashingLimit, DEFAULT_MAX_WAIT};
use server::{
    start, DemoConfig, SessionBackend, DEFAULT_FRESH_MAX_AGE, DEV_SECRET_KEY, MIN_SECRET_LEN,
};

fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn config() -> Result<DemoConfig, String> {
    let port = match var("PORT") {
        Some(p) => p
            .trim()
            .parse()
            .map_err(|_| format!("PORT={p:?} is not a port number"))?,
        None => 8080,
    };
    let host: IpAddr = match var("HOST") {
        Some(h) => h
            .trim()
            .parse()
            .map_err(|_| format!("HOST={h:?} is not an IP address"))?,
        None => [127, 0, 0, 1].into(),
    };
    let database = match var("DATABASE").as_deref() {
        Some(":memory:") => Database::Memory,
        Some(path) => Database::File(PathBuf::from(path)),
        None => Database::File(env::temp_dir().join("actix-login-demo.sqlite3")),
    };
    let sessions = match var("SESSION_STORE").as_deref().map(str::trim) {
        None | Some("cookie") => SessionBackend::Cookie,
        Some("redis") => SessionBackend::Redis {
            url: var("REDIS_URL").unwrap_or_else(|| "redis://127.0.0.1:6379".to_owned()),
        },
        Some(other) => {
            return Err(format!(
                "SESSION_STORE={other:?}: use \"cookie\" or \"redis\""
            ))
        }
    };
    let secret_key = match var("SECRET_KEY") {
        Some(key) if key.len() < MIN_SECRET_LEN => {
            return Err(format!(
                "SECRET_KEY has {} bytes; it needs at least {MIN_SECRET_LEN}",
                key.len()
            ))
        }
        Some(key) => key,
        None => {
            eprintln!(
                "WARNING: SECRET_KEY is not set; using the built-in development key.\n         \
                 Anyone can forge sessions and remember cookies with it. Set SECRET_KEY to a\n         \
                 random string of at least {MIN_SECRET_LEN} bytes, e.g. `openssl rand -hex 32`."
            );
            DEV_SECRET_KEY.to_owned()
        }
    };
    let workers = match var("WORKERS") {
        Some(w) => Some(
            w.trim()
                .parse()
                .map_err(|_| format!("WORKERS={w:?} is not a number"))?,
        ),
        None => None,
    };
    let secure_cookies = match var("SECURE_COOKIES").as_deref().map(str::trim) {
        None | Some("0" | "false" | "no") => false,
        Some("1" | "true" | "yes") => true,
        Some(other) => return Err(format!("SECURE_COOKIES={other:?}: use true or false")),
    };
    let trusted_proxies = match var("TRUSTED_PROXIES") {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse()
                    .map_err(|_| format!("TRUSTED_PROXIES: {p:?} is not an IP address"))
            })
            .collect::<Result<Vec<IpAddr>, String>>()?,
        None => Vec::new(),
    };
    let fresh_max_age = match var("FRESH_MAX_AGE") {
        Some(s) => std::time::Duration::from_secs(
            s.trim()
                .parse()
                .map_err(|_| format!("FRESH_MAX_AGE={s:?} is not a number of seconds"))?,
        ),
        None => DEFAULT_FRESH_MAX_AGE,
    };
    let hashing = match var("INSECURE_FAST_HASHING").as_deref().map(str::trim) {
        None | Some("0" | "false" | "no") => Hashing::Strong,
        Some("1" | "true" | "yes") => {
            eprintln!(
                "WARNING: INSECURE_FAST_HASHING is set: new passwords are hashed at Argon2's\n         \
                 minimum cost, which anyone can brute-force. For tests only."
            );
            Hashing::InsecureFast
        }
        Some(other) => {
            return Err(format!(
                "INSECURE_FAST_HASHING={other:?}: use true or false"
            ))
        }
    };
    let concurrency = match var("HASHING_CONCURRENCY") {
        Some(n) => n
            .trim()
            .parse()
            .map_err(|_| format!("HASHING_CONCURRENCY={n:?} is not a number of at least 1"))?,
        None => default_concurrency(),
    };
    let max_wait = match var("HASHING_MAX_WAIT") {
        Some(s) => std::time::Duration::from_secs(
            s.trim()
                .parse()
                .map_err(|_| format!("HASHING_MAX_WAIT={s:?} is not a number of seconds"))?,
        ),
        None => DEFAULT_MAX_WAIT,
    };
    let test_hold = var("TEST_HASHING_HOLD").map(PathBuf::from);
    if test_hold.is_some() {
        eprintln!(
            "WARNING: TEST_HASHING_HOLD is set: Argon2 computations wait while its file\n         \
             exists. For tests only."
        );
    }
    Ok(DemoConfig {
        host,
        port,
        database,
        sessions,
        secret_key,
        workers,
        secure_cookies,
        trusted_proxies,
        hashing,
        hashing_limit: HashingLimit {
            concurrency,
            max_wait,
            test_hold,
        },
        fresh_max_age,
    })
}

#[actix_web::main]
async fn main() -> ExitCode {
    let config = match config() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let database = match &config.database {
        Database::Memory => "in memory".to_owned(),
        Database::File(path) => path.display().to_string(),
    };
    let hashing = format!(
        "at most {} Argon2 computations at once, a login waits up to {:?}",
        config.hashing_limit.concurrency, config.hashing_limit.max_wait
    );
    let sessions = match &config.sessions {
        SessionBackend::Cookie => "cookie store".to_owned(),
        SessionBackend::Redis { url } => format!("Redis at {url}"),
    };
    let app = match start(config).await {
        Ok(app) => app,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    println!("actix-login demo listening on {}", app.url());
    println!("  users:    {database}");
    println!("  sessions: {sessions}");
    println!("  hashing:  {hashing}");
    println!("  demo credentials:");
    for user in DEMO_USERS {
        let note = if !user.active {
            "  (disabled: login is refused)".to_owned()
        } else if user.permissions.is_empty() {
            String::new()
        } else {
            format!("  ({})", user.permissions.join(", "))
        };
        println!("    {:<8} / {}{note}", user.username, user.password);
    }
    println!("Press Ctrl-C to stop.");
    match app.server.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}
