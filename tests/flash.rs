//! Flashed messages on the way to the login and refresh views (the flash
//! tests of reference §5.3 and §5.5), stored as Flask stores them.

use crate::common::*;
use actix_web::http::StatusCode;

const DEFAULT_LOGIN: &str = r#"[["message","Please log in to access this page."]]"#;
const DEFAULT_REFRESH: &str = r#"[["message","Please reauthenticate to access this page."]]"#;

/// Upstream `test_unauthorized_flashes_message_with_login_view`.
#[actix_web::test]
async fn unauthorized_flashes_the_login_message() {
    let mut c = client_with(|b| {
        b.login_view("/login")
            .login_message(Some("Log in!"))
            .login_message_category("login")
    })
    .await;
    let r = c.get("/secret").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert!(
        r.set_cookie(SESSION_COOKIE).is_some(),
        "the flash is saved in the session"
    );
    let r = c.get(r.location().unwrap()).await;
    assert_eq!(
        r.body,
        r#"login next=/secret flashes=[["login","Log in!"]]"#
    );
}

#[actix_web::test]
async fn default_login_message_and_category() {
    let mut c = client_with(|b| b.login_view("/login")).await;
    c.get("/secret").await;
    assert_eq!(c.body("/flashes").await, DEFAULT_LOGIN);
}

/// Flask's session format: `_flashes` is a list of `[category, message]`.
#[actix_web::test]
async fn flashes_are_stored_in_flasks_format() {
    let mut c = client_with(|b| b.login_view("/login")).await;
    c.get("/secret").await;
    assert_eq!(c.body("/session/get?key=_flashes").await, DEFAULT_LOGIN);
    // Reading them removes them.
    assert_eq!(c.body("/flashes").await, DEFAULT_LOGIN);
    assert_eq!(c.body("/flashes").await, "[]");
    assert_eq!(c.body("/session/get?key=_flashes").await, "<none>");
}

/// Upstream `test_unauthorized_flash_message_localized`.
#[actix_web::test]
async fn login_message_is_localized() {
    let mut c = client_with(|b| {
        b.login_view("/login")
            .login_message(Some("Log in!"))
            .login_message_category("login")
            .localize(|m| {
                if m == "Log in!" {
                    "Einloggen".to_owned()
                } else {
                    m.to_owned()
                }
            })
    })
    .await;
    c.get("/secret").await;
    assert_eq!(c.body("/flashes").await, r#"[["login","Einloggen"]]"#);
}

#[actix_web::test]
async fn no_login_message_flashes_nothing() {
    for message in [None, Some("")] {
        let mut c = client_with(move |b| b.login_view("/login").login_message(message)).await;
        let r = c.get("/secret").await;
        assert_eq!(r.status, StatusCode::FOUND);
        assert_eq!(r.location(), Some("/login?next=%2Fsecret"));
        assert_eq!(c.body("/flashes").await, "[]", "{message:?}");
    }
}

/// Upstream: `abort(401)` comes before the flash.
#[actix_web::test]
async fn a_401_flashes_nothing() {
    let mut c = client().await;
    assert_eq!(c.get("/secret").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        c.get("/needs-refresh").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(c.body("/flashes").await, "[]");
}

/// Upstream `test_needs_refresh_fires_flash_when_redirect_to_refresh_view`.
#[actix_web::test]
async fn needs_refresh_flashes_the_refresh_message() {
    let mut c = client_with(|b| {
        b.refresh_view("/refresh-view")
            .needs_refresh_message(Some("Refresh"))
            .needs_refresh_message_category("refresh")
    })
    .await;
    let r = c.get("/needs-refresh").await;
    assert_eq!(r.status, StatusCode::FOUND);
    let r = c.get(r.location().unwrap()).await;
    assert_eq!(
        r.body,
        r#"refresh next=/needs-refresh flashes=[["refresh","Refresh"]]"#
    );
}

#[actix_web::test]
async fn default_refresh_message_and_category() {
    let mut c = client_with(|b| b.refresh_view("/refresh-view")).await;
    c.get("/needs-refresh").await;
    assert_eq!(c.body("/flashes").await, DEFAULT_REFRESH);
}

/// Upstream `test_needs_refresh_flash_message_localized`.
#[actix_web::test]
async fn refresh_message_is_localized() {
    let mut c = client_with(|b| {
        b.refresh_view("/refresh-view")
            .needs_refresh_message(Some("Refresh"))
            .needs_refresh_message_category("refresh")
            .localize(|m| {
                if m == "Refresh" {
                    "Aktualisieren".to_owned()
                } else {
                    m.to_owned()
                }
            })
    })
    .await;
    c.get("/needs-refresh").await;
    assert_eq!(c.body("/flashes").await, r#"[["refresh","Aktualisieren"]]"#);
}

/// 0.6.3 flashes the refresh message only if it is set.
#[actix_web::test]
async fn no_refresh_message_flashes_nothing() {
    let mut c = client_with(|b| b.refresh_view("/refresh-view").needs_refresh_message(None)).await;
    let r = c.get("/needs-refresh").await;
    assert_eq!(r.location(), Some("/refresh-view?next=%2Fneeds-refresh"));
    assert_eq!(c.body("/flashes").await, "[]");
}

/// The guard answers through an extractor error; the session middleware
/// still saves the flash of that response.
#[actix_web::test]
async fn guard_redirects_still_save_the_flash() {
    let mut c = client_with(|b| b.login_view("/login").refresh_view("/refresh-view")).await;
    let r = c.get("/protected").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert!(r.set_cookie(SESSION_COOKIE).is_some());
    let r = c.get(r.location().unwrap()).await;
    assert_eq!(
        r.body,
        format!("login next=/protected flashes={DEFAULT_LOGIN}")
    );

    c.get("/login-as/1?fresh=0").await;
    let r = c.get("/fresh").await;
    assert_eq!(r.status, StatusCode::FOUND);
    let r = c.get(r.location().unwrap()).await;
    assert_eq!(
        r.body,
        format!("refresh next=/fresh flashes={DEFAULT_REFRESH}")
    );
}

#[actix_web::test]
async fn flashes_accumulate_until_read() {
    let mut c = client_with(|b| b.login_view("/login").refresh_view("/refresh-view")).await;
    c.get("/secret").await;
    c.get("/needs-refresh").await;
    assert_eq!(
        c.body("/flashes").await,
        r#"[["message","Please log in to access this page."],["message","Please reauthenticate to access this page."]]"#
    );
}

/// Logging out removes the login, not the app's data: flashes stay.
#[actix_web::test]
async fn flashes_survive_login_and_logout() {
    let mut c = client_with(|b| b.login_view("/login")).await;
    c.get("/secret").await;
    c.get("/login-notch").await;
    c.get("/logout").await;
    assert_eq!(c.body("/flashes").await, DEFAULT_LOGIN);
}

#[actix_web::test]
async fn app_flashes_use_the_same_list() {
    async fn saved(req: actix_web::HttpRequest) -> actix_web::HttpResponse {
        actix_login::flash(&req, "Saved.", "info");
        actix_web::HttpResponse::SeeOther()
            .insert_header(("Location", "/"))
            .finish()
    }
    let m = manager(|b| b.login_view("/login"));
    let mut c = start(m, Users::data(), |cfg| {
        cfg.route("/save", actix_web::web::get().to(saved));
    })
    .await;
    assert_eq!(c.get("/save").await.status, StatusCode::SEE_OTHER);
    c.get("/secret").await;
    assert_eq!(
        c.body("/flashes").await,
        r#"[["info","Saved."],["message","Please log in to access this page."]]"#
    );
}
