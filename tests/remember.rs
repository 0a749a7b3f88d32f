//! The remember-me cookie (reference §5.6 and §2.3): what `Set-Cookie`
//! carries, how the user comes back after the session is gone, and how the
//! cookie is deleted.

use std::time::Duration;

use crate::common::*;
use actix_login::{RememberCookie, SameSite};
use actix_web::http::StatusCode;

const YEAR: Duration = Duration::from_secs(365 * 24 * 3600);
const NOTCH_COOKIE: &str = "1|0e9e6e9855fbe6df7906ec4737578a1d491b38d3fd5246c1561016e189d6516043286501ca43257c938e60aad77acec5ce916b94ca9d00c0bb6f9883ae4b82ae";

/// `Set-Cookie` with the `Expires` value cut out, for exact comparisons.
fn without_expires(header: &str) -> String {
    header
        .split("; ")
        .map(|part| {
            if part.starts_with("Expires=") {
                "Expires=*"
            } else {
                part
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[actix_web::test]
async fn remember_login_sets_the_flask_cookie() {
    let mut c = client().await;
    let r = c.get("/login-notch-remember").await;
    assert_eq!(r.body, "True");
    let raw = r
        .set_cookie_raw(REMEMBER_COOKIE)
        .expect("remember cookie set");
    assert_eq!(
        without_expires(&raw),
        format!("remember={NOTCH_COOKIE}; Expires=*; HttpOnly; Path=/")
    );
    let cookie = r.set_cookie(REMEMBER_COOKIE).unwrap();
    assert_expires_in(&cookie, YEAR);
    assert!(
        !cookie.has_attr("max-age"),
        "Flask-Login sends Expires only"
    );
    // Werkzeug 3's date format.
    let expires = cookie.attr("expires").unwrap();
    assert!(
        expires.ends_with(" GMT") && !expires.contains('-'),
        "{expires}"
    );
}

/// Upstream `test_remember_me`.
#[actix_web::test]
async fn remembered_user_is_restored_after_the_session_is_cleared() {
    let mut c = client().await;
    c.get("/login-notch-remember").await;
    c.clear_session();
    assert_eq!(c.jar.names(), vec![REMEMBER_COOKIE]);
    let r = c.get("/username").await;
    assert_eq!(r.body, "Notch");
    assert!(
        r.set_cookie(SESSION_COOKIE).is_some(),
        "the restore writes the user into the session"
    );
    assert_eq!(
        r.set_cookie(REMEMBER_COOKIE),
        None,
        "the remember cookie is left alone"
    );
    assert_eq!(c.body("/is-fresh").await, "False");
    assert_eq!(c.body("/is-remembered").await, "True");
    assert_eq!(c.body("/session/get?key=_user_id").await, "\"1\"");
    // The restored session works without the cookie.
    c.jar.remove(REMEMBER_COOKIE);
    assert_eq!(c.body("/username").await, "Notch");
}

/// Upstream `test_remember_me_is_unfresh`.
#[actix_web::test]
async fn remembered_user_is_not_fresh() {
    let mut c = client().await;
    c.get("/login-notch-remember").await;
    assert_eq!(c.body("/is-fresh").await, "True");
    c.clear_session();
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(c.body("/is-fresh").await, "False");
    assert_eq!(c.body("/is-remembered").await, "True");
}

/// Upstream `test_remember_me_custom_duration`.
#[actix_web::test]
async fn remember_with_a_custom_duration_restores_and_expires_in_seven_hours() {
    let mut c = client().await;
    let r = c.get("/login-notch-remember-custom").await;
    assert_eq!(r.body, "True");
    assert_expires_in(
        &r.set_cookie(REMEMBER_COOKIE).unwrap(),
        Duration::from_secs(7 * 3600),
    );
    c.clear_session();
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(c.body("/is-fresh").await, "False");
    assert_eq!(c.body("/is-remembered").await, "True");
}

/// Upstream `test_remember_me_uses_custom_cookie_parameters`.
#[actix_web::test]
async fn remember_cookie_uses_custom_name_duration_path_and_domain() {
    let mut c = client_with(|b| {
        b.remember_cookie(
            flask_cookie()
                .name("myname")
                .duration(Duration::from_secs(2 * 24 * 3600))
                .path("/mypath")
                .domain("localhost.local"),
        )
    })
    .await;
    let r = c.get("/login-notch-remember").await;
    let raw = r.set_cookie_raw("myname").expect("cookie named myname");
    assert_eq!(
        without_expires(&raw),
        format!("myname={NOTCH_COOKIE}; Domain=localhost.local; Expires=*; HttpOnly; Path=/mypath")
    );
    assert_expires_in(
        &r.set_cookie("myname").unwrap(),
        Duration::from_secs(2 * 24 * 3600),
    );
    assert_eq!(r.set_cookie(REMEMBER_COOKIE), None);
    c.remember_name = "myname".to_owned();
    c.clear_session();
    assert_eq!(c.body("/username").await, "Notch");
}

/// Upstream `test_remember_me_custom_duration_uses_custom_cookie`: the
/// per-login duration wins over the configured one.
#[actix_web::test]
async fn per_login_duration_overrides_the_configured_duration() {
    let mut c =
        client_with(|b| b.remember_cookie(flask_cookie().duration(Duration::from_secs(172_800))))
            .await;
    let r = c.get("/login-notch-remember-custom").await;
    assert_expires_in(
        &r.set_cookie(REMEMBER_COOKIE).unwrap(),
        Duration::from_secs(7 * 3600),
    );
    // Without a per-login duration the configured one applies.
    let mut c =
        client_with(|b| b.remember_cookie(flask_cookie().duration(Duration::from_secs(172_800))))
            .await;
    let r = c.get("/login-notch-remember").await;
    assert_expires_in(
        &r.set_cookie(REMEMBER_COOKIE).unwrap(),
        Duration::from_secs(172_800),
    );
}

/// Upstream `test_remember_me_no_refresh_every_request`.
#[actix_web::test]
async fn remember_cookie_is_not_reissued_on_later_requests_by_default() {
    let mut c = client().await;
    c.get("/login-notch-remember").await;
    for path in ["/", "/username", "/protected"] {
        let r = c.get(path).await;
        assert_eq!(r.set_cookie(REMEMBER_COOKIE), None, "{path}");
    }
    c.clear_session();
    let r = c.get("/username").await;
    assert_eq!(r.body, "Notch");
    assert_eq!(
        r.set_cookie(REMEMBER_COOKIE),
        None,
        "a restore does not refresh the cookie"
    );
}

/// Upstream `test_remember_me_refresh_each_request`.
#[actix_web::test]
async fn refresh_each_request_reissues_the_cookie_with_a_later_expiry() {
    let mut c = client_with(|b| b.remember_cookie(flask_cookie().refresh_each_request(true))).await;
    let first = c
        .get("/login-notch-remember")
        .await
        .set_cookie(REMEMBER_COOKIE)
        .unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    c.clear_session();
    let r = c.get("/username").await;
    assert_eq!(r.body, "Notch");
    let second = r.set_cookie(REMEMBER_COOKIE).expect("cookie re-issued");
    assert_eq!(second.value, NOTCH_COOKIE);
    assert!(
        second.expires().unwrap() > first.expires().unwrap(),
        "{first:?} then {second:?}"
    );
    assert_expires_in(&second, YEAR);
    // Also on a view that never touches the user (main's semantics: the
    // request carried the cookie).
    let r = c.get("/").await;
    assert_eq!(
        r.set_cookie(REMEMBER_COOKIE).map(|c| c.value),
        Some(NOTCH_COOKIE.to_owned())
    );
    // Re-issuing the cookie writes nothing into the session.
    assert_eq!(r.set_cookie(SESSION_COOKIE), None);
}

/// Upstream `_set_cookie` reads `_remember_seconds` on every refresh.
#[actix_web::test]
async fn refresh_each_request_keeps_the_per_login_duration() {
    let mut c = client_with(|b| b.remember_cookie(flask_cookie().refresh_each_request(true))).await;
    c.get("/login-notch-remember-custom").await;
    let r = c.get("/").await;
    assert_expires_in(
        &r.set_cookie(REMEMBER_COOKIE).expect("refreshed"),
        Duration::from_secs(7 * 3600),
    );
}

/// CHANGELOG "Fixed": upstream #824.
#[actix_web::test]
async fn refresh_each_request_never_remembers_a_login_without_remember_me() {
    let mut c = client_with(|b| b.remember_cookie(flask_cookie().refresh_each_request(true))).await;
    let r = c.get("/login-notch").await;
    assert_eq!(r.set_cookie(REMEMBER_COOKIE), None);
    for path in ["/", "/username", "/protected"] {
        let r = c.get(path).await;
        assert_eq!(r.set_cookie(REMEMBER_COOKIE), None, "{path}");
    }
    c.clear_session();
    assert_eq!(c.body("/username").await, "Anonymous");
}

#[actix_web::test]
async fn refresh_each_request_ignores_a_cookie_of_another_user() {
    let mut c = client_with(|b| b.remember_cookie(flask_cookie().refresh_each_request(true))).await;
    c.get("/login-as/2").await;
    c.set_remember(NOTCH_COOKIE);
    let r = c.get("/username").await;
    assert_eq!(r.body, "Steve");
    assert_eq!(r.set_cookie(REMEMBER_COOKIE), None);
}

/// Upstream `test_logout_stays_logged_out_with_remember_me`.
#[actix_web::test]
async fn logout_deletes_the_remember_cookie_and_stays_logged_out() {
    let mut c = client().await;
    c.get("/login-notch-remember").await;
    let r = c.get("/logout").await;
    assert_eq!(r.body, "True");
    let deletion = r.set_cookie_raw(REMEMBER_COOKIE).expect("deletion header");
    // Flask's deletion, plus HttpOnly repeated (CHANGELOG "Fixed", #683).
    assert_eq!(
        deletion,
        "remember=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path=/"
    );
    assert_eq!(c.jar.get(REMEMBER_COOKIE), None);
    assert_eq!(c.body("/username").await, "Anonymous");
    c.clear_session();
    assert_eq!(c.body("/username").await, "Anonymous");
}

/// Upstream `test_logout_stays_logged_out_with_remember_me_custom_duration`.
#[actix_web::test]
async fn logout_after_a_custom_duration_login_stays_logged_out() {
    let mut c = client().await;
    c.get("/login-notch-remember-custom").await;
    let r = c.get("/logout").await;
    assert!(r.set_cookie(REMEMBER_COOKIE).unwrap().is_deletion());
    assert_eq!(c.body("/session/get?key=_remember_seconds").await, "<none>");
    assert_eq!(c.body("/username").await, "Anonymous");
}

/// Upstream `logout_user` deletes the cookie only when the request carried
/// it.
#[actix_web::test]
async fn logout_without_the_cookie_in_the_request_deletes_nothing() {
    let mut c = client().await;
    c.get("/login-notch-remember").await;
    let cookie = c.jar.get(REMEMBER_COOKIE).unwrap().to_owned();
    c.jar.remove(REMEMBER_COOKIE);
    let r = c.get("/logout").await;
    assert_eq!(r.set_cookie(REMEMBER_COOKIE), None);
    // The cookie the browser kept elsewhere still restores the user.
    c.set_remember(&cookie);
    assert_eq!(c.body("/username").await, "Notch");
}

#[actix_web::test]
async fn deletion_repeats_domain_path_secure_and_samesite() {
    let mut c = client_with(|b| {
        b.remember_cookie(
            RememberCookie::new()
                .name("rc")
                .duration(Duration::from_secs(2 * 24 * 3600))
                .domain("example.com")
                .path("/app")
                .secure(true)
                .http_only(false)
                .same_site(SameSite::Lax),
        )
    })
    .await;
    c.remember_name = "rc".to_owned();
    let r = c.get("/login-notch-remember").await;
    // The reference's observed 0.6.3 header (§2.3).
    assert_eq!(
        without_expires(&r.set_cookie_raw("rc").unwrap()),
        format!(
            "rc={NOTCH_COOKIE}; Domain=example.com; Expires=*; Secure; Path=/app; SameSite=Lax"
        )
    );
    let r = c.get("/logout").await;
    assert_eq!(
        r.set_cookie_raw("rc").unwrap(),
        "rc=; Domain=example.com; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Secure; Path=/app; SameSite=Lax"
    );
}

/// Upstream `test_invalid_remember_cookie`.
#[actix_web::test]
async fn invalid_remember_cookie_is_anonymous() {
    let mut c = client().await;
    c.set_remember("foo");
    let r = c.get("/username").await;
    assert_eq!(r.body, "Anonymous");
    assert!(r.set_cookies().is_empty(), "{:?}", r.set_cookies());
    assert_eq!(c.body("/is-remembered").await, "False");
}

/// Upstream `UnicodeCookieUserIDTestCase`.
#[actix_web::test]
async fn unicode_user_id_is_remembered_in_a_quoted_cookie() {
    let mut c = client().await;
    let r = c.get("/login-as/%E4%BD%90%E8%97%A4?remember=1").await;
    assert_eq!(r.body, "True");
    let cookie = r.set_cookie(REMEMBER_COOKIE).unwrap();
    let digest = signed("佐藤").rsplit_once('|').unwrap().1.to_owned();
    // Werkzeug's quoting: UTF-8 bytes as octal escapes.
    assert_eq!(
        cookie.value,
        format!("\"\\344\\275\\220\\350\\227\\244|{digest}\"")
    );
    c.clear_session();
    assert_eq!(c.body("/username").await, "Müller");
    assert_eq!(c.body("/userid").await, "佐藤");
}

/// 0.6.3: a valid cookie for a user the loader no longer knows leaves the
/// request anonymous, and the cookie in place (only 0.2.4 deleted it).
#[actix_web::test]
async fn remember_cookie_of_a_forgotten_user_is_anonymous() {
    let mut c = client().await;
    c.get("/login-notch-remember").await;
    c.users.forget("1");
    c.clear_session();
    let r = c.get("/username").await;
    assert_eq!(r.body, "Anonymous");
    assert_eq!(r.set_cookie(REMEMBER_COOKIE), None);
    assert_eq!(c.get("/protected").await.status, StatusCode::UNAUTHORIZED);
}

#[actix_web::test]
async fn remember_cookie_signed_with_another_secret_is_anonymous() {
    let mut c = client().await;
    let other = actix_login::LoginManager::builder(load_user, "other").build();
    c.set_remember(&other.encode_cookie("1"));
    assert_eq!(c.body("/username").await, "Anonymous");
    c.set_remember(&c.manager.encode_cookie("1"));
    assert_eq!(c.body("/username").await, "Notch");
}

#[actix_web::test]
async fn remembered_login_passes_login_required_after_the_session_is_gone() {
    let mut c = client().await;
    c.get("/login-notch-remember").await;
    c.clear_session();
    let r = c.get("/protected").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body, "Access Granted");
}

#[actix_web::test]
async fn session_user_wins_over_the_remember_cookie() {
    let mut c = client().await;
    c.get("/login-notch-remember").await;
    c.get("/login-as/2").await;
    assert_eq!(c.jar.get(REMEMBER_COOKIE), Some(NOTCH_COOKIE));
    assert_eq!(c.body("/username").await, "Steve");
}

/// Flask-Login signs and restores any id, `|` and `~` included: an id that
/// merely ends like actix-login's auth-hash tag is not cut there (found by
/// this test; fixed in commit ec27fd8).
#[actix_web::test]
async fn remember_cookie_restores_exactly_the_signed_id() {
    let users = Users::data();
    // An id a user could choose, that ends like actix-login's auth-hash tag.
    users.insert(TestUser::new("1|~0123456789abcdef", "Mallory", true));
    let mut c = start(manager(|b| b), users, |_| {}).await;
    let r = c
        .get(&format!(
            "/login-as?id={}&remember=1",
            quote("1|~0123456789abcdef")
        ))
        .await;
    assert_eq!(r.body, "True");
    // An id holding `|~` gets the mark even without an auth hash, so the
    // payload reads back as exactly this id (SECURITY.md); `|` and `~` need
    // no quoting.
    assert_eq!(
        r.set_cookie(REMEMBER_COOKIE).unwrap().value,
        signed("1|~0123456789abcdef|~")
    );
    c.clear_session();
    assert_eq!(c.body("/username").await, "Mallory");
    assert_eq!(c.body("/userid").await, "1|~0123456789abcdef");
}
