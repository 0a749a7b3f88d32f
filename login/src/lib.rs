//! # actix-login
//!
//! User session management for [actix-web], ported from Python's
//! [Flask-Login]: log a user in with one call, guard a handler with one
//! attribute, remember users across browser restarts with a signed cookie,
//! and notice when a session moves to another client.
//!
//! Sessions are [actix-session]'s (cookie or Redis store, unchanged). The
//! remember cookie is byte-compatible with Flask-Login's — 0.6.3's by
//! default, 0.2.4's with [`Profile::V0_2_4`] — so an app can move from Flask
//! to Rust without logging its users out.
//!
//! ## Quick start
//!
//! ```no_run
//! use actix_login::{
//!     login_user, logout_user, user_loader, LoggedIn, LoginManager, LoginOptions, User,
//! };
//! use actix_session::{storage::CookieSessionStore, SessionMiddleware};
//! use actix_web::{cookie::Key, get, post, App, HttpRequest, HttpResponse, HttpServer, Responder};
//!
//! #[derive(Clone)]
//! struct Account { id: String, name: String }
//!
//! impl User for Account {
//!     fn get_id(&self) -> String { self.id.clone() }
//! }
//!
//! // Called (at most once per request, only when something asks) with the
//! // id stored at login. Extra arguments are actix extractors.
//! #[user_loader]
//! async fn load_user(id: &str) -> Option<Account> {
//!     (id == "1").then(|| Account { id: "1".into(), name: "alice".into() })
//! }
//!
//! #[post("/login")]
//! async fn login(req: HttpRequest) -> actix_web::Result<HttpResponse> {
//!     // ... check the posted name and password first (the README's quick
//!     // start has the whole form) ...
//!     let alice = Account { id: "1".into(), name: "alice".into() };
//!     login_user(&req, alice, LoginOptions::new().remember(true))?;
//!     Ok(HttpResponse::SeeOther().insert_header(("Location", "/")).finish())
//! }
//!
//! // The user, or a redirect to the login view for anonymous visitors.
//! #[get("/")]
//! async fn home(user: LoggedIn<Account>) -> impl Responder {
//!     format!("hello {}", user.name)
//! }
//!
//! #[post("/logout")]
//! async fn logout(req: HttpRequest) -> actix_web::Result<&'static str> {
//!     logout_user(&req).await?;
//!     Ok("bye")
//! }
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     let secret = std::env::var("SECRET_KEY").expect("SECRET_KEY");
//!     let manager = LoginManager::builder(load_user, secret)
//!         .login_view("/login")
//!         .build();
//!     let key = Key::generate();
//!     HttpServer::new(move || {
//!         App::new()
//!             // Order matters: the login manager first, so it runs inside
//!             // the session middleware.
//!             .wrap(manager.clone())
//!             .wrap(SessionMiddleware::new(CookieSessionStore::default(), key.clone()))
//!             .service(login)
//!             .service(home)
//!             .service(logout)
//!     })
//!     .bind(("127.0.0.1", 8080))?
//!     .run()
//!     .await
//! }
//! ```
//!
//! ## One request
//!
//! The [`LoginManager`] middleware makes the login reachable from the
//! request; the first thing that asks puts the request's login state in the
//! request's extensions, as actix-session does with the session. Everything
//! finds it through the request it is given — a handler, a task spawned with
//! a clone of the `HttpRequest`, a middleware after the response, a routing
//! guard ([`LoginExt`]) — and acts on that request alone. The user is loaded
//! the first time something asks — the [`CurrentUser`] extractor, a guard,
//! [`logout_user`] — from the session's user id, else the remember cookie,
//! else the [request loader](LoginManagerBuilder::request_loader); session
//! protection runs at that moment, and the loader runs at most once per
//! request. On the way out the middleware sets or deletes the remember
//! cookie. A request that never asks costs no loading, hashing or session
//! write. (The 0.2.4 profile loads before every request, as Flask-Login
//! 0.2.4 did.)
//!
//! ## Errors
//!
//! The functions answer [`LoginError`] when the app is set up wrongly (no
//! login manager around the route, a user type the manager does not load,
//! no `SessionMiddleware`) or a loader fails. It is an actix
//! `ResponseError`: `?` in a handler turns it into a plain 500 for the
//! client, with the explanation in the log.
//!
//! ## Logging
//!
//! actix-login emits [`tracing`](https://docs.rs/tracing) events: `info` for
//! logins, logouts, restores from the remember cookie, session protection
//! and revocations, with the user id as the `user.id` field; `debug` for
//! rejected remember cookies (never their value), unauthorized and
//! needs-refresh answers; `error` for failing loaders and misconfiguration.
//! Install any subscriber to see them, e.g. `tracing_subscriber::fmt::init()`.
//!
//! [actix-web]: https://actix.rs
//! [actix-session]: https://docs.rs/actix-session
//! [Flask-Login]: https://flask-login.readthedocs.io
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod config;
mod current_user;
mod error;
mod ext;
mod flash;
mod flask_import;
mod flask_session;
mod guard;
mod keys;
mod login;
mod manager;
mod middleware;
mod permission;
mod protection;
mod redirect;
mod remember;
mod session;
mod signals;
mod state;
#[cfg(feature = "test-helpers")]
pub mod testing;
mod user;

pub use actix_login_macros::{
    anonymous_required, fresh_login_required, login_required, permission_required, user_loader,
};
pub use config::{Profile, RememberCookie, SameSite, SessionProtection};
pub use current_user::CurrentUser;
pub use error::LoginError;
pub use ext::LoginExt;
pub use flash::{flash, get_flashed_messages};
pub use flask_session::{FlaskSession, FlaskVersion};
pub use guard::{
    needs_refresh, unauthorized, wants_json, AnonymousRequired, FreshLoggedIn, FreshLoginRequired,
    LoggedIn, LoginRequired, ScopeGuard,
};
pub use login::{
    confirm_login, login_fresh, login_remembered, login_user, logout_user, set_permanent,
    take_next, LoginOptions,
};
pub use manager::{LoginManager, LoginManagerBuilder, SecretKey};
pub use middleware::LoginMiddleware;
pub use permission::{
    forbidden, has_perm, Listed, PermissionExt, PermissionLoader, PermissionMiddleware,
    PermissionRequired, Permissions, RequiredPermissions,
};
pub use protection::session_identifier;
pub use redirect::{login_url, make_next_param, safe_next};
pub use remember::make_secure_token;
pub use signals::{Signal, SignalEvent};
pub use user::{
    Anonymous, AnonymousUser, IntoLoadResult, LoaderError, RequestLoader, TokenLoader, User,
    UserLoader,
};

/// Re-exports for the code the macros generate. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::flask_session::flask_session_read;
    pub use actix_web;

    /// The id types a `#[user_loader]` takes: the id is text, as Flask
    /// stores it; a numeric id is parsed inside the loader.
    #[diagnostic::on_unimplemented(
        message = "a `#[user_loader]` takes the user id as `&str` or `String`, not `{Self}`",
        label = "take `id: &str` here",
        note = "the id comes from the session or the remember cookie as text: parse it inside the loader, e.g. `let id: u64 = id.parse().ok()?;`"
    )]
    pub trait LoaderId<'a>: Sized {
        /// The id as this type.
        fn from_id(id: &'a str) -> Self;
    }

    impl<'a> LoaderId<'a> for &'a str {
        fn from_id(id: &'a str) -> Self {
            id
        }
    }

    impl LoaderId<'_> for String {
        fn from_id(id: &str) -> Self {
            id.to_owned()
        }
    }

    impl LoaderId<'_> for Box<str> {
        fn from_id(id: &str) -> Self {
            id.into()
        }
    }

    impl<'a> LoaderId<'a> for std::borrow::Cow<'a, str> {
        fn from_id(id: &'a str) -> Self {
            std::borrow::Cow::Borrowed(id)
        }
    }
}

/// The code of the README and the guides in `docs/`, compiled and run as
/// doctests, so what a newcomer copies compiles.
#[cfg(doctest)]
mod doc_files {
    #[doc = include_str!("../../README.md")]
    struct Readme;

    #[doc = include_str!("../../docs/migrating-from-flask.md")]
    struct MigratingFromFlask;
}
