//! The login scope (`login/src/scope.rs`): the `LoginManager` middleware no
//! longer puts the login state in the request's extensions. While it polls
//! the request's inner future (and while it synchronously calls the inner
//! service), a thread-local names the request's login; the state is made on
//! first ask, and pooled and reused after the response. This file pins down,
//! through real requests:
//!
//! 1. middleware registered inside the `LoginManager` reaches the login, both
//!    in its async body (`from_fn` extracting `CurrentUser`) and in its
//!    synchronous part (`wrap_fn` calling `login_fresh` / `login_user` before
//!    `srv.call`);
//! 2. middleware registered outside the `LoginManager` (but inside the
//!    session middleware) does not: it gets the documented 500 error;
//! 3. nested managers (a scope's own `LoginManager`): the innermost decides,
//!    each with its own loader and user type, and the app's login is intact
//!    around them;
//! 4. cancellation: a request dropped half-way (loader pending, or handler
//!    pending after a login with "remember me") leaks nothing into later
//!    requests, and an interleaved pending request does not either;
//! 5. reuse: a long run of requests from several clients on one app, with
//!    remember-me logins and logouts, where every response names only its
//!    own user and carries the remember cookie only when it asked for it;
//! 6. a request in flight keeps its manager when its app is dropped and
//!    another app registers on the same thread.

mod common;

use std::{
    future::Future,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Mutex,
    },
    task::{Context, Waker},
    time::Duration,
};

use actix_login::{
    login_fresh, login_user, logout_user, user_loader, CurrentUser, LoginManager, LoginOptions,
    Profile, RememberCookie, SessionProtection, User,
};
use actix_web::{
    body::MessageBody,
    dev::{Service, ServiceRequest, ServiceResponse},
    http::{
        header::{self, HeaderName, HeaderValue},
        StatusCode,
    },
    middleware::{from_fn, Next},
    test, web, App, FromRequest, HttpRequest, HttpResponse,
};
use common::*;

/// Set by [`user_header`]: the id of the user an inner middleware saw
/// before the handler ran.
const USER_HEADER: &str = "x-mw-user";
/// Set by [`user_header`]: the same, after the handler answered.
const USER_AFTER: &str = "x-mw-user-after";
/// Set by the `wrap_fn` of [`inner_middleware_app`]: `login_fresh` as seen
/// in the middleware's synchronous part.
const FRESH_HEADER: &str = "x-mw-fresh";
/// Set by [`outer_probe`].
const OUTER_BEFORE: &str = "x-outer-before";
const OUTER_AFTER: &str = "x-outer-after";
const OUTER_FRESH: &str = "x-outer-fresh";

/// The error text of a login asked for where no `LoginManager` polls.
const MISSING: &str = "no LoginManager middleware around this code";

/// How a middleware shows a `CurrentUser`.
fn describe<U: User>(user: &CurrentUser<U>) -> String {
    match user.get_id() {
        Some(id) if user.is_authenticated() => id,
        _ => "anonymous".to_owned(),
    }
}

/// How a middleware shows an extraction's outcome.
fn outcome<U: User>(r: &Result<CurrentUser<U>, actix_web::Error>) -> String {
    match r {
        Ok(u) => format!("ok:{}", describe(u)),
        Err(e) => {
            let status = e.as_response_error().status_code().as_u16();
            let missing = if e.to_string().contains(MISSING) {
                ":missing"
            } else {
                ""
            };
            format!("err:{status}{missing}")
        }
    }
}

fn set_header<B>(res: &mut ServiceResponse<B>, name: &'static str, value: &str) {
    res.headers_mut().insert(
        HeaderName::from_static(name),
        HeaderValue::from_str(value).expect("an ASCII header value"),
    );
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// Five seconds, then the test fails instead of hanging (a load lock left
/// held by a dropped request would hang the next one).
async fn bounded<F: Future>(what: &str, fut: F) -> F::Output {
    actix_web::rt::time::timeout(Duration::from_secs(5), fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer in 5 s"))
}

/// A GET with the jar's cookies, as `Client::send` builds it, for calling
/// the service by hand.
fn raw_get(path: &str, jar: &Jar) -> actix_http::Request {
    let mut req = test::TestRequest::get()
        .uri(path)
        .peer_addr(PEER.parse().unwrap())
        .insert_header((header::USER_AGENT, USER_AGENT))
        .to_request();
    if let Some(cookie) = jar.header() {
        req.headers_mut().insert(
            header::COOKIE,
            HeaderValue::from_bytes(&cookie).expect("cookie header bytes"),
        );
    }
    req
}

/// Asserts that a response neither sets nor deletes the remember cookie.
fn assert_no_remember(r: &Resp, what: &str) {
    assert_eq!(
        r.set_cookie(REMEMBER_COOKIE),
        None,
        "{what}: the response must not touch the remember cookie"
    );
}

/// Asserts that a response sets the remember cookie for `id`.
fn assert_remember_set(r: &Resp, m: &LoginManager<TestUser>, id: &str, what: &str) {
    let c = r
        .set_cookie(REMEMBER_COOKIE)
        .unwrap_or_else(|| panic!("{what}: no remember cookie in {:?}", r.set_cookies()));
    assert!(!c.is_deletion(), "{what}: remember cookie deleted: {c:?}");
    assert_eq!(
        m.decode_cookie(&c.value).as_deref(),
        Some(id),
        "{what}: the remember cookie names someone else"
    );
}

/// Asserts that a response deletes the remember cookie.
fn assert_remember_deleted(r: &Resp, what: &str) {
    let c = r
        .set_cookie(REMEMBER_COOKIE)
        .unwrap_or_else(|| panic!("{what}: remember cookie not deleted: {:?}", r.set_cookies()));
    assert!(
        c.is_deletion(),
        "{what}: remember cookie set, not deleted: {c:?}"
    );
}

// ------------------------------------------------ 1. middleware inside it

/// A `from_fn` middleware inside the `LoginManager`: extracts the user in
/// its async body, before the handler and again after it answered, and
/// reports both in headers.
async fn user_header(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let user = req.extract::<CurrentUser<TestUser>>().await?;
    let seen = describe(&user);
    let mut res = next.call(req).await?;
    let after = CurrentUser::<TestUser>::extract(res.request()).await;
    set_header(&mut res, USER_HEADER, &seen);
    set_header(&mut res, USER_AFTER, &outcome(&after));
    Ok(res)
}

/// `GET /sync-login/{id}` is answered by [`index_like`]; the login is done
/// by the `wrap_fn` in its synchronous part.
async fn index_like() -> HttpResponse {
    HttpResponse::Ok().body("index")
}

/// The fixture app with, inside the `LoginManager` (registered before it):
/// the `from_fn` [`user_header`] (innermost) and a `wrap_fn` that, in its
/// synchronous part, reads `login_fresh` into a header and, for
/// `/sync-login/{id}`, logs that user in with "remember me".
macro_rules! inner_middleware_app {
    ($users:expr, $m:expr) => {
        test::init_service(
            App::new()
                .app_data($users.clone())
                .wrap(from_fn(user_header))
                .wrap_fn(|req, srv| {
                    // Synchronous part: runs inside the LoginManager's call.
                    let fresh = login_fresh(req.request());
                    let sync_login = req.path().strip_prefix("/sync-login/").map(|id| {
                        let users = req.app_data::<web::Data<Users>>().unwrap();
                        let user = users.get(id).expect("a known user");
                        login_user(req.request(), user, LoginOptions::new().remember(true))
                            .map_err(|e| e.to_string())
                    });
                    let fut = srv.call(req);
                    async move {
                        let mut res = fut.await?;
                        set_header(&mut res, FRESH_HEADER, bool_text(fresh));
                        if let Some(done) = sync_login {
                            let text = match done {
                                Ok(b) => bool_text(b).to_owned(),
                                Err(e) => format!("error {e}"),
                            };
                            set_header(&mut res, "x-sync-login", &text.replace('\n', " "));
                        }
                        Ok(res)
                    }
                })
                .wrap($m.clone())
                .wrap(session_middleware())
                .route("/sync-login/{id}", web::get().to(index_like))
                .configure(routes),
        )
    };
}

#[actix_web::test]
async fn from_fn_middleware_inside_the_manager_extracts_the_current_user() {
    let users = Users::data();
    let m = manager(|b| b);
    let svc = inner_middleware_app!(users, m).await;
    let mut anon = Client::new(&svc, users.clone(), m.clone());
    let mut notch = Client::new(&svc, users.clone(), m.clone());

    // `/` never asks: the middleware alone does.
    let r = anon.get("/").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.header(USER_HEADER), Some("anonymous"));
    assert_eq!(r.header(USER_AFTER), Some("ok:anonymous"));

    // The middleware runs before the handler logs in.
    let r = notch.get("/login-notch").await;
    assert_eq!(r.body, "True");
    assert_eq!(r.header(USER_HEADER), Some("anonymous"));
    assert_eq!(
        r.header(USER_AFTER),
        Some("ok:1"),
        "after the handler, the middleware sees the handler's login"
    );

    let r = notch.get("/").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.header(USER_HEADER), Some("1"));

    // The middleware and the handler share the request's login: one load.
    let calls = users.calls();
    let r = notch.get("/username").await;
    assert_eq!(r.body, "Notch");
    assert_eq!(r.header(USER_HEADER), Some("1"));
    assert_eq!(
        users.calls(),
        calls + 1,
        "the user is loaded once per request"
    );

    let r = anon.get("/username").await;
    assert_eq!(r.body, "Anonymous");
    assert_eq!(r.header(USER_HEADER), Some("anonymous"));
}

#[actix_web::test]
async fn wrap_fn_inside_the_manager_reads_the_login_in_its_synchronous_part() {
    let users = Users::data();
    let m = manager(|b| b);
    let svc = inner_middleware_app!(users, m).await;
    let mut anon = Client::new(&svc, users.clone(), m.clone());
    let mut notch = Client::new(&svc, users.clone(), m.clone());

    let r = anon.get("/").await;
    assert_eq!(r.header(FRESH_HEADER), Some("false"));

    assert_eq!(notch.body("/login-notch").await, "True");
    // A fresh login: `true` can only come from the request's real login
    // (without one, `login_fresh` answers `false`).
    let r = notch.get("/").await;
    assert_eq!(r.header(FRESH_HEADER), Some("true"));
    let r = notch.get("/username").await;
    assert_eq!(r.body, "Notch");
    assert_eq!(r.header(FRESH_HEADER), Some("true"));

    // A stale login of the same user: the answer follows the session.
    assert_eq!(notch.body("/login-as/1?fresh=0").await, "True");
    let r = notch.get("/username").await;
    assert_eq!(r.body, "Notch");
    assert_eq!(r.header(USER_HEADER), Some("1"));
    assert_eq!(r.header(FRESH_HEADER), Some("false"));

    let r = anon.get("/username").await;
    assert_eq!(r.body, "Anonymous");
    assert_eq!(r.header(FRESH_HEADER), Some("false"));
}

/// A state made in the middleware's synchronous part (before the inner
/// future exists) is the request's: a login there is seen by the handler's
/// middleware and sets the remember cookie on the way out.
#[actix_web::test]
async fn login_in_a_synchronous_middleware_part_reaches_the_response() {
    let users = Users::data();
    let m = manager(|b| b);
    let svc = inner_middleware_app!(users, m).await;
    let mut steve = Client::new(&svc, users.clone(), m.clone());
    let mut anon = Client::new(&svc, users.clone(), m.clone());

    let r = steve.get("/sync-login/2").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.header("x-sync-login"), Some("true"));
    assert_eq!(
        r.header(USER_HEADER),
        Some("2"),
        "the inner middleware sees the login"
    );
    assert_remember_set(&r, &m, "2", "login in the synchronous part");

    let r = steve.get("/username").await;
    assert_eq!(r.body, "Steve");
    assert_eq!(r.header(FRESH_HEADER), Some("true"));
    assert_no_remember(&r, "Steve's next request");

    let r = anon.get("/username").await;
    assert_eq!(r.body, "Anonymous");
    assert_eq!(r.header(USER_HEADER), Some("anonymous"));
    assert_no_remember(&r, "an anonymous request after it");
}

// ----------------------------------------------- 2. middleware outside it

/// A `from_fn` middleware wrapped outside the `LoginManager` (but inside
/// the session middleware): extracts the user before and after the inner
/// service, and reports both. With `?strict=1` it returns the error of the
/// extraction after the inner service answered.
async fn outer_probe(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let strict = req.query_string().contains("strict=1");
    let before = req.extract::<CurrentUser<TestUser>>().await;
    let mut res = next.call(req).await?;
    let after = CurrentUser::<TestUser>::extract(res.request()).await;
    let fresh = login_fresh(res.request());
    if strict {
        after?;
        return Err(actix_web::error::ErrorImATeapot(
            "the outer extraction was expected to fail",
        ));
    }
    set_header(&mut res, OUTER_BEFORE, &outcome(&before));
    set_header(&mut res, OUTER_AFTER, &outcome(&after));
    set_header(&mut res, OUTER_FRESH, bool_text(fresh));
    Ok(res)
}

/// The documented rule (`login/src/scope.rs`, and the error's own text): the
/// login is reachable only inside the `LoginManager` middleware — handlers,
/// their extractors, and middleware registered before it — just as the
/// session is reachable only inside `SessionMiddleware`. A middleware
/// wrapped outside it finds no login, before or after the inner service,
/// and gets the 500 error that says so, while the handler inside sees the
/// user.
#[actix_web::test]
async fn middleware_outside_the_manager_gets_the_missing_middleware_error() {
    let users = Users::data();
    let m = manager(|b| b);
    let svc = test::init_service(
        App::new()
            .app_data(users.clone())
            .wrap(m.clone())
            .wrap(from_fn(outer_probe))
            .wrap(session_middleware())
            .configure(routes),
    )
    .await;
    let mut c = Client::new(&svc, users.clone(), m.clone());

    let r = c.get("/username").await;
    assert_eq!(r.body, "Anonymous");
    assert_eq!(r.header(OUTER_BEFORE), Some("err:500:missing"));
    assert_eq!(r.header(OUTER_AFTER), Some("err:500:missing"));

    assert_eq!(c.body("/login-notch").await, "True");
    let r = c.get("/username").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "Notch", "the handler inside sees the user");
    assert_eq!(r.header(OUTER_BEFORE), Some("err:500:missing"));
    assert_eq!(
        r.header(OUTER_AFTER),
        Some("err:500:missing"),
        "the request's login is gone once the LoginManager answered"
    );
    assert_eq!(
        r.header(OUTER_FRESH),
        Some("false"),
        "login_fresh outside the manager answers false, even for a fresh login"
    );

    // Propagated, the error is the response: a 500 that names the fix.
    let r = c.get("/username?strict=1").await;
    assert!(r.was_error, "the middleware's Err is the service's answer");
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.body.contains(MISSING), "{}", r.body);

    // The app is unharmed.
    let r = c.get("/username").await;
    assert_eq!(r.body, "Notch");
}

// --------------------------------------------------- 3. nested managers

/// The admin area's user type.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Admin {
    id: String,
    title: String,
}

impl User for Admin {
    fn get_id(&self) -> String {
        self.id.clone()
    }
}

/// Calls of the admin and staff loaders.
#[derive(Default)]
struct Calls {
    admin: AtomicUsize,
    staff: AtomicUsize,
}

/// The admin area's loader: only Notch (`1`) is an admin.
#[user_loader]
async fn load_admin(id: &str, calls: web::Data<Calls>) -> Option<Admin> {
    calls.admin.fetch_add(1, Ordering::SeqCst);
    (id == "1").then(|| Admin {
        id: id.to_owned(),
        title: format!("admin {id}"),
    })
}

/// The staff area's loader: the fixture's users (same user type as the
/// app), renamed so that its answers are recognisable.
#[user_loader]
async fn load_staff(
    id: &str,
    users: web::Data<Users>,
    calls: web::Data<Calls>,
) -> Option<TestUser> {
    calls.staff.fetch_add(1, Ordering::SeqCst);
    users.get(id).map(|u| TestUser {
        name: format!("staff {}", u.name),
        ..u
    })
}

const ADMIN_REMEMBER: &str = "admin_remember";

fn admin_manager() -> LoginManager<Admin> {
    LoginManager::builder(load_admin)
        .secret_key("another secret")
        .session_protection(SessionProtection::Off)
        .remember_cookie(RememberCookie::new().name(ADMIN_REMEMBER))
        .build()
}

fn staff_manager() -> LoginManager<TestUser> {
    LoginManager::builder(load_staff)
        .secret_key(SECRET)
        .session_protection(SessionProtection::Off)
        .remember_cookie(RememberCookie::new().name(REMEMBER_COOKIE))
        .build()
}

async fn admin_whoami(user: CurrentUser<Admin>) -> HttpResponse {
    HttpResponse::Ok().body(match user.user() {
        Some(a) if user.is_authenticated() => a.title.clone(),
        _ => "Anonymous".to_owned(),
    })
}

/// Asks for the app's user type where the scope's manager loads `Admin`.
async fn admin_as_test_user(user: CurrentUser<TestUser>) -> HttpResponse {
    HttpResponse::Ok().body(describe(&user))
}

async fn admin_login(req: HttpRequest, path: web::Path<String>) -> actix_web::Result<HttpResponse> {
    let id = path.into_inner();
    let admin = Admin {
        title: format!("admin {id}"),
        id,
    };
    let done = login_user(&req, admin, LoginOptions::new().remember(true))?;
    Ok(HttpResponse::Ok().body(bool_text(done)))
}

async fn admin_logout(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    logout_user(&req).await?;
    Ok(HttpResponse::Ok().body("bye"))
}

async fn staff_username(user: CurrentUser<TestUser>) -> HttpResponse {
    HttpResponse::Ok().body(match user.user() {
        Some(u) if user.is_authenticated() => u.name.clone(),
        _ => "Anonymous".to_owned(),
    })
}

/// The fixture app, plus `/admin` (its own manager for `Admin`) and
/// `/staff` (its own manager for `TestUser`, another loader). With
/// `$app_mw`, the `from_fn` [`user_header`] is registered inside the
/// app-level manager (so it runs outside the scopes' managers).
macro_rules! nested_app {
    ($users:expr, $calls:expr, $m:expr) => {
        test::init_service(
            App::new()
                .app_data($users.clone())
                .app_data($calls.clone())
                .wrap($m.clone())
                .wrap(session_middleware())
                .service(nested_scopes())
                .service(staff_scope())
                .configure(routes),
        )
    };
    ($users:expr, $calls:expr, $m:expr, app_mw) => {
        test::init_service(
            App::new()
                .app_data($users.clone())
                .app_data($calls.clone())
                .wrap(from_fn(user_header))
                .wrap($m.clone())
                .wrap(session_middleware())
                .service(nested_scopes())
                .service(staff_scope())
                .configure(routes),
        )
    };
}

fn nested_scopes() -> actix_web::Scope<
    impl actix_web::dev::ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::scope("/admin")
        .wrap(admin_manager())
        .route("/whoami", web::get().to(admin_whoami))
        .route("/as-test-user", web::get().to(admin_as_test_user))
        .route("/login/{id}", web::get().to(admin_login))
        .route("/logout", web::get().to(admin_logout))
}

fn staff_scope() -> actix_web::Scope<
    impl actix_web::dev::ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    web::scope("/staff")
        .wrap(staff_manager())
        .route("/username", web::get().to(staff_username))
}

#[actix_web::test]
async fn a_scope_manager_decides_inside_its_scope_and_the_app_manager_outside() {
    let users = Users::data();
    let calls = web::Data::new(Calls::default());
    let m = manager(|b| b);
    let svc = nested_app!(users, calls, m).await;
    let mut notch = Client::new(&svc, users.clone(), m.clone());
    let mut steve = Client::new(&svc, users.clone(), m.clone());
    let mut anon = Client::new(&svc, users.clone(), m.clone());

    assert_eq!(notch.body("/login-notch").await, "True");
    assert_eq!(steve.body("/login-as/2").await, "True");

    for round in 0..3 {
        let app_calls = users.calls();
        let admin_calls = calls.admin.load(Ordering::SeqCst);
        let r = notch.get("/admin/whoami").await;
        assert_eq!(r.body, "admin 1", "round {round}");
        assert_eq!(
            calls.admin.load(Ordering::SeqCst),
            admin_calls + 1,
            "round {round}: the scope's loader is the one called"
        );
        assert_eq!(
            users.calls(),
            app_calls,
            "round {round}: the app's loader is not called inside /admin"
        );

        // Inside /admin the app's user type is not reachable: the scope's
        // manager shadows the app's.
        let r = notch.get("/admin/as-test-user").await;
        assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
        assert!(r.body.contains("loads another type"), "{}", r.body);

        let staff_calls = calls.staff.load(Ordering::SeqCst);
        assert_eq!(notch.body("/staff/username").await, "staff Notch");
        assert_eq!(steve.body("/staff/username").await, "staff Steve");
        assert_eq!(anon.body("/staff/username").await, "Anonymous");
        assert_eq!(calls.staff.load(Ordering::SeqCst), staff_calls + 2);
        assert_eq!(
            users.calls(),
            app_calls,
            "round {round}: staff loads are the scope's"
        );

        assert_eq!(
            steve.body("/admin/whoami").await,
            "Anonymous",
            "Steve is no admin"
        );
        assert_eq!(anon.body("/admin/whoami").await, "Anonymous");

        // Outside, the app's manager and loader again.
        assert_eq!(notch.body("/username").await, "Notch", "round {round}");
        assert_eq!(steve.body("/username").await, "Steve", "round {round}");
        assert_eq!(anon.body("/username").await, "Anonymous", "round {round}");
        assert_eq!(users.calls(), app_calls + 2, "round {round}");
    }
}

/// Logging in inside the scope uses the scope's manager (its remember
/// cookie, its signer); the app's manager adds nothing to that response,
/// and after the scope's logout the app sees the session logged out.
#[actix_web::test]
async fn a_login_inside_a_scope_belongs_to_the_scope_manager() {
    let users = Users::data();
    let calls = web::Data::new(Calls::default());
    let m = manager(|b| b);
    let svc = nested_app!(users, calls, m).await;
    let mut c = Client::new(&svc, users.clone(), m.clone());
    let mut anon = Client::new(&svc, users.clone(), m.clone());
    c.remember_name = ADMIN_REMEMBER.to_owned();

    let r = c.get("/admin/login/1").await;
    assert_eq!(r.body, "true");
    let cookie = r
        .set_cookie(ADMIN_REMEMBER)
        .unwrap_or_else(|| panic!("no admin remember cookie: {:?}", r.set_cookies()));
    assert_eq!(
        admin_manager().decode_cookie(&cookie.value).as_deref(),
        Some("1")
    );
    assert_no_remember(&r, "the scope's login");

    // The session is shared: the app's loader now loads Notch.
    let r = c.get("/username").await;
    assert_eq!(r.body, "Notch");
    assert_no_remember(&r, "the app after the scope's login");
    assert!(r.set_cookie(ADMIN_REMEMBER).is_none());
    assert_eq!(anon.body("/username").await, "Anonymous");

    // The session forgotten, the admin cookie restores the admin inside the
    // scope only; the app's manager does not read another manager's cookie.
    c.clear_session();
    assert_eq!(c.body("/username").await, "Anonymous");
    assert_eq!(c.body("/admin/whoami").await, "admin 1");
    assert_eq!(c.body("/username").await, "Notch");

    let r = c.get("/admin/logout").await;
    assert_eq!(r.body, "bye");
    assert!(
        r.set_cookie(ADMIN_REMEMBER)
            .is_some_and(|c| c.is_deletion()),
        "the scope's logout deletes its cookie: {:?}",
        r.set_cookies()
    );
    assert_no_remember(&r, "the scope's logout");
    assert_eq!(c.body("/username").await, "Anonymous");
    assert_eq!(c.body("/admin/whoami").await, "Anonymous");
    assert_eq!(anon.body("/username").await, "Anonymous");
}

/// With a middleware inside the app's manager (outside the scope's), a
/// request to /admin has two logins at once: the middleware sees the app's
/// (`TestUser`, app loader), the handler the scope's (`Admin`, admin
/// loader), each exactly once.
#[actix_web::test]
async fn app_level_middleware_and_scope_handler_each_see_their_own_manager() {
    let users = Users::data();
    let calls = web::Data::new(Calls::default());
    let m = manager(|b| b);
    let svc = nested_app!(users, calls, m, app_mw).await;
    let mut notch = Client::new(&svc, users.clone(), m.clone());
    let mut steve = Client::new(&svc, users.clone(), m.clone());

    assert_eq!(notch.body("/login-notch").await, "True");
    assert_eq!(steve.body("/login-as/2").await, "True");

    for round in 0..3 {
        let app_calls = users.calls();
        let admin_calls = calls.admin.load(Ordering::SeqCst);
        let r = notch.get("/admin/whoami").await;
        assert_eq!(r.body, "admin 1", "round {round}");
        assert_eq!(r.header(USER_HEADER), Some("1"), "round {round}");
        assert_eq!(
            r.header(USER_AFTER),
            Some("ok:1"),
            "round {round}: after the scope's manager answered, the app's login again"
        );
        assert_eq!(users.calls(), app_calls + 1, "round {round}");
        assert_eq!(calls.admin.load(Ordering::SeqCst), admin_calls + 1);

        let r = steve.get("/admin/whoami").await;
        assert_eq!(r.body, "Anonymous", "round {round}");
        assert_eq!(r.header(USER_HEADER), Some("2"), "round {round}");
        assert_eq!(r.header(USER_AFTER), Some("ok:2"), "round {round}");

        let r = steve.get("/staff/username").await;
        assert_eq!(r.body, "staff Steve", "round {round}");
        assert_eq!(r.header(USER_HEADER), Some("2"), "round {round}");
        assert_eq!(r.header(USER_AFTER), Some("ok:2"), "round {round}");

        let r = notch.get("/username").await;
        assert_eq!(r.body, "Notch", "round {round}");
        assert_eq!(r.header(USER_HEADER), Some("1"), "round {round}");
        let r = steve.get("/username").await;
        assert_eq!(r.body, "Steve", "round {round}");
        assert_eq!(r.header(USER_HEADER), Some("2"), "round {round}");
    }
}

// -------------------------------------------------------- 4. cancellation

/// Makes the [`gated_loader`] wait while it holds the id being loaded.
#[derive(Default)]
struct Gate {
    hold: Mutex<Option<String>>,
    /// Loads that had to wait.
    waited: AtomicUsize,
}

impl Gate {
    fn hold(&self, id: Option<&str>) {
        *self.hold.lock().unwrap() = id.map(str::to_owned);
    }

    fn holds(&self, id: &str) -> bool {
        self.hold.lock().unwrap().as_deref() == Some(id)
    }
}

/// The fixture's loader, except that it does not answer while the gate
/// holds the id.
#[user_loader]
async fn gated_loader(
    id: &str,
    users: web::Data<Users>,
    gate: web::Data<Gate>,
) -> Result<Option<TestUser>, String> {
    if gate.holds(id) {
        gate.waited.fetch_add(1, Ordering::SeqCst);
        while gate.holds(id) {
            actix_web::rt::time::sleep(Duration::from_millis(1)).await;
        }
    }
    users.load(id)
}

/// Logs the user in with "remember me", then never answers.
async fn login_then_hang(
    req: HttpRequest,
    users: web::Data<Users>,
    path: web::Path<String>,
) -> actix_web::Result<HttpResponse> {
    let user = users.get(&path).expect("a known user");
    login_user(&req, user, LoginOptions::new().remember(true))?;
    std::future::pending().await
}

macro_rules! gated_app {
    ($users:expr, $gate:expr, $m:expr) => {
        test::init_service(
            App::new()
                .app_data($users.clone())
                .app_data($gate.clone())
                .wrap($m.clone())
                .wrap(session_middleware())
                .route("/login-then-hang/{id}", web::get().to(login_then_hang))
                .configure(routes),
        )
    };
}

fn gated_manager() -> LoginManager<TestUser> {
    LoginManager::builder(gated_loader)
        .secret_key(SECRET)
        .session_protection(SessionProtection::Off)
        .remember_cookie(RememberCookie::new().name(REMEMBER_COOKIE))
        .build()
}

/// Polls a request's future exactly once (it must be pending) and drops it,
/// as actix does when the client goes away.
fn poll_once_and_drop<F: Future>(fut: F, what: &str) {
    let mut fut = Box::pin(fut);
    let polled = fut.as_mut().poll(&mut Context::from_waker(Waker::noop()));
    assert!(polled.is_pending(), "{what}: expected to be pending");
}

#[actix_web::test]
async fn a_request_dropped_while_its_loader_is_pending_leaks_nothing() {
    let users = Users::data();
    let gate = web::Data::new(Gate::default());
    let m = gated_manager();
    let svc = gated_app!(users, gate, m).await;
    let mut notch = Client::new(&svc, users.clone(), m.clone());
    let mut steve = Client::new(&svc, users.clone(), m.clone());
    let mut anon = Client::new(&svc, users.clone(), m.clone());
    assert_eq!(notch.body("/login-notch-remember").await, "True");
    assert_eq!(steve.body("/login-as/2").await, "True");

    for round in 0..3 {
        gate.hold(Some("1"));
        let waited = gate.waited.load(Ordering::SeqCst);
        poll_once_and_drop(
            svc.call(raw_get("/username", &notch.jar)),
            "Notch's request, loader held",
        );
        assert_eq!(
            gate.waited.load(Ordering::SeqCst),
            waited + 1,
            "round {round}: the dropped request was inside the loader"
        );
        gate.hold(None);

        let r = bounded("anonymous after the drop", anon.get("/username")).await;
        assert_eq!(r.body, "Anonymous", "round {round}");
        assert!(
            r.set_cookies().is_empty(),
            "round {round}: {:?}",
            r.set_cookies()
        );
        let r = bounded("Steve after the drop", steve.get("/username")).await;
        assert_eq!(r.body, "Steve", "round {round}");
        assert_no_remember(&r, "Steve after the drop");
        let r = bounded("Notch after the drop", notch.get("/username")).await;
        assert_eq!(r.body, "Notch", "round {round}");
        assert_no_remember(&r, "Notch after the drop");
    }

    // The same with the remember cookie only (the load is a restore), and
    // dropped by a timeout instead of by hand.
    notch.clear_session();
    gate.hold(Some("1"));
    let timed_out = actix_web::rt::time::timeout(
        Duration::from_millis(20),
        svc.call(raw_get("/username", &notch.jar)),
    )
    .await
    .is_err();
    assert!(timed_out, "the held restore must not answer");
    gate.hold(None);
    let r = bounded("anonymous after the timeout", anon.get("/username")).await;
    assert_eq!(r.body, "Anonymous");
    assert!(r.set_cookies().is_empty(), "{:?}", r.set_cookies());
    let r = bounded("Steve after the timeout", steve.get("/username")).await;
    assert_eq!(r.body, "Steve");
    let r = bounded("Notch's restore", notch.get("/username")).await;
    assert_eq!(r.body, "Notch");
    assert!(
        r.set_cookie(SESSION_COOKIE).is_some(),
        "restored into a new session"
    );
    assert_no_remember(&r, "a restore keeps the cookie");
}

/// A request dropped after `login_user(.., remember)` (its state holds a
/// user and a remember cookie to set) gives neither to later requests.
#[actix_web::test]
async fn a_request_dropped_after_a_remember_login_leaks_nothing() {
    let users = Users::data();
    let gate = web::Data::new(Gate::default());
    let m = gated_manager();
    let svc = gated_app!(users, gate, m).await;
    let mut steve = Client::new(&svc, users.clone(), m.clone());
    let mut anon = Client::new(&svc, users.clone(), m.clone());
    let mut gone = Client::new(&svc, users.clone(), m.clone());
    assert_eq!(steve.body("/login-as/2").await, "True");

    for round in 0..3 {
        let timed_out = actix_web::rt::time::timeout(
            Duration::from_millis(10),
            svc.call(raw_get("/login-then-hang/1", &gone.jar)),
        )
        .await
        .is_err();
        assert!(timed_out, "round {round}: the handler never answers");
        poll_once_and_drop(
            svc.call(raw_get("/login-then-hang/1", &gone.jar)),
            "a second hanging login",
        );

        for (who, c, expected) in [
            ("anonymous", &mut anon, "Anonymous"),
            ("Steve", &mut steve, "Steve"),
            ("the dropped client", &mut gone, "Anonymous"),
        ] {
            let r = bounded(who, c.get("/username")).await;
            assert_eq!(r.body, expected, "round {round}: {who}");
            assert_no_remember(&r, &format!("round {round}: {who}"));
            let r = bounded(who, c.get("/")).await;
            assert_eq!(r.body, "Welcome!");
            assert_no_remember(&r, &format!("round {round}: {who} at /"));
            let r = bounded(who, c.get("/is-fresh")).await;
            assert_eq!(r.body, if expected == "Steve" { "True" } else { "False" });
        }
    }
}

/// A request left pending inside its loader while other requests run to
/// completion on the same thread: they see only themselves, and it, let go,
/// sees only itself.
#[actix_web::test]
async fn a_pending_request_and_interleaved_requests_each_see_their_own_user() {
    let users = Users::data();
    let gate = web::Data::new(Gate::default());
    let m = gated_manager();
    let svc = gated_app!(users, gate, m).await;
    let mut notch = Client::new(&svc, users.clone(), m.clone());
    let mut steve = Client::new(&svc, users.clone(), m.clone());
    let mut anon = Client::new(&svc, users.clone(), m.clone());
    assert_eq!(notch.body("/login-notch").await, "True");
    assert_eq!(steve.body("/login-as/2").await, "True");

    gate.hold(Some("1"));
    let mut held = Box::pin(svc.call(raw_get("/username", &notch.jar)));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(held.as_mut().poll(&mut cx).is_pending());
    assert_eq!(gate.waited.load(Ordering::SeqCst), 1);

    // A hanging remember-me login, pending too.
    let mut hanging = Box::pin(svc.call(raw_get("/login-then-hang/1", &anon.jar)));
    assert!(hanging.as_mut().poll(&mut cx).is_pending());

    for _ in 0..3 {
        let r = bounded("Steve", steve.get("/username")).await;
        assert_eq!(r.body, "Steve");
        assert_no_remember(&r, "Steve beside pending requests");
        let r = bounded("anonymous", anon.get("/username")).await;
        assert_eq!(r.body, "Anonymous");
        assert_no_remember(&r, "anonymous beside pending requests");
        assert!(held.as_mut().poll(&mut cx).is_pending());
        assert!(hanging.as_mut().poll(&mut cx).is_pending());
    }
    drop(hanging);

    gate.hold(None);
    let res = bounded("the held request", held).await.expect("an answer");
    assert_eq!(res.status(), StatusCode::OK);
    let body = test::read_body(res).await;
    assert_eq!(body, "Notch");

    let r = bounded("anonymous after", anon.get("/username")).await;
    assert_eq!(r.body, "Anonymous");
    assert_eq!(
        bounded("Steve after", steve.get("/username")).await.body,
        "Steve"
    );
    assert_eq!(
        bounded("Notch after", notch.get("/username")).await.body,
        "Notch"
    );
}

// ------------------------------------------------------------- 5. reuse

/// What a response must do to the remember cookie.
#[derive(Debug, Clone, Copy)]
enum Remember {
    /// Neither set nor delete it.
    Untouched,
    /// Set it, for this user id.
    Set(&'static str),
    /// Delete it.
    Deleted,
}

/// The clients of [`reuse_run`].
const NOTCH: usize = 0;
const STEVE: usize = 1;
const ANON: usize = 2;
const NAMES: [&str; 3] = ["Notch", "Steve", "anonymous"];

/// Instead of a path: the client forgets its session (keeps the remember
/// cookie), as a browser that was closed.
const CLOSE_BROWSER: &str = "<close browser>";

/// One round: (client, path, expected body, remember cookie).
const ROUND: &[(usize, &str, &str, Remember)] = {
    use Remember::*;
    &[
        (NOTCH, "/login-notch-remember", "True", Set("1")),
        (ANON, "/username", "Anonymous", Untouched),
        (STEVE, "/login-as/2", "True", Untouched),
        (ANON, "/username", "Anonymous", Untouched),
        (NOTCH, "/username", "Notch", Untouched),
        (STEVE, "/username", "Steve", Untouched),
        (ANON, "/username", "Anonymous", Untouched),
        (STEVE, "/", "Welcome!", Untouched),
        (NOTCH, "/whoami", "Notch", Untouched),
        (ANON, "/whoami", "Anonymous", Untouched),
        (STEVE, "/is-remembered", "False", Untouched),
        (NOTCH, "/is-remembered", "True", Untouched),
        (ANON, "/is-remembered", "False", Untouched),
        // Steve asks to be remembered too; nobody else gets his cookie.
        (STEVE, "/login-as/2?remember=1", "True", Set("2")),
        (NOTCH, "/username", "Notch", Untouched),
        (ANON, "/username", "Anonymous", Untouched),
        (STEVE, "/username", "Steve", Untouched),
        // Notch's session ends; his cookie restores him (a restore leaves
        // the cookie as it is).
        (NOTCH, CLOSE_BROWSER, "", Untouched),
        (NOTCH, "/username", "Notch", Untouched),
        (NOTCH, "/is-fresh", "False", Untouched),
        (ANON, "/username", "Anonymous", Untouched),
        (STEVE, "/is-fresh", "True", Untouched),
        // Logouts delete the cookies, each on its own response only.
        (NOTCH, "/logout", "True", Deleted),
        (STEVE, "/username", "Steve", Untouched),
        (ANON, "/logout", "True", Untouched),
        (NOTCH, "/username", "Anonymous", Untouched),
        (STEVE, "/logout", "True", Deleted),
        (STEVE, "/username", "Anonymous", Untouched),
        (NOTCH, "/username", "Anonymous", Untouched),
        (ANON, "/username", "Anonymous", Untouched),
    ]
};

async fn reuse_run(profile: Profile) {
    let users = Users::data();
    let m = manager(|b| b.profile(profile));
    let svc = test::init_service(
        App::new()
            .app_data(users.clone())
            .wrap(m.clone())
            .wrap(session_middleware())
            .configure(routes),
    )
    .await;
    let mut clients = [(); 3].map(|()| Client::new(&svc, users.clone(), m.clone()));

    for round in 0..8 {
        for (n, &(who, path, body, remember)) in ROUND.iter().enumerate() {
            let c = &mut clients[who];
            if path == CLOSE_BROWSER {
                c.clear_session();
                continue;
            }
            let what = format!(
                "{profile:?} round {round} step {n}: {} GET {path}",
                NAMES[who]
            );
            let r = c.get(path).await;
            assert_eq!(r.status, StatusCode::OK, "{what}: {}", r.body);
            assert_eq!(r.body, body, "{what}");
            match remember {
                Remember::Untouched => assert_no_remember(&r, &what),
                Remember::Set(id) => assert_remember_set(&r, &m, id, &what),
                Remember::Deleted => assert_remember_deleted(&r, &what),
            }
        }
        for (who, c) in clients.iter().enumerate() {
            assert!(
                c.jar.get(REMEMBER_COOKIE).is_none(),
                "{profile:?} round {round}: {} still holds a remember cookie",
                NAMES[who]
            );
        }
    }
}

#[actix_web::test]
async fn pooled_states_are_reset_between_requests() {
    reuse_run(Profile::V0_6_3).await;
}

/// The 0.2.4 profile makes its state up front (it loads before every
/// request), from the same pool.
#[actix_web::test]
async fn pooled_states_are_reset_between_requests_024() {
    reuse_run(Profile::V0_2_4).await;
}

// --------------------------------------------------- a request outlives its app

/// A request loader that names everybody `self.0`.
struct Named(&'static str);

impl actix_login::RequestLoader for Named {
    type User = TestUser;

    async fn load_user_from_request(
        &self,
        _: &HttpRequest,
    ) -> Result<Option<TestUser>, actix_login::LoaderError> {
        Ok(Some(TestUser::new("1", self.0, true)))
    }
}

async fn who(user: CurrentUser<TestUser>) -> HttpResponse {
    HttpResponse::Ok().body(
        user.user()
            .map_or("anonymous", |u| u.name.as_str())
            .to_owned(),
    )
}

/// The login manager outermost (it works either side of the session
/// middleware in the 0.6.3 profile), so that calling the app runs its
/// `call` at once and the response future no longer needs the app.
async fn named_app(
    name: &'static str,
) -> impl Service<actix_http::Request, Response = ServiceResponse, Error = actix_web::Error> {
    test::init_service(
        App::new()
            .wrap(session_middleware())
            .wrap(
                LoginManager::builder(no_user)
                    .secret_key(SECRET)
                    .request_loader(Named(name))
                    .build(),
            )
            .route("/who", web::get().to(who)),
    )
    .await
}

/// A request in flight keeps its own manager when its app is dropped and
/// another app's manager registers on the same thread: the per-thread index
/// that names a manager is not reused while a request of it is in flight.
#[actix_web::test]
async fn a_request_in_flight_keeps_its_manager_after_its_app_is_gone() {
    let first = named_app("Alpha").await;
    let in_flight = first.call(test::TestRequest::get().uri("/who").to_request());
    drop(first);
    let second = named_app("Beta").await;
    let res = bounded("the first app's request", in_flight)
        .await
        .expect("a response");
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(test::read_body(res).await, "Alpha");
    let res = test::call_service(&second, test::TestRequest::get().uri("/who").to_request()).await;
    assert_eq!(test::read_body(res).await, "Beta");
}
