//! [`LoginManager`]: the settings and callbacks of an application's logins,
//! built once and shared by every worker.

use std::{fmt, net::IpAddr, rc::Rc, sync::Arc, time::Duration};

use actix_web::{HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;

use crate::{
    config::{CookieSettings, Profile, RememberCookie, Rules, SessionProtection},
    keys::SessionKeys,
    remember::Signer,
    signals::{Signal, SignalEvent, Subscribers},
    state::SessionCheck,
    user::{Anonymous, LoaderError, RequestLoader, TokenLoader, User, UserLoader},
};

type BoxLoad<'a, U> = LocalBoxFuture<'a, Result<Option<U>, LoaderError>>;

// The three loader traits use `async fn`, which cannot be called through a
// `dyn`; these object-safe twins box the future so the manager can hold any
// loader without a type parameter for each.

pub(crate) trait DynUserLoader<U>: Send + Sync {
    fn load<'a>(&'a self, id: &'a str, req: &'a HttpRequest) -> BoxLoad<'a, U>;
}

impl<L: UserLoader + Send + Sync> DynUserLoader<L::User> for L {
    fn load<'a>(&'a self, id: &'a str, req: &'a HttpRequest) -> BoxLoad<'a, L::User> {
        Box::pin(self.load_user(id, req))
    }
}

pub(crate) trait DynRequestLoader<U>: Send + Sync {
    fn load<'a>(&'a self, req: &'a HttpRequest) -> BoxLoad<'a, U>;
}

impl<L: RequestLoader + Send + Sync> DynRequestLoader<L::User> for L {
    fn load<'a>(&'a self, req: &'a HttpRequest) -> BoxLoad<'a, L::User> {
        Box::pin(self.load_user_from_request(req))
    }
}

pub(crate) trait DynTokenLoader<U>: Send + Sync {
    fn load<'a>(&'a self, token: &'a str, req: &'a HttpRequest) -> BoxLoad<'a, U>;
}

impl<L: TokenLoader + Send + Sync> DynTokenLoader<L::User> for L {
    fn load<'a>(&'a self, token: &'a str, req: &'a HttpRequest) -> BoxLoad<'a, L::User> {
        Box::pin(self.load_user_from_token(token, req))
    }
}

pub(crate) type Handler = Box<dyn Fn(&HttpRequest) -> HttpResponse + Send + Sync>;
pub(crate) type AnonymousFactory = Box<dyn Fn() -> Rc<dyn Anonymous> + Send + Sync>;
pub(crate) type Localize = Box<dyn Fn(&str) -> String + Send + Sync>;

/// What the app configured: every builder setting, as given.
pub(crate) struct Settings<U> {
    pub(crate) profile: Profile,
    pub(crate) protection: SessionProtection,
    pub(crate) login_view: Option<String>,
    pub(crate) scope_login_views: Vec<(String, Option<String>)>,
    pub(crate) refresh_view: Option<String>,
    pub(crate) login_message: Option<String>,
    pub(crate) login_message_category: String,
    pub(crate) needs_refresh_message: Option<String>,
    pub(crate) needs_refresh_message_category: String,
    pub(crate) localize: Option<Localize>,
    pub(crate) next_field: String,
    pub(crate) use_session_for_next: bool,
    pub(crate) force_host: Option<String>,
    pub(crate) json_for_api_clients: bool,
    pub(crate) anonymous_redirect: String,
    pub(crate) fresh_max_age: Option<Duration>,
    pub(crate) permanent_sessions: bool,
    pub(crate) exempt_options: Option<bool>,
    pub(crate) flask_import: Option<crate::FlaskSession>,
    pub(crate) trusted_proxies: Vec<IpAddr>,
    pub(crate) anonymous: Option<AnonymousFactory>,
    pub(crate) loader: Box<dyn DynUserLoader<U>>,
    pub(crate) request_loader: Option<Box<dyn DynRequestLoader<U>>>,
    pub(crate) token_loader: Option<Box<dyn DynTokenLoader<U>>>,
    pub(crate) unauthorized_handler: Option<Handler>,
    pub(crate) needs_refresh_handler: Option<Handler>,
    pub(crate) signals: Subscribers<U>,
    pub(crate) permissions: Option<crate::permission::Permissions<U>>,
}

/// The settings and what [`LoginManagerBuilder::build`] derived from them
/// once: the profile's rules, the session keys, the cookie attributes and
/// the keyed signer. Every request of the app shares it.
pub(crate) struct Inner<U> {
    settings: Settings<U>,
    pub(crate) rules: Rules,
    pub(crate) keys: SessionKeys,
    pub(crate) cookie: CookieSettings,
    pub(crate) signer: Signer,
    pub(crate) session_check: SessionCheck,
}

impl<U> std::ops::Deref for Inner<U> {
    type Target = Settings<U>;

    fn deref(&self) -> &Settings<U> {
        &self.settings
    }
}

impl<U> Inner<U> {
    pub(crate) fn send(&self, signal: Signal, req: &HttpRequest, user: Option<&U>) {
        self.signals.send(signal, req, user);
    }

    pub(crate) fn localized(&self, message: &str) -> String {
        match &self.localize {
            Some(f) => f(message),
            None => message.to_owned(),
        }
    }
}

/// The login manager: Flask-Login's `LoginManager`, and the actix middleware
/// that gives every request its user.
///
/// Build it once with [`LoginManager::builder`], then `.wrap()` it into the
/// `App` **before** `SessionMiddleware` (actix runs the last-registered
/// middleware first, so the login middleware then sits inside the session
/// one and finds the session loaded). It is cheap to clone (one `Arc`), and
/// `Send + Sync`, so build it outside `HttpServer::new` and move clones in.
///
/// The middleware makes itself reachable from each request (as request
/// data), and the first thing that asks puts the request's login state in
/// the request's extensions. The login — [`CurrentUser`](crate::CurrentUser), the guards,
/// [`login_user`](crate::login_user), [`LoginExt`](crate::LoginExt) — is
/// then reachable wherever that request is: handlers, middleware inside the
/// manager, tasks spawned with a clone of the `HttpRequest`, routing guards,
/// and middleware between the manager and `SessionMiddleware`, also after
/// the response. Outside the manager every call answers
/// [`LoginError::NoManager`](crate::LoginError::NoManager).
///
/// ```no_run
/// use actix_login::{LoggedIn, LoginManager, User, user_loader};
/// use actix_session::{storage::CookieSessionStore, SessionMiddleware};
/// use actix_web::{cookie::Key, get, App, HttpServer, Responder};
///
/// #[derive(Clone)]
/// struct Account { id: String }
/// impl User for Account { fn get_id(&self) -> String { self.id.clone() } }
///
/// #[user_loader]
/// async fn load_user(id: &str) -> Option<Account> {
///     (id == "1").then(|| Account { id: id.to_owned() })
/// }
///
/// #[get("/")]
/// async fn home(user: LoggedIn<Account>) -> impl Responder {
///     format!("hello {}", user.id)
/// }
///
/// #[actix_web::main]
/// async fn main() -> std::io::Result<()> {
///     let secret = std::env::var("SECRET_KEY").expect("SECRET_KEY");
///     let manager = LoginManager::builder(load_user, secret)
///         .login_view("/login")
///         .build();
///     let key = Key::generate();
///     HttpServer::new(move || {
///         App::new()
///             .wrap(manager.clone())
///             .wrap(SessionMiddleware::new(CookieSessionStore::default(), key.clone()))
///             .service(home)
///     })
///     .bind(("127.0.0.1", 8080))?
///     .run()
///     .await
/// }
/// ```
pub struct LoginManager<U: User> {
    pub(crate) inner: Arc<Inner<U>>,
}

impl<U: User> Clone for LoginManager<U> {
    fn clone(&self) -> Self {
        LoginManager {
            inner: self.inner.clone(),
        }
    }
}

impl<U: User> std::fmt::Debug for LoginManager<U> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let i = &self.inner;
        f.debug_struct("LoginManager")
            .field("profile", &i.profile)
            .field("protection", &i.protection)
            .field("login_view", &i.login_view)
            .field("refresh_view", &i.refresh_view)
            .field("remember_cookie", &i.cookie.name)
            .finish_non_exhaustive()
    }
}

impl<U: User> LoginManager<U> {
    /// Starts building a manager around its two required parts: the user
    /// loader (a [`#[user_loader]`](crate::user_loader) function or any
    /// [`UserLoader`]) and the app's [`SecretKey`], which signs remember
    /// cookies.
    pub fn builder<L>(loader: L, secret: impl Into<SecretKey>) -> LoginManagerBuilder<U>
    where
        L: UserLoader<User = U> + Send + Sync,
    {
        LoginManagerBuilder::new(Box::new(loader), secret.into())
    }

    /// The compatibility profile in force.
    pub fn profile(&self) -> Profile {
        self.inner.profile
    }

    /// Signs `id` the way the remember cookie carries it (`id|hexdigest`),
    /// e.g. to issue a remember cookie from a test or another service.
    ///
    /// ```
    /// # use actix_login::{LoginManager, User, LoaderError, UserLoader};
    /// # #[derive(Clone)] struct A; impl User for A { fn get_id(&self) -> String { "1".into() } }
    /// # struct L; impl UserLoader for L { type User = A;
    /// #   async fn load_user(&self, _: &str, _: &actix_web::HttpRequest) -> Result<Option<A>, LoaderError> { Ok(None) } }
    /// let manager = LoginManager::builder(L, "deterministic").build();
    /// assert!(manager.encode_cookie("1").starts_with("1|0e9e6e9855fbe6df"));
    /// assert_eq!(manager.decode_cookie(&manager.encode_cookie("1")).as_deref(), Some("1"));
    /// ```
    pub fn encode_cookie(&self, id: &str) -> String {
        self.inner.signer.encode(id)
    }

    /// Verifies a remember cookie value (quoted or not) and returns its id:
    /// `None` for anything not signed by this manager's secret.
    pub fn decode_cookie(&self, value: &str) -> Option<String> {
        let raw = crate::remember::unquote_value(value.as_bytes());
        self.inner.signer.decode(&raw).map(str::to_owned)
    }
}

/// The application's secret, which keys the remember cookie's HMAC (Flask's
/// `SECRET_KEY`): text, or raw bytes with [`SecretKey::bytes`].
///
/// A text secret is turned into bytes as the chosen Flask-Login release
/// does, so the same `SECRET_KEY` string gives the same cookies: Latin-1 in
/// 0.6.3, UTF-8 in 0.2.4. Read it from the environment or a secret store,
/// never from source code: anyone who knows it can forge a remember cookie
/// for any user. Use at least 32 random bytes.
///
/// ```
/// use actix_login::SecretKey;
/// let text: SecretKey = "a long random string from the environment".into();
/// let bytes = SecretKey::bytes(vec![7u8; 32]);
/// # let _ = (text, bytes);
/// ```
#[derive(Clone)]
pub struct SecretKey(SecretRepr);

#[derive(Clone)]
enum SecretRepr {
    Text(String),
    Bytes(Vec<u8>),
}

impl SecretKey {
    /// A secret given as raw bytes (Flask's `SECRET_KEY` as `bytes`).
    pub fn bytes(secret: impl Into<Vec<u8>>) -> Self {
        SecretKey(SecretRepr::Bytes(secret.into()))
    }

    /// The key bytes under `profile`'s encoding of text.
    ///
    /// # Panics
    ///
    /// When the secret is empty (an HMAC under an empty key is forgeable by
    /// anyone), or when the 0.6.3 profile gets text outside Latin-1, which
    /// Flask-Login 0.6.3 cannot encode either.
    fn key_bytes(self, profile: Profile) -> Vec<u8> {
        let bytes = match self.0 {
            SecretRepr::Bytes(b) => b,
            SecretRepr::Text(t) => match profile {
                Profile::V0_2_4 => t.into_bytes(),
                Profile::V0_6_3 => t
                    .chars()
                    .map(|c| u8::try_from(u32::from(c)).ok())
                    .collect::<Option<Vec<u8>>>()
                    .unwrap_or_else(|| {
                        panic!(
                            "the secret key has characters outside Latin-1, which Flask-Login \
                             0.6.3 cannot encode; pass its bytes with SecretKey::bytes(...)"
                        )
                    }),
            },
        };
        assert!(
            !bytes.is_empty(),
            "LoginManager's secret key is empty: anyone could sign remember cookies. Pass the \
             app's SECRET_KEY (from the environment, not the source)"
        );
        if bytes.len() < 32 {
            tracing::warn!(
                len = bytes.len(),
                "LoginManager's secret key is shorter than 32 bytes: remember cookies are only as \
                 strong as it; use 32 or more random bytes"
            );
        }
        bytes
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.write_str("SecretKey(..)")
    }
}

impl From<&str> for SecretKey {
    fn from(text: &str) -> Self {
        SecretKey(SecretRepr::Text(text.to_owned()))
    }
}

impl From<String> for SecretKey {
    fn from(text: String) -> Self {
        SecretKey(SecretRepr::Text(text))
    }
}

impl From<&String> for SecretKey {
    fn from(text: &String) -> Self {
        SecretKey(SecretRepr::Text(text.clone()))
    }
}

/// Builds a [`LoginManager`]. Every optional setting has Flask-Login's
/// default, stated on its method.
pub struct LoginManagerBuilder<U: User> {
    settings: Settings<U>,
    secret: SecretKey,
    cookie: RememberCookie,
}

impl<U: User> LoginManagerBuilder<U> {
    fn new(loader: Box<dyn DynUserLoader<U>>, secret: SecretKey) -> Self {
        LoginManagerBuilder {
            settings: Settings {
                profile: Profile::default(),
                protection: SessionProtection::Basic,
                login_view: None,
                scope_login_views: Vec::new(),
                refresh_view: None,
                login_message: Some("Please log in to access this page.".to_owned()),
                login_message_category: "message".to_owned(),
                needs_refresh_message: Some(
                    "Please reauthenticate to access this page.".to_owned(),
                ),
                needs_refresh_message_category: "message".to_owned(),
                localize: None,
                next_field: "next".to_owned(),
                use_session_for_next: false,
                force_host: None,
                json_for_api_clients: false,
                anonymous_redirect: "/".to_owned(),
                fresh_max_age: None,
                permanent_sessions: false,
                exempt_options: None,
                flask_import: None,
                trusted_proxies: Vec::new(),
                anonymous: None,
                loader,
                request_loader: None,
                token_loader: None,
                unauthorized_handler: None,
                needs_refresh_handler: None,
                signals: Subscribers::default(),
                permissions: None,
            },
            secret,
            cookie: RememberCookie::default(),
        }
    }

    /// The Flask-Login release to behave like (default [`Profile::V0_6_3`]).
    pub fn profile(mut self, profile: Profile) -> Self {
        self.settings.profile = profile;
        self
    }

    /// Session protection mode (default [`SessionProtection::Basic`]).
    pub fn session_protection(mut self, mode: SessionProtection) -> Self {
        self.settings.protection = mode;
        self
    }

    /// The remember cookie's settings.
    pub fn remember_cookie(mut self, cookie: RememberCookie) -> Self {
        self.cookie = cookie;
        self
    }

    /// Where anonymous users are sent: a path (`/login`), an absolute URL,
    /// or the name of an actix resource (`.name("login")`). Without one,
    /// guarded views answer 401.
    pub fn login_view(mut self, view: impl Into<String>) -> Self {
        self.settings.login_view = Some(view.into()).filter(|v: &String| !v.is_empty());
        self
    }

    /// A login view for the requests under one path prefix, such as an
    /// actix `Scope` (Flask-Login's `blueprint_login_views`): `/admin` may
    /// send to `/admin/login` while the rest of the app uses
    /// [`login_view`](Self::login_view). `None` makes that prefix answer 401.
    /// The longest matching prefix wins; a prefix matches whole path
    /// segments (`/admin` matches `/admin` and `/admin/x`, not `/administer`).
    ///
    /// ```
    /// # use actix_login::{LoginManager, User, LoaderError, UserLoader};
    /// # #[derive(Clone)] struct A; impl User for A { fn get_id(&self) -> String { "1".into() } }
    /// # struct L; impl UserLoader for L { type User = A;
    /// #   async fn load_user(&self, _: &str, _: &actix_web::HttpRequest) -> Result<Option<A>, LoaderError> { Ok(None) } }
    /// let manager = LoginManager::builder(L, "s")
    ///     .login_view("/login")                             // the rest of the app
    ///     .scope_login_view("/admin", Some("/admin/login")) // web::scope("/admin")
    ///     .scope_login_view("/api", None)                   // API: plain 401
    ///     .build();
    /// # let _ = manager;
    /// ```
    pub fn scope_login_view(mut self, prefix: impl Into<String>, view: Option<&str>) -> Self {
        let prefix = prefix.into().trim_end_matches('/').to_owned();
        self.settings
            .scope_login_views
            .push((prefix, view.map(str::to_owned)));
        self
    }

    /// Where logged-in but stale users are sent by fresh-login guards.
    /// Without one they get 401 (403 in the 0.2.4 profile).
    pub fn refresh_view(mut self, view: impl Into<String>) -> Self {
        self.settings.refresh_view = Some(view.into()).filter(|v: &String| !v.is_empty());
        self
    }

    /// The message flashed on the way to the login view; `None` flashes
    /// nothing. Default "Please log in to access this page."
    pub fn login_message(mut self, message: Option<&str>) -> Self {
        self.settings.login_message = message.filter(|m| !m.is_empty()).map(str::to_owned);
        self
    }

    /// The flash category of the login message (default `message`).
    pub fn login_message_category(mut self, category: impl Into<String>) -> Self {
        self.settings.login_message_category = category.into();
        self
    }

    /// The message flashed on the way to the refresh view; `None` flashes
    /// nothing. Default "Please reauthenticate to access this page."
    pub fn needs_refresh_message(mut self, message: Option<&str>) -> Self {
        self.settings.needs_refresh_message = message.filter(|m| !m.is_empty()).map(str::to_owned);
        self
    }

    /// The flash category of the refresh message (default `message`).
    pub fn needs_refresh_message_category(mut self, category: impl Into<String>) -> Self {
        self.settings.needs_refresh_message_category = category.into();
        self
    }

    /// Translates the login and refresh messages before they are flashed
    /// (Flask-Login's `localize_callback`).
    pub fn localize(mut self, f: impl Fn(&str) -> String + Send + Sync + 'static) -> Self {
        self.settings.localize = Some(Box::new(f));
        self
    }

    /// The query parameter that carries the page to return to (default
    /// `next`).
    pub fn next_field(mut self, field: impl Into<String>) -> Self {
        self.settings.next_field = field.into();
        self
    }

    /// Keep `next` in the session instead of the login URL's query
    /// (Flask-Login's `USE_SESSION_FOR_NEXT`); read it with
    /// [`take_next`](crate::take_next).
    pub fn use_session_for_next(mut self, yes: bool) -> Self {
        self.settings.use_session_for_next = yes;
        self
    }

    /// Put this host in the login redirect (`//host/login?...`) whatever the
    /// request's `Host` said (Flask-Login's `FORCE_HOST_FOR_REDIRECTS`).
    pub fn force_host_for_redirects(mut self, host: impl Into<String>) -> Self {
        self.settings.force_host = Some(host.into());
        self
    }

    /// Answer API clients (requests whose `Accept` prefers JSON, or with
    /// `X-Requested-With: XMLHttpRequest`) with `401` and a small JSON body
    /// instead of a redirect, for both unauthorized and needs-refresh.
    /// The body is `{"error": "unauthorized" | "needs_refresh", "message":
    /// ..., "location": <the login or refresh URL, or null>}`; nothing is
    /// flashed. A custom [`unauthorized_handler`](Self::unauthorized_handler)
    /// or [`needs_refresh_handler`](Self::needs_refresh_handler) wins over
    /// this rule.
    ///
    /// ```
    /// # use actix_login::{LoginManager, User, LoaderError, UserLoader};
    /// # #[derive(Clone)] struct A; impl User for A { fn get_id(&self) -> String { "1".into() } }
    /// # struct L; impl UserLoader for L { type User = A;
    /// #   async fn load_user(&self, _: &str, _: &actix_web::HttpRequest) -> Result<Option<A>, LoaderError> { Ok(None) } }
    /// let manager = LoginManager::builder(L, "s")
    ///     .login_view("/login")
    ///     .json_for_api_clients(true) // fetch() with Accept: application/json gets 401 JSON
    ///     .build();
    /// # let _ = manager;
    /// ```
    pub fn json_for_api_clients(mut self, yes: bool) -> Self {
        self.settings.json_for_api_clients = yes;
        self
    }

    /// Where [`AnonymousRequired`](crate::AnonymousRequired) sends users who
    /// are already logged in (default `/`).
    pub fn anonymous_required_redirect(mut self, to: impl Into<String>) -> Self {
        self.settings.anonymous_redirect = to.into();
        self
    }

    /// A login counts as fresh for this long only; older logins are
    /// treated as non-fresh by fresh-login guards and
    /// [`login_fresh`](crate::login_fresh).
    ///
    /// ```
    /// # use actix_login::{LoginManager, User, LoaderError, UserLoader};
    /// # #[derive(Clone)] struct A; impl User for A { fn get_id(&self) -> String { "1".into() } }
    /// # struct L; impl UserLoader for L { type User = A;
    /// #   async fn load_user(&self, _: &str, _: &actix_web::HttpRequest) -> Result<Option<A>, LoaderError> { Ok(None) } }
    /// use std::time::Duration;
    /// // Sensitive pages want a password typed in the last 10 minutes.
    /// let manager = LoginManager::builder(L, "s")
    ///     .refresh_view("/reauthenticate")
    ///     .fresh_max_age(Duration::from_secs(600))
    ///     .build();
    /// # let _ = manager;
    /// ```
    pub fn fresh_max_age(mut self, max_age: Duration) -> Self {
        self.settings.fresh_max_age = Some(max_age);
        self
    }

    /// Declare that the app's sessions outlive the browser (an actix
    /// `PersistentSession` lifecycle): Flask's permanent sessions, where
    /// strong protection acts as basic. Per session, see
    /// [`set_permanent`](crate::set_permanent).
    pub fn permanent_sessions(mut self, yes: bool) -> Self {
        self.settings.permanent_sessions = yes;
        self
    }

    /// Whether the login guards let `OPTIONS` requests through without a
    /// login, as Flask-Login ≥ 0.4 does for CORS preflights (default: yes in
    /// the 0.6.3 profile, no in 0.2.4). An exempt `OPTIONS` is answered by
    /// the guard itself — `200` with an empty body, as Flask's automatic
    /// `OPTIONS` response — and never reaches the guarded handler, whose
    /// side effects must not run for a request nobody logged in to.
    pub fn exempt_options(mut self, exempt: bool) -> Self {
        self.settings.exempt_options = Some(exempt);
        self
    }

    /// Carry logins over from the Flask app this one replaces: on a request
    /// whose actix session names no user but which carries Flask's session
    /// cookie, the cookie is verified exactly as Flask does (its secret,
    /// salt, HMAC-SHA1, optional zlib, `PERMANENT_SESSION_LIFETIME`), and
    /// Flask-Login's keys move into the actix session as if the user had
    /// logged in here: the user is loaded through the loader, session
    /// protection compares Flask's stored identifier with this client, the
    /// session id is renewed, [`Signal::ImportedFromFlask`] is sent, and the
    /// response deletes Flask's cookie (when the actix session cookie has
    /// the same name, actix's new cookie replaces it). Nothing else of the
    /// Flask session is trusted or copied, unless named with
    /// [`FlaskSession::copy_key`](crate::FlaskSession::copy_key). A forged,
    /// tampered, expired or malformed cookie is ignored.
    ///
    /// ```
    /// # use actix_login::{LoginManager, User, LoaderError, UserLoader};
    /// # #[derive(Clone)] struct A; impl User for A { fn get_id(&self) -> String { "1".into() } }
    /// # struct L; impl UserLoader for L { type User = A;
    /// #   async fn load_user(&self, _: &str, _: &actix_web::HttpRequest) -> Result<Option<A>, LoaderError> { Ok(None) } }
    /// use actix_login::{FlaskSession, FlaskVersion};
    /// let secret = "the Flask app's SECRET_KEY";
    /// let manager = LoginManager::builder(L, secret)
    ///     .import_flask_session(
    ///         FlaskSession::new(secret).cookie_name("session").version(FlaskVersion::Flask3),
    ///     )
    ///     .build();
    /// # let _ = manager;
    /// ```
    pub fn import_flask_session(mut self, flask: crate::FlaskSession) -> Self {
        self.settings.flask_import = Some(flask);
        self
    }

    /// A reverse proxy whose `X-Forwarded-For` entries session protection may
    /// believe. Without any, the TCP peer address is used and the header is
    /// ignored, so a client cannot choose the address that is hashed.
    pub fn trusted_proxy(mut self, proxy: IpAddr) -> Self {
        // Canonical, as `client_addr` compares (`::ffff:10.0.0.1` is
        // `10.0.0.1`).
        self.settings.trusted_proxies.push(proxy.to_canonical());
        self
    }

    /// Builds the anonymous user of requests nobody is logged in to
    /// (Flask-Login's `anonymous_user`).
    pub fn anonymous_user<A: Anonymous>(
        mut self,
        factory: impl Fn() -> A + Send + Sync + 'static,
    ) -> Self {
        self.settings.anonymous = Some(Box::new(move || Rc::new(factory()) as Rc<dyn Anonymous>));
        self
    }

    /// A loader for requests that carry their own credentials (API keys,
    /// bearer tokens), used when the session and the remember cookie give
    /// no user.
    pub fn request_loader<L: RequestLoader<User = U> + Send + Sync>(mut self, loader: L) -> Self {
        self.settings.request_loader = Some(Box::new(loader));
        self
    }

    /// Remember cookies carry [`User::get_auth_token`] (signed) instead of
    /// the id, and this loader turns them back into users.
    pub fn token_loader<L: TokenLoader<User = U> + Send + Sync>(mut self, loader: L) -> Self {
        self.settings.token_loader = Some(Box::new(loader));
        self
    }

    /// Replaces the unauthorized response (redirect, 401 or JSON) with your
    /// own (Flask-Login's `unauthorized_handler`).
    ///
    /// Your handler wins over
    /// [`json_for_api_clients`](Self::json_for_api_clients), for this and
    /// for [`needs_refresh_handler`](Self::needs_refresh_handler) alike:
    /// answer API clients yourself with [`wants_json`](crate::wants_json).
    /// Inside the handler, [`unauthorized(&req)`](crate::unauthorized) is
    /// the default response (it does not call your handler again), so a
    /// handler can add to it or fall back on it.
    ///
    /// ```
    /// # use actix_login::{LoginManager, User, LoaderError, UserLoader};
    /// # #[derive(Clone)] struct A; impl User for A { fn get_id(&self) -> String { "1".into() } }
    /// # struct L; impl UserLoader for L { type User = A;
    /// #   async fn load_user(&self, _: &str, _: &actix_web::HttpRequest) -> Result<Option<A>, LoaderError> { Ok(None) } }
    /// use actix_web::HttpResponse;
    /// let manager = LoginManager::builder(L, "s")
    ///     .login_view("/login")
    ///     .unauthorized_handler(|req| {
    ///         if req.path().starts_with("/api/") {
    ///             HttpResponse::Unauthorized().json(serde_json::json!({"error": "log in"}))
    ///         } else {
    ///             actix_login::unauthorized(req) // the default: redirect to /login
    ///         }
    ///     })
    ///     .build();
    /// # let _ = manager;
    /// ```
    pub fn unauthorized_handler(
        mut self,
        f: impl Fn(&HttpRequest) -> HttpResponse + Send + Sync + 'static,
    ) -> Self {
        self.settings.unauthorized_handler = Some(Box::new(f));
        self
    }

    /// Replaces the needs-refresh response with your own (Flask-Login's
    /// `needs_refresh_handler`). As with
    /// [`unauthorized_handler`](Self::unauthorized_handler), it wins over
    /// JSON answers, and [`needs_refresh(&req)`](crate::needs_refresh) inside
    /// it is the default response.
    pub fn needs_refresh_handler(
        mut self,
        f: impl Fn(&HttpRequest) -> HttpResponse + Send + Sync + 'static,
    ) -> Self {
        self.settings.needs_refresh_handler = Some(Box::new(f));
        self
    }

    /// Answers users' permissions, for
    /// [`#[permission_required]`](crate::permission_required),
    /// [`PermissionRequired`](crate::PermissionRequired) and
    /// [`has_perm`](crate::has_perm): see [`Permissions`](crate::Permissions)
    /// and [`PermissionLoader`](crate::PermissionLoader). Without it a
    /// permission check answers
    /// [`LoginError::NoPermissionLoader`](crate::LoginError::NoPermissionLoader).
    ///
    /// ```
    /// # use actix_login::{LoginManager, User, LoaderError, UserLoader};
    /// # #[derive(Clone)] struct A; impl User for A { fn get_id(&self) -> String { "1".into() } }
    /// # struct L; impl UserLoader for L { type User = A;
    /// #   async fn load_user(&self, _: &str, _: &actix_web::HttpRequest) -> Result<Option<A>, LoaderError> { Ok(None) } }
    /// use actix_login::{PermissionLoader, Permissions};
    /// use std::collections::HashSet;
    ///
    /// struct Perms;
    /// impl PermissionLoader for Perms {
    ///     type User = A;
    ///     type Permission = String;
    ///     async fn user_permissions(&self, _: &A, _: &actix_web::HttpRequest)
    ///         -> Result<HashSet<String>, LoaderError>
    ///     {
    ///         Ok(HashSet::from(["notes.write".to_owned()]))
    ///     }
    /// }
    ///
    /// let manager = LoginManager::builder(L, "s")
    ///     .permissions(Permissions::new(Perms))
    ///     .build();
    /// # let _ = manager;
    /// ```
    pub fn permissions(mut self, permissions: crate::permission::Permissions<U>) -> Self {
        self.settings.permissions = Some(permissions);
        self
    }

    /// Subscribes to a signal. The callback runs synchronously, on the
    /// request's thread, when the signal is sent.
    ///
    /// ```
    /// # use actix_login::{LoginManager, Signal, User, LoaderError, UserLoader};
    /// # #[derive(Clone)] struct A; impl User for A { fn get_id(&self) -> String { "1".into() } }
    /// # struct L; impl UserLoader for L { type User = A;
    /// #   async fn load_user(&self, _: &str, _: &actix_web::HttpRequest) -> Result<Option<A>, LoaderError> { Ok(None) } }
    /// let manager = LoginManager::builder(L, "s")
    ///     .on(Signal::LoggedIn, |event| {
    ///         println!("{} logged in", event.user.map(|u| u.get_id()).unwrap_or_default())
    ///     })
    ///     .build();
    /// # let _ = manager;
    /// ```
    pub fn on(
        mut self,
        signal: Signal,
        f: impl Fn(&SignalEvent<'_, U>) + Send + Sync + 'static,
    ) -> Self {
        self.settings.signals.push(signal, Box::new(f));
        self
    }

    /// Builds the manager.
    ///
    /// # Panics
    ///
    /// When the secret is empty, or the 0.6.3 profile gets a text secret
    /// with characters outside Latin-1 (see [`SecretKey`]): configuration
    /// errors that should stop the app at start-up.
    pub fn build(self) -> LoginManager<U> {
        let LoginManagerBuilder {
            mut settings,
            secret,
            cookie,
        } = self;
        let profile = settings.profile;
        let signer = Signer::new(profile, &secret.key_bytes(profile));
        // Longest prefix first, so the most specific scope wins.
        settings
            .scope_login_views
            .sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        LoginManager {
            inner: Arc::new(Inner {
                rules: Rules::of(profile, settings.exempt_options),
                keys: SessionKeys::for_profile(profile),
                cookie: cookie.resolve(profile),
                signer,
                session_check: SessionCheck::default(),
                settings,
            }),
        }
    }
}
