//! Fresh logins: `login_fresh`, `needs_refresh`, `confirm_login` and
//! `#[fresh_login_required]` (reference §5.5).

use std::time::Duration;

use crate::common::*;
use actix_web::{http::StatusCode, HttpResponse};

/// Upstream `test_authentication_is_fresh`.
#[actix_web::test]
async fn a_password_login_is_fresh_and_not_remembered() {
    let mut c = client().await;
    c.get("/login-notch").await;
    assert_eq!(c.body("/is-fresh").await, "True");
    assert_eq!(c.body("/is-remembered").await, "False");
}

/// Upstream `test_needs_refresh_uses_handler`.
#[actix_web::test]
async fn needs_refresh_handler_replaces_the_response() {
    let mut c = client_with(|b| {
        b.refresh_view("/refresh-view")
            .needs_refresh_handler(|_| HttpResponse::Ok().body("Needs Refresh!"))
    })
    .await;
    let r = c.get("/needs-refresh").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "Needs Refresh!");
    // The guard answers with the handler too.
    c.get("/login-as/1?fresh=0").await;
    assert_eq!(c.body("/fresh").await, "Needs Refresh!");
    assert_eq!(c.body("/flashes").await, "[]");
}

/// Upstream `test_needs_refresh_aborts_401`.
#[actix_web::test]
async fn needs_refresh_without_a_refresh_view_is_401() {
    let mut c = client().await;
    let r = c.get("/needs-refresh").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body, "401 Unauthorized");
    assert_eq!(r.location(), None);
}

/// Upstream `test_redirects_to_refresh_view`.
#[actix_web::test]
async fn needs_refresh_redirects_to_the_named_refresh_view() {
    let mut c = client_with(|b| b.refresh_view("refresh_view")).await;
    let r = c.get("/needs-refresh").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("/refresh-view?next=%2Fneeds-refresh"));
    let r = c.get(r.location().unwrap()).await;
    assert!(
        r.body.starts_with("refresh next=/needs-refresh "),
        "{}",
        r.body
    );
}

/// Upstream `test_refresh_with_next_in_session`.
#[actix_web::test]
async fn refresh_with_next_in_the_session() {
    let mut c = client_with(|b| b.refresh_view("refresh_view").use_session_for_next(true)).await;
    let r = c.get("/needs-refresh").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("/refresh-view"));
    assert_eq!(c.body("/take-next").await, "/needs-refresh");
}

/// Upstream `test_confirm_login`.
#[actix_web::test]
async fn confirm_login_makes_a_remembered_login_fresh() {
    let mut c = client().await;
    c.get("/login-notch-remember").await;
    c.clear_session();
    assert_eq!(c.body("/is-fresh").await, "False");
    assert_eq!(c.body("/is-remembered").await, "True");
    let r = c.get("/confirm-login").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.set_cookie(SESSION_COOKIE).is_some());
    assert_eq!(c.body("/is-fresh").await, "True");
    assert_eq!(c.body("/is-remembered").await, "True");
    assert_eq!(c.body("/username").await, "Notch");
}

/// Upstream `test_fresh_login_required_decorator`.
#[actix_web::test]
async fn fresh_login_required_decorator() {
    let mut c = client().await;
    let r = c.get("/fresh").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body, "401 Unauthorized");

    c.get("/login-notch-remember").await;
    let r = c.get("/fresh").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "Access Granted");

    c.clear_session();
    let r = c.get("/fresh").await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "a restored login is stale"
    );
    assert_eq!(r.body, "401 Unauthorized");
    // It is a login all the same.
    assert_eq!(c.body("/protected").await, "Access Granted");

    c.get("/confirm-login").await;
    let r = c.get("/fresh").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "Access Granted");
}

#[actix_web::test]
async fn fresh_login_required_sends_a_stale_login_to_the_refresh_view() {
    let mut c = client_with(|b| b.login_view("/login").refresh_view("/refresh-view")).await;
    c.get("/login-as/1?fresh=0").await;
    let r = c.get("/fresh").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("/refresh-view?next=%2Ffresh"));
}

#[actix_web::test]
async fn fresh_login_required_sends_anonymous_users_to_the_login_view() {
    let mut c = client_with(|b| b.login_view("/login").refresh_view("/refresh-view")).await;
    let r = c.get("/fresh").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("/login?next=%2Ffresh"));
}

#[actix_web::test]
async fn logout_clears_freshness() {
    let mut c = client().await;
    c.get("/login-notch").await;
    c.get("/logout").await;
    assert_eq!(c.body("/is-fresh").await, "False");
    assert_eq!(c.get("/fresh").await.status, StatusCode::UNAUTHORIZED);
}

/// Beyond Flask-Login: a fresh login that expires.
#[actix_web::test]
async fn fresh_login_goes_stale_after_fresh_max_age() {
    let mut c = client_with(|b| b.fresh_max_age(Duration::from_secs(1))).await;
    c.get("/login-notch").await;
    assert_eq!(c.body("/is-fresh").await, "True");
    assert_eq!(c.body("/fresh").await, "Access Granted");
    std::thread::sleep(Duration::from_millis(2100));
    assert_eq!(c.body("/is-fresh").await, "False");
    assert_eq!(c.get("/fresh").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(c.body("/protected").await, "Access Granted");
    c.get("/confirm-login").await;
    assert_eq!(c.body("/fresh").await, "Access Granted");
}
