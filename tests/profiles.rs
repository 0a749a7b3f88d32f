//! The two compatibility profiles side by side: what Flask-Login 0.2.4 did
//! (reference §5.12, §0, §1) and 0.6.3 does differently.

use crate::common::*;
use actix_login::{make_secure_token, session_identifier, Profile, SessionProtection, Signal};
use actix_web::{
    http::{header, header::HeaderValue, Method, StatusCode},
    test::TestRequest,
};

const V024: Profile = Profile::V0_2_4;
const V063: Profile = Profile::V0_6_3;
const NOTCH_024: &str = "1|7d276051c1eec578ed86f6b8478f7f7d803a7970";

async fn recorded(
    profile: Profile,
    mode: SessionProtection,
) -> (
    Client<
        impl actix_web::dev::Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse,
            Error = actix_web::Error,
        >,
    >,
    Signals,
) {
    let signals = Signals::default();
    let s = signals.clone();
    let c = client_with(move |b| s.subscribe(b.profile(profile).session_protection(mode))).await;
    (c, signals)
}

#[actix_web::test]
async fn needs_refresh_without_a_refresh_view_is_403_in_024_and_401_in_063() {
    for (profile, status, body) in [
        (V024, StatusCode::FORBIDDEN, "403 Forbidden"),
        (V063, StatusCode::UNAUTHORIZED, "401 Unauthorized"),
    ] {
        let (mut c, _) = recorded(profile, SessionProtection::Off).await;
        let r = c.get("/needs-refresh").await;
        assert_eq!((r.status, r.body.as_str()), (status, body), "{profile:?}");
        // The fresh guard on a stale login answers the same.
        c.get("/login-as/1?fresh=0").await;
        let r = c.get("/fresh").await;
        assert_eq!((r.status, r.body.as_str()), (status, body), "{profile:?}");
        // Anonymous users still get 401 from the fresh guard.
        c.get("/logout").await;
        assert_eq!(
            c.get("/fresh").await.status,
            StatusCode::UNAUTHORIZED,
            "{profile:?}"
        );
    }
}

/// 0.2.4's `url_encode(sort=True)`; 0.6.3 keeps the view's order.
#[actix_web::test]
async fn login_url_query_is_sorted_in_024() {
    for (profile, expected) in [
        (V024, "/login?a=2&next=%2Fprotected&z=1"),
        (V063, "/login?z=1&a=2&next=%2Fprotected"),
    ] {
        let mut c =
            client_with(move |b| b.profile(profile).login_view("/login?z=1&a=2&next=old")).await;
        assert_eq!(
            c.get("/protected").await.location(),
            Some(expected),
            "{profile:?}"
        );
    }
}

/// The port emits a relative Location in both profiles (Werkzeug < 2.1
/// made 0.2.4's absolute; reference §3: "The port should emit the relative
/// form").
#[actix_web::test]
async fn redirect_to_the_login_view_in_024() {
    let mut c = client_with(|b| b.profile(V024).login_view("login")).await;
    let r = c.get("/secret").await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(r.location(), Some("/login?next=%2Fsecret"));
    let mut c = client_with(|b| b.profile(V024).refresh_view("refresh_view")).await;
    assert_eq!(
        c.get("/needs-refresh").await.location(),
        Some("/refresh-view?next=%2Fneeds-refresh")
    );
}

/// 0.2.4's `UserMixin.is_authenticated` is always true; 0.6.3's is
/// `is_active`.
#[actix_web::test]
async fn a_forced_inactive_user_is_authenticated_only_in_024() {
    for (profile, name, status) in [
        (V024, "Creeper", StatusCode::OK),
        (V063, "Anonymous", StatusCode::UNAUTHORIZED),
    ] {
        let (mut c, _) = recorded(profile, SessionProtection::Off).await;
        assert_eq!(
            c.body("/login-as/3").await,
            "False",
            "{profile:?}: refused without force"
        );
        assert_eq!(c.body("/login-as/3?force=1").await, "True");
        assert_eq!(c.body("/whoami").await, "Creeper");
        assert_eq!(c.body("/username").await, name, "{profile:?}");
        assert_eq!(c.get("/protected").await.status, status, "{profile:?}");
    }
}

/// 0.2.4 loads the user before every request; 0.6.3 only when asked.
#[actix_web::test]
async fn the_024_profile_loads_the_user_on_every_request() {
    for (profile, extra_calls) in [(V024, 1), (V063, 0)] {
        let (mut c, _) = recorded(profile, SessionProtection::Off).await;
        c.get("/login-notch").await;
        let before = c.users.calls();
        assert_eq!(c.body("/").await, "Welcome!");
        assert_eq!(c.users.calls(), before + extra_calls, "{profile:?}");
        let r = c.get("/static/favicon.ico").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(
            c.users.calls(),
            before + 2 * extra_calls,
            "{profile:?}: even a 404"
        );
    }
}

/// Eager loading runs session protection on every request, so its signal
/// comes with requests that never touch the user.
#[actix_web::test]
async fn the_024_profile_sends_session_protected_on_every_request() {
    let (mut c, signals) = recorded(V024, SessionProtection::Basic).await;
    c.get("/login-notch").await;
    signals.clear();
    c.user_agent = Some("different".to_owned());
    for _ in 0..2 {
        assert_eq!(c.body("/").await, "Welcome!");
        assert_eq!(signals.take_names(), vec!["session-protected"]);
    }
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(c.body("/is-fresh").await, "False");

    let (mut c, signals) = recorded(V063, SessionProtection::Basic).await;
    c.get("/login-notch").await;
    signals.clear();
    c.user_agent = Some("different".to_owned());
    assert_eq!(c.body("/").await, "Welcome!");
    assert_eq!(signals.take_names(), Vec::<&str>::new());
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(signals.take_names(), vec!["accessed", "session-protected"]);
}

#[actix_web::test]
async fn the_024_profile_sends_no_accessed_signal() {
    let (mut c, signals) = recorded(V024, SessionProtection::Off).await;
    c.get("/login-notch").await;
    c.get("/username").await;
    c.get("/protected").await;
    assert_eq!(signals.count(Signal::Accessed), 0);
    assert_eq!(signals.take_names(), vec!["logged-in"]);
}

#[actix_web::test]
async fn session_keys_are_user_id_in_024_and_underscore_user_id_in_063() {
    // Freshness is stored as Flask-Login stores it, and `_id` only when
    // protection reads it.
    for (profile, mode, keys) in [
        (V024, SessionProtection::Off, "_fresh,user_id"),
        (V024, SessionProtection::Basic, "_fresh,_id,user_id"),
        (V063, SessionProtection::Off, "_fresh,_user_id"),
        (V063, SessionProtection::Basic, "_fresh,_id,_user_id"),
    ] {
        let (mut c, _) = recorded(profile, mode).await;
        c.get("/login-notch").await;
        assert_eq!(c.body("/session/keys").await, keys, "{profile:?} {mode:?}");
        let key = if profile == V024 {
            "user_id"
        } else {
            "_user_id"
        };
        assert_eq!(c.body(&format!("/session/get?key={key}")).await, "\"1\"");
    }
}

/// A session written by the other release is not understood (§1.5).
#[actix_web::test]
async fn a_session_of_the_other_release_is_not_understood() {
    for (profile, key, name) in [
        (V024, "user_id", "Steve"),
        (V024, "_user_id", "Anonymous"),
        (V063, "_user_id", "Steve"),
        (V063, "user_id", "Anonymous"),
    ] {
        let (mut c, _) = recorded(profile, SessionProtection::Off).await;
        c.get(&format!("/session/set?key={key}&value=%222%22"))
            .await;
        assert_eq!(c.body("/username").await, name, "{profile:?} {key}");
    }
    // Flask keeps an int id as an int.
    let (mut c, _) = recorded(V063, SessionProtection::Off).await;
    c.get("/session/set?key=_user_id&value=2").await;
    assert_eq!(c.body("/username").await, "Steve");
}

#[actix_web::test]
async fn options_is_guarded_in_024() {
    let (mut c, _) = recorded(V024, SessionProtection::Off).await;
    assert_eq!(
        c.request(Method::OPTIONS, "/protected").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        c.request(Method::OPTIONS, "/fresh").await.status,
        StatusCode::UNAUTHORIZED
    );
    c.get("/login-notch").await;
    assert_eq!(
        c.request(Method::OPTIONS, "/protected").await.status,
        StatusCode::OK
    );
}

/// 0.2.4 test suite: `test_cookie_encoding` and the Set-Cookie of §2.3.
#[actix_web::test]
async fn the_024_remember_cookie_is_sha1_without_httponly() {
    let (mut c, _) = recorded(V024, SessionProtection::Off).await;
    assert_eq!(c.manager.encode_cookie("1"), NOTCH_024);
    let r = c.get("/login-notch-remember").await;
    let raw = r.set_cookie_raw(REMEMBER_COOKIE).unwrap();
    let cookie = r.set_cookie(REMEMBER_COOKIE).unwrap();
    let expires = cookie.attr("expires").unwrap().to_owned();
    assert_eq!(
        raw,
        format!("remember={NOTCH_024}; Expires={expires}; Path=/")
    );
    // Werkzeug 0.16's date: `Mon, 29-Nov-2027 11:18:24 GMT`.
    assert_eq!(expires.matches('-').count(), 2, "{expires}");
    assert_expires_in(&cookie, std::time::Duration::from_secs(365 * 24 * 3600));
    c.clear_session();
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(c.body("/is-fresh").await, "False");
    let r = c.get("/logout").await;
    assert_eq!(
        r.set_cookie_raw(REMEMBER_COOKIE).unwrap(),
        "remember=; Expires=Thu, 01-Jan-1970 00:00:00 GMT; Max-Age=0; Path=/"
    );
    assert_eq!(c.body("/username").await, "Anonymous");
}

#[actix_web::test]
async fn cookies_of_one_release_are_invalid_in_the_other() {
    let (mut c, _) = recorded(V024, SessionProtection::Off).await;
    c.set_remember(&signed("1"));
    assert_eq!(c.body("/username").await, "Anonymous");
    let (mut c, _) = recorded(V063, SessionProtection::Off).await;
    c.set_remember(NOTCH_024);
    assert_eq!(c.body("/username").await, "Anonymous");
}

/// 0.2.4 sends `logged-out` only for a logged-in user.
#[actix_web::test]
async fn logout_without_a_user_sends_logged_out_only_in_063() {
    for (profile, sent) in [(V024, 0), (V063, 1)] {
        let (mut c, signals) = recorded(profile, SessionProtection::Off).await;
        c.get("/logout").await;
        assert_eq!(signals.count(Signal::LoggedOut), sent, "{profile:?}");
        c.get("/login-notch").await;
        c.get("/logout").await;
        assert_eq!(signals.count(Signal::LoggedOut), sent + 1, "{profile:?}");
    }
}

/// Flask-Login 0.2.4 stored the identifier on every request (S13), which
/// gave every cookieless request a stored session; here an anonymous
/// visitor gets none, and the identifier is stored at login, so protection
/// compares with the client that logged in.
#[actix_web::test]
async fn the_024_profile_stores_the_identifier_at_login_not_for_anonymous_visitors() {
    let (mut c, _) = recorded(V024, SessionProtection::Basic).await;
    for path in ["/", "/username", "/no-such-page"] {
        let r = c.get(path).await;
        assert!(r.set_cookies().is_empty(), "{path}: {:?}", r.set_cookies());
    }
    let r = c.get("/login-notch").await;
    assert!(r.set_cookie(SESSION_COOKIE).is_some());
    let md5 = session_identifier(V024, Some("127.0.0.1"), Some(USER_AGENT.as_bytes()));
    assert_eq!(md5.len(), 32);
    assert_eq!(
        c.body("/session/get?key=_id").await,
        format!("\"{}\"", stored_form(V024, &md5))
    );

    let (mut c, _) = recorded(V063, SessionProtection::Basic).await;
    for path in ["/", "/username"] {
        assert!(c.get(path).await.set_cookies().is_empty(), "{path}");
    }
}

#[actix_web::test]
async fn logout_keeps_the_identifier_only_in_024() {
    for (profile, keys) in [(V024, "_id"), (V063, "")] {
        let (mut c, _) = recorded(profile, SessionProtection::Basic).await;
        c.get("/login-notch").await;
        c.get("/logout").await;
        assert_eq!(c.body("/session/keys").await, keys, "{profile:?}");
    }
}

/// 0.2.4's strong protection ran `session.clear()`; 0.6.3 drops its own
/// keys only.
#[actix_web::test]
async fn strong_protection_clears_the_whole_session_only_in_024() {
    for (profile, foo) in [(V024, "<none>"), (V063, "\"bar\"")] {
        let (mut c, signals) = recorded(profile, SessionProtection::Strong).await;
        c.get("/session/set?key=foo&value=%22bar%22").await;
        c.get("/login-notch").await;
        c.user_agent = Some("different".to_owned());
        assert_eq!(c.body("/username").await, "Anonymous", "{profile:?}");
        assert_eq!(signals.count(Signal::SessionProtected), 1, "{profile:?}");
        assert_eq!(c.body("/session/get?key=foo").await, foo, "{profile:?}");
    }
}

#[actix_web::test]
async fn strong_protection_keeps_a_restored_login_in_both() {
    for profile in [V024, V063] {
        let (mut c, signals) = recorded(profile, SessionProtection::Strong).await;
        c.get("/login-notch-remember").await;
        c.clear_session();
        for _ in 0..3 {
            let r = c.get("/username").await;
            assert_eq!(r.body, "Notch", "{profile:?}");
            assert_eq!(r.set_cookie(REMEMBER_COOKIE), None, "{profile:?}");
        }
        assert_eq!(signals.count(Signal::SessionProtected), 0, "{profile:?}");
    }
}

/// 0.2.4 logs out a user its loader no longer knows, deleting the remember
/// cookie the request carried; 0.6.3 leaves both.
#[actix_web::test]
async fn a_forgotten_user_is_logged_out_and_its_cookie_deleted_only_in_024() {
    let (mut c, _) = recorded(V024, SessionProtection::Off).await;
    c.get("/login-notch-remember").await;
    c.users.forget("1");
    let r = c.get("/username").await;
    assert_eq!(r.body, "Anonymous");
    assert!(r.set_cookie(REMEMBER_COOKIE).unwrap().is_deletion());
    assert_eq!(c.body("/session/keys").await, "");

    let (mut c, _) = recorded(V063, SessionProtection::Off).await;
    c.get("/login-notch-remember").await;
    c.users.forget("1");
    let r = c.get("/username").await;
    assert_eq!(r.body, "Anonymous");
    assert_eq!(r.set_cookie(REMEMBER_COOKIE), None);
    // The cookie was tried too: its (unknown) id is stored, stale.
    assert_eq!(c.body("/session/keys").await, "_fresh,_user_id");
}

/// A valid 0.2.4 cookie for an unknown user: deleted, and (DIFFERENCES F5)
/// no `loaded-from-cookie` with an anonymous user.
#[actix_web::test]
async fn the_024_cookie_of_an_unknown_user_is_deleted_without_a_signal() {
    let (mut c, signals) = recorded(V024, SessionProtection::Off).await;
    c.users.forget("2");
    c.set_remember(&c.manager.encode_cookie("2"));
    let r = c.get("/username").await;
    assert_eq!(r.body, "Anonymous");
    assert!(r.set_cookie(REMEMBER_COOKIE).unwrap().is_deletion());
    assert_eq!(signals.count(Signal::LoadedFromCookie), 0);
    // A forged one is ignored, not deleted, and sends nothing either.
    c.set_remember("1|7d276051c1eec578ed86f6b8478f7f7d803a7971");
    let r = c.get("/username").await;
    assert_eq!(r.body, "Anonymous");
    assert_eq!(r.set_cookie(REMEMBER_COOKIE), None);
    assert_eq!(signals.count(Signal::LoadedFromCookie), 0);
    // A good one sends it once, before the handler runs.
    c.set_remember(NOTCH_024);
    assert_eq!(c.body("/").await, "Welcome!");
    assert_eq!(signals.take_names(), vec!["loaded-from-cookie"]);
}

/// In 0.2.4 the loader runs before the handler, so its failure answers
/// every request, and the session is left as it was.
#[actix_web::test]
async fn failing_loader_answers_500_before_the_handler_in_024() {
    let (mut c, _) = recorded(V024, SessionProtection::Basic).await;
    c.get("/login-notch").await;
    c.users.fail(true);
    let r = c.get("/").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.set_cookies().is_empty());
    c.users.fail(false);
    assert_eq!(c.body("/username").await, "Notch");
    assert_eq!(c.body("/is-fresh").await, "True");
}

/// 0.2.4 test suite: `test_make_secure_token_default_key`.
#[test]
fn make_secure_token_matches_flask_login_024() {
    assert_eq!(
        make_secure_token(&["foo"], b"deterministic"),
        "0f05743a2b617b2625362ab667c0dbdf4c9ec13a"
    );
    // Arguments are joined by NUL bytes.
    assert_ne!(
        make_secure_token(&["fo", "o"], b"deterministic"),
        make_secure_token(&["foo"], b"deterministic")
    );
}

/// 0.2.4 test suite: `test_chinese_user_agent` and
/// `test_russian_cp1251_user_agent` (UnicodeEncodeError fixes, S20).
#[actix_web::test]
async fn non_ascii_user_agents_are_fine() {
    let chinese = "Mozilla/5.0 (Linux; U; Android 4.0.3; zh-cn; 中文) AppleWebKit"
        .as_bytes()
        .to_vec();
    let cp1251 = b"ResearchSpider/1.0 (\xd0\xf3\xf1\xf1\xea\xe8\xe9)".to_vec();
    for profile in [V024, V063] {
        for mode in [SessionProtection::Basic, SessionProtection::Strong] {
            for ua in [&chinese, &cp1251] {
                let (mut c, signals) = recorded(profile, mode).await;
                let ua = HeaderValue::from_bytes(ua).unwrap();
                let r = c
                    .send(
                        TestRequest::get()
                            .uri("/")
                            .insert_header((header::USER_AGENT, ua.clone())),
                    )
                    .await;
                assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "Welcome!"));
                c.send(
                    TestRequest::get()
                        .uri("/login-notch")
                        .insert_header((header::USER_AGENT, ua.clone())),
                )
                .await;
                let r = c
                    .send(
                        TestRequest::get()
                            .uri("/username")
                            .insert_header((header::USER_AGENT, ua)),
                    )
                    .await;
                assert_eq!(r.body, "Notch", "{profile:?} {mode:?}");
                assert_eq!(
                    signals.count(Signal::SessionProtected),
                    0,
                    "{profile:?} {mode:?}"
                );
            }
        }
    }
}

/// README "Differences": `needs_refresh_message = None` flashes nothing in
/// both profiles (0.2.4 flashed `None`).
#[actix_web::test]
async fn no_refresh_message_flashes_nothing_in_024_either() {
    let mut c = client_with(|b| {
        b.profile(V024)
            .refresh_view("/refresh-view")
            .needs_refresh_message(None)
    })
    .await;
    assert_eq!(c.get("/needs-refresh").await.status, StatusCode::FOUND);
    assert_eq!(c.body("/flashes").await, "[]");
}

#[test]
fn profile_names_parse() {
    assert_eq!(Profile::default(), V063);
    assert_eq!("0.2.4".parse::<Profile>(), Ok(V024));
    assert_eq!("0.6.3".parse::<Profile>(), Ok(V063));
    assert!("0.4".parse::<Profile>().is_err());
}
