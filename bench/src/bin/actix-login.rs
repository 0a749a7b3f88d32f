//! The actix-login side of the cost comparison (`bench/compare.sh`): the
//! same routes and session set-up as the baseline servers beside it.
//!
//! ```sh
//! PORT=8080 BENCH_PROTECTION=basic BENCH_PROFILE=0.6.3 cargo run --release -p actix-login-bench --bin actix-login
//! ```
//!
//! * `GET /login?id=1[&remember=1]` logs user 1 in (2 bob is inactive, 3 carol);
//! * `GET /protected` answers `protected 1` behind `#[login_required]`, or
//!   401 for an anonymous client (a 302 to `BENCH_LOGIN_VIEW` when set);
//! * `GET /me` answers the same through the `LoggedIn<Account>` extractor
//!   (the README's first form) instead of the guard and `CurrentUser`;
//! * `GET /anon` answers `anon` and never asks for the user.
//!
//! Settings: `BENCH_PROTECTION=off|basic|strong` (default basic),
//! `BENCH_PROFILE=0.6.3|0.2.4` (default 0.6.3), `PARITY_SECRET` (default
//! `parity-secret`), `PORT` (default 8080). One worker; prints `ready` once
//! bound. Sessions: actix-session's cookie store, content `Signed`, cookie
//! `session`, not `Secure`, the fixed 64-byte key of `bench/src/lib.rs`.

use std::{collections::HashMap, env, sync::LazyLock};

use actix_login::{
    login_required, login_user, user_loader, CurrentUser, LoggedIn, LoginManager, LoginOptions,
    Profile, SessionProtection, User,
};
use actix_login_bench::SESSION_KEY;
use actix_session::{
    config::CookieContentSecurity, storage::CookieSessionStore, SessionMiddleware,
};
use actix_web::{cookie::Key, get, App, HttpRequest, HttpResponse, HttpServer};

#[derive(Debug, Clone, Copy)]
struct Account {
    id: &'static str,
    #[allow(dead_code)]
    name: &'static str,
    active: bool,
}

impl User for Account {
    fn get_id(&self) -> String {
        self.id.to_owned()
    }

    fn is_active(&self) -> bool {
        self.active
    }
}

static USERS: LazyLock<HashMap<&'static str, Account>> = LazyLock::new(|| {
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

/// A map lookup never waits: a plain `fn` loader, as the baselines look the
/// id up in place.
#[user_loader]
fn load_user(id: &str) -> Option<Account> {
    USERS.get(id).copied()
}

fn env_or(name: &str, default: &str) -> String {
    env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn text(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(body)
}

fn query_arg<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v)
    })
}

#[get("/login")]
async fn login(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    let query = req.query_string();
    let Some(user) = query_arg(query, "id").and_then(|id| USERS.get(id)) else {
        return Ok(HttpResponse::NotFound().body("no such user"));
    };
    let options = LoginOptions::new().remember(query_arg(query, "remember") == Some("1"));
    Ok(text(
        if login_user(&req, *user, options)? {
            "ok"
        } else {
            "refused"
        }
        .to_owned(),
    ))
}

#[get("/protected")]
#[login_required]
async fn protected(user: CurrentUser<Account>) -> HttpResponse {
    text(format!("protected {}", user.user().map_or("", |u| u.id)))
}

#[get("/me")]
async fn me(user: LoggedIn<Account>) -> HttpResponse {
    text(format!("protected {}", user.id))
}

#[get("/anon")]
async fn anon() -> HttpResponse {
    text("anon".to_owned())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let profile: Profile = env_or("BENCH_PROFILE", "0.6.3")
        .parse()
        .map_err(std::io::Error::other)?;
    let protection: SessionProtection = env_or("BENCH_PROTECTION", "basic")
        .parse()
        .map_err(std::io::Error::other)?;
    let mut builder = LoginManager::builder(load_user, env_or("PARITY_SECRET", "parity-secret"))
        .profile(profile)
        .session_protection(protection);
    if let Some(view) = env::var("BENCH_LOGIN_VIEW").ok().filter(|v| !v.is_empty()) {
        builder = builder.login_view(view);
    }
    let manager = builder.build();
    LazyLock::force(&USERS);
    let port: u16 = env_or("PORT", "8080")
        .parse()
        .map_err(std::io::Error::other)?;
    let server = HttpServer::new(move || {
        App::new()
            .wrap(manager.clone())
            .wrap(
                SessionMiddleware::builder(CookieSessionStore::default(), Key::from(SESSION_KEY))
                    .cookie_name("session".to_owned())
                    .cookie_content_security(CookieContentSecurity::Signed)
                    .cookie_secure(false)
                    .build(),
            )
            .service(login)
            .service(protected)
            .service(anon)
            // Last, so the routes the baselines share are matched as there.
            .service(me)
    })
    .workers(1)
    .bind(("127.0.0.1", port))?
    .run();
    println!("ready");
    std::io::Write::flush(&mut std::io::stdout())?;
    server.await
}
