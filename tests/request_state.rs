//! The login state of a request lives in the request's extensions (as in
//! actix-identity): an `Rc` the `LoginManager` middleware puts there, shared
//! by every clone of the `HttpRequest`, and left there after the response.
//! This file shows, through real requests, that the login works in the
//! places actix users put it:
//!
//! 1. a middleware between the manager and `SessionMiddleware` reads the
//!    user after `next.call(req)`;
//! 2. an `ErrorHandlers` there renders the user into a 404 page;
//! 3. a task spawned with a clone of the request reads the user, or logs
//!    the request out;
//! 4. a middleware inside the manager that calls the inner service in a
//!    spawned task;
//! 5. a future made by one request and driven by another acts for the
//!    request that made it, while that request is in flight and after it
//!    answered;
//! 6. an admin logs out another user's request in flight ("kick");
//! 7. the `LoginExt` trait in a handler, a middleware and a routing guard,
//!    without loading the user;
//! 8. without a `LoginManager` around the route every call answers
//!    `LoginError::NoManager`;
//! 9. a storm of concurrent requests on one worker, with panicking handlers,
//!    panicking loaders and requests dropped mid-load.

use std::{
    cell::{Cell, RefCell},
    collections::{HashMap, HashSet},
    future::Future,
    pin::Pin,
    rc::Rc,
    sync::{Arc, Mutex, Once},
    time::{Duration, Instant},
};

use actix_login::{
    confirm_login, login_fresh, login_remembered, login_required, login_user, logout_user,
    CurrentUser, LoaderError, LoginError, LoginExt, LoginManager, LoginOptions, RememberCookie,
    User, UserLoader,
};
use actix_web::{
    body::MessageBody,
    cookie::Cookie,
    dev::{ServiceRequest, ServiceResponse},
    guard,
    http::{
        header::{self, HeaderName, HeaderValue},
        StatusCode,
    },
    middleware::{from_fn, ErrorHandlerResponse, ErrorHandlers, Next},
    test, web, App, FromRequest, HttpRequest, HttpResponse, HttpServer,
};

use crate::{
    common::{body, get, session_middleware, Jar, Resp, SESSION_COOKIE},
    support_faults::bounded,
};

const SECRET: &str = "request-state tests: a secret long enough to sign with";
/// The default name of the remember cookie.
const REMEMBER_COOKIE: &str = "remember_token";

// ------------------------------------------------------------------ users

#[derive(Debug, Clone)]
struct Account {
    id: String,
}

impl Account {
    fn new(id: &str) -> Account {
        Account { id: id.to_owned() }
    }
}

impl User for Account {
    fn get_id(&self) -> String {
        self.id.clone()
    }
}

/// What the loader does, and how often it was asked, per user id. Every id
/// names a user (`Account { id }`); ids in `delays` make the loader sleep
/// first, ids in `panics` make it panic.
#[derive(Default)]
struct Table {
    delays: HashMap<String, Duration>,
    panics: HashSet<String>,
    loads: Mutex<HashMap<String, usize>>,
}

impl Table {
    fn loads(&self, id: &str) -> usize {
        self.loads.lock().unwrap().get(id).copied().unwrap_or(0)
    }

    fn total_loads(&self) -> usize {
        self.loads.lock().unwrap().values().sum()
    }
}

struct Loader(Arc<Table>);

impl UserLoader for Loader {
    type User = Account;

    async fn load_user(
        &self,
        id: &str,
        _req: &HttpRequest,
    ) -> Result<Option<Account>, LoaderError> {
        *self
            .0
            .loads
            .lock()
            .unwrap()
            .entry(id.to_owned())
            .or_default() += 1;
        if let Some(delay) = self.0.delays.get(id) {
            actix_web::rt::time::sleep(*delay).await;
        }
        if self.0.panics.contains(id) {
            panic!("deliberate panic: the loader of {id}");
        }
        Ok(Some(Account::new(id)))
    }
}

fn manager(table: &Arc<Table>) -> LoginManager<Account> {
    LoginManager::builder(Loader(table.clone()), SECRET)
        .remember_cookie(RememberCookie::new().secure(false))
        .build()
}

// ------------------------------------------------------------------ helpers

/// How a page names a `CurrentUser`: its id, or `anonymous`.
fn describe(user: &CurrentUser<Account>) -> String {
    match user.user() {
        Some(a) if user.is_authenticated() => a.id.clone(),
        _ => "anonymous".to_owned(),
    }
}

/// How a page shows a `LoginError` result: `ok:<value>`, `no-manager`, or
/// `error:<text>`.
fn kind<T: std::fmt::Debug>(r: &Result<T, LoginError>) -> String {
    match r {
        Ok(v) => format!("ok:{v:?}"),
        Err(LoginError::NoManager) => "no-manager".to_owned(),
        Err(e) => format!("error:{e}"),
    }
}

/// How a page shows `login_id()`: the id, `none`, `no-manager` or
/// `error:<text>`.
fn id_text(r: Result<Option<String>, LoginError>) -> String {
    match r {
        Ok(Some(id)) => id,
        Ok(None) => "none".to_owned(),
        Err(LoginError::NoManager) => "no-manager".to_owned(),
        Err(e) => format!("error:{e}"),
    }
}

fn set_header<B>(res: &mut ServiceResponse<B>, name: &'static str, value: &str) {
    res.headers_mut().insert(
        HeaderName::from_static(name),
        HeaderValue::from_str(&value.replace(['\r', '\n'], " ")).expect("an ASCII header value"),
    );
}

// ------------------------------------------------------------------ routes

async fn index() -> HttpResponse {
    HttpResponse::Ok().body("index")
}

/// `/login/{id}`: a password login; `?remember=1` for "remember me",
/// `?redirect=1` to answer 303 instead of 200.
async fn login(
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> actix_web::Result<HttpResponse> {
    let remember = query.get("remember").map(String::as_str) == Some("1");
    let done = login_user(
        &req,
        Account::new(&id),
        LoginOptions::new().remember(remember),
    )?;
    if !done {
        return Ok(HttpResponse::Forbidden().body("refused"));
    }
    if query.get("redirect").map(String::as_str) == Some("1") {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/me"))
            .finish());
    }
    Ok(HttpResponse::Ok().body(format!("logged in {id}")))
}

/// `/me`: the user, then an await point, then the user extracted again (it
/// must be the same).
async fn me(req: HttpRequest, user: CurrentUser<Account>) -> actix_web::Result<HttpResponse> {
    let first = describe(&user);
    actix_web::rt::task::yield_now().await;
    let again = describe(&CurrentUser::<Account>::extract(&req).await?);
    if first != again {
        return Ok(HttpResponse::Conflict().body(format!("changed: {first} -> {again}")));
    }
    Ok(HttpResponse::Ok().body(first))
}

#[login_required]
async fn protected(user: CurrentUser<Account>) -> HttpResponse {
    HttpResponse::Ok().body(format!("protected {}", describe(&user)))
}

async fn logout(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    logout_user(&req).await?;
    Ok(HttpResponse::Ok().body("logged out"))
}

/// `/login-id`: what the `LoginExt` trait says on the `HttpRequest`;
/// `?load=1` extracts the user first.
async fn login_id_view(
    req: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> actix_web::Result<HttpResponse> {
    if query.get("load").map(String::as_str) == Some("1") {
        CurrentUser::<Account>::extract(&req).await?;
    }
    Ok(HttpResponse::Ok().body(format!(
        "id={} fresh={} remembered={}",
        id_text(req.login_id()),
        kind(&req.login_fresh()),
        kind(&req.login_remembered()),
    )))
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(index))
        .route("/login/{id}", web::get().to(login))
        .route("/me", web::get().to(me))
        .route("/protected", web::get().to(protected))
        .route("/logout", web::get().to(logout))
        .route("/login-id", web::get().to(login_id_view));
}

// ------------------------------------ 1. middleware between manager and session

/// A `from_fn` middleware for the place between the `LoginManager` and
/// `SessionMiddleware`: after the inner service answered, it extracts the
/// user and asks `login_fresh` (both with `?`), and reports them.
async fn user_after_response(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let user = CurrentUser::<Account>::extract(res.request()).await?;
    let fresh = login_fresh(res.request())?;
    set_header(&mut res, "x-after-user", &describe(&user));
    set_header(&mut res, "x-after-fresh", &fresh.to_string());
    Ok(res)
}

#[actix_web::test]
async fn middleware_between_manager_and_session_reads_the_user_after_the_response() {
    let table = Arc::new(Table::default());
    let m = manager(&table);
    let svc = test::init_service(
        App::new()
            .wrap(m.clone())
            .wrap(from_fn(user_after_response))
            .wrap(session_middleware())
            .configure(routes),
    )
    .await;
    let mut alice = Jar::default();
    let mut anon = Jar::default();

    // Before any login.
    let r = get(&svc, &mut alice, "/").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.header("x-after-user"), Some("anonymous"));
    assert_eq!(r.header("x-after-fresh"), Some("false"));

    // The login request itself: the `?`s do not turn it into an error, it
    // carries its session cookie, and the middleware sees the handler's
    // login on the way out.
    let r = get(&svc, &mut alice, "/login/alice?remember=1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, "logged in alice");
    assert!(
        r.sets(SESSION_COOKIE),
        "the login response sets the session cookie: {:?}",
        r.set_cookies()
    );
    assert!(r.sets(REMEMBER_COOKIE), "{:?}", r.set_cookies());
    assert_eq!(r.header("x-after-user"), Some("alice"));
    assert_eq!(r.header("x-after-fresh"), Some("true"));

    // The next request: the handler and the middleware share one load.
    let loads = table.loads("alice");
    let r = get(&svc, &mut alice, "/me").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, "alice");
    assert_eq!(r.header("x-after-user"), Some("alice"));
    assert_eq!(r.header("x-after-fresh"), Some("true"));
    assert_eq!(
        table.loads("alice"),
        loads + 1,
        "one load per request, shared by the handler and the middleware"
    );

    // A page that never asked: the middleware alone loads.
    let r = get(&svc, &mut alice, "/").await;
    assert_eq!(r.body, "index");
    assert_eq!(r.header("x-after-user"), Some("alice"));

    // Another browser is anonymous.
    let r = get(&svc, &mut anon, "/me").await;
    assert_eq!(r.body, "anonymous");
    assert_eq!(r.header("x-after-user"), Some("anonymous"));
    assert_eq!(r.header("x-after-fresh"), Some("false"));

    // Restored from the remember cookie: alice, not fresh.
    alice.remove(SESSION_COOKIE); // the browser was closed
    let r = get(&svc, &mut alice, "/").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.header("x-after-user"), Some("alice"));
    assert_eq!(r.header("x-after-fresh"), Some("false"));

    // A login answered with a redirect goes through as well.
    let mut bob = Jar::default();
    let r = get(&svc, &mut bob, "/login/bob?redirect=1").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(r.sets(SESSION_COOKIE), "{:?}", r.set_cookies());
    assert_eq!(r.header("x-after-user"), Some("bob"));
    assert_eq!(body(&svc, &mut bob, "/me").await, "bob");

    // After logout, the middleware sees nobody in the logout response.
    let r = get(&svc, &mut bob, "/logout").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.header("x-after-user"), Some("anonymous"));
    assert_eq!(body(&svc, &mut bob, "/me").await, "anonymous");
}

// -------------------------------------------------- 2. ErrorHandlers there

fn render_404<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    Ok(ErrorHandlerResponse::Future(Box::pin(async move {
        let user = CurrentUser::<Account>::extract(res.request()).await?;
        let text = match describe(&user).as_str() {
            "anonymous" => "not logged in".to_owned(),
            id => format!("logged in as {id}"),
        };
        let (req, res) = res.into_parts();
        let res = res.set_body(text);
        Ok(ServiceResponse::new(req, res)
            .map_into_boxed_body()
            .map_into_right_body())
    })))
}

#[actix_web::test]
async fn error_handler_between_manager_and_session_renders_the_user_into_a_404() {
    let table = Arc::new(Table::default());
    let svc = test::init_service(
        App::new()
            .wrap(manager(&table))
            .wrap(ErrorHandlers::new().handler(StatusCode::NOT_FOUND, render_404))
            .wrap(session_middleware())
            .configure(routes),
    )
    .await;
    let mut alice = Jar::default();
    let mut anon = Jar::default();

    let r = get(&svc, &mut anon, "/no-such-page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body, "not logged in");

    assert_eq!(
        body(&svc, &mut alice, "/login/alice").await,
        "logged in alice"
    );
    let r = get(&svc, &mut alice, "/no-such-page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(r.body, "logged in as alice");

    // Other pages are untouched.
    assert_eq!(body(&svc, &mut alice, "/me").await, "alice");
    let r = get(&svc, &mut anon, "/no-such-page").await;
    assert_eq!(r.body, "not logged in");
}

// ------------------------------------------- 3. a task spawned with a clone

/// Reads the user in a spawned local task holding a clone of the request.
async fn spawned_whoami(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    let clone = req.clone();
    let who = actix_web::rt::spawn(async move {
        CurrentUser::<Account>::extract(&clone)
            .await
            .map(|u| describe(&u))
    })
    .await
    .map_err(|e| actix_web::error::ErrorInternalServerError(format!("task failed: {e}")))??;
    Ok(HttpResponse::Ok().body(who))
}

/// Logs the request out in a spawned local task holding a clone of it.
async fn spawned_logout(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    let clone = req.clone();
    actix_web::rt::spawn(async move { logout_user(&clone).await })
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(format!("task failed: {e}")))??;
    // The handler's own view agrees.
    let after = describe(&CurrentUser::<Account>::extract(&req).await?);
    Ok(HttpResponse::Ok().body(format!("logged out; now {after}")))
}

#[actix_web::test]
async fn a_spawned_task_with_a_request_clone_reads_the_user_and_logs_out() {
    let table = Arc::new(Table::default());
    let svc = test::init_service(
        App::new()
            .wrap(manager(&table))
            .wrap(session_middleware())
            .route("/spawned-whoami", web::get().to(spawned_whoami))
            .route("/spawned-logout", web::get().to(spawned_logout))
            .configure(routes),
    )
    .await;
    let mut alice = Jar::default();
    let mut anon = Jar::default();

    assert_eq!(body(&svc, &mut anon, "/spawned-whoami").await, "anonymous");
    let r = get(&svc, &mut alice, "/login/alice?remember=1").await;
    assert!(r.sets(REMEMBER_COOKIE), "{:?}", r.set_cookies());
    assert_eq!(body(&svc, &mut alice, "/spawned-whoami").await, "alice");
    assert_eq!(body(&svc, &mut anon, "/spawned-whoami").await, "anonymous");

    let r = get(&svc, &mut alice, "/spawned-logout").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, "logged out; now anonymous");
    assert!(
        r.deletes(REMEMBER_COOKIE),
        "the logout in the task deletes the remember cookie in this response: {:?}",
        r.set_cookies()
    );

    // The session no longer names alice.
    assert_eq!(body(&svc, &mut alice, "/me").await, "anonymous");
    assert_eq!(
        body(&svc, &mut alice, "/login-id").await,
        "id=none fresh=ok:false remembered=ok:false"
    );
    assert_eq!(body(&svc, &mut alice, "/spawned-whoami").await, "anonymous");
}

// ------------------------------- 4. inner service called in a spawned task

async fn call_in_spawned_task<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    actix_web::rt::spawn(next.call(req))
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(format!("task failed: {e}")))?
}

#[actix_web::test]
async fn inner_service_called_in_a_spawned_task_inside_the_manager_works() {
    let table = Arc::new(Table::default());
    let svc = test::init_service(
        App::new()
            .wrap(from_fn(call_in_spawned_task))
            .wrap(manager(&table))
            .wrap(session_middleware())
            .configure(routes),
    )
    .await;
    let mut alice = Jar::default();

    let r = get(&svc, &mut alice, "/protected").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);

    let r = get(&svc, &mut alice, "/login/alice?remember=1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.sets(REMEMBER_COOKIE), "{:?}", r.set_cookies());

    let r = get(&svc, &mut alice, "/protected").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, "protected alice");
    assert_eq!(body(&svc, &mut alice, "/me").await, "alice");
    assert_eq!(
        body(&svc, &mut alice, "/login-id").await,
        "id=alice fresh=ok:true remembered=ok:true"
    );

    let r = get(&svc, &mut alice, "/logout").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.deletes(REMEMBER_COOKIE), "{:?}", r.set_cookies());

    let r = get(&svc, &mut alice, "/protected").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(body(&svc, &mut alice, "/me").await, "anonymous");
}

// -------------------- 5. a future made by one request, driven by another

type Parked = Pin<Box<dyn Future<Output = String>>>;

thread_local! {
    /// A future left by one request for another (the tests run on one
    /// thread each, so the slot is per test).
    static PARKED_FUTURE: RefCell<Option<Parked>> = const { RefCell::new(None) };
    /// Set by [`drive_parked`] once it drove the parked future.
    static DRIVEN: Cell<bool> = const { Cell::new(false) };
}

/// Alice's request: makes a future that extracts the user of *this*
/// request, and parks it without polling it.
async fn park_whoami(req: HttpRequest, _loads: CurrentUser<Account>) -> HttpResponse {
    let clone = req.clone();
    let fut: Parked = Box::pin(async move {
        match CurrentUser::<Account>::extract(&clone).await {
            Ok(u) => describe(&u),
            Err(e) => format!("error {e}"),
        }
    });
    PARKED_FUTURE.with(|p| *p.borrow_mut() = Some(fut));
    HttpResponse::Ok().body("parked")
}

/// Alice's request, kept in flight: parks a future like [`park_whoami`],
/// waits until another request drove it, then extracts its own user.
async fn park_whoami_and_wait(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    let clone = req.clone();
    let fut: Parked = Box::pin(async move {
        match CurrentUser::<Account>::extract(&clone).await {
            Ok(u) => describe(&u),
            Err(e) => format!("error {e}"),
        }
    });
    PARKED_FUTURE.with(|p| *p.borrow_mut() = Some(fut));
    let started = Instant::now();
    while !DRIVEN.with(Cell::get) {
        if started.elapsed() > Duration::from_secs(5) {
            return Ok(HttpResponse::GatewayTimeout().body("never driven"));
        }
        actix_web::rt::time::sleep(Duration::from_millis(1)).await;
    }
    let me = describe(&CurrentUser::<Account>::extract(&req).await?);
    Ok(HttpResponse::Ok().body(format!("driven; me={me}")))
}

/// Bob's request: its own user, then the parked future, then its own user
/// again.
async fn drive_parked(
    req: HttpRequest,
    me: CurrentUser<Account>,
) -> actix_web::Result<HttpResponse> {
    let before = describe(&me);
    let Some(fut) = PARKED_FUTURE.with(|p| p.borrow_mut().take()) else {
        return Ok(HttpResponse::Conflict().body("nothing parked"));
    };
    let parked = fut.await;
    DRIVEN.with(|d| d.set(true));
    let again = describe(&CurrentUser::<Account>::extract(&req).await?);
    let id = id_text(req.login_id());
    Ok(HttpResponse::Ok().body(format!(
        "parked={parked} me={before} again={again} login_id={id}"
    )))
}

#[actix_web::test]
async fn a_future_made_by_a_request_in_flight_and_driven_by_another_acts_for_its_maker() {
    let table = Arc::new(Table::default());
    let svc = Rc::new(
        test::init_service(
            App::new()
                .wrap(manager(&table))
                .wrap(session_middleware())
                .route("/park-and-wait", web::get().to(park_whoami_and_wait))
                .route("/drive-parked", web::get().to(drive_parked))
                .configure(routes),
        )
        .await,
    );
    let mut alice = Jar::default();
    let mut bob = Jar::default();
    assert_eq!(
        body(&*svc, &mut alice, "/login/alice").await,
        "logged in alice"
    );
    assert_eq!(body(&*svc, &mut bob, "/login/bob").await, "logged in bob");

    for round in 0..3 {
        DRIVEN.with(|d| d.set(false));
        let alice_loads = table.loads("alice");
        let bob_loads = table.loads("bob");

        // Alice's request parks its future and stays in flight.
        let in_flight = {
            let svc = svc.clone();
            let mut jar = alice.clone();
            actix_web::rt::spawn(async move { get(&*svc, &mut jar, "/park-and-wait").await })
        };
        bounded(Duration::from_secs(5), "alice's request parks", async {
            while PARKED_FUTURE.with(|p| p.borrow().is_none()) {
                actix_web::rt::time::sleep(Duration::from_millis(1)).await;
            }
        })
        .await;
        assert_eq!(
            table.loads("alice"),
            alice_loads,
            "round {round}: making the future did not load alice"
        );

        // Bob's request drives it: alice's load happens now, for alice.
        let r = get(&*svc, &mut bob, "/drive-parked").await;
        assert_eq!(r.status, StatusCode::OK, "round {round}: {}", r.body);
        assert_eq!(
            r.body, "parked=alice me=bob again=bob login_id=bob",
            "round {round}"
        );
        assert_eq!(
            table.loads("alice"),
            alice_loads + 1,
            "round {round}: alice's future was answered from her request's load"
        );
        assert_eq!(table.loads("bob"), bob_loads + 1, "round {round}");

        // Alice's request sees the user its future loaded: no second load.
        let r = bounded(Duration::from_secs(5), "alice's response", in_flight)
            .await
            .expect("alice's request task");
        assert_eq!(r.status, StatusCode::OK, "round {round}: {}", r.body);
        assert_eq!(r.body, "driven; me=alice", "round {round}");
        assert_eq!(
            table.loads("alice"),
            alice_loads + 1,
            "round {round}: the load done by bob's request was alice's request's"
        );

        assert_eq!(
            body(&*svc, &mut alice, "/me").await,
            "alice",
            "round {round}"
        );
        assert_eq!(body(&*svc, &mut bob, "/me").await, "bob", "round {round}");
    }
}

/// The same with alice's request already answered when bob's request
/// drives the future: the state is still in the request's extensions, with
/// the user alice's request loaded. (After `SessionMiddleware` finished the
/// response the session itself is gone, so only what was loaded before can
/// be read: see the README's "Order of `.wrap()`".)
#[actix_web::test]
async fn a_future_of_an_answered_request_driven_by_another_reads_its_makers_user() {
    let table = Arc::new(Table::default());
    let svc = test::init_service(
        App::new()
            .wrap(manager(&table))
            .wrap(session_middleware())
            .route("/park-whoami", web::get().to(park_whoami))
            .route("/drive-parked", web::get().to(drive_parked))
            .configure(routes),
    )
    .await;
    let mut alice = Jar::default();
    let mut bob = Jar::default();
    assert_eq!(
        body(&svc, &mut alice, "/login/alice").await,
        "logged in alice"
    );
    assert_eq!(body(&svc, &mut bob, "/login/bob").await, "logged in bob");

    for round in 0..3 {
        let alice_loads = table.loads("alice");
        let bob_loads = table.loads("bob");
        assert_eq!(body(&svc, &mut alice, "/park-whoami").await, "parked");
        assert_eq!(
            table.loads("alice"),
            alice_loads + 1,
            "round {round}: alice's request loaded her"
        );

        let r = get(&svc, &mut bob, "/drive-parked").await;
        assert_eq!(r.status, StatusCode::OK, "round {round}: {}", r.body);
        assert_eq!(
            r.body, "parked=alice me=bob again=bob login_id=bob",
            "round {round}"
        );
        assert_eq!(
            table.loads("alice"),
            alice_loads + 1,
            "round {round}: alice's future was answered from her request's load"
        );
        assert_eq!(table.loads("bob"), bob_loads + 1, "round {round}");

        // Neither session was changed by the other.
        assert_eq!(
            body(&svc, &mut alice, "/me").await,
            "alice",
            "round {round}"
        );
        assert_eq!(body(&svc, &mut bob, "/me").await, "bob", "round {round}");
    }
}

// ------------------------------------------------- 6. kicking a session

thread_local! {
    /// The request parked by [`wait_for_kick`].
    static PARKED_REQUEST: RefCell<Option<HttpRequest>> = const { RefCell::new(None) };
    /// Set by [`kick`] once it logged the parked request out.
    static RELEASED: Cell<bool> = const { Cell::new(false) };
}

/// Alice's request: parks a clone of itself and waits until released.
async fn wait_for_kick(req: HttpRequest) -> HttpResponse {
    PARKED_REQUEST.with(|p| *p.borrow_mut() = Some(req.clone()));
    let started = Instant::now();
    while !RELEASED.with(Cell::get) {
        if started.elapsed() > Duration::from_secs(5) {
            return HttpResponse::GatewayTimeout().body("never released");
        }
        actix_web::rt::time::sleep(Duration::from_millis(1)).await;
    }
    HttpResponse::Ok().body("released")
}

/// The admin's request: logs the parked request out, then releases it.
async fn kick(req: HttpRequest, me: CurrentUser<Account>) -> actix_web::Result<HttpResponse> {
    let Some(parked) = PARKED_REQUEST.with(|p| p.borrow_mut().take()) else {
        return Ok(HttpResponse::Conflict().body("nobody parked"));
    };
    let victim = id_text(parked.login_id());
    logout_user(&parked).await?;
    let victim_after = id_text(parked.login_id());
    drop(parked);
    RELEASED.with(|r| r.set(true));
    let again = describe(&CurrentUser::<Account>::extract(&req).await?);
    Ok(HttpResponse::Ok().body(format!(
        "{} kicked {victim} (now {victim_after}); still {again}, login_id={}",
        describe(&me),
        id_text(req.login_id()),
    )))
}

#[actix_web::test]
async fn an_admin_logs_out_another_request_in_flight() {
    let table = Arc::new(Table::default());
    let svc = Rc::new(
        test::init_service(
            App::new()
                .wrap(manager(&table))
                .wrap(session_middleware())
                .route("/wait-for-kick", web::get().to(wait_for_kick))
                .route("/kick", web::get().to(kick))
                .configure(routes),
        )
        .await,
    );
    let mut alice = Jar::default();
    let mut admin = Jar::default();
    let r = get(&*svc, &mut alice, "/login/alice?remember=1").await;
    assert!(r.sets(REMEMBER_COOKIE), "{:?}", r.set_cookies());
    let r = get(&*svc, &mut admin, "/login/admin?remember=1").await;
    assert!(r.sets(REMEMBER_COOKIE), "{:?}", r.set_cookies());
    assert_eq!(body(&*svc, &mut alice, "/me").await, "alice");

    // Alice's request goes in and waits.
    let in_flight = {
        let svc = svc.clone();
        let mut jar = alice.clone();
        actix_web::rt::spawn(async move {
            let r = get(&*svc, &mut jar, "/wait-for-kick").await;
            (r, jar)
        })
    };
    bounded(Duration::from_secs(5), "alice's request parks", async {
        while PARKED_REQUEST.with(|p| p.borrow().is_none()) {
            actix_web::rt::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;

    // The admin kicks her.
    let r = get(&*svc, &mut admin, "/kick").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body,
        "admin kicked alice (now none); still admin, login_id=admin"
    );
    assert!(
        r.cookies_named(REMEMBER_COOKIE).is_empty(),
        "the admin's response must not touch the admin's remember cookie: {:?}",
        r.set_cookies()
    );
    assert!(
        !r.deletes(SESSION_COOKIE),
        "the admin's response must not delete the admin's session: {:?}",
        r.set_cookies()
    );

    // Alice's response carries her logout.
    let (r, alice_after) = bounded(Duration::from_secs(5), "alice's response", in_flight)
        .await
        .expect("alice's request task");
    alice = alice_after;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, "released");
    assert!(
        r.deletes(REMEMBER_COOKIE),
        "alice's response deletes her remember cookie: {:?}",
        r.set_cookies()
    );
    assert!(
        alice.get(REMEMBER_COOKIE).is_none(),
        "alice's browser lost the remember cookie"
    );

    // Alice is anonymous from now on; the admin is still the admin.
    assert_eq!(body(&*svc, &mut alice, "/me").await, "anonymous");
    assert_eq!(
        body(&*svc, &mut alice, "/login-id").await,
        "id=none fresh=ok:false remembered=ok:false"
    );
    assert_eq!(body(&*svc, &mut admin, "/me").await, "admin");
    assert!(admin.get(REMEMBER_COOKIE).is_some());
    // Even with the session forgotten, the admin's remember cookie works.
    admin.remove(SESSION_COOKIE); // the browser was closed
    assert_eq!(body(&*svc, &mut admin, "/me").await, "admin");
}

// --------------------------------------------------- 7. the LoginExt trait

/// A middleware inside the manager: `login_id` on the `ServiceRequest`
/// before calling the inner service.
async fn id_before(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = id_text(req.login_id());
    let fresh = kind(&req.login_fresh());
    let mut res = next.call(req).await?;
    set_header(&mut res, "x-id-before", &id);
    set_header(&mut res, "x-fresh-before", &fresh);
    Ok(res)
}

fn logged_in(ctx: &guard::GuardContext<'_>) -> bool {
    ctx.login_id().ok().flatten().is_some()
}

async fn member_home() -> HttpResponse {
    HttpResponse::Ok().body("member home")
}

async fn guest_home() -> HttpResponse {
    HttpResponse::Ok().body("guest home")
}

#[actix_web::test]
async fn login_ext_answers_in_handlers_middleware_and_guards_without_loading() {
    let table = Arc::new(Table::default());
    let svc = test::init_service(
        App::new()
            .wrap(from_fn(id_before))
            .wrap(manager(&table))
            .wrap(session_middleware())
            .service(
                web::resource("/home")
                    .route(
                        web::get()
                            .guard(guard::fn_guard(|ctx| {
                                ctx.login_id().ok().flatten().is_some()
                            }))
                            .to(member_home),
                    )
                    .route(web::get().to(guest_home)),
            )
            .service(
                web::resource("/home2")
                    .route(web::get().guard(guard::fn_guard(logged_in)).to(member_home))
                    .route(web::get().to(guest_home)),
            )
            .configure(routes),
    )
    .await;
    let mut alice = Jar::default();
    let mut bob = Jar::default();
    let mut anon = Jar::default();

    // Anonymous.
    let r = get(&svc, &mut anon, "/home").await;
    assert_eq!(r.body, "guest home");
    assert_eq!(r.header("x-id-before"), Some("none"));
    assert_eq!(r.header("x-fresh-before"), Some("ok:false"));
    assert_eq!(body(&svc, &mut anon, "/home2").await, "guest home");
    assert_eq!(
        body(&svc, &mut anon, "/login-id").await,
        "id=none fresh=ok:false remembered=ok:false"
    );

    // A password login with "remember me": fresh.
    assert_eq!(
        body(&svc, &mut alice, "/login/alice?remember=1").await,
        "logged in alice"
    );
    let loads = table.total_loads();
    let r = get(&svc, &mut alice, "/home").await;
    assert_eq!(r.body, "member home");
    assert_eq!(r.header("x-id-before"), Some("alice"));
    assert_eq!(r.header("x-fresh-before"), Some("ok:true"));
    assert_eq!(body(&svc, &mut alice, "/home2").await, "member home");
    let r = get(&svc, &mut alice, "/login-id").await;
    assert_eq!(r.body, "id=alice fresh=ok:true remembered=ok:true");
    assert_eq!(r.header("x-id-before"), Some("alice"));
    let r = get(&svc, &mut alice, "/").await;
    assert_eq!(r.header("x-id-before"), Some("alice"));
    assert_eq!(
        table.total_loads(),
        loads,
        "the trait, the middleware and the guard never load the user"
    );

    // A password login without "remember me": fresh, not remembered.
    assert_eq!(body(&svc, &mut bob, "/login/bob").await, "logged in bob");
    assert_eq!(
        body(&svc, &mut bob, "/login-id").await,
        "id=bob fresh=ok:true remembered=ok:false"
    );
    assert_eq!(body(&svc, &mut bob, "/home").await, "member home");

    // Alice closes the browser: the session names nobody until something
    // loads (the trait does not restore from the cookie).
    alice.remove(SESSION_COOKIE); // the browser was closed
    let loads = table.total_loads();
    let r = get(&svc, &mut alice, "/login-id").await;
    assert!(
        r.body.starts_with("id=none fresh=ok:false "),
        "the trait alone does not restore: {}",
        r.body
    );
    assert_eq!(table.total_loads(), loads, "the trait never loads");
    assert_eq!(body(&svc, &mut alice, "/home").await, "guest home");

    // The restoring request itself: after the load, alice, not fresh.
    let r = get(&svc, &mut alice, "/login-id?load=1").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body, "id=alice fresh=ok:false remembered=ok:true");
    assert_eq!(table.total_loads(), loads + 1);
    // And the requests after it.
    let r = get(&svc, &mut alice, "/login-id").await;
    assert_eq!(r.body, "id=alice fresh=ok:false remembered=ok:true");
    assert_eq!(r.header("x-id-before"), Some("alice"));
    assert_eq!(r.header("x-fresh-before"), Some("ok:false"));
    assert_eq!(body(&svc, &mut alice, "/home").await, "member home");

    // After logout, the guard routes to the guest page.
    assert_eq!(body(&svc, &mut alice, "/logout").await, "logged out");
    let r = get(&svc, &mut alice, "/home").await;
    assert_eq!(r.body, "guest home");
    assert_eq!(r.header("x-id-before"), Some("none"));
}

// ----------------------------------------------------- 8. without a manager

/// Every login call, where no `LoginManager` is around.
async fn no_manager_probe(req: HttpRequest) -> HttpResponse {
    let lines = [
        format!("login_fresh {}", kind(&login_fresh(&req))),
        format!("login_remembered {}", kind(&login_remembered(&req))),
        format!("LoginExt::login_id {}", kind(&req.login_id())),
        format!("LoginExt::login_fresh {}", kind(&req.login_fresh())),
        format!(
            "LoginExt::login_remembered {}",
            kind(&req.login_remembered())
        ),
        format!(
            "login_user {}",
            kind(&login_user(
                &req,
                Account::new("alice"),
                LoginOptions::new().remember(true)
            ))
        ),
        format!("confirm_login {}", kind(&confirm_login(&req))),
        format!("logout_user {}", kind(&logout_user(&req).await)),
    ];
    HttpResponse::Ok().body(lines.join("\n"))
}

/// Answers 200 only when the guard saw `NoManager`.
fn guard_saw_no_manager(ctx: &guard::GuardContext<'_>) -> bool {
    matches!(ctx.login_id(), Err(LoginError::NoManager))
}

async fn guard_yes() -> HttpResponse {
    HttpResponse::Ok().body("guard saw no-manager")
}

async fn guard_no() -> HttpResponse {
    HttpResponse::Ok().body("guard saw something else")
}

fn assert_no_manager_everywhere(r: &Resp, what: &str) {
    assert_eq!(r.status, StatusCode::OK, "{what}: {}", r.body);
    let lines: Vec<&str> = r.body.lines().collect();
    assert_eq!(lines.len(), 8, "{what}: {}", r.body);
    for line in lines {
        assert!(
            line.ends_with(" no-manager"),
            "{what}: expected Err(LoginError::NoManager), got `{line}`"
        );
    }
    assert!(
        r.cookies_named(REMEMBER_COOKIE).is_empty(),
        "{what}: no remember cookie without a manager: {:?}",
        r.set_cookies()
    );
}

fn no_manager_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/probe", web::get().to(no_manager_probe))
        .route("/me", web::get().to(me))
        .service(
            web::resource("/guarded")
                .route(
                    web::get()
                        .guard(guard::fn_guard(guard_saw_no_manager))
                        .to(guard_yes),
                )
                .route(web::get().to(guard_no)),
        );
}

#[actix_web::test]
async fn without_a_manager_every_login_call_answers_no_manager() {
    // An app with the session middleware only.
    let svc = test::init_service(
        App::new()
            .wrap(from_fn(id_before))
            .wrap(session_middleware())
            .configure(no_manager_routes),
    )
    .await;
    let mut c = Jar::default();

    let r = get(&svc, &mut c, "/probe").await;
    assert_no_manager_everywhere(&r, "session-only app");
    assert_eq!(r.header("x-id-before"), Some("no-manager"));
    assert_eq!(r.header("x-fresh-before"), Some("no-manager"));
    assert_eq!(body(&svc, &mut c, "/guarded").await, "guard saw no-manager");

    let r = get(&svc, &mut c, "/me").await;
    assert_eq!(
        r.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "CurrentUser without a manager: {}",
        r.body
    );
}

#[actix_web::test]
async fn outside_the_manager_scope_every_login_call_answers_no_manager() {
    // The manager wraps `/in` only; `/out` is outside it (inside the
    // session middleware).
    let table = Arc::new(Table::default());
    let svc = test::init_service(
        App::new()
            .wrap(session_middleware())
            .service(web::scope("/in").wrap(manager(&table)).configure(routes))
            .service(
                web::scope("/out")
                    .wrap(from_fn(id_before))
                    .configure(no_manager_routes),
            ),
    )
    .await;
    let mut alice = Jar::default();

    assert_eq!(
        body(&svc, &mut alice, "/in/login/alice?remember=1").await,
        "logged in alice"
    );
    assert_eq!(body(&svc, &mut alice, "/in/me").await, "alice");

    // The session names alice, but outside the manager nothing answers.
    let r = get(&svc, &mut alice, "/out/probe").await;
    assert_no_manager_everywhere(&r, "outside the manager's scope");
    assert_eq!(r.header("x-id-before"), Some("no-manager"));
    assert_eq!(
        body(&svc, &mut alice, "/out/guarded").await,
        "guard saw no-manager"
    );
    let r = get(&svc, &mut alice, "/out/me").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);

    // The failed calls outside changed nothing inside.
    assert_eq!(body(&svc, &mut alice, "/in/me").await, "alice");
    assert_eq!(
        body(&svc, &mut alice, "/in/login-id").await,
        "id=alice fresh=ok:true remembered=ok:true"
    );
}

// ------------------------------------------------------------------ 9. load

/// Silences the panics this file causes on purpose (other panics, such as
/// failed assertions, still print).
fn quiet_deliberate_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let msg = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or("");
            if !msg.starts_with("deliberate panic") {
                previous(info);
            }
        }));
    });
}

/// Panics after loading the user.
async fn panicking(user: CurrentUser<Account>) -> HttpResponse {
    panic!("deliberate panic: the handler, for {}", describe(&user));
}

const STORM_USERS: usize = 20;
const STORM_REQUESTS: usize = 400;
const SLOW: &str = "slow";
const BOOM: &str = "boom";

fn storm_user(i: usize) -> String {
    format!("user-{i}")
}

/// What one request of the storm did.
#[derive(Debug)]
enum Outcome {
    /// `/me` for user `i`: its status and body, or the client's error.
    Me(usize, Result<(StatusCode, String), String>),
    /// A panicking handler (for user `i`).
    Panic(usize, Result<(StatusCode, String), String>),
    /// `/me` for the user whose loader panics.
    Boom(Result<(StatusCode, String), String>),
    /// `/me` for the slow user, with a client that gives up first.
    Slow(Result<(StatusCode, String), String>),
}

async fn fetch(
    http: &awc::Client,
    url: String,
    cookie: &str,
) -> Result<(StatusCode, String), String> {
    let mut res = http
        .get(url)
        .insert_header((header::COOKIE, cookie.to_owned()))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let body = res.body().await.map_err(|e| e.to_string())?;
    Ok((res.status(), String::from_utf8_lossy(&body).into_owned()))
}

/// Logs `id` in; returns its `Cookie` header (session cookie only).
async fn storm_login(http: &awc::Client, base: &str, id: &str) -> String {
    let res = http
        .get(format!("{base}/login/{id}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("login {id}: {e}"));
    assert_eq!(res.status(), StatusCode::OK, "login {id}");
    let cookie = res
        .headers()
        .get_all(header::SET_COOKIE)
        .filter_map(|v| v.to_str().ok())
        .filter_map(|s| Cookie::parse(s.to_owned()).ok())
        .find(|c| c.name() == SESSION_COOKIE)
        .unwrap_or_else(|| panic!("login {id}: no session cookie"));
    format!("{SESSION_COOKIE}={}", cookie.value())
}

#[actix_web::test]
async fn a_storm_of_requests_on_one_worker_each_names_its_own_user() {
    quiet_deliberate_panics();
    let mut table = Table::default();
    for i in 0..STORM_USERS {
        // 0 to 19 ms, a different time for each user.
        table
            .delays
            .insert(storm_user(i), Duration::from_millis(i as u64));
    }
    table
        .delays
        .insert(SLOW.to_owned(), Duration::from_millis(500));
    table.panics.insert(BOOM.to_owned());
    let table = Arc::new(table);

    let m = manager(&table);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(m.clone())
            .wrap(session_middleware())
            .route("/panic", web::get().to(panicking))
            .configure(routes)
    })
    .workers(1)
    .shutdown_timeout(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .expect("bind a loopback port");
    let addr = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    let server_task = actix_web::rt::spawn(server);
    let base = format!("http://{addr}");

    let http = awc::Client::builder()
        .disable_redirects()
        .timeout(Duration::from_secs(10))
        .connector(awc::Connector::new().limit(32))
        .finish();
    // Gives up long before the slow user's loader answers.
    let hasty = awc::Client::builder()
        .disable_redirects()
        .timeout(Duration::from_millis(50))
        .connector(awc::Connector::new().limit(8))
        .finish();

    let outcome = actix_web::rt::time::timeout(Duration::from_secs(30), async {
        let mut cookies = Vec::new();
        for i in 0..STORM_USERS {
            cookies.push(storm_login(&http, &base, &storm_user(i)).await);
        }
        let slow_cookie = storm_login(&http, &base, SLOW).await;
        let boom_cookie = storm_login(&http, &base, BOOM).await;

        let tasks: Vec<_> = (0..STORM_REQUESTS)
            .map(|k| {
                let i = k % STORM_USERS;
                let http = http.clone();
                let hasty = hasty.clone();
                let base = base.clone();
                let cookie = cookies[i].clone();
                let slow_cookie = slow_cookie.clone();
                let boom_cookie = boom_cookie.clone();
                actix_web::rt::spawn(async move {
                    match k % 10 {
                        3 => {
                            Outcome::Panic(i, fetch(&http, format!("{base}/panic"), &cookie).await)
                        }
                        6 => Outcome::Boom(fetch(&http, format!("{base}/me"), &boom_cookie).await),
                        9 => Outcome::Slow(fetch(&hasty, format!("{base}/me"), &slow_cookie).await),
                        _ => Outcome::Me(i, fetch(&http, format!("{base}/me"), &cookie).await),
                    }
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.expect("a client task"));
        }

        // After the storm, every user is still themselves.
        let mut after = Vec::new();
        for (i, cookie) in cookies.iter().enumerate() {
            after.push((i, fetch(&http, format!("{base}/me"), cookie).await));
        }
        let slow_after = fetch(&http, format!("{base}/me"), &slow_cookie).await;
        (outcomes, after, slow_after)
    })
    .await;
    handle.stop(false).await;
    let _ = server_task.await;
    let (outcomes, after, slow_after) = outcome.expect("the storm took more than 30 s");

    let mut served = 0;
    let (mut panic_errors, mut boom_errors, mut slow_dropped) = (0, 0, 0);
    for o in &outcomes {
        match o {
            Outcome::Me(i, r) => {
                let want = storm_user(*i);
                match r {
                    Ok((StatusCode::OK, body)) => {
                        assert_eq!(body, &want, "a /me response named someone else");
                        served += 1;
                    }
                    other => panic!("/me for {want} failed: {other:?}"),
                }
            }
            // A panic ends the connection, or (if something catches it)
            // answers 500; never anything else.
            Outcome::Panic(i, r) => match r {
                Err(_) | Ok((StatusCode::INTERNAL_SERVER_ERROR, _)) => panic_errors += 1,
                Ok(other) => panic!("the panicking handler (user {i}) answered {other:?}"),
            },
            Outcome::Boom(r) => match r {
                Err(_) | Ok((StatusCode::INTERNAL_SERVER_ERROR, _)) => boom_errors += 1,
                Ok(other) => panic!("the user whose loader panics was answered {other:?}"),
            },
            Outcome::Slow(r) => match r {
                Err(_) => slow_dropped += 1,
                // The client gives up after 50 ms; if it did get an
                // answer, it must be the slow user's.
                Ok(answer) => assert_eq!(
                    (answer.0, answer.1.as_str()),
                    (StatusCode::OK, SLOW),
                    "the slow user's request"
                ),
            },
        }
    }
    eprintln!(
        "storm: {served} served, {panic_errors} panicking handlers, {boom_errors} panicking \
         loaders, {slow_dropped} dropped mid-load"
    );
    assert_eq!(
        served,
        STORM_REQUESTS * 7 / 10,
        "every ordinary /me request was served"
    );
    assert!(
        slow_dropped > 0,
        "the slow user's requests were meant to be dropped mid-load"
    );
    assert!(
        table.loads(BOOM) > 0,
        "the panicking loader was meant to run"
    );

    for (i, r) in after {
        match r {
            Ok((StatusCode::OK, body)) => {
                assert_eq!(body, storm_user(i), "after the storm, user {i}")
            }
            other => panic!("after the storm, user {i}: {other:?}"),
        }
    }
    match slow_after {
        Ok((StatusCode::OK, body)) => assert_eq!(body, SLOW, "after the storm, the slow user"),
        other => panic!("after the storm, the slow user: {other:?}"),
    }
}

// --------------------------------------------- 10. no SessionMiddleware

/// actix-session cannot be asked whether its middleware is there, so the
/// first login made without it is lost (and logged); from then on every
/// login of that manager, and every request that asks for the user, is a
/// 500 that says what is missing, instead of logins lost in silence.
#[actix_web::test]
async fn without_session_middleware_logins_fail_loudly_after_the_first() {
    let table = Arc::new(Table::default());
    let svc = test::init_service(App::new().wrap(manager(&table)).configure(routes)).await;
    let mut jar = Jar::default();
    // The first login cannot know yet; nothing stores it.
    assert_eq!(
        body(&svc, &mut jar, "/login/alice").await,
        "logged in alice"
    );
    assert!(jar.header().is_none(), "no session cookie was set");
    for path in ["/login/alice", "/me", "/protected"] {
        let r = get(&svc, &mut jar, path).await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert!(
            r.body.contains("no SessionMiddleware saves"),
            "{path}: {}",
            r.body
        );
    }
    // Pages that never ask for the login are not affected.
    assert_eq!(body(&svc, &mut jar, "/").await, "index");
}

/// With the session middleware in place a login is saved, and nothing is
/// ever reported missing however many logins follow.
#[actix_web::test]
async fn with_session_middleware_logins_keep_working() {
    let table = Arc::new(Table::default());
    let svc = test::init_service(
        App::new()
            .wrap(manager(&table))
            .wrap(session_middleware())
            .configure(routes),
    )
    .await;
    for round in 0..3 {
        let mut jar = Jar::default();
        assert_eq!(
            body(&svc, &mut jar, "/login/alice").await,
            "logged in alice"
        );
        assert_eq!(body(&svc, &mut jar, "/me").await, "alice", "round {round}");
    }
}

// ------------------------------------------------- 11. nested managers

#[derive(Debug, Clone)]
struct Admin {
    id: String,
}

impl User for Admin {
    fn get_id(&self) -> String {
        self.id.clone()
    }
}

struct AdminLoader;

impl UserLoader for AdminLoader {
    type User = Admin;

    async fn load_user(&self, id: &str, _: &HttpRequest) -> Result<Option<Admin>, LoaderError> {
        Ok(Some(Admin {
            id: format!("admin:{id}"),
        }))
    }
}

/// A manager on a scope shadows the app's manager for the requests it
/// handles, and gives it back on the way out: a middleware outside the
/// scope reads the app's user type after the response.
#[actix_web::test]
async fn an_inner_manager_shadows_the_outer_one_and_gives_it_back() {
    async fn admin_me(user: CurrentUser<Admin>) -> HttpResponse {
        HttpResponse::Ok().body(user.get_id().unwrap_or_else(|| "anonymous".into()))
    }
    async fn outer_user_after<B: MessageBody + 'static>(
        req: ServiceRequest,
        next: Next<B>,
    ) -> actix_web::Result<ServiceResponse<B>> {
        let mut res = next.call(req).await?;
        let user = CurrentUser::<Account>::extract(res.request()).await?;
        set_header(&mut res, "x-outer-user", &describe(&user));
        Ok(res)
    }
    let table = Arc::new(Table::default());
    let admins = LoginManager::builder(AdminLoader, SECRET).build();
    let svc = test::init_service(
        App::new()
            .wrap(from_fn(outer_user_after))
            .wrap(manager(&table))
            .wrap(session_middleware())
            .service(
                web::scope("/admin")
                    .wrap(admins)
                    .route("/me", web::get().to(admin_me))
                    .route("/plain", web::get().to(|| async { "plain" })),
            )
            .configure(routes),
    )
    .await;
    let mut jar = Jar::default();
    body(&svc, &mut jar, "/login/alice").await;
    let r = get(&svc, &mut jar, "/admin/me").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body, "admin:alice",
        "the scope's manager loads its own type"
    );
    assert_eq!(
        r.headers.get("x-outer-user").and_then(|v| v.to_str().ok()),
        Some("alice"),
        "the app's manager is back after the scope's response"
    );
    // A scope page that never asks for its login: the first ask comes after
    // the scope's response, from outside it, and gets the app's manager.
    let r = get(&svc, &mut jar, "/admin/plain").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "plain"));
    assert_eq!(
        r.headers.get("x-outer-user").and_then(|v| v.to_str().ok()),
        Some("alice"),
        "the app's manager answers outside the scope"
    );
}
