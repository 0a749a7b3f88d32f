//! The site: configuration, the login manager, the session store and the
//! middleware order.
//!
//! [`start`] binds and returns a started server; `main.rs` reads the
//! configuration from the environment and runs it.

use std::{
    io,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    time::Duration,
};

use actix_login::{LoginManager, Permissions, RememberCookie, SameSite};
use actix_session::{
    storage::{CookieSessionStore, RedisSessionStore, SessionStore},
    SessionMiddleware,
};
use actix_web::{
    cookie::{self, Key},
    dev::Server,
    middleware::{from_fn, DefaultHeaders},
    web, App, HttpServer,
};

use crate::{
    csrf,
    db::{self, Account, Database, Hashing},
    hash_limit::HashingLimit,
    pages, throttle,
    timeout_store::TimeoutStore,
};

/// The `SECRET_KEY` used when none is configured. Development only: anyone
/// who reads this can forge sessions and remember cookies.
pub const DEV_SECRET_KEY: &str =
    "dev-only secret of the actix-login demo: never use it in production";

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "demo_session";
/// The name of the remember-me cookie (actix-login's default).
pub const REMEMBER_COOKIE: &str = "remember_token";

/// Where sessions are kept.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SessionBackend {
    /// In the session cookie itself, encrypted and authenticated with the
    /// key derived from `SECRET_KEY` (actix-session's `CookieSessionStore`).
    /// No server state: every instance with the same secret reads it.
    #[default]
    Cookie,
    /// In Redis (actix-session's `RedisSessionStore`); the cookie carries
    /// only the signed session key. A logout on one instance is seen by all.
    Redis {
        /// `redis://host:port[/db]`
        url: String,
    },
}

/// How to run the app.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// Address to listen on (default `127.0.0.1`).
    pub host: IpAddr,
    /// Port; `0` picks a free one (see [`Started::addr`]). Default 8080.
    pub port: u16,
    /// The user database (default: in memory).
    pub database: Database,
    /// The session store (default: cookie).
    pub sessions: SessionBackend,
    /// Signs the remember cookie and derives the session cookie's key; at
    /// least 32 bytes. Every instance of one site needs the same one, and
    /// keeping it across restarts keeps the sessions.
    pub secret_key: String,
    /// Worker threads (default: actix-web's, one per physical core).
    pub workers: Option<usize>,
    /// Send the session and remember cookies with `Secure` (default
    /// `false`, only because the demo is served on plain
    /// `http://127.0.0.1`). Set it whenever users reach the site over
    /// HTTPS, e.g. behind a TLS-terminating load balancer.
    pub secure_cookies: bool,
    /// Reverse proxies (load balancers) whose `X-Forwarded-For` session
    /// protection may believe; without them it hashes the TCP peer, which
    /// behind a proxy is the proxy.
    pub trusted_proxies: Vec<IpAddr>,
    /// How long a login stays fresh (`fresh_max_age`): after that, the
    /// settings page asks for the password again, so a session stolen or
    /// left open cannot reach it. Default 10 minutes.
    pub fresh_max_age: Duration,
    /// How new passwords are hashed: [`Hashing::Strong`] unless a test asks
    /// for the insecure, fast parameters.
    pub hashing: Hashing,
    /// How many Argon2 computations may run at once (each holds 46 MiB), and
    /// how long a login waits for one before it is answered `503`. Default:
    /// one per CPU, 5 seconds.
    pub hashing_limit: HashingLimit,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 8080,
            database: Database::Memory,
            sessions: SessionBackend::Cookie,
            secret_key: DEV_SECRET_KEY.to_owned(),
            workers: None,
            secure_cookies: false,
            trusted_proxies: Vec::new(),
            hashing: Hashing::Strong,
            hashing_limit: HashingLimit::default(),
            fresh_max_age: DEFAULT_FRESH_MAX_AGE,
        }
    }
}

/// A bound, started server. Await (or spawn) [`server`](Self::server) to run
/// it; stop it with `server.handle().stop(true)`.
#[must_use = "the server runs only while its future is polled"]
pub struct Started {
    /// The server future.
    pub server: Server,
    /// The address it listens on.
    pub addr: SocketAddr,
}

impl std::fmt::Debug for Started {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Started")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl Started {
    /// `http://ADDR`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// How long a login made with a password counts as fresh.
pub const DEFAULT_FRESH_MAX_AGE: Duration = Duration::from_secs(10 * 60);

/// How long [`start`] waits for Redis.
pub const REDIS_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long one Redis operation may take before the request fails (500)
/// instead of hanging while Redis is down.
pub const REDIS_OP_TIMEOUT: Duration = Duration::from_secs(2);

/// The smallest secret accepted: what `Key::derive_from` needs.
pub const MIN_SECRET_LEN: usize = 32;

/// Opens the database (seeding it on first start), connects to Redis when
/// asked, binds the port and starts the server.
///
/// # Errors
///
/// A secret shorter than [`MIN_SECRET_LEN`] bytes, a database that cannot be
/// opened, an unreachable Redis, or a port that cannot be bound.
pub async fn start(config: DemoConfig) -> io::Result<Started> {
    if config.secret_key.len() < MIN_SECRET_LEN {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("SECRET_KEY must have at least {MIN_SECRET_LEN} bytes"),
        ));
    }
    let db =
        db::Db::open(&config.database, config.hashing, &config.hashing_limit).map_err(|err| {
            io::Error::other(format!(
                "cannot open the database {:?}: {err}",
                config.database
            ))
        })?;
    match &config.sessions {
        SessionBackend::Cookie => serve(&config, db, CookieSessionStore::default),
        SessionBackend::Redis { url } => {
            // The store's connection manager retries for a long time when
            // Redis is down: give up sooner, with a message that says why.
            let connect = RedisSessionStore::new(url.as_str());
            let store = actix_web::rt::time::timeout(REDIS_CONNECT_TIMEOUT, connect)
                .await
                .map_err(|_| {
                    io::Error::other(format!(
                        "cannot connect to Redis at {url}: no answer within {REDIS_CONNECT_TIMEOUT:?}"
                    ))
                })?
                .map_err(|err| io::Error::other(format!("cannot connect to Redis at {url}: {err:#}")))?;
            serve(&config, db, move || {
                TimeoutStore::new(store.clone(), REDIS_OP_TIMEOUT)
            })
        }
    }
}

/// The login manager, as the example configures it.
fn login_manager(config: &DemoConfig) -> LoginManager<Account> {
    let mut builder = LoginManager::builder(pages::load_user, &config.secret_key)
        .login_view("/login")
        .refresh_view("/reauthenticate")
        .login_message_category("info")
        .needs_refresh_message_category("info")
        // A fresh login goes stale after 10 minutes: a session taken over
        // later (a stolen cookie, a shared computer) must type the password
        // before it reaches the settings.
        .fresh_max_age(config.fresh_max_age)
        // The users' permissions (the admin page), from the database.
        .permissions(Permissions::new(pages::Perms).forbidden_handler(pages::forbidden_page))
        // `secure(false)` by default (the library's default is `true`) only
        // because the demo is served on plain HTTP; behind TLS, set
        // `secure_cookies`. Chromium keeps `Secure` cookies on
        // http://127.0.0.1 as well (the browser test passes with
        // SECURE_COOKIES=true), but not on other plain-HTTP addresses.
        .remember_cookie(
            RememberCookie::new()
                .name(REMEMBER_COOKIE)
                .duration(Duration::from_secs(30 * 24 * 3600))
                .same_site(SameSite::Lax)
                .secure(config.secure_cookies),
        );
    for proxy in &config.trusted_proxies {
        builder = builder.trusted_proxy(*proxy);
    }
    builder.build()
}

fn serve<S, F>(config: &DemoConfig, db: db::Db, make_store: F) -> io::Result<Started>
where
    S: SessionStore + 'static,
    F: Fn() -> S + Send + Clone + 'static,
{
    let manager = login_manager(config);
    let secure_cookies = config.secure_cookies;
    // 64 bytes derived from SECRET_KEY (HKDF): the session cookie's signing
    // and encryption key. Derived, not generated, so that restarts and other
    // instances with the same secret read the same sessions.
    let key = Key::derive_from(config.secret_key.as_bytes());
    let db = web::Data::new(db);
    let templates = web::Data::new(pages::templates());
    let proxies = web::Data::new(throttle::TrustedProxies(config.trusted_proxies.clone()));
    let mut server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(make_store(), key.clone())
            .cookie_name(SESSION_COOKIE.to_owned())
            // `cookie_secure(false)` by default only because the demo is
            // served on plain http://127.0.0.1, where a Secure cookie would
            // never be sent back. Behind TLS, set `secure_cookies`.
            .cookie_secure(secure_cookies)
            .cookie_http_only(true)
            .cookie_same_site(cookie::SameSite::Lax)
            .build();
        App::new()
            .app_data(db.clone())
            .app_data(templates.clone())
            .app_data(proxies.clone())
            .wrap(from_fn(csrf::protect))
            // The login manager before the session middleware: actix runs
            // the last-registered middleware first, so the login manager
            // runs inside the session middleware and finds the session.
            .wrap(manager.clone())
            .wrap(sessions)
            .wrap(
                DefaultHeaders::new()
                    .add((
                        "Content-Security-Policy",
                        "default-src 'self'; form-action 'self'; frame-ancestors 'none'",
                    ))
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "same-origin")),
            )
            .configure(pages::routes)
    })
    // A short grace period: the demo's requests are quick, and tests stop
    // and restart instances.
    .shutdown_timeout(2);
    if let Some(workers) = config.workers {
        server = server.workers(workers);
    }
    let server = server.bind((config.host, config.port))?;
    let addr = server
        .addrs()
        .first()
        .copied()
        .ok_or_else(|| io::Error::other("bound no address"))?;
    Ok(Started {
        server: server.run(),
        addr,
    })
}
