//! What the baseline servers of `bench/compare.sh` share with each other and
//! with `src/bin/actix-login.rs` (the actix-login side, which has its own
//! `User` type but this session key): the port, the session set-up, the
//! users and the response shapes. Keep these in step with that server, or
//! the comparison stops being fair.

use std::{collections::HashMap, sync::LazyLock};

use actix_session::{
    config::CookieContentSecurity, storage::CookieSessionStore, SessionMiddleware,
};
use actix_web::{cookie::Key, HttpResponse};

/// The fixed 64-byte session key every server of the comparison uses.
pub const SESSION_KEY: &[u8; 64] =
    b"actix-login-bench: fixed session key, 64 bytes, never for prod!!";

/// The session key of the users' id (Flask-Login 0.6.3's name).
pub const USER_ID: &str = "_user_id";

/// A user of the in-memory table.
#[derive(Debug, Clone, Copy)]
pub struct Account {
    /// The id stored in the session.
    pub id: &'static str,
    /// The display name.
    pub name: &'static str,
    /// Inactive users may not log in.
    pub active: bool,
}

/// Users 1 alice, 2 bob (inactive), 3 carol.
pub static USERS: LazyLock<HashMap<&'static str, Account>> = LazyLock::new(|| {
    [
        Account {
            id: "1",
            name: "alice",
            active: true,
        },
        Account {
            id: "2",
            name: "bob",
            active: false,
        },
        Account {
            id: "3",
            name: "carol",
            active: true,
        },
    ]
    .into_iter()
    .map(|a| (a.id, a))
    .collect()
});

/// `$PORT`, default 8080.
pub fn port() -> u16 {
    std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(8080)
}

/// `$name` or `default`.
pub fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// The login view for the unauthorized-redirect case (`BENCH_LOGIN_VIEW`),
/// none by default (anonymous requests get 401).
pub fn login_view() -> Option<String> {
    std::env::var("BENCH_LOGIN_VIEW")
        .ok()
        .filter(|v| !v.is_empty())
}

/// actix-session's cookie store as every server of the comparison sets it
/// up: content `Signed` (not private), cookie `session`, not `Secure`.
pub fn session_middleware() -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), Key::from(SESSION_KEY))
        .cookie_name("session".to_owned())
        .cookie_content_security(CookieContentSecurity::Signed)
        .cookie_secure(false)
        .build()
}

/// A `200 text/plain` response.
pub fn text(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(body)
}

/// The anonymous answer to `/protected` without a login view.
pub fn unauthorized() -> HttpResponse {
    HttpResponse::Unauthorized()
        .content_type("text/plain; charset=utf-8")
        .body("401 Unauthorized")
}

/// The anonymous answer to `/protected` with a login view: a 302 to
/// `view?next=<path>` (Flask-Login's form, `quote_plus`-encoded), without a
/// flashed message.
pub fn redirect_to_login(view: &str, target: &str) -> HttpResponse {
    let mut location = String::with_capacity(view.len() + 6 + target.len() * 3);
    location.push_str(view);
    location.push_str(if view.contains('?') {
        "&next="
    } else {
        "?next="
    });
    for b in target.bytes() {
        if b.is_ascii_alphanumeric() || b"_.-~".contains(&b) {
            location.push(b as char);
        } else {
            const HEX: &[u8; 16] = b"0123456789ABCDEF";
            location.push('%');
            location.push(HEX[(b >> 4) as usize] as char);
            location.push(HEX[(b & 15) as usize] as char);
        }
    }
    HttpResponse::Found()
        .insert_header((actix_web::http::header::LOCATION, location))
        .finish()
}

/// The value of `name` in a query string (no decoding: the bench's ids are
/// plain digits).
pub fn query_arg<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v)
    })
}

/// Binds one worker on 127.0.0.1:`$PORT`, prints `ready` once bound, and
/// runs until stopped. A macro because `HttpServer::new`'s bounds are long.
#[macro_export]
macro_rules! serve {
    ($factory:expr) => {{
        let server = ::actix_web::HttpServer::new($factory)
            .workers(1)
            .bind(("127.0.0.1", $crate::port()))?
            .run();
        println!("ready");
        use ::std::io::Write as _;
        ::std::io::stdout().flush()?;
        server.await
    }};
}
