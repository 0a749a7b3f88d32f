//! The login state made at the first ask (the middleware makes the manager
//! reachable as request data; `state::of` puts the state in the request's
//! extensions). What `request_state` and `remember` do not already show:
//!
//! 1. a login through a manager on a scope nested in the app's manager,
//!    then the next request of that scope;
//! 2. a routing guard as the first ask: the state it makes is the one whose
//!    remember cookie the response carries;
//! 3. two managers of two user types (app and scope), each refreshing its
//!    own remember cookie, whoever asks: nobody, the scope, the outer
//!    middleware before and after the scope, or both;
//! 4. the 0.2.4 ("eager") profile nested under the 0.6.3 one and the other
//!    way round.

use std::collections::HashMap;

use actix_login::{
    login_user, CurrentUser, LoaderError, LoginExt, LoginManager, LoginOptions, Profile,
    RememberCookie, RequestLoader, SessionProtection, User, UserLoader,
};
use actix_web::{
    body::MessageBody,
    dev::{Service, ServiceRequest, ServiceResponse},
    guard,
    http::{
        header::{HeaderName, HeaderValue},
        StatusCode,
    },
    middleware::{from_fn, Next},
    test, web, App, FromRequest, HttpRequest, HttpResponse,
};

use crate::common::*;

const KEY: &str = "lazy-state tests: a secret long enough to sign with";
const MEMBER_COOKIE: &str = "member_remember";
const ADMIN_COOKIE: &str = "admin_remember";

// ------------------------------------------------------------------ users

/// A user type the tests can make from an id, and name in a page.
trait Named: User {
    const LABEL: &'static str;
    fn from_id(id: &str) -> Self;
}

#[derive(Debug, Clone)]
struct Member {
    id: String,
}

impl User for Member {
    fn get_id(&self) -> String {
        self.id.clone()
    }
}

impl Named for Member {
    const LABEL: &'static str = "member";
    fn from_id(id: &str) -> Self {
        Member { id: id.to_owned() }
    }
}

#[derive(Debug, Clone)]
struct Admin {
    id: String,
}

impl User for Admin {
    fn get_id(&self) -> String {
        self.id.clone()
    }
}

impl Named for Admin {
    const LABEL: &'static str = "admin";
    fn from_id(id: &str) -> Self {
        Admin { id: id.to_owned() }
    }
}

/// Every id names a user.
struct Everybody;

impl UserLoader for Everybody {
    type User = Member;

    async fn load_user(&self, id: &str, _: &HttpRequest) -> Result<Option<Member>, LoaderError> {
        Ok(Some(Member::from_id(id)))
    }
}

struct EveryAdmin;

impl UserLoader for EveryAdmin {
    type User = Admin;

    async fn load_user(&self, id: &str, _: &HttpRequest) -> Result<Option<Admin>, LoaderError> {
        Ok(Some(Admin::from_id(id)))
    }
}

/// The admin named by the `x-admin` header: a login that writes nothing
/// into the session.
struct AdminHeader;

impl RequestLoader for AdminHeader {
    type User = Admin;

    async fn load_user_from_request(
        &self,
        req: &HttpRequest,
    ) -> Result<Option<Admin>, LoaderError> {
        Ok(req
            .headers()
            .get("x-admin")
            .and_then(|v| v.to_str().ok())
            .map(Admin::from_id))
    }
}

fn cookie(name: &str, refresh: bool) -> RememberCookie {
    RememberCookie::new()
        .name(name)
        .secure(false)
        .refresh_each_request(refresh)
}

fn members(profile: Profile, refresh: bool) -> LoginManager<Member> {
    LoginManager::builder(Everybody, KEY)
        .profile(profile)
        .session_protection(SessionProtection::Off)
        .remember_cookie(cookie(MEMBER_COOKIE, refresh))
        .build()
}

fn admins(profile: Profile, refresh: bool) -> LoginManager<Admin> {
    LoginManager::builder(EveryAdmin, KEY)
        .profile(profile)
        .session_protection(SessionProtection::Off)
        .remember_cookie(cookie(ADMIN_COOKIE, refresh))
        .request_loader(AdminHeader)
        .build()
}

// ------------------------------------------------------------------ pages

/// `member alice`, `admin root`, or `member anonymous`.
fn describe<U: Named>(user: &CurrentUser<U>) -> String {
    match user.user() {
        Some(u) if user.is_authenticated() => format!("{} {}", U::LABEL, u.get_id()),
        _ => format!("{} anonymous", U::LABEL),
    }
}

async fn who<U: Named>(user: CurrentUser<U>) -> HttpResponse {
    HttpResponse::Ok().body(describe(&user))
}

/// `/login/{id}`, `?remember=1` for "remember me".
async fn log_in<U: Named>(
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> actix_web::Result<HttpResponse> {
    let remember = query.get("remember").map(String::as_str) == Some("1");
    login_user(
        &req,
        U::from_id(&id),
        LoginOptions::new().remember(remember),
    )?;
    Ok(HttpResponse::Ok().body(format!("logged in {id}")))
}

/// A page that never asks for the login.
async fn plain() -> HttpResponse {
    HttpResponse::Ok().body("plain")
}

fn set_header<B>(res: &mut ServiceResponse<B>, name: &'static str, value: &str) {
    res.headers_mut().insert(
        HeaderName::from_static(name),
        HeaderValue::from_str(&value.replace(['\r', '\n'], " ")).expect("an ASCII header value"),
    );
}

/// A middleware inside the app's manager (and outside a scope's): reads the
/// app's user before `next.call` when the request has `x-ask-before`, and
/// always after; reports both (`-` for "not asked").
async fn probe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let before = if req.headers().contains_key("x-ask-before") {
        describe(&CurrentUser::<Member>::extract(req.request()).await?)
    } else {
        "-".to_owned()
    };
    let mut res = next.call(req).await?;
    let after = describe(&CurrentUser::<Member>::extract(res.request()).await?);
    set_header(&mut res, "x-before", &before);
    set_header(&mut res, "x-after", &after);
    Ok(res)
}

fn with_header(path: &str, name: &'static str, value: &str) -> test::TestRequest {
    test::TestRequest::get()
        .uri(path)
        .insert_header((name, value))
}

// ------------------------------------- 1. a login through a scope's manager

/// A user logged in through the manager of a scope nested in the app's: the
/// scope's next request loads that user. The scope's state is dropped when
/// the scope's manager gives the app's state back, before
/// `SessionMiddleware` saves the session; the session check
/// (`SessionCheck`) reads a dropped state whose session still names the
/// user it logged in as "no `SessionMiddleware` saved this", and from then
/// on refuses that manager's logins and loads. (Also so before the state
/// moved to the first ask: the scope's response future held it no longer.)
#[actix_web::test]
async fn a_login_through_a_scope_manager_is_there_on_the_next_request() {
    let svc = test::init_service(
        App::new()
            .wrap(members(Profile::V0_6_3, false))
            .wrap(session_middleware())
            .service(
                web::scope("/admin")
                    .wrap(admins(Profile::V0_6_3, false))
                    .route("/login/{id}", web::get().to(log_in::<Admin>))
                    .route("/me", web::get().to(who::<Admin>)),
            )
            .route("/me", web::get().to(who::<Member>)),
    )
    .await;
    let mut jar = Jar::default();
    assert_eq!(
        body(&svc, &mut jar, "/admin/login/root").await,
        "logged in root"
    );
    let r = get(&svc, &mut jar, "/admin/me").await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (StatusCode::OK, "admin root"),
        "the scope's manager loads the user it logged in"
    );
    assert_eq!(
        body(&svc, &mut jar, "/admin/login/other").await,
        "logged in other"
    );
}

// ------------------------------------------- 2. a routing guard asks first

/// The first ask of a request is a routing guard's (`GuardContext`): the
/// state it puts in the request is the one the handler logs in on, and the
/// one whose remember cookie the response carries.
#[actix_web::test]
async fn a_state_first_made_by_a_routing_guard_carries_the_remember_cookie() {
    let svc = test::init_service(
        App::new()
            .wrap(members(Profile::V0_6_3, false))
            .wrap(session_middleware())
            .service(
                web::resource("/login/{id}")
                    .route(
                        web::get()
                            .guard(guard::fn_guard(|ctx| matches!(ctx.login_id(), Ok(None))))
                            .to(log_in::<Member>),
                    )
                    .route(web::get().to(|| async { HttpResponse::Conflict().body("already") })),
            )
            .route("/me", web::get().to(who::<Member>)),
    )
    .await;
    let mut jar = Jar::default();
    let r = get(&svc, &mut jar, "/login/alice?remember=1").await;
    assert_eq!(r.body, "logged in alice");
    assert!(r.sets(MEMBER_COOKIE), "{:?}", r.set_cookies());
    assert_eq!(body(&svc, &mut jar, "/me").await, "member alice");
    // The browser is closed: the cookie set there restores the user.
    jar.keep_only(MEMBER_COOKIE);
    assert_eq!(body(&svc, &mut jar, "/me").await, "member alice");
    assert_eq!(
        get(&svc, &mut jar, "/login/bob").await.status,
        StatusCode::CONFLICT
    );
}

// ---------------------------- 3. two managers, two types, refresh each request

/// An app's manager (members) and a scope's (admins), each refreshing its
/// own remember cookie on every request it handles, and the app's middleware
/// between them reading the member before and after the scope.
#[actix_web::test]
async fn nested_managers_each_refresh_their_own_cookie_whoever_asks() {
    let admin_manager = admins(Profile::V0_6_3, true);
    let admin_cookie = admin_manager.encode_cookie("alice");
    let svc = test::init_service(
        App::new()
            .wrap(from_fn(probe))
            .wrap(members(Profile::V0_6_3, true))
            .wrap(session_middleware())
            .service(
                web::scope("/admin")
                    .wrap(admin_manager)
                    .route("/me", web::get().to(who::<Admin>))
                    .route("/plain", web::get().to(plain)),
            )
            .route("/login/{id}", web::get().to(log_in::<Member>))
            .route("/me", web::get().to(who::<Member>))
            .route("/plain", web::get().to(plain)),
    )
    .await;
    let mut jar = Jar::default();
    let r = get(&svc, &mut jar, "/login/alice?remember=1").await;
    assert!(r.sets(MEMBER_COOKIE), "{:?}", r.set_cookies());
    // The admin's remember cookie, for the same id as the session's user.
    jar.set(ADMIN_COOKIE, &admin_cookie);

    // (path, ask before the scope?, body, refreshes the admin cookie?)
    let cases = [
        ("/plain", false, "plain", false),
        ("/me", false, "member alice", false),
        ("/admin/plain", false, "plain", true),
        ("/admin/me", false, "admin alice", true),
        ("/admin/plain", true, "plain", true),
        ("/admin/me", true, "admin alice", true),
    ];
    for (path, ask_before, page, admin_refresh) in cases {
        let req = if ask_before {
            with_header(path, "x-ask-before", "1")
        } else {
            test::TestRequest::get().uri(path)
        };
        let r = send(&svc, &mut jar, req).await;
        let what = format!("{path} (ask before: {ask_before})");
        assert_eq!(
            (r.status, r.body.as_str()),
            (StatusCode::OK, page),
            "{what}"
        );
        let before = if ask_before { "member alice" } else { "-" };
        assert_eq!(r.header("x-before"), Some(before), "{what}");
        assert_eq!(r.header("x-after"), Some("member alice"), "{what}");
        assert!(
            r.sets(MEMBER_COOKIE),
            "{what}: the app's cookie is refreshed: {:?}",
            r.set_cookies()
        );
        assert_eq!(
            r.sets(ADMIN_COOKIE),
            admin_refresh,
            "{what}: the scope's cookie: {:?}",
            r.set_cookies()
        );
    }
}

// ------------------------------------- 4. the eager profile, nested either way

/// What an app with a members' manager and an admins' manager on `/admin`
/// answers, whichever profile each has: the admin comes from the `x-admin`
/// header (the request loader: nothing is written into the session), the
/// member from the app's login.
async fn nesting_answers<S, B>(svc: &S, what: &str)
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let mut jar = Jar::default();
    assert_eq!(
        body(svc, &mut jar, "/login/alice").await,
        "logged in alice",
        "{what}"
    );
    let r = send(svc, &mut jar, with_header("/admin/me", "x-admin", "root")).await;
    assert_eq!(r.body, "admin root", "{what}");
    assert_eq!(r.header("x-after"), Some("member alice"), "{what}");
    let r = send(
        svc,
        &mut jar,
        with_header("/admin/me", "x-admin", "root").insert_header(("x-ask-before", "1")),
    )
    .await;
    assert_eq!(r.body, "admin root", "{what}");
    assert_eq!(r.header("x-before"), Some("member alice"), "{what}");
    assert_eq!(r.header("x-after"), Some("member alice"), "{what}");
    let r = get(svc, &mut jar, "/admin/plain").await;
    assert_eq!(r.header("x-after"), Some("member alice"), "{what}");
    assert_eq!(body(svc, &mut jar, "/me").await, "member alice", "{what}");
    assert_eq!(
        body(svc, &mut jar, "/admin/me").await,
        "admin anonymous",
        "{what}"
    );
}

#[actix_web::test]
async fn the_eager_profile_nested_under_the_lazy_one_and_the_other_way_round() {
    for (outer, inner) in [
        (Profile::V0_6_3, Profile::V0_2_4),
        (Profile::V0_2_4, Profile::V0_6_3),
    ] {
        let svc = test::init_service(
            App::new()
                .wrap(from_fn(probe))
                .wrap(members(outer, false))
                .wrap(session_middleware())
                .service(
                    web::scope("/admin")
                        .wrap(admins(inner, false))
                        .route("/me", web::get().to(who::<Admin>))
                        .route("/plain", web::get().to(plain)),
                )
                .route("/login/{id}", web::get().to(log_in::<Member>))
                .route("/me", web::get().to(who::<Member>)),
        )
        .await;
        nesting_answers(&svc, &format!("app {outer:?}, scope {inner:?}")).await;
    }
}
