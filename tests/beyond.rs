//! What actix-login adds to Flask-Login, through HTTP: revocation on a
//! credential change, anonymous-only pages, the test helper, `safe_next` in a
//! login handler. (`tracing` events are in tracing_events.rs; request loader, per-scope login
//! views, JSON for API clients and timed freshness are in loaders.rs,
//! next.rs and freshness.rs.)

use crate::common::*;
use actix_login::{
    anonymous_required, login_user, safe_next, testing::login_as, LoginOptions, SessionProtection,
};
use actix_web::{dev::Service, http::StatusCode, test, web, App, HttpRequest, HttpResponse};

// ------------------------------------------------- revocation (auth hash)

#[actix_web::test]
async fn password_change_logs_out_every_session() {
    let mut a = client().await;
    a.users.set_auth_hash("1", Some(b"hash-of-old-password"));
    assert_eq!(a.body("/login-notch").await, "True");
    assert_eq!(a.body("/username").await, "Notch");

    // The password changes (elsewhere): the stored digest no longer matches.
    a.users.set_auth_hash("1", Some(b"hash-of-new-password"));
    assert_eq!(a.body("/username").await, "Anonymous");
    assert_eq!(a.get("/protected").await.status, StatusCode::UNAUTHORIZED);

    // Logging in again with the new credentials works.
    assert_eq!(a.body("/login-notch").await, "True");
    assert_eq!(a.body("/username").await, "Notch");
}

#[actix_web::test]
async fn unchanged_auth_hash_keeps_the_session() {
    let mut c = client().await;
    c.users.set_auth_hash("1", Some(b"hash"));
    c.body("/login-notch").await;
    for _ in 0..3 {
        assert_eq!(c.body("/username").await, "Notch");
    }
}

#[actix_web::test]
async fn password_change_invalidates_remember_cookies() {
    let mut c = client().await;
    c.users.set_auth_hash("1", Some(b"old"));
    c.body("/login-notch-remember").await;
    let cookie = c.jar.get(REMEMBER_COOKIE).unwrap().to_owned();
    assert!(
        cookie.starts_with("1|~") && cookie.matches('|').count() == 2,
        "a tagged cookie: {cookie}"
    );

    // Before the change the cookie restores the user.
    c.clear_session();
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(c.body("/is-fresh").await, "False");

    // After it, the same cookie is refused.
    c.users.set_auth_hash("1", Some(b"new"));
    c.clear_session();
    c.set_remember(&cookie);
    assert_eq!(c.body("/username").await, "Anonymous");
}

#[actix_web::test]
async fn an_untagged_cookie_cannot_restore_a_user_with_an_auth_hash() {
    // A Flask-format cookie (valid signature, no tag) was issued before the
    // user had an auth hash: it proves nothing about the current password.
    let mut c = client().await;
    c.users.set_auth_hash("1", Some(b"hash"));
    let plain = c.manager.encode_cookie("1");
    c.set_remember(&plain);
    assert_eq!(c.body("/username").await, "Anonymous");
}

#[actix_web::test]
async fn the_session_stores_a_keyed_digest_not_the_auth_hash() {
    let mut c = client().await;
    let raw = b"$argon2id$v=19$the-password-hash";
    c.users.set_auth_hash("1", Some(raw));
    c.body("/login-notch").await;
    let stored = c.body("/session/get?key=_auth_hash").await;
    let stored = stored.trim_matches('"');
    assert_eq!(stored.len(), 128, "an HMAC-SHA512 digest: {stored}");
    assert!(stored.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(!stored.contains("argon2"));
}

// ------------------------------------------------------ anonymous_required

#[anonymous_required]
async fn register() -> HttpResponse {
    HttpResponse::Ok().body("sign up")
}

fn register_route(cfg: &mut web::ServiceConfig) {
    cfg.route("/register", web::get().to(register));
}

#[actix_web::test]
async fn anonymous_required_lets_visitors_in() {
    let mut c = start(manager(|b| b), Users::data(), register_route).await;
    let r = c.get("/register").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "sign up");
}

#[actix_web::test]
async fn anonymous_required_sends_logged_in_users_away() {
    let m = manager(|b| b.anonymous_required_redirect("/home"));
    let mut c = start(m, Users::data(), register_route).await;
    c.body("/login-notch").await;
    let r = c.get("/register").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), Some("/home"));
    // After logout the page opens again.
    c.body("/logout").await;
    assert_eq!(c.get("/register").await.status, StatusCode::OK);
}

#[actix_web::test]
async fn anonymous_required_redirects_to_root_by_default() {
    let mut c = start(manager(|b| b), Users::data(), register_route).await;
    c.body("/login-notch").await;
    assert_eq!(c.get("/register").await.location(), Some("/"));
}

// --------------------------------------------------------- the test helper

async fn app_for(
    protection: SessionProtection,
) -> impl Service<
    actix_http::Request,
    Response = actix_web::dev::ServiceResponse,
    Error = actix_web::Error,
> {
    test::init_service(
        App::new()
            .app_data(Users::data())
            .wrap(manager(|b| b.session_protection(protection)))
            .wrap(session_middleware())
            .configure(routes),
    )
    .await
}

async fn body_of(
    app: &impl Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse,
        Error = actix_web::Error,
    >,
    req: actix_http::Request,
) -> String {
    let res = test::call_service(app, req).await;
    String::from_utf8(test::read_body(res).await.to_vec()).unwrap()
}

#[actix_web::test]
async fn login_as_logs_a_test_request_in_without_a_form() {
    for protection in [
        SessionProtection::Off,
        SessionProtection::Basic,
        SessionProtection::Strong,
    ] {
        let app = app_for(protection).await;
        let req = login_as(
            test::TestRequest::get()
                .uri("/username")
                .peer_addr(PEER.parse().unwrap())
                .to_request(),
            "2",
            true,
        );
        assert_eq!(body_of(&app, req).await, "Steve", "{protection:?}");
        let req = login_as(
            test::TestRequest::get()
                .uri("/is-fresh")
                .peer_addr(PEER.parse().unwrap())
                .to_request(),
            "2",
            true,
        );
        assert_eq!(body_of(&app, req).await, "True", "{protection:?}");
    }
}

#[actix_web::test]
async fn login_as_can_make_a_stale_login() {
    let app = app_for(SessionProtection::Basic).await;
    let req = login_as(
        test::TestRequest::get().uri("/fresh").to_request(),
        "1",
        false,
    );
    let res = test::call_service(&app, req).await;
    // Logged in, not fresh, no refresh view: 401 from the fresh guard.
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let req = login_as(
        test::TestRequest::get().uri("/protected").to_request(),
        "1",
        false,
    );
    assert_eq!(body_of(&app, req).await, "Access Granted");
}

#[actix_web::test]
async fn a_request_without_login_as_is_anonymous() {
    let app = app_for(SessionProtection::Basic).await;
    let req = test::TestRequest::get().uri("/username").to_request();
    assert_eq!(body_of(&app, req).await, "Anonymous");
}

// --------------------------------------------------- safe_next in a handler

/// A login handler as the docs recommend: log in, then follow `next` only
/// when `safe_next` accepts it for this host.
async fn do_login(
    req: HttpRequest,
    users: web::Data<Users>,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> actix_web::Result<HttpResponse> {
    login_user(&req, users.get("1").unwrap(), LoginOptions::new())?;
    let target = query
        .get("next")
        .and_then(|n| safe_next(n, Some("app.example")))
        .unwrap_or_else(|| "/".to_owned());
    Ok(HttpResponse::SeeOther()
        .insert_header(("Location", target))
        .finish())
}

/// Adversarial `next` values; the raw query strings are percent-encoded
/// once more so they arrive as written.
const LEAVING: &[&str] = &[
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\\/evil.example",
    "https://evil.example/",
    "http://evil.example",
    "HTTPS://EVIL.EXAMPLE",
    "https://app.example@evil.example/",
    "https://app.example:pw@evil.example/",
    "https://evil.example#@app.example",
    "https://evil.example?@app.example",
    "https://app.example.evil.example/",
    "https://evil.example/app.example",
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://app.example/",
    "http:evil.example",
    "http:/evil.example",
    "http:///evil.example",
    "https:\\\\evil.example",
    " //evil.example",
    "\t//evil.example",
    "\n//evil.example",
    "\r\n//evil.example",
    "\u{0}//evil.example",
    "\u{b}//evil.example",
    "\u{200B}//evil.example",
    "\u{FEFF}//evil.example",
    "/\u{2028}/evil.example",
    "\u{3000}//evil.example",
    "%2F%2Fevil.example",
    "%2f%2fevil.example",
    "/%2Fevil.example",
    "/%5Cevil.example",
    "%5C%5Cevil.example",
    "%252F%252Fevil.example",
    "%25252F%25252Fevil.example",
    "/%09/evil.example",
    "/%0D%0A/evil.example",
    "%00//evil.example",
    "javascript%3Aalert(1)",
    "%6A%61%76%61%73%63%72%69%70%74%3Aalert(1)",
    "https%3A%2F%2Fevil.example",
    "/x\r\nLocation: https://evil.example",
    "",
];

const STAYING: &[&str] = &[
    "/",
    "/account",
    "/account?tab=security&x=%2F",
    "/search?q=%2F%2Fnot-a-host",
    "/files/a%2Fb",
    "/caf%C3%A9",
    "settings",
    "?page=2",
    "#top",
    "https://app.example/account",
    "http://APP.example/",
];

fn encode(s: &str) -> String {
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

#[actix_web::test]
async fn a_login_handler_with_safe_next_never_leaves_the_site() {
    let mut c = start(manager(|b| b), Users::data(), |cfg| {
        cfg.route("/do-login", web::get().to(do_login));
    })
    .await;
    for evil in LEAVING {
        let r = c.get(&format!("/do-login?next={}", encode(evil))).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(
            r.location(),
            Some("/"),
            "next={evil:?} must not be followed"
        );
    }
    for good in STAYING {
        let r = c.get(&format!("/do-login?next={}", encode(good))).await;
        assert_eq!(r.location(), Some(*good), "next={good:?} stays on the site");
    }
}
