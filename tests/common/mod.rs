//! The test app shared by the integration tests: Flask-Login's own test
//! fixture (`LoginTestCase` in upstream `tests/test_login.py`) rebuilt on
//! actix-login, plus a tiny HTTP client with a cookie jar.
//!
//! * Users: Notch (id `1`), Steve (`2`), Creeper (`3`, inactive) and Müller
//!   (id `佐藤`), in a [`Users`] table the `#[user_loader]` reads from
//!   `web::Data`. The table can be told to fail (the loader then returns
//!   `Err`) or to forget a user (the loader then returns `None`).
//! * Manager: [`builder`] gives the fixture's settings (`SECRET_KEY =
//!   "deterministic"`, `SESSION_PROTECTION = None`, `REMEMBER_COOKIE_NAME =
//!   "remember"`); tests change them with a hook.
//! * Session: `SessionMiddleware` + `CookieSessionStore`, cookie `session`,
//!   not `Secure`, a fixed 64-byte key.
//! * [`Client`]: sends `TestRequest`s through `test::init_service`, keeps the
//!   cookies of every `Set-Cookie` (deletions included) and sends them back,
//!   exactly as received (quoted values stay quoted).
//! * [`send`], [`get`] and [`body`]: the same cookie handling for any test
//!   service (an app with its own user type) and a [`Jar`] of the caller's,
//!   adding no `User-Agent` and no address; the service must answer within
//!   5 s, with a response (never `Err`).

use std::{
    collections::{BTreeMap, HashMap},
    net::SocketAddr,
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, SystemTime},
};

use actix_login::{
    confirm_login, fresh_login_required, get_flashed_messages, login_fresh, login_remembered,
    login_required, login_user, logout_user, needs_refresh, set_permanent, take_next, unauthorized,
    user_loader, CurrentUser, LoaderError, LoginManager, LoginManagerBuilder, LoginOptions,
    RememberCookie, SessionProtection, Signal, User,
};
use actix_session::{
    storage::{CookieSessionStore, SessionStore},
    SessionExt, SessionMiddleware,
};
use actix_web::{
    body::{BoxBody, MessageBody},
    cookie::Key,
    dev::{Service, ServiceResponse},
    http::{
        header::{self, HeaderMap, HeaderValue},
        Method, StatusCode,
    },
    test, web, App, HttpRequest, HttpResponse,
};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "session";
/// The remember cookie's name in the upstream fixture.
pub const REMEMBER_COOKIE: &str = "remember";
/// The fixture's `SECRET_KEY`.
pub const SECRET: &str = "deterministic";
/// The `User-Agent` the client sends unless told otherwise.
pub const USER_AGENT: &str = "actix-login-tests/1.0";
/// The client's address unless told otherwise.
pub const PEER: &str = "127.0.0.1:50000";

/// The fixed 64-byte key of the session cookie.
pub fn session_key() -> Key {
    let bytes: Vec<u8> = (0u8..64)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect();
    Key::from(&bytes)
}

// ------------------------------------------------------------------ users

/// A user of the fixture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestUser {
    pub id: String,
    pub name: String,
    pub active: bool,
    /// What [`User::get_auth_token`] returns (token-loader tests).
    pub token: Option<String>,
    /// What [`User::session_auth_hash`] returns (revocation tests): stands
    /// for the password hash.
    pub auth_hash: Option<Vec<u8>>,
}

impl TestUser {
    pub fn new(id: &str, name: &str, active: bool) -> Self {
        TestUser {
            id: id.to_owned(),
            name: name.to_owned(),
            active,
            token: None,
            auth_hash: None,
        }
    }
}

impl User for TestUser {
    fn get_id(&self) -> String {
        self.id.clone()
    }

    fn is_active(&self) -> bool {
        self.active
    }

    fn get_auth_token(&self) -> Option<String> {
        self.token.clone()
    }

    fn session_auth_hash(&self) -> Option<Vec<u8>> {
        self.auth_hash.clone()
    }
}

/// The users table the loaders read.
#[derive(Debug)]
pub struct Users {
    map: Mutex<HashMap<String, TestUser>>,
    forgotten: Mutex<Vec<String>>,
    fail: AtomicBool,
    calls: AtomicUsize,
}

impl Default for Users {
    fn default() -> Self {
        let mut map = HashMap::new();
        for u in [
            TestUser::new("1", "Notch", true),
            TestUser::new("2", "Steve", true),
            TestUser::new("3", "Creeper", false),
            TestUser::new("佐藤", "Müller", true),
        ] {
            map.insert(u.id.clone(), u);
        }
        Users {
            map: Mutex::new(map),
            forgotten: Mutex::new(Vec::new()),
            fail: AtomicBool::new(false),
            calls: AtomicUsize::new(0),
        }
    }
}

impl Users {
    /// A fresh table inside `web::Data`.
    pub fn data() -> web::Data<Users> {
        web::Data::new(Users::default())
    }

    /// The user with this id, even a forgotten one (for `login_user`).
    pub fn get(&self, id: &str) -> Option<TestUser> {
        self.map.lock().unwrap().get(id).cloned()
    }

    /// What the loader answers for this id.
    pub fn load(&self, id: &str) -> Result<Option<TestUser>, String> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.fail.load(Ordering::SeqCst) {
            return Err("database is down".to_owned());
        }
        if self.forgotten.lock().unwrap().iter().any(|f| f == id) {
            return Ok(None);
        }
        Ok(self.get(id))
    }

    /// The user whose auth token this is.
    pub fn by_token(&self, token: &str) -> Result<Option<TestUser>, String> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.fail.load(Ordering::SeqCst) {
            return Err("database is down".to_owned());
        }
        Ok(self
            .map
            .lock()
            .unwrap()
            .values()
            .find(|u| u.token.as_deref() == Some(token))
            .cloned())
    }

    /// Changes a user's auth hash, as a password change would.
    pub fn set_auth_hash(&self, id: &str, hash: Option<&[u8]>) {
        if let Some(u) = self.map.lock().unwrap().get_mut(id) {
            u.auth_hash = hash.map(<[u8]>::to_vec);
        }
    }

    pub fn insert(&self, user: TestUser) {
        self.map.lock().unwrap().insert(user.id.clone(), user);
    }

    /// From now on every loader call returns `Err` (`true`) or works again.
    pub fn fail(&self, fail: bool) {
        self.fail.store(fail, Ordering::SeqCst);
    }

    /// From now on the loader returns `None` for this id.
    pub fn forget(&self, id: &str) {
        self.forgotten.lock().unwrap().push(id.to_owned());
    }

    /// How many times a loader asked the table.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// The fixture's user loader: `USERS.get(id)`.
#[user_loader]
pub async fn load_user(id: &str, users: web::Data<Users>) -> Result<Option<TestUser>, String> {
    users.load(id)
}

/// A loader that never finds anybody: stands in for "no user_loader" in
/// upstream's request-loader-only tests (actix-login requires one).
#[user_loader]
pub async fn no_user(_id: &str) -> Option<TestUser> {
    None
}

/// The fixture's request loader: `?user_id=<id>` (upstream also accepts
/// floats, `int(float(...))`).
pub struct QueryLoader;

impl actix_login::RequestLoader for QueryLoader {
    type User = TestUser;

    async fn load_user_from_request(
        &self,
        req: &HttpRequest,
    ) -> Result<Option<TestUser>, LoaderError> {
        let users = req.app_data::<web::Data<Users>>().ok_or("no users table")?;
        let query = web::Query::<HashMap<String, String>>::from_query(req.query_string())
            .map_err(|e| e.to_string())?;
        let Some(raw) = query.get("user_id") else {
            return Ok(None);
        };
        let id = match raw.parse::<f64>() {
            Ok(f) if f.is_finite() => format!("{}", f.trunc() as i64),
            _ => raw.clone(),
        };
        Ok(users.load(&id)?)
    }
}

/// `LoginViaRequestTestCase`'s request loader: `?user_id=` if given, else
/// the session's `_user_id` (upstream: `request.args.get("user_id") or
/// session.get("_user_id")`).
pub struct QueryOrSessionLoader;

impl actix_login::RequestLoader for QueryOrSessionLoader {
    type User = TestUser;

    async fn load_user_from_request(
        &self,
        req: &HttpRequest,
    ) -> Result<Option<TestUser>, LoaderError> {
        let has_query = web::Query::<HashMap<String, String>>::from_query(req.query_string())
            .is_ok_and(|q| q.contains_key("user_id"));
        if has_query {
            return QueryLoader.load_user_from_request(req).await;
        }
        let users = req.app_data::<web::Data<Users>>().ok_or("no users table")?;
        match req.get_session().get::<String>("_user_id") {
            Ok(Some(id)) => Ok(users.load(&id)?),
            _ => Ok(None),
        }
    }
}

/// A token loader over [`Users::by_token`].
pub struct TableTokenLoader;

impl actix_login::TokenLoader for TableTokenLoader {
    type User = TestUser;

    async fn load_user_from_token(
        &self,
        token: &str,
        req: &HttpRequest,
    ) -> Result<Option<TestUser>, LoaderError> {
        let users = req.app_data::<web::Data<Users>>().ok_or("no users table")?;
        Ok(users.by_token(token)?)
    }
}

// ---------------------------------------------------------------- manager

/// The upstream fixture's manager settings: secret "deterministic", session
/// protection off, remember cookie named "remember" with Flask-Login's
/// attributes (no `Secure`, no `SameSite`: the ported tests compare
/// Flask's `Set-Cookie` headers).
pub fn builder() -> LoginManagerBuilder<TestUser> {
    LoginManager::builder(load_user, SECRET)
        .session_protection(SessionProtection::Off)
        .remember_cookie(flask_cookie())
}

/// The remember cookie with Flask-Login's default attributes.
pub fn flask_cookie() -> RememberCookie {
    RememberCookie::new()
        .name(REMEMBER_COOKIE)
        .secure(false)
        .same_site(None)
}

/// [`builder`] changed by `hook`, built.
pub fn manager(
    hook: impl FnOnce(LoginManagerBuilder<TestUser>) -> LoginManagerBuilder<TestUser>,
) -> LoginManager<TestUser> {
    hook(builder()).build()
}

// ----------------------------------------------------------------- signals

/// Records every signal the manager sends, with the user's name.
#[derive(Clone, Default)]
pub struct Signals(Arc<Mutex<Vec<Received>>>);

/// A signal and the name of its user, if any.
pub type Received = (Signal, Option<String>);

impl Signals {
    /// Subscribes to every signal.
    pub fn subscribe(&self, mut b: LoginManagerBuilder<TestUser>) -> LoginManagerBuilder<TestUser> {
        for signal in Signal::ALL {
            let log = self.0.clone();
            b = b.on(signal, move |event| {
                log.lock()
                    .unwrap()
                    .push((event.signal, event.user.map(|u| u.name.clone())));
            });
        }
        b
    }

    /// Everything recorded since the last `take`, oldest first.
    pub fn take(&self) -> Vec<Received> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }

    /// The names of everything recorded since the last `take`.
    pub fn take_names(&self) -> Vec<&'static str> {
        self.take().into_iter().map(|(s, _)| s.name()).collect()
    }

    /// How many times `signal` was sent (without clearing).
    pub fn count(&self, signal: Signal) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(s, _)| *s == signal)
            .count()
    }

    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }
}

// ------------------------------------------------------------------ routes

/// A 200 `text/plain; charset=utf-8` response.
pub fn text(body: impl Into<String>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body(body.into())
}

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

type Query = web::Query<HashMap<String, String>>;

async fn index() -> HttpResponse {
    text("Welcome!")
}

async fn secret(req: HttpRequest) -> HttpResponse {
    unauthorized(&req)
}

async fn login_as(
    req: &HttpRequest,
    users: &Users,
    id: &str,
    opts: LoginOptions,
) -> actix_web::Result<HttpResponse> {
    let user = users
        .get(id)
        .ok_or_else(|| actix_web::error::ErrorNotFound("no such user"))?;
    Ok(text(py_bool(login_user(req, user, opts)?)))
}

async fn login_notch(req: HttpRequest, users: web::Data<Users>) -> actix_web::Result<HttpResponse> {
    login_as(&req, &users, "1", LoginOptions::new()).await
}

async fn login_notch_remember(
    req: HttpRequest,
    users: web::Data<Users>,
) -> actix_web::Result<HttpResponse> {
    login_as(&req, &users, "1", LoginOptions::new().remember(true)).await
}

async fn login_notch_remember_custom(
    req: HttpRequest,
    users: web::Data<Users>,
) -> actix_web::Result<HttpResponse> {
    let opts = LoginOptions::new()
        .remember(true)
        .duration(Duration::from_secs(7 * 3600));
    login_as(&req, &users, "1", opts).await
}

async fn login_notch_permanent(
    req: HttpRequest,
    users: web::Data<Users>,
) -> actix_web::Result<HttpResponse> {
    set_permanent(&req, true)?;
    login_as(&req, &users, "1", LoginOptions::new()).await
}

/// `/login-as/{id}?remember=1&force=1&fresh=0&duration=<secs>&permanent=1`
async fn login_generic(
    req: HttpRequest,
    users: web::Data<Users>,
    path: web::Path<String>,
    query: Query,
) -> actix_web::Result<HttpResponse> {
    login_with_options(req, users, path.into_inner(), query).await
}

/// `/login-as?id=<id>&...`: the id from the query (any characters).
async fn login_query(
    req: HttpRequest,
    users: web::Data<Users>,
    query: Query,
) -> actix_web::Result<HttpResponse> {
    let id = query.get("id").cloned().unwrap_or_default();
    login_with_options(req, users, id, query).await
}

async fn login_with_options(
    req: HttpRequest,
    users: web::Data<Users>,
    id: String,
    query: Query,
) -> actix_web::Result<HttpResponse> {
    let flag = |k: &str| query.get(k).map(String::as_str) == Some("1");
    let mut opts = LoginOptions::new()
        .remember(flag("remember"))
        .force(flag("force"))
        .fresh(query.get("fresh").map(String::as_str) != Some("0"));
    if let Some(secs) = query.get("duration").and_then(|d| d.parse::<u64>().ok()) {
        opts = opts.duration(Duration::from_secs(secs));
    }
    if flag("permanent") {
        set_permanent(&req, true)?;
    }
    login_as(&req, &users, &id, opts).await
}

async fn needs_refresh_view(req: HttpRequest) -> HttpResponse {
    needs_refresh(&req)
}

async fn confirm(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    confirm_login(&req)?;
    Ok(text(""))
}

async fn username(user: CurrentUser<TestUser>) -> HttpResponse {
    match user.user() {
        Some(u) if user.is_authenticated() => text(u.name.clone()),
        _ => text("Anonymous"),
    }
}

async fn userid(user: CurrentUser<TestUser>) -> HttpResponse {
    match user.user() {
        Some(u) if user.is_authenticated() => text(u.id.clone()),
        _ => text("Anonymous"),
    }
}

/// The loaded user's name whether or not it counts as authenticated
/// (upstream's `current_user.name`).
async fn whoami(user: CurrentUser<TestUser>) -> HttpResponse {
    text(
        user.user()
            .map_or_else(|| "Anonymous".to_owned(), |u| u.name.clone()),
    )
}

async fn is_fresh(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    Ok(text(py_bool(login_fresh(&req)?)))
}

async fn is_remembered(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    Ok(text(py_bool(login_remembered(&req)?)))
}

async fn logout(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    logout_user(&req).await?;
    Ok(text("True"))
}

#[login_required]
async fn protected() -> HttpResponse {
    text("Access Granted")
}

#[fresh_login_required]
async fn fresh() -> HttpResponse {
    text("Access Granted")
}

fn flashes_json(req: &HttpRequest) -> String {
    let list: Vec<[String; 2]> = get_flashed_messages(req)
        .into_iter()
        .map(|(c, m)| [c, m])
        .collect();
    serde_json::to_string(&list).unwrap()
}

/// The login view: `login next=<next> flashes=<json>`.
async fn login_view(req: HttpRequest, query: Query) -> HttpResponse {
    let next = query.get("next").cloned().unwrap_or_default();
    text(format!("login next={next} flashes={}", flashes_json(&req)))
}

/// The refresh view: `refresh next=<next> flashes=<json>`.
async fn refresh_view(req: HttpRequest, query: Query) -> HttpResponse {
    let next = query.get("next").cloned().unwrap_or_default();
    text(format!(
        "refresh next={next} flashes={}",
        flashes_json(&req)
    ))
}

async fn flashes(req: HttpRequest) -> HttpResponse {
    text(flashes_json(&req))
}

async fn take_next_view(req: HttpRequest) -> HttpResponse {
    text(take_next(&req).unwrap_or_else(|| "<none>".to_owned()))
}

/// The raw JSON the session holds under `?key=`, or `<none>`.
async fn session_get(req: HttpRequest, query: Query) -> HttpResponse {
    let key = query.get("key").cloned().unwrap_or_default();
    text(
        req.get_session()
            .entries()
            .get(&key)
            .cloned()
            .unwrap_or_else(|| "<none>".to_owned()),
    )
}

/// Stores the JSON `?value=` under `?key=`.
async fn session_set(req: HttpRequest, query: Query) -> actix_web::Result<HttpResponse> {
    let key = query.get("key").cloned().unwrap_or_default();
    let value: serde_json::Value =
        serde_json::from_str(query.get("value").map_or("null", String::as_str))
            .map_err(actix_web::error::ErrorBadRequest)?;
    req.get_session().insert(key, value)?;
    Ok(text("stored"))
}

/// The session's keys, sorted, comma-separated.
async fn session_keys(req: HttpRequest) -> HttpResponse {
    let entries = req.get_session().entries().clone();
    let keys: BTreeMap<_, _> = entries.iter().collect();
    text(
        keys.keys()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(","),
    )
}

/// The upstream fixture's routes, plus a few for looking inside.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/secret", web::get().to(secret))
        .route("/login-notch", web::get().to(login_notch))
        .route("/login-notch-remember", web::get().to(login_notch_remember))
        .route(
            "/login-notch-remember-custom",
            web::get().to(login_notch_remember_custom),
        )
        .route(
            "/login-notch-permanent",
            web::get().to(login_notch_permanent),
        )
        .route("/login-as", web::get().to(login_query))
        .route("/login-as/{id}", web::get().to(login_generic))
        .route("/needs-refresh", web::get().to(needs_refresh_view))
        .route("/confirm-login", web::get().to(confirm))
        .route("/username", web::get().to(username))
        .route("/userid", web::get().to(userid))
        .route("/whoami", web::get().to(whoami))
        .route("/is-fresh", web::get().to(is_fresh))
        .route("/is-remembered", web::get().to(is_remembered))
        .route("/logout", web::get().to(logout))
        // Every method, so that OPTIONS reaches the guard.
        .service(web::resource("/protected").to(protected))
        .service(web::resource("/fresh").to(fresh))
        .service(
            web::resource("/login")
                .name("login")
                .route(web::get().to(login_view)),
        )
        .service(
            web::resource("/refresh-view")
                .name("refresh_view")
                .route(web::get().to(refresh_view)),
        )
        .route("/flashes", web::get().to(flashes))
        .route("/take-next", web::get().to(take_next_view))
        .route("/session/get", web::get().to(session_get))
        .route("/session/set", web::get().to(session_set))
        .route("/session/keys", web::get().to(session_keys));
}

/// The session middleware of every test app: cookie sessions in the
/// cookie [`SESSION_COOKIE`].
pub fn session_middleware() -> SessionMiddleware<CookieSessionStore> {
    session_middleware_with(CookieSessionStore::default(), SESSION_COOKIE)
}

/// A session middleware over `store`, its cookie named `cookie_name`, not
/// `Secure`, signed with [`session_key`].
pub fn session_middleware_with<St: SessionStore>(
    store: St,
    cookie_name: &str,
) -> SessionMiddleware<St> {
    SessionMiddleware::builder(store, session_key())
        .cookie_name(cookie_name.to_owned())
        .cookie_secure(false)
        .build()
}

// ------------------------------------------------------------------ client

/// The fixture app with the fixture's manager.
pub async fn client() -> Client<
    impl Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
> {
    client_with(|b| b).await
}

/// The fixture app with the fixture's manager changed by `hook`.
pub async fn client_with(
    hook: impl FnOnce(LoginManagerBuilder<TestUser>) -> LoginManagerBuilder<TestUser>,
) -> Client<
    impl Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
> {
    let users = Users::data();
    start(manager(hook), users, |_| {}).await
}

/// The fixture app around `manager`, with `users`, and with `extra` routes
/// registered before (so in front of) the fixture's.
pub async fn start(
    manager: LoginManager<TestUser>,
    users: web::Data<Users>,
    extra: impl FnOnce(&mut web::ServiceConfig),
) -> Client<
    impl Service<actix_http::Request, Response = ServiceResponse<BoxBody>, Error = actix_web::Error>,
> {
    let svc = test::init_service(
        App::new()
            .app_data(users.clone())
            .wrap(manager.clone())
            .wrap(session_middleware())
            .configure(extra)
            .configure(routes),
    )
    .await;
    Client::new(svc, users, manager)
}

/// One stored cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCookie {
    pub name: String,
    /// The value exactly as the `Set-Cookie` carried it (quotes kept).
    pub value: String,
}

/// The cookies a browser would hold, by name (path and domain are not
/// tracked: the tests use one host and `/`).
#[derive(Debug, Clone, Default)]
pub struct Jar {
    cookies: Vec<StoredCookie>,
}

/// A parsed `Set-Cookie` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetCookie {
    pub name: String,
    pub value: String,
    /// `(lowercased name, value)` of each attribute, in order.
    pub attrs: Vec<(String, Option<String>)>,
}

impl SetCookie {
    /// Splits a header: the value runs to the first `;` outside double
    /// quotes (a quoted value escapes its `;` as `\073`, but be lenient).
    pub fn parse(header: &str) -> Option<SetCookie> {
        let (name, rest) = header.split_once('=')?;
        let mut end = rest.len();
        let mut quoted = false;
        let bytes = rest.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => quoted = !quoted,
                b'\\' if quoted => i += 1,
                b';' if !quoted => {
                    end = i;
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        let value = rest[..end].trim().to_owned();
        let attrs = rest[end..]
            .split(';')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| match a.split_once('=') {
                Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(v.trim().to_owned())),
                None => (a.to_ascii_lowercase(), None),
            })
            .collect();
        Some(SetCookie {
            name: name.trim().to_owned(),
            value,
            attrs,
        })
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| v.as_deref())
    }

    pub fn has_attr(&self, name: &str) -> bool {
        self.attrs.iter().any(|(k, _)| k == name)
    }

    /// `Expires` as a time (both Werkzeug formats: `29 Nov 2027` and
    /// `29-Nov-2027`).
    pub fn expires(&self) -> Option<SystemTime> {
        parse_http_date(self.attr("expires")?)
    }

    /// Whether this header deletes the cookie.
    pub fn is_deletion(&self) -> bool {
        self.value.is_empty()
            || self
                .attr("max-age")
                .is_some_and(|m| m.parse::<i64>().is_ok_and(|n| n <= 0))
            || self.expires().is_some_and(|e| e <= SystemTime::now())
    }
}

/// Parses an HTTP date as Werkzeug writes it (0.6.3 IMF-fixdate, or 0.2.4's
/// dashed form).
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    let normal = s.replace('-', " ");
    normal
        .parse::<header::HttpDate>()
        .ok()
        .map(SystemTime::from)
}

impl Jar {
    /// A jar holding one cookie (value sent exactly as given).
    pub fn with(name: &str, value: &str) -> Jar {
        let mut jar = Jar::default();
        jar.set(name, value);
        jar
    }

    pub fn store(&mut self, set_cookie: &str) {
        let Some(c) = SetCookie::parse(set_cookie) else {
            return;
        };
        self.cookies.retain(|s| s.name != c.name);
        if !c.is_deletion() {
            self.cookies.push(StoredCookie {
                name: c.name,
                value: c.value,
            });
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.value.as_str())
    }

    /// Sets a cookie as if a response had (value sent exactly as given).
    pub fn set(&mut self, name: &str, value: &str) {
        self.cookies.retain(|s| s.name != name);
        self.cookies.push(StoredCookie {
            name: name.to_owned(),
            value: value.to_owned(),
        });
    }

    pub fn remove(&mut self, name: &str) {
        self.cookies.retain(|s| s.name != name);
    }

    /// Drops every cookie but `keep`.
    pub fn keep_only(&mut self, keep: &str) {
        self.cookies.retain(|s| s.name == keep);
    }

    pub fn names(&self) -> Vec<&str> {
        self.cookies.iter().map(|c| c.name.as_str()).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.cookies.is_empty()
    }

    /// The `Cookie` request header, as raw bytes.
    pub fn header(&self) -> Option<Vec<u8>> {
        if self.cookies.is_empty() {
            return None;
        }
        let parts: Vec<String> = self
            .cookies
            .iter()
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        Some(parts.join("; ").into_bytes())
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The service returned `Err` (the server would answer with its
    /// response; no middleware on the way out saw it).
    pub was_error: bool,
}

impl Resp {
    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect()
    }

    /// Every `Set-Cookie` header for `name`, parsed, in order.
    pub fn cookies_named(&self, name: &str) -> Vec<SetCookie> {
        self.set_cookies()
            .iter()
            .filter_map(|h| SetCookie::parse(h))
            .filter(|c| c.name == name)
            .collect()
    }

    /// The `Set-Cookie` header for `name`, if exactly one (panics on two).
    pub fn set_cookie(&self, name: &str) -> Option<SetCookie> {
        let all = self.cookies_named(name);
        assert!(all.len() <= 1, "two Set-Cookie headers for {name}: {all:?}");
        all.into_iter().next()
    }

    /// Whether the first `Set-Cookie` for `name` gives it a value (is not
    /// a deletion).
    pub fn sets(&self, name: &str) -> bool {
        self.cookies_named(name)
            .first()
            .is_some_and(|c| !c.is_deletion())
    }

    /// Whether the first `Set-Cookie` for `name` deletes it.
    pub fn deletes(&self, name: &str) -> bool {
        self.cookies_named(name)
            .first()
            .is_some_and(SetCookie::is_deletion)
    }

    /// The raw `Set-Cookie` header text for `name`.
    pub fn set_cookie_raw(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|h| SetCookie::parse(h).is_some_and(|c| c.name == name))
    }

    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The client: a service, a cookie jar, an address and a `User-Agent`.
pub struct Client<S> {
    svc: S,
    pub jar: Jar,
    pub users: web::Data<Users>,
    pub manager: LoginManager<TestUser>,
    /// Sent as `User-Agent` (none when `None`).
    pub user_agent: Option<String>,
    pub peer: SocketAddr,
    /// The remember cookie's name, kept by [`Client::clear_session`].
    pub remember_name: String,
}

impl<S, B> Client<S>
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    pub fn new(svc: S, users: web::Data<Users>, manager: LoginManager<TestUser>) -> Self {
        Client {
            svc,
            jar: Jar::default(),
            users,
            manager,
            user_agent: Some(USER_AGENT.to_owned()),
            peer: PEER.parse().unwrap(),
            remember_name: REMEMBER_COOKIE.to_owned(),
        }
    }

    /// Sends `req` with the jar's cookies (unless the request already has a
    /// `Cookie` header), the client's address and `User-Agent` (unless set),
    /// and stores the response's cookies.
    pub async fn send(&mut self, req: test::TestRequest) -> Resp {
        self.send_request(req.peer_addr(self.peer).to_request())
            .await
    }

    /// [`send`](Self::send) for a request already built (e.g. by
    /// `testing::login_as`).
    pub async fn send_request(&mut self, mut req: actix_http::Request) -> Resp {
        let headers = req.headers_mut();
        if !headers.contains_key(header::USER_AGENT) {
            if let Some(ua) = &self.user_agent {
                headers.insert(
                    header::USER_AGENT,
                    HeaderValue::from_bytes(ua.as_bytes()).unwrap(),
                );
            }
        }
        exchange(&self.svc, &mut self.jar, req).await
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        self.send(test::TestRequest::get().uri(path)).await
    }

    /// GET with a different `User-Agent` for this request only.
    pub async fn get_with_ua(&mut self, path: &str, ua: &str) -> Resp {
        self.send(
            test::TestRequest::get()
                .uri(path)
                .insert_header((header::USER_AGENT, ua)),
        )
        .await
    }

    pub async fn request(&mut self, method: Method, path: &str) -> Resp {
        self.send(test::TestRequest::default().method(method).uri(path))
            .await
    }

    /// GET whose body must be `expected` with status 200.
    pub async fn body(&mut self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.body);
        r.body
    }

    /// Upstream's `session_transaction().clear()`: the browser forgets the
    /// session (closing it), keeping only the remember cookie.
    pub fn clear_session(&mut self) {
        let keep = self.remember_name.clone();
        self.jar.keep_only(&keep);
    }

    /// Stores a remember cookie value (sent exactly as given).
    pub fn set_remember(&mut self, value: &str) {
        let name = self.remember_name.clone();
        self.jar.set(&name, value);
    }
}

/// Sends `req` to `svc` with the jar's cookies (unless the request already
/// has a `Cookie` header), reads the response whole (an `Err` of the service
/// becomes its error response, marked [`Resp::was_error`]), and stores the
/// response's cookies in the jar.
async fn exchange<S, B>(svc: &S, jar: &mut Jar, mut req: actix_http::Request) -> Resp
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let headers = req.headers_mut();
    if !headers.contains_key(header::COOKIE) {
        if let Some(cookie) = jar.header() {
            headers.insert(
                header::COOKIE,
                HeaderValue::from_bytes(&cookie).expect("cookie header bytes"),
            );
        }
    }
    let resp = match svc.call(req).await {
        Ok(res) => {
            let status = res.status();
            let headers = res.headers().clone();
            let body = test::read_body(res).await;
            Resp {
                status,
                headers,
                body: String::from_utf8_lossy(&body).into_owned(),
                was_error: false,
            }
        }
        Err(err) => {
            let res = err.error_response();
            let status = res.status();
            let headers = res.headers().clone();
            let body = actix_web::body::to_bytes(res.into_body())
                .await
                .unwrap_or_default();
            Resp {
                status,
                headers,
                body: String::from_utf8_lossy(&body).into_owned(),
                was_error: true,
            }
        }
    };
    for sc in resp.set_cookies() {
        jar.store(&sc);
    }
    resp
}

/// Sends `req` to any test service (any app, any user type) as a browser
/// holding `jar`: with the jar's cookies (unless the request already has a
/// `Cookie` header) and nothing else added (no `User-Agent`, no address);
/// the response's cookies go into the jar. The service must answer within
/// 5 s, with a response: an `Err` of the service (which a server would
/// still turn into a response, unseen by the middleware on the way out)
/// fails the test.
pub async fn send<S, B>(svc: &S, jar: &mut Jar, req: test::TestRequest) -> Resp
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let req = req.to_request();
    let what = format!("{} {}", req.method(), req.uri());
    let resp =
        crate::support_faults::bounded(Duration::from_secs(5), &what, exchange(svc, jar, req))
            .await;
    assert!(
        !resp.was_error,
        "{what}: the service answered Err, not a response: {} {}",
        resp.status, resp.body
    );
    resp
}

/// [`send`] a GET of `path`.
pub async fn get<S, B>(svc: &S, jar: &mut Jar, path: &str) -> Resp
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    send(svc, jar, test::TestRequest::get().uri(path)).await
}

/// [`get`] whose status must be 200; the body.
pub async fn body<S, B>(svc: &S, jar: &mut Jar, path: &str) -> String
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let r = get(svc, jar, path).await;
    assert_eq!(r.status, StatusCode::OK, "GET {path}: {}", r.body);
    r.body
}

/// Seconds between a cookie's `Expires` and now + `expected`; positive when
/// later.
pub fn expiry_offset(cookie: &SetCookie, expected: Duration) -> f64 {
    let expires = cookie.expires().expect("cookie has an Expires date");
    let want = SystemTime::now() + expected;
    match expires.duration_since(want) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

/// Asserts that a cookie expires `expected` from now, within 10 s.
pub fn assert_expires_in(cookie: &SetCookie, expected: Duration) {
    let off = expiry_offset(cookie, expected);
    assert!(
        off.abs() <= 10.0,
        "Expires is {off:+.0}s off now+{expected:?}: {cookie:?}"
    );
}

/// The 0.6.3 remember cookie value for `id` under the fixture's secret.
pub fn signed(id: &str) -> String {
    builder().build().encode_cookie(id)
}

/// Percent-encodes everything but unreserved characters (for query values).
pub fn quote(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// How the session stores the identifier whose Flask-Login digest is
/// `hex_digest`, under the test secret and `profile`.
pub fn stored_form(profile: actix_login::Profile, hex_digest: &str) -> String {
    actix_login::testing::stored_identifier(&manager(|b| b.profile(profile)), hex_digest)
}

// ------------------------------------------------- a server-side store

type StoreState = std::collections::HashMap<String, String>;

/// An in-memory server-side session store: the browser holds only a key,
/// so a key planted in a victim's browser names a session that the
/// attacker can use later — what session-fixation tests need.
#[derive(Clone, Default)]
pub struct MemoryStore(
    std::rc::Rc<std::cell::RefCell<(u64, std::collections::HashMap<String, StoreState>)>>,
);

impl MemoryStore {
    /// How many sessions are stored.
    pub fn sessions(&self) -> usize {
        self.0.borrow().1.len()
    }

    /// The keys of the sessions stored.
    pub fn keys(&self) -> Vec<String> {
        self.0.borrow().1.keys().cloned().collect()
    }
}

impl actix_session::storage::SessionStore for MemoryStore {
    async fn load(
        &self,
        key: &actix_session::storage::SessionKey,
    ) -> Result<Option<StoreState>, actix_session::storage::LoadError> {
        Ok(self.0.borrow().1.get(key.as_ref()).cloned())
    }

    async fn save(
        &self,
        state: StoreState,
        _: &actix_web::cookie::time::Duration,
    ) -> Result<actix_session::storage::SessionKey, actix_session::storage::SaveError> {
        let mut inner = self.0.borrow_mut();
        inner.0 += 1;
        let key = format!("memory-session-key-{:032}", inner.0);
        inner.1.insert(key.clone(), state);
        Ok(actix_session::storage::SessionKey::try_from(key).expect("a short key"))
    }

    async fn update(
        &self,
        key: actix_session::storage::SessionKey,
        state: StoreState,
        _: &actix_web::cookie::time::Duration,
    ) -> Result<actix_session::storage::SessionKey, actix_session::storage::UpdateError> {
        self.0.borrow_mut().1.insert(key.as_ref().to_owned(), state);
        Ok(key)
    }

    async fn update_ttl(
        &self,
        _: &actix_session::storage::SessionKey,
        _: &actix_web::cookie::time::Duration,
    ) -> Result<(), anyhow::Error> {
        Ok(())
    }

    async fn delete(&self, key: &actix_session::storage::SessionKey) -> Result<(), anyhow::Error> {
        self.0.borrow_mut().1.remove(key.as_ref());
        Ok(())
    }
}
