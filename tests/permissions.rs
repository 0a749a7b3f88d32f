//! Permissions through real requests: `#[permission_required]`, the
//! `PermissionRequired` extractor and scope middleware, `has_perm` and
//! `PermissionExt`, answered by an async `PermissionLoader` that reads app
//! data.
//!
//! The grants of the test app:
//!
//! | user  | own permissions       | groups                  | through groups               |
//! | ----- | --------------------- | ----------------------- | ---------------------------- |
//! | alice | `notes.read`          | editors                 | `notes.write`                |
//! | bob   | `notes.read`, `admin` |                         |                              |
//! | carol |                       | editors, publishers     | `notes.write`, `notes.publish` |
//! | dave  |                       |                         |                              |

use std::{
    collections::{HashMap, HashSet},
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use actix_login::{
    forbidden, has_perm, login_user, logout_user, permission_required, CurrentUser, LoaderError,
    LoginError, LoginManager, LoginOptions, PermissionExt, PermissionLoader, PermissionRequired,
    Permissions, RememberCookie, RequiredPermissions, User, UserLoader,
};
use actix_web::{
    body::MessageBody,
    dev::{Service, ServiceRequest, ServiceResponse},
    http::{
        header::{self, HeaderValue},
        Method, StatusCode,
    },
    middleware::{from_fn, Next},
    test, web, App, FromRequest, HttpRequest, HttpResponse,
};

use crate::common::{get, send, session_middleware, Jar, Resp, SESSION_COOKIE};

const SECRET: &str = "permission tests: a secret long enough to sign with";

// ------------------------------------------------------------------ users

#[derive(Debug, Clone)]
struct Account {
    id: String,
    groups: Vec<String>,
}

impl User for Account {
    fn get_id(&self) -> String {
        self.id.clone()
    }
}

fn account(id: &str) -> Option<Account> {
    let groups: &[&str] = match id {
        "alice" => &["editors"],
        "bob" | "dave" => &[],
        "carol" => &["editors", "publishers"],
        _ => return None,
    };
    Some(Account {
        id: id.to_owned(),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
    })
}

struct Users;

impl UserLoader for Users {
    type User = Account;

    async fn load_user(&self, id: &str, _: &HttpRequest) -> Result<Option<Account>, LoaderError> {
        Ok(account(id))
    }
}

// ------------------------------------------------------------ permissions

/// Who may do what, in app data (as a database pool would be), and how
/// often the permission loader and the guarded handlers ran.
#[derive(Default)]
struct Grants {
    users: HashMap<String, HashSet<String>>,
    groups: HashMap<String, HashSet<String>>,
    user_calls: AtomicUsize,
    group_calls: AtomicUsize,
    /// While above zero, each user-permission load fails and counts down.
    failures: AtomicUsize,
    handler_runs: AtomicUsize,
}

fn set(names: &[&str]) -> HashSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

fn grants() -> web::Data<Grants> {
    web::Data::new(Grants {
        users: HashMap::from([
            ("alice".to_owned(), set(&["notes.read"])),
            ("bob".to_owned(), set(&["notes.read", "admin"])),
        ]),
        groups: HashMap::from([
            ("editors".to_owned(), set(&["notes.write"])),
            ("publishers".to_owned(), set(&["notes.publish"])),
        ]),
        ..Grants::default()
    })
}

impl Grants {
    fn calls(&self) -> (usize, usize) {
        (
            self.user_calls.load(Ordering::SeqCst),
            self.group_calls.load(Ordering::SeqCst),
        )
    }

    fn runs(&self) -> usize {
        self.handler_runs.load(Ordering::SeqCst)
    }
}

/// The app's permission loader: async (it sleeps, as a database call
/// would), reading the grants from app data.
struct Perms;

fn grants_of(req: &HttpRequest) -> Result<web::Data<Grants>, LoaderError> {
    Ok(req
        .app_data::<web::Data<Grants>>()
        .ok_or("no grants in app data")?
        .clone())
}

impl PermissionLoader for Perms {
    type User = Account;
    type Permission = String;

    async fn user_permissions(
        &self,
        user: &Account,
        req: &HttpRequest,
    ) -> Result<HashSet<String>, LoaderError> {
        let grants = grants_of(req)?;
        grants.user_calls.fetch_add(1, Ordering::SeqCst);
        actix_web::rt::time::sleep(Duration::from_millis(2)).await;
        let failing = grants
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if failing {
            return Err("the permission database is down".into());
        }
        Ok(grants.users.get(&user.id).cloned().unwrap_or_default())
    }

    async fn group_permissions(
        &self,
        user: &Account,
        req: &HttpRequest,
    ) -> Result<HashSet<String>, LoaderError> {
        let grants = grants_of(req)?;
        grants.group_calls.fetch_add(1, Ordering::SeqCst);
        actix_web::rt::time::sleep(Duration::from_millis(1)).await;
        Ok(user
            .groups
            .iter()
            .filter_map(|g| grants.groups.get(g))
            .flatten()
            .cloned()
            .collect())
    }
}

// ------------------------------------------------------------------ routes

fn count_run(req: &HttpRequest) {
    if let Some(grants) = req.app_data::<web::Data<Grants>>() {
        grants.handler_runs.fetch_add(1, Ordering::SeqCst);
    }
}

async fn login(req: HttpRequest, id: web::Path<String>) -> actix_web::Result<HttpResponse> {
    let user = account(&id).ok_or_else(|| actix_web::error::ErrorNotFound("no such user"))?;
    login_user(&req, user, LoginOptions::new())?;
    Ok(HttpResponse::Ok().body(format!("logged in {id}")))
}

async fn logout(req: HttpRequest) -> actix_web::Result<&'static str> {
    logout_user(&req).await?;
    Ok("logged out")
}

/// A user permission.
#[permission_required("notes.read")]
async fn read(req: HttpRequest, user: CurrentUser<Account>) -> String {
    count_run(&req);
    format!("read by {}", user.get_id().unwrap_or_default())
}

/// A group permission; any method, so that `OPTIONS` reaches it unless the
/// guard answers first.
#[permission_required("notes.write")]
async fn write(req: HttpRequest) -> &'static str {
    count_run(&req);
    "written"
}

/// Two permissions, both required, from the user's two groups.
#[permission_required("notes.write", "notes.publish")]
async fn publish(req: HttpRequest) -> &'static str {
    count_run(&req);
    "published"
}

struct Admin;

impl RequiredPermissions for Admin {
    const PERMISSIONS: &'static [&'static str] = &["admin"];
}

/// Many checks in one request: the guard, the free function, the request
/// extension, and the extractor again.
#[permission_required("notes.read")]
async fn checks(req: HttpRequest) -> actix_web::Result<String> {
    let read = has_perm(&req, "notes.read").await?;
    let write = req.has_perm("notes.write").await?;
    let both = req.has_perms(&["notes.read", "notes.write"]).await?;
    let admin = has_perm(&req, "admin").await?;
    let extractor = PermissionRequired::<Admin>::extract(&req).await.is_ok();
    Ok(format!(
        "read={read} write={write} both={both} admin={admin} extractor={extractor}"
    ))
}

/// The user changes within the request: the permissions follow.
async fn switch(req: HttpRequest) -> actix_web::Result<String> {
    let before = has_perm(&req, "admin").await?;
    login_user(&req, account("bob").unwrap(), LoginOptions::new())?;
    let as_bob = has_perm(&req, "admin").await?;
    logout_user(&req).await?;
    let after_logout = has_perm(&req, "admin").await?;
    Ok(format!(
        "before={before} as_bob={as_bob} after_logout={after_logout}"
    ))
}

/// A failing load is retried by the next check of the same request.
async fn retry(req: HttpRequest) -> String {
    let first = match has_perm(&req, "notes.read").await {
        Ok(v) => v.to_string(),
        Err(LoginError::PermissionLoader(_)) => "loader-error".to_owned(),
        Err(e) => format!("other: {e}"),
    };
    let second = has_perm(&req, "notes.read")
        .await
        .map_err(|e| e.to_string());
    format!("first={first} second={second:?}")
}

/// A handler that decides itself.
async fn decide(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    if !has_perm(&req, "notes.publish").await? {
        return Ok(forbidden(&req));
    }
    Ok(HttpResponse::Ok().body("decided"))
}

async fn admin_page(req: HttpRequest, user: CurrentUser<Account>) -> String {
    count_run(&req);
    format!("admin page for {}", user.get_id().unwrap_or_default())
}

/// A middleware inside the manager that asks on the `ServiceRequest`.
async fn admin_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let admin = req.has_perm("admin").await?;
    let mut res = next.call(req).await?;
    res.headers_mut().insert(
        header::HeaderName::from_static("x-admin"),
        HeaderValue::from_static(if admin { "yes" } else { "no" }),
    );
    Ok(res)
}

fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/login/{id}", web::get().to(login))
        .route("/logout", web::get().to(logout))
        .route("/read", web::get().to(read))
        .route("/write", web::route().to(write))
        .route("/publish", web::get().to(publish))
        .route("/checks", web::get().to(checks))
        .route("/switch", web::get().to(switch))
        .route("/retry", web::get().to(retry))
        .route("/decide", web::get().to(decide))
        .service(
            web::scope("/admin")
                .wrap(PermissionRequired::new(["admin"]))
                .route("", web::get().to(admin_page))
                .route("/users", web::route().to(admin_page)),
        )
        .service(
            web::scope("/mw")
                .wrap(from_fn(admin_header))
                .route("", web::get().to(|| async { "mw" })),
        );
}

// ------------------------------------------------------------------ the app

/// What differs between the test apps.
#[derive(Default)]
struct Setup {
    json: bool,
    exempt_options: Option<bool>,
    forbidden_handler: bool,
    no_permissions: bool,
}

fn manager(setup: &Setup) -> LoginManager<Account> {
    let mut builder = LoginManager::builder(Users, SECRET)
        .login_view("/login")
        .remember_cookie(RememberCookie::new().secure(false))
        .json_for_api_clients(setup.json);
    if let Some(exempt) = setup.exempt_options {
        builder = builder.exempt_options(exempt);
    }
    if !setup.no_permissions {
        let mut permissions = Permissions::new(Perms);
        if setup.forbidden_handler {
            permissions = permissions.forbidden_handler(|req| {
                // Falling back on the default answer, from inside the handler.
                if req.headers().contains_key("x-default") {
                    return forbidden(req);
                }
                HttpResponse::Forbidden().body("ask an admin")
            });
        }
        builder = builder.permissions(permissions);
    }
    builder.build()
}

async fn service(
    grants: &web::Data<Grants>,
    setup: Setup,
) -> impl Service<
    actix_http::Request,
    Response = ServiceResponse<impl MessageBody>,
    Error = actix_web::Error,
> {
    test::init_service(
        App::new()
            .app_data(grants.clone())
            .wrap(manager(&setup))
            .wrap(session_middleware())
            .configure(routes),
    )
    .await
}

// ------------------------------------------------------------------ client

/// A browser logged in as `id`.
async fn logged_in<S, B>(svc: &S, id: &str) -> Jar
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut jar = Jar::default();
    let r = get(svc, &mut jar, &format!("/login/{id}")).await;
    assert_eq!(r.status, StatusCode::OK, "login {id}: {}", r.body);
    assert!(jar.get(SESSION_COOKIE).is_some());
    jar
}

fn assert_status(r: &Resp, status: StatusCode, what: &str) {
    assert_eq!(r.status, status, "{what}: {}", r.body);
}

// ------------------------------------------------------------------ tests

#[actix_web::test]
async fn user_and_group_permissions() {
    let grants = grants();
    let svc = service(&grants, Setup::default()).await;

    // `notes.read` is alice's own, `notes.write` her group's.
    let mut alice = logged_in(&svc, "alice").await;
    let r = get(&svc, &mut alice, "/read").await;
    assert_status(&r, StatusCode::OK, "alice reads");
    assert_eq!(r.body, "read by alice");
    assert_status(
        &get(&svc, &mut alice, "/write").await,
        StatusCode::OK,
        "alice writes",
    );

    // carol has no own permissions, two groups.
    let mut carol = logged_in(&svc, "carol").await;
    assert_status(
        &get(&svc, &mut carol, "/read").await,
        StatusCode::FORBIDDEN,
        "carol reads",
    );
    assert_status(
        &get(&svc, &mut carol, "/write").await,
        StatusCode::OK,
        "carol writes",
    );

    // bob has his own only.
    let mut bob = logged_in(&svc, "bob").await;
    assert_status(
        &get(&svc, &mut bob, "/read").await,
        StatusCode::OK,
        "bob reads",
    );
    let r = get(&svc, &mut bob, "/write").await;
    assert_status(&r, StatusCode::FORBIDDEN, "bob writes");
    assert_eq!(r.body, "403 Forbidden");
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
}

#[actix_web::test]
async fn several_permissions_are_all_required() {
    let grants = grants();
    let svc = service(&grants, Setup::default()).await;

    // carol: notes.write (editors) and notes.publish (publishers).
    let mut carol = logged_in(&svc, "carol").await;
    let r = get(&svc, &mut carol, "/publish").await;
    assert_status(&r, StatusCode::OK, "carol publishes");
    assert_eq!(r.body, "published");

    // alice has notes.write but not notes.publish.
    let mut alice = logged_in(&svc, "alice").await;
    let runs = grants.runs();
    assert_status(
        &get(&svc, &mut alice, "/publish").await,
        StatusCode::FORBIDDEN,
        "alice",
    );
    assert_eq!(
        grants.runs(),
        runs,
        "the handler did not run for a forbidden user"
    );

    // dave has nothing at all.
    let mut dave = logged_in(&svc, "dave").await;
    assert_status(
        &get(&svc, &mut dave, "/publish").await,
        StatusCode::FORBIDDEN,
        "dave",
    );
}

#[actix_web::test]
async fn anonymous_gets_the_login_redirect_with_next() {
    let grants = grants();
    let svc = service(&grants, Setup::default()).await;
    let mut jar = Jar::default();

    let r = get(&svc, &mut jar, "/publish?draft=1").await;
    assert_status(&r, StatusCode::FOUND, "anonymous");
    assert_eq!(
        r.header("location"),
        Some("/login?next=%2Fpublish%3Fdraft%3D1")
    );
    assert_eq!(
        grants.calls(),
        (0, 0),
        "nothing loaded for an anonymous request"
    );
    assert_eq!(grants.runs(), 0);

    // Logged out: anonymous again.
    let mut alice = logged_in(&svc, "alice").await;
    assert_status(
        &get(&svc, &mut alice, "/read").await,
        StatusCode::OK,
        "alice",
    );
    get(&svc, &mut alice, "/logout").await;
    let r = get(&svc, &mut alice, "/read").await;
    assert_status(&r, StatusCode::FOUND, "after logout");
    assert_eq!(r.header("location"), Some("/login?next=%2Fread"));
}

#[actix_web::test]
async fn loaded_once_per_request_however_many_checks() {
    let grants = grants();
    let svc = service(&grants, Setup::default()).await;
    let mut alice = logged_in(&svc, "alice").await;
    assert_eq!(grants.calls(), (0, 0), "logging in loads no permissions");

    let r = get(&svc, &mut alice, "/checks").await;
    assert_status(&r, StatusCode::OK, "checks");
    assert_eq!(
        r.body,
        "read=true write=true both=true admin=false extractor=false"
    );
    assert_eq!(grants.calls(), (1, 1), "six checks, one load of each kind");

    // The next request loads again: nothing outlives its request.
    get(&svc, &mut alice, "/checks").await;
    assert_eq!(grants.calls(), (2, 2));

    // A request that checks nothing loads nothing.
    get(&svc, &mut alice, "/logout").await;
    assert_eq!(grants.calls(), (2, 2));
}

#[actix_web::test]
async fn the_permissions_follow_a_login_or_logout_in_the_same_request() {
    let grants = grants();
    let svc = service(&grants, Setup::default()).await;
    let mut alice = logged_in(&svc, "alice").await;

    let r = get(&svc, &mut alice, "/switch").await;
    assert_status(&r, StatusCode::OK, "switch");
    assert_eq!(r.body, "before=false as_bob=true after_logout=false");
    assert_eq!(grants.calls(), (2, 2), "loaded for alice, then for bob");
}

#[actix_web::test]
async fn a_failing_loader_is_a_500_that_keeps_the_session() {
    let grants = grants();
    let svc = service(&grants, Setup::default()).await;
    let mut alice = logged_in(&svc, "alice").await;
    let session = alice
        .get(SESSION_COOKIE)
        .expect("a session cookie")
        .to_owned();

    grants.failures.store(1, Ordering::SeqCst);
    let r = get(&svc, &mut alice, "/read").await;
    assert_status(&r, StatusCode::INTERNAL_SERVER_ERROR, "failing loader");
    assert_eq!(
        r.body, "500 Internal Server Error",
        "the cause stays in the log"
    );
    assert!(
        !r.body.contains("database"),
        "the loader's message is not shown"
    );
    assert!(
        r.cookies_named(SESSION_COOKIE)
            .iter()
            .all(|c| !c.value.is_empty()),
        "the session cookie is not deleted"
    );
    assert_eq!(alice.get(SESSION_COOKIE), Some(session.as_str()));
    assert_eq!(grants.runs(), 0);

    // The fault passed: the same browser is still alice.
    let r = get(&svc, &mut alice, "/read").await;
    assert_status(&r, StatusCode::OK, "after the fault");
    assert_eq!(r.body, "read by alice");

    // Within one request, the next check retries the load.
    grants.failures.store(1, Ordering::SeqCst);
    let r = get(&svc, &mut alice, "/retry").await;
    assert_eq!(r.body, "first=loader-error second=Ok(true)");
}

#[actix_web::test]
async fn the_scope_wide_form() {
    let grants = grants();
    let svc = service(&grants, Setup::default()).await;

    let mut bob = logged_in(&svc, "bob").await;
    let r = get(&svc, &mut bob, "/admin/users").await;
    assert_status(&r, StatusCode::OK, "bob");
    assert_eq!(r.body, "admin page for bob");
    assert_status(
        &get(&svc, &mut bob, "/admin").await,
        StatusCode::OK,
        "bob /admin",
    );
    let r = send(
        &svc,
        &mut bob,
        test::TestRequest::post().uri("/admin/users"),
    )
    .await;
    assert_status(&r, StatusCode::OK, "bob posts");

    let mut alice = logged_in(&svc, "alice").await;
    let runs = grants.runs();
    let r = get(&svc, &mut alice, "/admin/users").await;
    assert_status(&r, StatusCode::FORBIDDEN, "alice");
    assert_eq!(r.body, "403 Forbidden");
    assert_eq!(grants.runs(), runs);

    let mut anonymous = Jar::default();
    let r = get(&svc, &mut anonymous, "/admin/users?page=2").await;
    assert_status(&r, StatusCode::FOUND, "anonymous");
    assert_eq!(
        r.header("location"),
        Some("/login?next=%2Fadmin%2Fusers%3Fpage%3D2")
    );
    assert_eq!(grants.runs(), runs);

    // Outside the scope nothing changes.
    assert_status(
        &get(&svc, &mut alice, "/read").await,
        StatusCode::OK,
        "alice reads",
    );
}

#[actix_web::test]
async fn the_scope_wide_form_fails_like_the_attribute() {
    let grants = grants();
    let svc = service(&grants, Setup::default()).await;
    let mut bob = logged_in(&svc, "bob").await;
    grants.failures.store(1, Ordering::SeqCst);
    let r = get(&svc, &mut bob, "/admin").await;
    assert_status(&r, StatusCode::INTERNAL_SERVER_ERROR, "failing loader");
    assert_status(
        &get(&svc, &mut bob, "/admin").await,
        StatusCode::OK,
        "still bob",
    );
}

#[actix_web::test]
async fn options_follow_the_login_guards_rule() {
    // Exempt (the 0.6.3 default): answered 200 by the guard, the handler
    // does not run, whoever asks.
    let grants = grants();
    let svc = service(&grants, Setup::default()).await;
    for path in ["/write", "/admin/users"] {
        let mut anonymous = Jar::default();
        let r = send(
            &svc,
            &mut anonymous,
            test::TestRequest::default()
                .method(Method::OPTIONS)
                .uri(path),
        )
        .await;
        assert_status(&r, StatusCode::OK, path);
        assert_eq!(r.body, "");
        let mut dave = logged_in(&svc, "dave").await;
        let r = send(
            &svc,
            &mut dave,
            test::TestRequest::default()
                .method(Method::OPTIONS)
                .uri(path),
        )
        .await;
        assert_status(&r, StatusCode::OK, path);
    }
    assert_eq!(grants.runs(), 0, "no guarded handler ran");
    assert_eq!(grants.calls(), (0, 0), "nothing loaded");

    // Not exempt: guarded like any other method.
    let grants = self::grants();
    let svc = service(
        &grants,
        Setup {
            exempt_options: Some(false),
            ..Setup::default()
        },
    )
    .await;
    for path in ["/write", "/admin/users"] {
        let mut anonymous = Jar::default();
        let r = send(
            &svc,
            &mut anonymous,
            test::TestRequest::default()
                .method(Method::OPTIONS)
                .uri(path),
        )
        .await;
        assert_status(&r, StatusCode::FOUND, path);
        let mut dave = logged_in(&svc, "dave").await;
        let r = send(
            &svc,
            &mut dave,
            test::TestRequest::default()
                .method(Method::OPTIONS)
                .uri(path),
        )
        .await;
        assert_status(&r, StatusCode::FORBIDDEN, path);
    }
    assert_eq!(grants.runs(), 0);
    let mut bob = logged_in(&svc, "bob").await;
    let options = test::TestRequest::default()
        .method(Method::OPTIONS)
        .uri("/admin/users");
    assert_status(&send(&svc, &mut bob, options).await, StatusCode::OK, "bob");
    assert_eq!(grants.runs(), 1, "bob's OPTIONS reached the admin handler");
}

#[actix_web::test]
async fn json_for_api_clients() {
    let grants = grants();
    let svc = service(
        &grants,
        Setup {
            json: true,
            ..Setup::default()
        },
    )
    .await;
    let api = |path: &str| {
        test::TestRequest::get()
            .uri(path)
            .insert_header((header::ACCEPT, "application/json"))
    };

    let mut alice = logged_in(&svc, "alice").await;
    for path in ["/publish", "/admin"] {
        let r = send(&svc, &mut alice, api(path)).await;
        assert_status(&r, StatusCode::FORBIDDEN, path);
        assert_eq!(r.header("content-type"), Some("application/json"));
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["error"], "forbidden", "{path}");
    }
    let r = send(
        &svc,
        &mut alice,
        test::TestRequest::get()
            .uri("/publish")
            .insert_header(("x-requested-with", "XMLHttpRequest")),
    )
    .await;
    assert_status(&r, StatusCode::FORBIDDEN, "XHR");
    assert!(r.body.contains("\"forbidden\""));

    // Anonymous API clients get the login guards' JSON 401.
    let mut anonymous = Jar::default();
    for path in ["/publish", "/admin"] {
        let r = send(&svc, &mut anonymous, api(path)).await;
        assert_status(&r, StatusCode::UNAUTHORIZED, path);
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["error"], "unauthorized");
    }

    // A browser still gets the plain 403.
    let r = get(&svc, &mut alice, "/publish").await;
    assert_eq!(r.body, "403 Forbidden");
}

#[actix_web::test]
async fn a_forbidden_handler_replaces_the_answer() {
    let grants = grants();
    let svc = service(
        &grants,
        Setup {
            json: true,
            forbidden_handler: true,
            ..Setup::default()
        },
    )
    .await;
    let mut alice = logged_in(&svc, "alice").await;

    for path in ["/publish", "/admin", "/decide"] {
        let r = get(&svc, &mut alice, path).await;
        assert_status(&r, StatusCode::FORBIDDEN, path);
        assert_eq!(r.body, "ask an admin", "{path}");
        // The handler wins over JSON, as the unauthorized handler does.
        let r = send(
            &svc,
            &mut alice,
            test::TestRequest::get()
                .uri(path)
                .insert_header((header::ACCEPT, "application/json")),
        )
        .await;
        assert_eq!(r.body, "ask an admin", "{path}");
        // A handler that calls `forbidden(&req)` gets the default answer.
        let r = send(
            &svc,
            &mut alice,
            test::TestRequest::get()
                .uri(path)
                .insert_header(("x-default", "1")),
        )
        .await;
        assert_status(&r, StatusCode::FORBIDDEN, path);
        assert_eq!(r.body, "403 Forbidden", "{path}");
    }

    let mut carol = logged_in(&svc, "carol").await;
    assert_eq!(get(&svc, &mut carol, "/decide").await.body, "decided");
}

#[actix_web::test]
async fn checks_from_a_middleware_on_the_service_request() {
    let grants = grants();
    let svc = service(&grants, Setup::default()).await;

    let mut bob = logged_in(&svc, "bob").await;
    let r = get(&svc, &mut bob, "/mw").await;
    assert_status(&r, StatusCode::OK, "bob");
    assert_eq!(r.header("x-admin"), Some("yes"));
    let mut alice = logged_in(&svc, "alice").await;
    assert_eq!(
        get(&svc, &mut alice, "/mw").await.header("x-admin"),
        Some("no")
    );
    let mut anonymous = Jar::default();
    assert_eq!(
        get(&svc, &mut anonymous, "/mw").await.header("x-admin"),
        Some("no")
    );
}

#[actix_web::test]
async fn without_permissions_a_check_is_a_500_that_says_how_to_fix_it() {
    let grants = grants();
    let svc = service(
        &grants,
        Setup {
            no_permissions: true,
            ..Setup::default()
        },
    )
    .await;
    let mut alice = logged_in(&svc, "alice").await;
    let mut anonymous = Jar::default();
    for (jar, path) in [
        (&mut alice, "/read"),
        (&mut anonymous, "/read"),
        (&mut Jar::default(), "/admin"),
        (&mut Jar::default(), "/checks"),
    ] {
        let r = get(&svc, jar, path).await;
        assert_status(&r, StatusCode::INTERNAL_SERVER_ERROR, path);
        if cfg!(debug_assertions) {
            assert!(
                r.body.contains(".permissions(Permissions::new("),
                "{}",
                r.body
            );
        }
    }

    // Without a login manager at all.
    let svc = test::init_service(App::new().route(
        "/",
        web::get().to(|req: HttpRequest| async move {
            match has_perm(&req, "x").await {
                Err(LoginError::NoManager) => "no-manager".to_owned(),
                other => format!("{other:?}"),
            }
        }),
    ))
    .await;
    assert_eq!(get(&svc, &mut Jar::default(), "/").await.body, "no-manager");
}

// ------------------------------------------------- a permission enum

/// An app's own permission type: the names given to the guards become one
/// with `From<&str>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Perm {
    Admin,
    Named(String),
}

impl From<&str> for Perm {
    fn from(name: &str) -> Perm {
        match name {
            "admin" => Perm::Admin,
            other => Perm::Named(other.to_owned()),
        }
    }
}

struct EnumPerms;

impl PermissionLoader for EnumPerms {
    type User = Account;
    type Permission = Perm;

    async fn group_permissions(
        &self,
        user: &Account,
        _: &HttpRequest,
    ) -> Result<HashSet<Perm>, LoaderError> {
        Ok(match user.id.as_str() {
            "bob" => HashSet::from([Perm::Admin, Perm::Named("notes.read".into())]),
            _ => HashSet::new(),
        })
    }
}

#[permission_required("admin")]
async fn enum_admin() -> &'static str {
    "admin"
}

#[actix_web::test]
async fn an_enum_permission_type() {
    let manager = LoginManager::builder(Users, SECRET)
        .permissions(Permissions::new(EnumPerms))
        .build();
    let svc = test::init_service(
        App::new()
            .wrap(manager)
            .wrap(session_middleware())
            .route("/login/{id}", web::get().to(login))
            .route("/admin", web::get().to(enum_admin))
            .route("/read", web::get().to(read)),
    )
    .await;
    let mut bob = logged_in(&svc, "bob").await;
    assert_status(
        &get(&svc, &mut bob, "/admin").await,
        StatusCode::OK,
        "bob admin",
    );
    assert_status(
        &get(&svc, &mut bob, "/read").await,
        StatusCode::OK,
        "bob reads",
    );
    let mut alice = logged_in(&svc, "alice").await;
    assert_status(
        &get(&svc, &mut alice, "/admin").await,
        StatusCode::FORBIDDEN,
        "alice",
    );
    // Without a login view the anonymous answer is 401, as for the login guards.
    let r = get(&svc, &mut Jar::default(), "/admin").await;
    assert_status(&r, StatusCode::UNAUTHORIZED, "anonymous");
}
